#include "limits/redis_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace tollbooth::limits {

namespace {

Error bad(std::string message) {
  return make_error(ErrorKind::invalid_request, "redis URL: " + std::move(message));
}

}  // namespace

std::string RedisUrl::describe() const {
  std::string out = "redis://";
  if (!username.empty()) out += username + "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

Result<RedisUrl> parse_redis_url(std::string_view text) {
  auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return bad("not a URL (expected redis://[:password@]host[:port][/db])");
  const auto& u = *parsed;
  if (u.scheme() == "rediss") {
    return bad(
        "TLS is not supported (rediss://): the Redis client, hiredis 0.14, has none; use "
        "redis:// on a private network, or a local TLS tunnel");
  }
  if (u.scheme() != "redis") return bad("the scheme must be redis://");
  if (!u.has_authority() || u.host().empty()) return bad("no host");
  if (u.has_query() || u.has_fragment()) return bad("a query or fragment is not supported");

  RedisUrl out;
  out.host = u.host_type() == boost::urls::host_type::ipv6
                 ? std::string(u.host_ipv6_address().to_string())
                 : std::string(u.host());
  if (u.has_port()) {
    if (u.port_number() == 0) return bad("the port must be 1-65535");
    out.port = u.port_number();
  }
  if (u.has_userinfo()) {
    if (u.has_password()) {
      out.username = std::string(u.user());
      out.password = std::string(u.password());
    } else {
      out.password = std::string(u.user());  // redis://secret@host, as redis-cli reads it
    }
  }
  std::string_view path = u.encoded_path();
  if (!path.empty() && path != "/") {
    std::string_view digits = path.substr(1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out.db);
    if (path.front() != '/' || ec != std::errc{} || end != digits.data() + digits.size() ||
        out.db < 0) {
      return bad("the path must be a database number, as in redis://host:6379/0");
    }
  }
  return out;
}

}  // namespace tollbooth::limits
