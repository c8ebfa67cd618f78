#pragma once
// Where an upstream lives, parsed once from a provider's base URL at start-up.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tollbooth {

struct Endpoint {
  bool tls = false;
  std::string host;  // DNS name or IP literal (IPv6 without brackets)
  std::uint16_t port = 0;
  std::string base_path;    // path prefix without trailing '/', e.g. "/v1" or ""
  std::string host_header;  // value for the Host header: host, plus :port when not default
};

// Accepts http:// and https:// URLs with an optional port and path; no query or fragment.
Result<Endpoint> parse_endpoint(std::string_view url);

}  // namespace tollbooth
