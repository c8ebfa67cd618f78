#include "core/glob.hpp"

namespace tollbooth {
namespace {

// The two-pointer walk shared by both functions; `same(p, t)` says whether the pattern's
// non-star character at p consumes the text's character at t. When a mismatch comes after a
// star, only the latest star needs to try a longer run: an earlier star's run could only be
// extended into text that the later star can take over just as well.
template <class Same>
bool walk(std::string_view pattern, std::string_view text, Same same) noexcept {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && same(pattern[p], text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  return walk(pattern, text, [](char p, char t) { return p == '?' || p == t; });
}

bool matches_any(std::span<const std::string> patterns, std::string_view text) noexcept {
  if (patterns.empty()) return true;
  for (const std::string& p : patterns) {
    if (glob_match(p, text)) return true;
  }
  return false;
}

bool glob_covers(std::string_view wide, std::string_view narrow) noexcept {
  // narrow is read as a text whose '*' only a star of wide can absorb, and whose '?' only a
  // '?' (or a star) of wide can stand for.
  return walk(wide, narrow, [](char w, char n) {
    if (n == '*') return false;
    if (w == '?') return true;
    return w == n && n != '?';
  });
}

}  // namespace tollbooth
