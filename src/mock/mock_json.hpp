#pragma once
// Tiny JSON writing helpers for the mock. The mock's answers are small, fixed-shape objects;
// appending to a reused string is cheaper than building a Boost.JSON DOM per response, which
// matters because the mock is the upstream in the benchmarks.
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse_options.hpp>

namespace tollbooth::mock {

// Appends `s` as a quoted JSON string (control characters, quote and backslash escaped; other
// bytes, including UTF-8 sequences, copied as they are).
void append_json_string(std::string& out, std::string_view s);

// Boost.JSON's parse options for request bodies: nesting as deep as the gateway reads (512
// levels, json/depth.hpp; Boost.JSON's default of 32 is shallower than real tool schemas).
inline boost::json::parse_options deep_json() {
  boost::json::parse_options o;
  o.max_depth = 512;
  return o;
}
void append_int(std::string& out, std::int64_t v);

}  // namespace tollbooth::mock
