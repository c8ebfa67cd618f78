#include "core/endpoint.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace tollbooth {

Result<Endpoint> parse_endpoint(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return make_error(ErrorKind::invalid_request, "not a URL: " + std::string(url));
  const auto& u = *parsed;
  Endpoint ep;
  if (u.scheme() == "https") {
    ep.tls = true;
  } else if (u.scheme() != "http") {
    return make_error(ErrorKind::invalid_request, "URL scheme must be http or https");
  }
  if (!u.has_authority() || u.host().empty())
    return make_error(ErrorKind::invalid_request, "URL has no host");
  if (u.has_query() || u.has_fragment())
    return make_error(ErrorKind::invalid_request, "URL must not have a query or fragment");
  ep.host = u.host_type() == boost::urls::host_type::ipv6
                ? std::string(u.host_ipv6_address().to_string())
                : std::string(u.host());
  if (u.has_port()) {
    auto port = u.port_number();
    if (port == 0) return make_error(ErrorKind::invalid_request, "URL port must be 1-65535");
    ep.port = port;
  } else {
    ep.port = ep.tls ? 443 : 80;
  }
  ep.base_path = std::string(u.encoded_path());
  while (!ep.base_path.empty() && ep.base_path.back() == '/') ep.base_path.pop_back();
  ep.host_header = std::string(u.encoded_host_and_port());
  bool default_port = ep.port == (ep.tls ? 443 : 80);
  if (default_port && u.has_port()) ep.host_header = std::string(u.encoded_host());
  return ep;
}

}  // namespace tollbooth
