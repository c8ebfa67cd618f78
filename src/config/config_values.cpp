#include "config/config_values.hpp"

#include <algorithm>
#include <array>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <charconv>
#include <limits>
#include <regex>
#include <vector>

namespace tollbooth::config_detail {
namespace {

struct NumberAndUnit {
  std::uint64_t number = 0;
  std::string_view unit;
};

// Splits "16 KiB" into 16 and "KiB"; the unit may be empty, one space may separate them.
std::optional<NumberAndUnit> split_number(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  auto number = parse_unsigned(text.substr(0, digits));
  if (!number) return std::nullopt;
  std::string_view unit = text.substr(digits);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (!unit.empty() && !std::isalpha(static_cast<unsigned char>(unit.front()))) {
    return std::nullopt;
  }
  return NumberAndUnit{*number, unit};
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool is_ip_literal(std::string_view host) {
  return boost::urls::parse_ipv4_address(host).has_value() ||
         boost::urls::parse_ipv6_address(host).has_value();
}

}  // namespace

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_decimal(std::string_view text, int scale) {
  auto point = text.find('.');
  std::string_view whole = text.substr(0, point);
  std::string_view fraction =
      point == std::string_view::npos ? std::string_view() : text.substr(point + 1);
  if (whole.empty() || (point != std::string_view::npos && fraction.empty())) return std::nullopt;
  if (fraction.size() > static_cast<std::size_t>(scale)) return std::nullopt;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t value = 0;
  auto push = [&](char c) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || value > (kMax - 9) / 10) return false;
    value = value * 10 + (c - '0');
    return true;
  };
  for (char c : whole)
    if (!push(c)) return std::nullopt;
  for (char c : fraction)
    if (!push(c)) return std::nullopt;
  for (auto i = fraction.size(); i < static_cast<std::size_t>(scale); ++i)
    if (!push('0')) return std::nullopt;
  return value;
}

std::optional<std::size_t> parse_size(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 7> kUnits{{
      {"", 1},
      {"KiB", 1ull << 10},
      {"MiB", 1ull << 20},
      {"GiB", 1ull << 30},
      {"KB", 1'000},
      {"MB", 1'000'000},
      {"GB", 1'000'000'000},
  }};
  auto split = split_number(text);
  if (!split) return std::nullopt;
  for (const auto& [unit, multiplier] : kUnits) {
    if (!iequals(split->unit, unit)) continue;
    if (split->number > std::numeric_limits<std::size_t>::max() / multiplier) return std::nullopt;
    return static_cast<std::size_t>(split->number * multiplier);
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> kUnits{{
      {"ms", 1},
      {"s", 1'000},
      {"m", 60'000},
      {"h", 3'600'000},
      {"d", 86'400'000},
  }};
  auto split = split_number(text);
  if (!split) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  for (const auto& [unit, multiplier] : kUnits) {
    if (split->unit != unit) continue;
    if (split->number > kMax / multiplier) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(split->number * multiplier));
  }
  return std::nullopt;
}

ListenParse parse_listen(std::string_view text) {
  constexpr std::string_view kForm =
      "expected host:port like 127.0.0.1:4000, 0.0.0.0:4000 or [::1]:4000";
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") {
      return {std::nullopt, std::string(kForm)};
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return {std::nullopt, std::string(kForm)};
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return {std::nullopt, "IPv6 addresses go in brackets, like [::1]:4000"};
    }
  }
  auto number = parse_unsigned(port);
  if (!number) return {std::nullopt, std::string(kForm)};
  if (*number > 65535) return {std::nullopt, "port must be from 0 to 65535 (0 picks a free port)"};
  std::string address = host == "localhost" ? "127.0.0.1" : std::string(host);
  if (!is_ip_literal(address)) {
    return {std::nullopt, "host must be an IP address (or localhost); " + std::string(kForm)};
  }
  return {ListenAddress{std::move(address), static_cast<std::uint16_t>(*number)}, {}};
}

UrlParse parse_http_url(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return {{}, "not an absolute URL (it must start with http:// or https://)"};
  const auto& url = *parsed;
  std::string scheme(url.scheme());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme != "http" && scheme != "https") {
    return {{}, "scheme must be http or https"};
  }
  if (!url.has_authority() || url.encoded_host().empty()) return {{}, "the URL has no host"};
  if (url.has_userinfo()) return {{}, "the URL must not carry credentials; use api_key"};
  if (url.has_query() || url.has_fragment()) {
    return {{}, "the URL must not have a query (?...) or fragment (#...)"};
  }
  if (url.has_port()) {
    auto port = parse_unsigned(url.port());
    if (!port || *port == 0 || *port > 65535) return {{}, "the port must be from 1 to 65535"};
  }
  std::string result(text);
  while (result.ends_with('/')) result.pop_back();
  return {std::move(result), {}};
}

bool is_aws_region(std::string_view text) {
  static const std::regex kRegion("[a-z]{2}(-gov)?-[a-z]+-[0-9]");
  return std::regex_match(text.begin(), text.end(), kRegion);
}

bool is_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string_view closest_match(std::string_view word, std::span<const std::string_view> options) {
  std::string_view best;
  std::size_t best_distance = std::max<std::size_t>(1, word.size() / 3) + 1;
  for (auto option : options) {
    std::size_t distance = edit_distance(word, option);
    if (distance < best_distance) {
      best = option;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace tollbooth::config_detail
