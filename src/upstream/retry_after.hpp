#pragma once
// The Retry-After response header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Pure: the
// current time is passed in.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tollbooth {

// How long the upstream asked us to wait, from `value` at `now_unix_ms`. A date in the past is
// zero; a value that is neither form is nullopt (ignored, as clients do). Capped at one day so a
// bogus header cannot park a request forever.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::int64_t now_unix_ms) noexcept;

}  // namespace tollbooth
