#pragma once
// Internal to the request inspections: the simdjson On-Demand helpers shared by the chat
// routing pass (chat_request.cpp), the request facts it collects on the way (chat_facts.cpp)
// and the Responses inspection (responses_request.cpp). Includes simdjson; include only from
// those .cpp files and their tests.
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "json/scratch.hpp"

namespace tollbooth::openai::inspect {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

// Values nested deeper than this are skipped unvalidated (On-Demand skips iteratively), which
// bounds our recursion without refusing bodies an upstream would accept.
inline constexpr int kMaxValidatedDepth = 64;

inline bool is_ws(char c) noexcept {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// Bit 7 of each byte of `word` equal to `c`; the lowest set bit is exact (higher ones may not be).
constexpr std::uint64_t byte_matches(std::uint64_t word, unsigned char c) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  std::uint64_t x = word ^ (kOnes * c);
  return (x - kOnes) & ~x & (kOnes * 0x80);
}

// The helpers below run for every key and string. They are forced inline: since they moved
// here from an anonymous namespace, GCC kept read_string out of line (seen with callgrind).

// Equality with a literal. std::string_view's == goes through compare(), which GCC leaves out
// of line in these large functions; a memcmp of constant size is expanded inline.
[[gnu::always_inline]] inline bool equals(std::string_view key, std::string_view name) noexcept {
  return key.size() == name.size() && std::memcmp(key.data(), name.data(), name.size()) == 0;
}

// The raw text of a JSON string whose opening quote precedes `first`, up to the closing quote
// or the first backslash; `plain` tells which. Eight bytes at a time: stage 1 accepted the
// string, so its closing quote exists and reads stay within the body plus its padding.
[[gnu::always_inline]] inline std::string_view scan_string(const char* first,
                                                           bool& plain) noexcept {
  static_assert(std::endian::native == std::endian::little, "byte order of the match scan");
  for (const char* p = first;; p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    std::uint64_t hits = byte_matches(word, '"') | byte_matches(word, '\\');
    if (hits == 0) continue;
    const char* at = p + std::countr_zero(hits) / 8;
    plain = *at == '"';
    return std::string_view(first, static_cast<std::size_t>(at - first));
  }
}

// A member's unescaped key. Raw bytes serve when they hold no backslash, which skips
// simdjson's out-of-line unescape; escaped keys still count ("mod\u0065l" is `model` upstream).
[[gnu::always_inline]] inline error_code key_of(od::field& field, std::string_view& key) {
  bool plain = false;
  key = scan_string(field.key().raw(), plain);
  return plain ? SUCCESS : field.unescaped_key().get(key);
}

// Reads a value already known to be a string, raw when it holds no escape.
[[gnu::always_inline]] inline error_code read_string(od::value& v, std::string_view& out) {
  bool plain = false;
  out = scan_string(v.raw_json_token().data() + 1, plain);
  return plain ? v.get_raw_json_string().error() : v.get_string().get(out);
}

// The keys of one JSON object seen so far, to refuse a key that appears twice: parsers differ
// on which duplicate wins (we would act on one value and the upstream on another), so the
// body and every object whose members we read take each key once. Compare unescaped keys.
//
// No allocation for real bodies: OpenAI's chat parameters number about 30 and a message or
// part has a handful of members, so the first kInline keys sit in fixed arrays, scanned only
// when a key's length (mod 64) was seen before, which most keys' was not. Only an object with
// more keys than that (no real request) spills into a hash set, because the linear scan would
// make a body of a million keys cost a trillion compares. That set is seeded per process, so
// keys crafted to collide cannot make it quadratic either: the cost stays linear, about five
// times the parse for an object of a million keys (12 MB).
class KeySet {
 public:
  KeySet() = default;
  KeySet(const KeySet&) = delete;
  KeySet& operator=(const KeySet&) = delete;
  // Inline, so that an object that never spilled costs one test.
  ~KeySet() {
    if (spilled_ != nullptr) destroy(spilled_);
  }

  // False when `key` was inserted before. `key` must stay valid while the set is used.
  [[gnu::always_inline]] bool insert(std::string_view key) {
    const std::uint64_t length_bit = std::uint64_t{1} << (key.size() % 64);
    if ((lengths_ & length_bit) != 0 && contains(key)) return false;
    lengths_ |= length_bit;
    if (size_ == kInline) {
      spill(key);
      return true;
    }
    data_[size_] = key.data();
    size_of_[size_] = key.size();
    ++size_;
    return true;
  }

 private:
  static constexpr std::size_t kInline = 32;
  struct Spill;  // the hash set, defined in chat_inspect.cpp to keep its header there

  bool contains(std::string_view key) const;
  void spill(std::string_view key);
  static void destroy(Spill* spill) noexcept;

  std::uint64_t lengths_ = 0;  // bit (size % 64) of every key inserted
  std::size_t size_ = 0;       // keys in the arrays
  // Left uninitialized: only [0, size_) is read, and zeroing 512 bytes for every message
  // would cost more than the check itself.
  const char* data_[kInline];
  std::size_t size_of_[kInline];
  Spill* spilled_ = nullptr;  // owned; created by the first key past kInline
};

// Records a duplicated key, `path` naming it as `param` does ("model", "messages[2].role"),
// unless one was recorded before: the first in the document is reported.
void note_duplicate(std::optional<Error>& slot, std::string path);

// Validates a value we do not interpret: structure, literals and numbers. Strings are only
// checked for being strings: escapes are left to the upstream, because Python-based servers
// accept lone surrogates that a strict unescape would refuse.
error_code validate(od::value v, int depth);

// "an array", "a number", ... as OpenAI's messages name JSON types.
const char* type_name(od::json_type t) noexcept;

// ErrorKind::invalid_request errors in OpenAI's wording.
Error invalid(std::string message, std::string param, std::string code);
Error not_json(error_code ec);
Error wrong_type(std::string param, const char* expected, od::json_type got);
Error missing(std::string param);

}  // namespace tollbooth::openai::inspect
