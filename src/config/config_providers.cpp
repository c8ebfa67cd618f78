// The providers section: the keys every cloud accepts, then the ones its kind requires or
// forbids (openai takes base_url; azure takes endpoint and, for the deployments API, a version).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "config/config_sections.hpp"
#include "config/config_values.hpp"

namespace tollbooth::config_detail {
namespace {

const std::vector<std::string_view> kKinds = {"openai", "azure"};        // ProviderKind order
const std::vector<std::string_view> kAzureApis = {"deployments", "v1"};  // AzureApi order
constexpr std::uint64_t kMaxIdleConnections = 100'000;

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
          {"region", [&](const Field& v) { r.text(v, p.region, "a label like eastus"); }},
          {"ca_file", [&](const Field& v) { r.readable_file(v, p.ca_file); }},
          {"verify_tls", [&](const Field& v) { r.boolean(v, p.verify_tls); }},
          {"connect_timeout", [&](const Field& v) { r.duration(v, p.connect_timeout); }},
          {"first_byte_timeout", [&](const Field& v) { r.duration(v, p.first_byte_timeout); }},
          {"idle_timeout", [&](const Field& v) { r.duration(v, p.idle_timeout); }},
          {"max_idle_connections", idle_connections},
      });
}

void check_openai_provider(Reader& r, const Field& f, const SeenKeys& seen, ProviderDraft& d) {
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

void check_azure_provider(Reader& r, const Field& f, const SeenKeys& seen, ProviderDraft& d) {
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
    if (!seen->contains("kind")) r.missing(entry, "kind", "one of: openai, azure");
    if (!draft.kind_known) continue;
    if (draft.config.kind == ProviderKind::openai) check_openai_provider(r, entry, *seen, draft);
    if (draft.config.kind == ProviderKind::azure) check_azure_provider(r, entry, *seen, draft);
    config.providers[entry.key] = std::move(draft.config);
  }
  if (declared.empty() && (f.node.IsNull() || f.node.IsMap())) {
    r.problem(f,
              "no providers; expected at least one, like openai: {kind: openai, base_url: "
              "https://api.openai.com/v1, api_key: env:OPENAI_API_KEY}");
  }
}

}  // namespace tollbooth::config_detail
