#include "mock/mock_fault.hpp"

#include <charconv>
#include <optional>

namespace tollbooth::mock {
namespace {

constexpr int kMaxDelayMs = 600'000;  // 10 minutes: longer than any client timeout worth testing

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error bad_item(std::string_view item, std::string_view why) {
  std::string msg = "invalid fault item '";
  msg.append(item).append("': ").append(why);
  return make_error(ErrorKind::invalid_request, std::move(msg));
}

// Parses a decimal integer in [lo, hi]; false on anything else.
bool parse_int(std::string_view text, int lo, int hi, int& out) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < lo || v > hi) return false;
  out = v;
  return true;
}

struct NumericItem {
  std::string_view name;
  int FaultSpec::*field;
  int lo;
  int hi;
};

constexpr NumericItem kNumericItems[] = {
    {"status", &FaultSpec::status, 400, 599},
    {"retry_after", &FaultSpec::retry_after_s, 0, 86'400},
    {"latency_ms", &FaultSpec::latency_ms, 0, kMaxDelayMs},
    {"stall_ms", &FaultSpec::stall_ms, 0, kMaxDelayMs},
    {"drop_after", &FaultSpec::drop_after, 0, 1'000'000},
    {"fail_first", &FaultSpec::fail_first, 0, 1'000'000'000},
};

std::optional<Error> apply_item(std::string_view item, FaultSpec& spec) {
  const auto eq = item.find('=');
  const auto name = trim(item.substr(0, eq));
  if (eq == std::string_view::npos) {
    if (name == "close") {
      spec.close = true;
      return std::nullopt;
    }
    return bad_item(item, "expected name=value or 'close'");
  }
  const auto value = trim(item.substr(eq + 1));
  if (name == "exception") {
    if (value.empty() || value.size() > 64) return bad_item(item, "expected an exception name");
    for (char ch : value) {
      const bool ok =
          (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
      if (!ok) return bad_item(item, "expected an exception name such as throttlingException");
    }
    spec.exception.assign(value);
    return std::nullopt;
  }
  for (const auto& n : kNumericItems) {
    if (n.name != name) continue;
    if (!parse_int(value, n.lo, n.hi, spec.*n.field)) {
      return bad_item(
          item, "expected an integer from " + std::to_string(n.lo) + " to " + std::to_string(n.hi));
    }
    return std::nullopt;
  }
  return bad_item(item,
                  "unknown name (expected status, retry_after, latency_ms, stall_ms, "
                  "drop_after, close, fail_first or exception)");
}

}  // namespace

Result<FaultSpec> parse_fault_spec(std::string_view spec) {
  FaultSpec out;
  while (!spec.empty()) {
    const auto semi = spec.find(';');
    const auto item = trim(spec.substr(0, semi));
    spec = semi == std::string_view::npos ? std::string_view{} : spec.substr(semi + 1);
    if (item.empty()) continue;
    if (auto err = apply_item(item, out)) return std::move(*err);
  }
  return out;
}

std::string to_string(const FaultSpec& spec) {
  std::string out;
  auto add = [&out](std::string_view name, int v) {
    if (!out.empty()) out.push_back(';');
    out.append(name).push_back('=');
    out += std::to_string(v);
  };
  if (spec.status != 0) add("status", spec.status);
  if (spec.retry_after_s >= 0) add("retry_after", spec.retry_after_s);
  if (spec.latency_ms != 0) add("latency_ms", spec.latency_ms);
  if (spec.stall_ms != 0) add("stall_ms", spec.stall_ms);
  if (spec.drop_after >= 0) add("drop_after", spec.drop_after);
  if (spec.close) out.append(out.empty() ? "close" : ";close");
  if (spec.fail_first >= 0) add("fail_first", spec.fail_first);
  if (!spec.exception.empty()) {
    if (!out.empty()) out.push_back(';');
    out.append("exception=").append(spec.exception);
  }
  return out;
}

}  // namespace tollbooth::mock
