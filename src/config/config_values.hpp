#pragma once
// Pure parsers for the scalar forms a config file uses (sizes, durations, addresses, URLs).
// They take text and return values, so they are tested without YAML; messages are built by the
// caller, which knows the key and the expected form.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tollbooth::config_detail {

// "1048576", "8MiB", "16 KiB", "2GB" (KiB/MiB/GiB = powers of 1024, KB/MB/GB = powers of 1000;
// units are case-insensitive). nullopt on anything else or on overflow.
std::optional<std::size_t> parse_size(std::string_view text);

// "250ms", "30s", "2m", "12h", "30d": an unsigned integer and a unit (a bare number is rejected
// because its unit would be a guess). nullopt on anything else or on overflow.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// An unsigned decimal integer with no sign, spaces or suffix; nullopt otherwise.
std::optional<std::uint64_t> parse_unsigned(std::string_view text);

// A non-negative decimal written with at most `scale` digits after the point, as an exact
// integer count of 10^-scale units: parse_decimal("1.25", 6) == 1'250'000. No sign, exponent or
// spaces; nullopt on anything else, on more than `scale` decimals or on overflow. Money and
// percentages go through this so "0.1" never becomes 0.09999...
std::optional<std::int64_t> parse_decimal(std::string_view text, int scale);

struct ListenAddress {
  std::string host;  // an IP literal, without brackets for IPv6
  std::uint16_t port = 0;
};

// "127.0.0.1:4000", "0.0.0.0:0", "[::1]:4000", "localhost:4000" (= 127.0.0.1). On failure,
// `error` says what is wrong ("port 70000 is out of range ...").
struct ListenParse {
  std::optional<ListenAddress> address;
  std::string error;
};
ListenParse parse_listen(std::string_view text);

// An absolute http(s) URL with a host, no credentials, query or fragment. On success `url` is
// the URL with any trailing '/' removed, so callers can append "/chat/completions".
struct UrlParse {
  std::string url;
  std::string error;  // empty on success; never repeats the URL (it might carry credentials)
};
UrlParse parse_http_url(std::string_view text);

// An AWS region name: [a-z]{2}(-gov)?-[a-z]+-\d, like us-east-1 or us-gov-west-1.
bool is_aws_region(std::string_view text);

// `env:NAME` references: NAME must look like a shell variable name.
bool is_env_name(std::string_view name);

// The option closest to `word` by edit distance (ignoring case), if it is close enough to be
// a likely typo; empty otherwise. Used for "did you mean ...?" hints.
std::string_view closest_match(std::string_view word, std::span<const std::string_view> options);

}  // namespace tollbooth::config_detail
