#include "core/text.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

// Written by hand: the decoder is a few dozen lines of Unicode Table 3-7, and no library we
// build with (or Debian ships) combines U+FFFD repair with escaping controls and a cut on a
// character boundary; doing those as separate passes would also need to re-find the boundaries.
// Validation alone is simdjson's (already linked, SIMD), and the tests check both agree.

namespace tollbooth {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kEllipsis = "\xE2\x80\xA6";     // U+2026 "…"

// One step of decoding: `length` bytes of the input, either one well-formed character (`cp`)
// or the maximal subpart of an ill-formed one, which becomes a single U+FFFD.
struct Step {
  std::size_t length;
  bool valid;
  char32_t cp;
};

// Precondition: !s.empty(). The second byte's range depends on the lead byte; that is what
// rules out overlongs (E0, F0), surrogates (ED) and code points above U+10FFFF (F4).
Step decode(std::string_view s) {
  auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return {1, true, b0};
  std::size_t trail;
  char32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    trail = 1;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    trail = 2;
    cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    trail = 3;
    cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {1, false, 0};  // a continuation byte, C0/C1 (always overlong) or F5..FF
  }
  for (std::size_t k = 1; k <= trail; ++k) {
    if (k >= s.size()) return {k, false, 0};  // truncated at the end of the text
    auto b = static_cast<unsigned char>(s[k]);
    if (b < lo || b > hi) return {k, false, 0};  // this byte starts the next step
    lo = 0x80;
    hi = 0xBF;
    cp = (cp << 6) | (b & 0x3F);
  }
  return {trail + 1, true, cp};
}

// Characters that move the cursor or start a new line in a log file or a terminal: C0, DEL,
// C1 (NEL and the 8-bit CSI among them) and the Unicode line and paragraph separators.
bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029;
}

// A short visible escape in a small buffer, written as a string_view.
struct Escape {
  char buf[6];
  std::size_t size;
  std::string_view view() const { return {buf, size}; }
};

Escape escape(char32_t cp) {
  switch (cp) {
    case '\n': return {{'\\', 'n'}, 2};
    case '\r': return {{'\\', 'r'}, 2};
    case '\t': return {{'\\', 't'}, 2};
    default: break;
  }
  constexpr char kHex[] = "0123456789ABCDEF";
  return {{'\\', 'u', kHex[(cp >> 12) & 0xF], kHex[(cp >> 8) & 0xF], kHex[(cp >> 4) & 0xF],
           kHex[cp & 0xF]},
          6};
}

std::string sanitize(std::string_view text, std::size_t max_bytes, bool escape_controls) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 24);
  // Bytes that pass unchanged and alone: printable ASCII, or all ASCII when controls are kept.
  auto plain = [escape_controls](unsigned char b) {
    return b < 0x80 && (!escape_controls || (b >= 0x20 && b != 0x7F));
  };
  std::size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    if (plain(b)) {
      // Copy the whole run at once: the common case (an ASCII model name) is one append.
      std::size_t end = i + 1;
      while (end < text.size() && plain(static_cast<unsigned char>(text[end]))) ++end;
      std::size_t take = std::min(end - i, max_bytes - out.size());
      out.append(text.data() + i, take);
      i += take;
      if (i < end) break;  // the bound fell inside the run
      continue;
    }
    Step step = decode(text.substr(i));
    Escape esc;
    std::string_view unit;
    if (!step.valid)
      unit = kReplacement;
    else if (escape_controls && is_control(step.cp))
      unit = (esc = escape(step.cp)).view();
    else
      unit = text.substr(i, step.length);
    if (unit.size() > max_bytes - out.size()) break;  // never half a character or escape
    out.append(unit);
    i += step.length;
  }
  if (i < text.size()) {
    out.append(kEllipsis);
    out.append(" (");
    out.append(std::to_string(text.size()));
    out.append(" bytes)");
  }
  return out;
}

}  // namespace

std::string excerpt_client_text(std::string_view text, std::size_t max_bytes) {
  return sanitize(text, max_bytes, true);
}

std::string repair_utf8(std::string_view text, std::size_t max_bytes) {
  return sanitize(text, max_bytes, false);
}

bool is_plain_excerpt(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() > max_bytes) return false;
  // Eight bytes at a time (it runs on every access-log line): a byte below 0x20 borrows into
  // its top bit when 0x20 is subtracted, and a byte above 0x7E carries into it (or has it)
  // when 0x01 is added; the standard "has a byte less than / more than" tests, exact for
  // whether any byte of the word is out of range.
  constexpr std::uint64_t kOnes = 0x0101010101010101u;
  constexpr std::uint64_t kHighs = 0x8080808080808080u;
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, text.data() + i, sizeof w);
    const std::uint64_t below = (w - kOnes * 0x20) & ~w;
    const std::uint64_t above = (w + kOnes * (0x7f - 0x7e)) | w;
    if ((below | above) & kHighs) return false;
  }
  for (; i < text.size(); ++i) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

bool is_valid_utf8(std::string_view text) noexcept {
  return simdjson::validate_utf8(text.data(), text.size());
}

void append_json_string(std::string& out, std::string_view text) {
  std::string repaired;
  if (!is_valid_utf8(text)) {
    repaired = repair_utf8(text);
    text = repaired;
  }
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  std::size_t plain = 0;  // start of the run of bytes copied as they are
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7F) continue;
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  out.append(text.substr(plain));
  out += '"';
}

}  // namespace tollbooth
