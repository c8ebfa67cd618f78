#include "server/request_target.hpp"

#include <boost/beast/core/string.hpp>

namespace tollbooth {

std::optional<std::string_view> target_path(std::string_view target) noexcept {
  std::string_view rest;
  if (target.starts_with('/')) {
    rest = target;
  } else {
    // A client talking to a proxy sends the whole URL; RFC 9112 §3.2.2 says a server must accept
    // it and take the path from it.
    std::size_t scheme = 0;
    if (target.size() >= 7 && boost::beast::iequals(target.substr(0, 7), "http://"))
      scheme = 7;
    else if (target.size() >= 8 && boost::beast::iequals(target.substr(0, 8), "https://"))
      scheme = 8;
    if (scheme == 0) return std::nullopt;
    std::size_t slash = target.find_first_of("/?#", scheme);
    if (slash == scheme) return std::nullopt;  // no authority
    if (slash == std::string_view::npos || target[slash] != '/') return std::string_view("/");
    rest = target.substr(slash);
  }
  return rest.substr(0, rest.find('?'));
}

}  // namespace tollbooth
