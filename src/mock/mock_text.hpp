#pragma once
// Small text helpers shared by the mock clouds' answer builders.
#include <cstddef>
#include <string_view>

namespace tollbooth::mock {

inline bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// First `n` UTF-8 characters of `s` (continuation bytes never start a character).
inline std::string_view first_chars(std::string_view s, std::size_t n) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (chars++ == n) return s.substr(0, i);
  }
  return s;
}

}  // namespace tollbooth::mock
