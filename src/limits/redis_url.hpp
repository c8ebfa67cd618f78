#pragma once
// Where the shared rate-limit counters live: a Redis URL, parsed once at start-up. Pure.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tollbooth::limits {

struct RedisUrl {
  std::string host;  // DNS name or IP literal (IPv6 without brackets)
  std::uint16_t port = 6379;
  std::string username;  // ACL user (Redis 6+); empty: AUTH with the password alone
  std::string password;  // secret: never in a log line, a message or describe()
  int db = 0;            // SELECTed after connecting when not 0

  // "redis://host:port/db" (with "user@" when there is a username): for log lines.
  std::string describe() const;
};

// Accepts redis://[[user]:password@]host[:port][/db], as redis-cli does: userinfo without a ':'
// is a password; user and password are percent-decoded. rediss:// (TLS) is refused with a
// message saying so: hiredis 0.14, Debian 12's, has no TLS. Error messages never quote the URL
// (it may hold the password).
Result<RedisUrl> parse_redis_url(std::string_view url);

}  // namespace tollbooth::limits
