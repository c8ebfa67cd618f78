#pragma once
// Where a Bedrock provider's credentials come from. Resolved once, at config load or startup,
// never on the request path. The process environment and the file system are injected, so the
// resolution is tested without touching either.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.hpp"
#include "core/result.hpp"

namespace tollbooth::aws {

// Bedrock Runtime accepts SigV4 or a Bedrock API key sent as `Authorization: Bearer <key>`
// (PROTOCOLS.md §5.1: aws.auth#sigv4 or smithy.api#httpBearerAuth).
enum class AuthMode { sigv4, bearer };

struct Auth {
  AuthMode mode = AuthMode::sigv4;
  Credentials credentials;   // when mode == sigv4
  std::string bearer_token;  // when mode == bearer
  // Where it came from, e.g. "shared credentials file /home/u/.aws/credentials [prod]";
  // for `tollbooth check` and startup logs. Never holds a secret.
  std::string source;
};

// What a provider's config says, `env:NAME` references already resolved by the config loader.
// Empty strings mean "not set".
struct AuthConfig {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string bearer_token;      // a Bedrock API key
  std::string profile;           // empty: AWS_PROFILE, then "default"
  std::string credentials_file;  // empty: AWS_SHARED_CREDENTIALS_FILE, then ~/.aws/credentials
  // Honour AWS_BEARER_TOKEN_BEDROCK, as the AWS SDKs do for services signed as "bedrock".
  bool allow_bearer_env = true;
};

// The outside world, injected. `getenv` has the shape of ::getenv (and of config's EnvLookup);
// `read_file` returns nullopt when the file cannot be read.
struct Lookups {
  std::function<const char*(const char*)> getenv;
  std::function<std::optional<std::string>(const std::string& path)> read_file;
};

// ::getenv and the real file system.
Lookups system_lookups();

// Tries, in order, and takes the first source that is set:
//   1. the provider config: access_key_id + secret_access_key (+ session_token), or bearer_token;
//   2. AWS_BEARER_TOKEN_BEDROCK (when allow_bearer_env);
//   3. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN);
//   4. the shared credentials file's profile.
// A source that is half set (a key id without its secret, a named profile that is missing) is an
// error rather than a reason to fall through: using other credentials than the ones meant would be
// worse. Errors carry a generic public message; their `detail` says what went wrong and, when
// nothing was found, names every source tried. Neither ever holds a secret value.
Result<Auth> resolve_auth(const AuthConfig& config, const Lookups& lookups);

// Reads one profile of a shared credentials file (INI: `[name]` sections, `key = value` lines,
// `#`/`;` comments): aws_access_key_id, aws_secret_access_key, aws_session_token.
Result<Credentials> credentials_from_profile(std::string_view file_text, std::string_view profile);

// The Authorization header value for a Bedrock API key.
std::string bearer_authorization(std::string_view token);

}  // namespace tollbooth::aws
