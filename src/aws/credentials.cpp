#include "aws/credentials.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

namespace tollbooth::aws {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The public message stays generic (it may reach a client as a 503); the detail, for logs and
// `tollbooth check`, says what was tried. Neither ever holds a secret value.
Error credential_error(std::string detail) {
  Error error = make_error(ErrorKind::unavailable, "the AWS provider has no usable credentials");
  error.detail = std::move(detail);
  return error;
}

// Profile keys that need an STS, SSO or process call; tollbooth does not make those.
constexpr std::string_view kIndirectKeys[] = {"role_arn",           "source_profile",
                                              "credential_process", "sso_session",
                                              "sso_start_url",      "web_identity_token_file"};

struct ProfileKeys {
  bool found = false;
  std::string access_key_id, secret_access_key, session_token;
  std::string indirect_key;  // the first of kIndirectKeys the profile sets
};

// The INI dialect botocore reads: `[name]` headers, `key = value` (or `key: value`), `#`/`;`
// comment lines, keys case-insensitive, no inline comments. A repeated section adds to the first.
ProfileKeys read_profile(std::string_view text, std::string_view profile) {
  ProfileKeys keys;
  bool inside = false;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = trim(text.substr(at, end - at));
    at = end + 1;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      std::size_t close = line.find(']');
      inside = close != std::string_view::npos && trim(line.substr(1, close - 1)) == profile;
      keys.found = keys.found || inside;
      continue;
    }
    if (!inside) continue;
    std::size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) continue;
    std::string key = ascii_lower(trim(line.substr(0, sep)));
    std::string value(trim(line.substr(sep + 1)));
    if (key == "aws_access_key_id") keys.access_key_id = std::move(value);
    if (key == "aws_secret_access_key") keys.secret_access_key = std::move(value);
    if (key == "aws_session_token") keys.session_token = std::move(value);
    for (std::string_view indirect : kIndirectKeys) {
      if (key == indirect && keys.indirect_key.empty()) keys.indirect_key = key;
    }
  }
  return keys;
}

std::string env_value(const Lookups& lookups, const char* name) {
  const char* value = lookups.getenv ? lookups.getenv(name) : nullptr;
  return value ? std::string(value) : std::string();
}

using Found = Result<std::optional<Auth>>;  // an Auth, "not set here" (nullopt), or an error

Auth sigv4_auth(std::string id, std::string secret, std::string token, std::string source) {
  return Auth{AuthMode::sigv4,
              Credentials{std::move(id), std::move(secret), std::move(token)},
              {},
              std::move(source)};
}

Found from_config(const AuthConfig& config, std::string& tried) {
  bool has_keys = !config.access_key_id.empty() || !config.secret_access_key.empty() ||
                  !config.session_token.empty();
  if (has_keys && !config.bearer_token.empty()) {
    return credential_error("the provider config sets both a Bedrock API key and access keys");
  }
  if (!config.bearer_token.empty()) {
    return std::optional<Auth>(
        Auth{AuthMode::bearer, {}, config.bearer_token, "provider config (Bedrock API key)"});
  }
  if (!has_keys) {
    tried += "provider config (no keys), ";
    return std::optional<Auth>();
  }
  if (config.access_key_id.empty() || config.secret_access_key.empty()) {
    return credential_error(config.access_key_id.empty()
                                ? "the provider config sets a secret or session token but no "
                                  "access_key_id"
                                : "the provider config sets access_key_id but no "
                                  "secret_access_key");
  }
  return std::optional<Auth>(sigv4_auth(config.access_key_id, config.secret_access_key,
                                        config.session_token, "provider config (access keys)"));
}

Found from_environment(const AuthConfig& config, const Lookups& lookups, std::string& tried) {
  if (config.allow_bearer_env) {
    std::string token = env_value(lookups, "AWS_BEARER_TOKEN_BEDROCK");
    if (!token.empty()) {
      return std::optional<Auth>(
          Auth{AuthMode::bearer, {}, std::move(token), "environment (AWS_BEARER_TOKEN_BEDROCK)"});
    }
    tried += "AWS_BEARER_TOKEN_BEDROCK (not set), ";
  }
  std::string id = env_value(lookups, "AWS_ACCESS_KEY_ID");
  std::string secret = env_value(lookups, "AWS_SECRET_ACCESS_KEY");
  if (id.empty() && secret.empty()) {
    tried += "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set), ";
    return std::optional<Auth>();
  }
  if (id.empty() || secret.empty()) {
    return credential_error(id.empty()
                                ? "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"
                                : "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  std::string token = env_value(lookups, "AWS_SESSION_TOKEN");
  if (token.empty()) token = env_value(lookups, "AWS_SECURITY_TOKEN");  // older SDKs' name
  return std::optional<Auth>(sigv4_auth(std::move(id), std::move(secret), std::move(token),
                                        "environment (AWS_ACCESS_KEY_ID)"));
}

// Config first, then the variable, then the SDKs' default; "~/" means $HOME.
std::string credentials_path(const AuthConfig& config, const Lookups& lookups) {
  std::string path = config.credentials_file;
  if (path.empty()) path = env_value(lookups, "AWS_SHARED_CREDENTIALS_FILE");
  if (path.empty()) path = "~/.aws/credentials";
  if (path.starts_with("~/")) {
    std::string home = env_value(lookups, "HOME");
    if (home.empty()) return {};
    path = home + path.substr(1);
  }
  return path;
}

Found from_shared_file(const AuthConfig& config, const Lookups& lookups, std::string& tried) {
  std::string profile = config.profile;
  if (profile.empty()) profile = env_value(lookups, "AWS_PROFILE");
  bool profile_named = !profile.empty();  // a named profile must exist: no silent fallback
  if (!profile_named) profile = "default";
  std::string path = credentials_path(config, lookups);
  std::string where = "shared credentials file " + path + " [" + profile + "]";
  if (path.empty()) {
    if (profile_named) return credential_error("profile " + profile + ": HOME is not set");
    tried += "shared credentials file (HOME not set)";
    return std::optional<Auth>();
  }
  std::optional<std::string> text = lookups.read_file ? lookups.read_file(path) : std::nullopt;
  if (!text && (profile_named || !config.credentials_file.empty())) {
    return credential_error("cannot read " + where);
  }
  if (!text) {
    tried += "shared credentials file " + path + " (not found)";
    return std::optional<Auth>();
  }
  if (!profile_named && !read_profile(*text, profile).found) {
    tried += where + " (no such profile)";
    return std::optional<Auth>();
  }
  Result<Credentials> credentials = credentials_from_profile(*text, profile);
  if (!credentials.ok()) return credential_error(where + ": " + credentials.error().detail);
  Credentials& c = credentials.value();
  return std::optional<Auth>(sigv4_auth(std::move(c.access_key_id), std::move(c.secret_access_key),
                                        std::move(c.session_token), where));
}

}  // namespace

Result<Credentials> credentials_from_profile(std::string_view file_text, std::string_view profile) {
  ProfileKeys keys = read_profile(file_text, profile);
  if (!keys.found) return credential_error("no [" + std::string(profile) + "] profile");
  if (keys.access_key_id.empty() || keys.secret_access_key.empty()) {
    if (!keys.indirect_key.empty()) {
      return credential_error("the profile uses " + keys.indirect_key +
                              ", which tollbooth does not resolve; give it static keys or export "
                              "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN");
    }
    return credential_error(keys.access_key_id.empty() ? "aws_access_key_id is missing"
                                                       : "aws_secret_access_key is missing");
  }
  return Credentials{std::move(keys.access_key_id), std::move(keys.secret_access_key),
                     std::move(keys.session_token)};
}

Result<Auth> resolve_auth(const AuthConfig& config, const Lookups& lookups) {
  std::string tried;  // "what (why not), " for each source that was not set
  Found found = from_config(config, tried);
  if (found.ok() && !found.value()) found = from_environment(config, lookups, tried);
  if (found.ok() && !found.value()) found = from_shared_file(config, lookups, tried);
  if (!found.ok()) return std::move(found).error();
  if (found.value()) return std::move(*found.value());
  return credential_error("no AWS credentials found; tried " + tried);
}

std::string bearer_authorization(std::string_view token) {
  std::string out = "Bearer ";
  out.append(token);
  return out;
}

Lookups system_lookups() {
  Lookups lookups;
  lookups.getenv = [](const char* name) -> const char* { return std::getenv(name); };
  lookups.read_file = [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
  };
  return lookups;
}

}  // namespace tollbooth::aws
