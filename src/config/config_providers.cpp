// The providers section: the keys every cloud accepts, then the ones its kind requires or
// forbids (openai takes base_url; azure takes endpoint and, for the deployments API, a version;
// bedrock takes a region, an optional endpoint and optional AWS credentials).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "config/config_sections.hpp"
#include "config/config_values.hpp"

namespace tollbooth::config_detail {
namespace {

const std::vector<std::string_view> kKinds = {"openai", "azure", "bedrock"};  // ProviderKind order
const std::vector<std::string_view> kAzureApis = {"deployments", "v1"};       // AzureApi order
const std::vector<std::string_view> kResponsesWires = {"native", "chat"};
constexpr std::uint64_t kMaxIdleConnections = 100'000;
// The keys only kind: bedrock takes (api_key is shared: there it is a Bedrock API key).
constexpr std::string_view kAwsKeys[] = {"access_key_id", "secret_access_key", "session_token",
                                         "profile", "credentials_file"};
constexpr std::string_view kRegionForm = "an AWS region like us-east-1";

// Azure versions are dates, optionally "-preview"; anything else gets a 404 from Azure at the
// first request, so catch it here.
void read_api_version(Reader& r, const Field& f, std::string& out) {
  constexpr std::string_view kForm = "a date like 2024-10-21 (or 2025-04-01-preview)";
  std::string text;
  if (!r.text(f, text, kForm)) return;
  std::string_view date = std::string_view(text).substr(0, 10);
  std::string_view rest = std::string_view(text).substr(date.size());
  bool shape = date.size() == 10 && date[4] == '-' && date[7] == '-' &&
               std::all_of(date.begin(), date.end(), [](char c) {
                 return c == '-' || std::isdigit(static_cast<unsigned char>(c));
               });
  if (!shape || (!rest.empty() && rest != "-preview")) {
    r.problem(f, fmt::format("{} is not an API version; expected {}", quote_value(text), kForm));
    return;
  }
  out = std::move(text);
}

// What the kind-independent pass read; the kind decides which of base_url/endpoint is used.
struct ProviderDraft {
  ProviderConfig config;
  bool kind_known = false;
  std::string base_url;
  std::string endpoint;
};

std::optional<SeenKeys> read_provider_keys(Reader& r, const Field& f, ProviderDraft& d) {
  ProviderConfig& p = d.config;
  auto kind = [&](const Field& v) {
    std::size_t i = 0;
    d.kind_known = r.choice(v, kKinds, i);
    if (d.kind_known) p.kind = static_cast<ProviderKind>(i);
  };
  auto api = [&](const Field& v) {
    std::size_t i = 0;
    if (r.choice(v, kAzureApis, i)) p.azure_api = static_cast<AzureApi>(i);
  };
  auto responses = [&](const Field& v) {
    std::size_t i = 0;
    if (r.choice(v, kResponsesWires, i)) p.responses_via_chat = i == 1;
  };
  auto idle_connections = [&](const Field& v) {
    std::uint64_t n = 0;
    if (r.count(v, 0, kMaxIdleConnections, n)) p.max_idle_connections = n;
  };
  return r.read_map(
      f,
      {
          {"kind", kind},
          {"base_url", [&](const Field& v) { r.url(v, d.base_url, "https://api.openai.com/v1"); }},
          {"endpoint",
           [&](const Field& v) { r.url(v, d.endpoint, "https://contoso.openai.azure.com"); }},
          {"api_key", [&](const Field& v) { r.secret(v, p.api_key); }},
          {"api_version", [&](const Field& v) { read_api_version(r, v, p.api_version); }},
          {"api", api},
          {"responses", responses},
          {"region", [&](const Field& v) { r.text(v, p.region, "a label like eastus"); }},
          {"residency",
           [&](const Field& v) { r.text(v, p.residency, "a data-residency label like us or eu"); }},
          {"access_key_id", [&](const Field& v) { r.secret(v, p.aws.access_key_id); }},
          {"secret_access_key", [&](const Field& v) { r.secret(v, p.aws.secret_access_key); }},
          {"session_token", [&](const Field& v) { r.secret(v, p.aws.session_token); }},
          {"profile",
           [&](const Field& v) { r.text(v, p.aws.profile, "a profile name like default"); }},
          {"credentials_file",
           [&](const Field& v) {
             r.path(v, p.aws.credentials_file, "a path to an AWS shared credentials file");
           }},
          {"ca_file", [&](const Field& v) { r.readable_file(v, p.ca_file); }},
          {"verify_tls", [&](const Field& v) { r.boolean(v, p.verify_tls); }},
          {"connect_timeout", [&](const Field& v) { r.duration(v, p.connect_timeout); }},
          {"first_byte_timeout", [&](const Field& v) { r.duration(v, p.first_byte_timeout); }},
          {"idle_timeout", [&](const Field& v) { r.duration(v, p.idle_timeout); }},
          {"max_idle_connections", idle_connections},
      });
}

// openai and azure providers: the AWS credential keys are bedrock's.
void reject_aws_keys(Reader& r, const SeenKeys& seen, const ProviderDraft& d) {
  std::string_view kind = kKinds[static_cast<std::size_t>(d.config.kind)];
  for (std::string_view key : kAwsKeys) {
    if (auto it = seen.find(key); it != seen.end()) {
      r.problem_at_key(it->second, fmt::format("is only for kind: bedrock ({} is kind: {}); "
                                               "remove it",
                                               d.config.name, kind));
    }
  }
}

void check_openai_provider(Reader& r, const Field& f, const SeenKeys& seen, ProviderDraft& d) {
  reject_aws_keys(r, seen, d);
  for (std::string_view key : {"endpoint", "api_version", "api"}) {
    if (auto it = seen.find(key); it != seen.end()) {
      r.problem_at_key(it->second, key == "endpoint"
                                       ? "is for kind: azure; kind: openai takes base_url"
                                       : "is only for kind: azure; remove it");
    }
  }
  auto base_url = seen.find("base_url");
  if (base_url == seen.end()) {
    r.missing(f, "base_url", "an http(s) URL like https://api.openai.com/v1");
  } else if (d.base_url.ends_with("/chat/completions")) {
    r.problem(base_url->second,
              "ends with /chat/completions, which tollbooth adds itself; "
              "expected the API root like https://api.openai.com/v1");
  }
  d.config.base_url = std::move(d.base_url);
}

// `responses` is an openai provider's: Azure serves the Responses API, Bedrock is translated.
void reject_responses_key(Reader& r, const SeenKeys& seen, std::string_view kind) {
  if (auto it = seen.find("responses"); it != seen.end()) {
    r.problem_at_key(
        it->second,
        fmt::format("is only for kind: openai (kind: {} {}); remove it", kind,
                    kind == "azure" ? "serves the Responses API itself" : "gets it translated"));
  }
}

void check_azure_provider(Reader& r, const Field& f, const SeenKeys& seen, ProviderDraft& d) {
  reject_aws_keys(r, seen, d);
  reject_responses_key(r, seen, "azure");
  if (auto it = seen.find("base_url"); it != seen.end()) {
    r.problem_at_key(it->second,
                     "is for kind: openai; kind: azure takes endpoint, like "
                     "https://contoso.openai.azure.com");
  }
  auto endpoint = seen.find("endpoint");
  if (endpoint == seen.end()) {
    r.missing(f, "endpoint", "the resource URL like https://contoso.openai.azure.com");
  } else if (d.endpoint.ends_with("/openai")) {
    r.problem(endpoint->second,
              "ends with /openai, which tollbooth adds itself; expected the "
              "resource URL like https://contoso.openai.azure.com");
  }
  if (!seen.contains("api_key")) r.missing(f, "api_key", "env:NAME naming the resource's key");
  auto version = seen.find("api_version");
  if (d.config.azure_api == AzureApi::v1 && version != seen.end()) {
    r.problem_at_key(version->second,
                     "has no meaning with api: v1 (that API is not versioned); "
                     "remove it, or use api: deployments");
  } else if (d.config.azure_api == AzureApi::deployments && version == seen.end()) {
    r.missing(f, "api_version", "a date like 2024-10-21 (api: deployments, the default, needs it)");
  }
  d.config.base_url = std::move(d.endpoint);
}

// Credentials are optional (without any, the gateway resolves them from the environment and
// ~/.aws at start-up), but what is given must be one complete, unambiguous source.
void check_aws_credentials(Reader& r, const SeenKeys& seen) {
  auto key = [&](std::string_view name) {
    auto it = seen.find(name);
    return it == seen.end() ? nullptr : &it->second;
  };
  const Field* key_id = key("access_key_id");
  const Field* secret = key("secret_access_key");
  const Field* token = key("session_token");
  const Field* api_key = key("api_key");
  if (key_id && !secret) {
    r.problem_at_key(*key_id,
                     "needs secret_access_key too; expected both, like "
                     "secret_access_key: env:AWS_SECRET_ACCESS_KEY");
  }
  if (secret && !key_id) {
    r.problem_at_key(*secret,
                     "needs access_key_id too; expected both, like "
                     "access_key_id: env:AWS_ACCESS_KEY_ID");
  }
  if (token && !(key_id && secret)) {
    r.problem_at_key(*token,
                     "is only used with access_key_id and secret_access_key; add them "
                     "or remove it");
  }
  bool access_keys = key_id || secret;
  if (api_key && access_keys) {
    r.problem_at_key(*api_key,
                     "is a Bedrock API key (sent as a bearer token) and cannot be used together "
                     "with access_key_id/secret_access_key; keep one of the two");
  }
  if (access_keys || api_key) {
    std::string_view used = api_key ? "api_key" : "access_key_id";
    for (std::string_view name : {"profile", "credentials_file"}) {
      if (const Field* ignored = key(name)) {
        r.problem_at_key(*ignored, fmt::format("would be ignored because {} is set; remove one "
                                               "of the two",
                                               used));
      }
    }
  }
}

void check_bedrock_provider(Reader& r, const Field& f, const SeenKeys& seen, ProviderDraft& d) {
  ProviderConfig& p = d.config;
  reject_responses_key(r, seen, "bedrock");
  if (auto it = seen.find("base_url"); it != seen.end()) {
    r.problem_at_key(it->second,
                     "is for kind: openai; kind: bedrock takes region and, optionally, endpoint "
                     "(default https://bedrock-runtime.{region}.amazonaws.com)");
  }
  for (std::string_view key : {"api_version", "api"}) {
    if (auto it = seen.find(key); it != seen.end()) {
      r.problem_at_key(it->second, "is only for kind: azure; remove it");
    }
  }
  auto region = seen.find("region");
  bool region_ok = false;
  if (region == seen.end()) {
    r.missing(f, "region",
              fmt::format("{} (the region Bedrock is called and signed in)", kRegionForm));
  } else if (!p.region.empty() && !is_aws_region(p.region)) {
    r.problem(region->second, fmt::format("{} is not an AWS region; expected {}",
                                          quote_value(p.region), kRegionForm));
  } else {
    region_ok = !p.region.empty();
  }
  check_aws_credentials(r, seen);
  p.aws.bearer_token = std::move(p.api_key);  // a Bedrock API key; api_key stays empty
  p.api_key.clear();
  if (seen.contains("endpoint")) {
    p.base_url = std::move(d.endpoint);
  } else if (region_ok) {
    p.base_url = fmt::format("https://bedrock-runtime.{}.amazonaws.com", p.region);
  }
}

bool valid_provider_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

}  // namespace

void read_providers(Reader& r, const Field& f, Config& config, Declared& declared) {
  for (const Field& entry : r.entries(f)) {
    if (!valid_provider_name(entry.key)) {
      r.problem_at_key(entry, fmt::format("{} is not a valid provider name; expected letters, "
                                          "digits, '_', '.' and '-'",
                                          quote_value(entry.key)));
    }
    ProviderDraft draft;
    draft.config.name = entry.key;
    auto seen = read_provider_keys(r, entry, draft);
    declared[entry.key] = draft.kind_known ? std::optional(draft.config.kind) : std::nullopt;
    if (!seen) continue;
    if (!seen->contains("kind")) r.missing(entry, "kind", "one of: " + join(kKinds));
    if (!draft.kind_known) continue;
    if (draft.config.kind == ProviderKind::openai) check_openai_provider(r, entry, *seen, draft);
    if (draft.config.kind == ProviderKind::azure) check_azure_provider(r, entry, *seen, draft);
    if (draft.config.kind == ProviderKind::bedrock) {
      check_bedrock_provider(r, entry, *seen, draft);
    }
    config.providers[entry.key] = std::move(draft.config);
  }
  if (declared.empty() && (f.node.IsNull() || f.node.IsMap())) {
    r.problem(f,
              "no providers; expected at least one, like openai: {kind: openai, base_url: "
              "https://api.openai.com/v1, api_key: env:OPENAI_API_KEY}");
  }
}

}  // namespace tollbooth::config_detail
