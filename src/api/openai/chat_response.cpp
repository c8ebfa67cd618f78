#include "api/openai/chat_response.hpp"

#include "json/scratch.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Reads OpenAI `chat.completion` bodies and `chat.completion.chunk` stream payloads
// (PROTOCOLS.md §1.3, §1.4), including Azure's variants (§4.3). classify_chunk runs on every
// streamed event, and nearly every event is an ordinary content chunk, so a pre-scan recognises
// those without parsing; the rest (usage, Azure's prelude, errors, anything odd) is parsed
// On-Demand, comparing keys raw (upstreams do not escape their keys) and stopping as soon as
// the answer is known.

namespace tollbooth::openai {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

simdjson::padded_string_view padded_copy(std::string_view in) {
  thread_local std::string buf;
  return json::padded_copy(buf, in);
}

od::parser& thread_parser(std::size_t doc_size) {
  thread_local od::parser parser;
  return json::reuse(parser, doc_size);
}

// A token count; null or a non-integer counts as zero rather than spoiling the whole usage.
error_code read_count(od::value v, std::int64_t& out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  out = 0;
  if (t != od::json_type::number) return simdjson::SUCCESS;
  std::int64_t n = 0;
  if (v.get_int64().get(n) == simdjson::SUCCESS && n > 0) out = n;
  return simdjson::SUCCESS;
}

// One counter of a `*_tokens_details` object: its name and where it goes.
struct Detail {
  std::string_view name;
  std::int64_t* out;
};

// Reads the named counters out of a `*_tokens_details` object; other shapes are ignored.
template <std::size_t N>
error_code read_details(od::value v, const std::array<Detail, N>& details) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) return simdjson::SUCCESS;
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    od::raw_json_string key = field.value_unsafe().key();
    for (const Detail& d : details) {
      if (key != d.name) continue;
      if (auto ec = read_count(field.value_unsafe().value(), *d.out)) return ec;
      break;
    }
  }
  return simdjson::SUCCESS;
}

std::string_view trim_end(std::string_view s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The text of a value, for the `cost` member's span: a scalar's token, a container whole.
error_code value_text(od::value& v, std::string_view& text) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::object) {
    od::object o;
    if (auto ec = v.get_object().get(o)) return ec;
    if (auto ec = o.raw_json().get(text)) return ec;
  } else if (t == od::json_type::array) {
    od::array a;
    if (auto ec = v.get_array().get(a)) return ec;
    if (auto ec = a.raw_json().get(text)) return ec;
  } else {
    text = v.raw_json_token();
  }
  text = trim_end(text);
  return simdjson::SUCCESS;
}

// Where the parse reads from: the chunk's padded copy, whose offsets are the chunk's. Null
// when nobody needs the usage object's place (a whole answer).
struct Origin {
  const char* base = nullptr;
  UsageSpot* spot = nullptr;
};

// OpenAI's `usage` object (see usage_from_completion for the mapping).
error_code read_usage(od::object obj, Usage& usage, const Origin& origin) {
  usage = Usage{};
  usage.reported = true;
  const std::array<Detail, 2> prompt_details{
      Detail{"cached_tokens", &usage.cached_input_tokens},
      Detail{"cache_write_tokens", &usage.cache_write_input_tokens}};
  const std::array<Detail, 1> completion_details{
      Detail{"reasoning_tokens", &usage.reasoning_tokens}};
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    od::raw_json_string key = field.value_unsafe().key();
    od::value& v = field.value_unsafe().value();
    if (origin.spot) origin.spot->empty = false;
    error_code ec = simdjson::SUCCESS;
    if (key == "prompt_tokens") {
      ec = read_count(v, usage.input_tokens);
    } else if (key == "completion_tokens") {
      ec = read_count(v, usage.output_tokens);
    } else if (key == "prompt_tokens_details") {
      ec = read_details(v, prompt_details);
    } else if (key == "completion_tokens_details") {
      ec = read_details(v, completion_details);
    } else if (key == "cost" && origin.spot) {
      std::string_view text;
      ec = value_text(v, text);
      if (!ec) {
        origin.spot->cost_begin = static_cast<std::size_t>(text.data() - origin.base);
        origin.spot->cost_end = origin.spot->cost_begin + text.size();
      }
    }
    if (ec) return ec;
  }
  return simdjson::SUCCESS;
}

// A `usage` value: an object fills `out`; null (every chunk but the last carries
// `"usage":null`) or any other type leaves it empty.
error_code read_usage_value(od::value v, std::optional<Usage>& out, const Origin& origin) {
  out.reset();
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) return simdjson::SUCCESS;
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  if (origin.spot) {
    // The object's text first (which reads it to its end), then back to its start for the
    // counters.
    *origin.spot = UsageSpot{};
    std::string_view text;
    if (auto ec = obj.raw_json().get(text)) return ec;
    text = trim_end(text);
    origin.spot->close = static_cast<std::size_t>(text.data() - origin.base) + text.size() - 1;
    bool rewound = false;
    if (auto ec = obj.reset().get(rewound)) return ec;
  }
  Usage usage;
  if (auto ec = read_usage(obj, usage, origin)) return ec;
  out = usage;
  return simdjson::SUCCESS;
}

// What classify_chunk learns from the top-level members, in whatever order they come.
struct ChunkScan {
  bool error = false;
  bool saw_choices = false;  // `choices` is an array
  bool has_choices = false;
  std::optional<Usage> usage;
  UsageSpot spot;
  const char* base = nullptr;  // the padded copy being parsed
};

error_code scan_member(od::raw_json_string key, od::value& v, ChunkScan& scan) {
  if (key == "choices") {
    scan.saw_choices = false;
    scan.has_choices = false;
    od::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) return simdjson::SUCCESS;
    scan.saw_choices = true;
    bool empty = true;
    if (auto ec = arr.is_empty().get(empty)) return ec;
    scan.has_choices = !empty;
    return simdjson::SUCCESS;
  }
  if (key == "usage") return read_usage_value(v, scan.usage, Origin{scan.base, &scan.spot});
  if (key == "error") {
    bool is_null = false;
    if (auto ec = v.is_null().get(is_null)) return ec;
    scan.error = !is_null;
  }
  return simdjson::SUCCESS;
}

ChunkKind kind_of(const ChunkScan& scan) {
  if (scan.error) return ChunkKind::error;
  if (scan.has_choices) return ChunkKind::content;
  if (scan.usage) return ChunkKind::usage_only;
  if (scan.saw_choices) return ChunkKind::azure_prelude;
  return ChunkKind::other;
}

// The pre-scan, which answers for ordinary content chunks without parsing them. It rests on
// what the parse has to see to answer anything but `content` without usage:
//  - an in-band error needs an `error` key: the bytes `"error"` then `:` (keys are compared
//    raw, as upstreams do not escape them);
//  - usage needs `"usage"`, `:` and `{`;
//  - Azure's prelude needs a `"choices"` key whose value is `[` then `]`.
// Any of those, at any depth, sends the chunk to the parse. Text never looks like them: a quote
// in a string is escaped, so model output quoting `"usage":{` arrives as `\"usage\":{`, where
// the quotes around `usage` are 7 bytes apart, not 6. So the scan only needs the quotes: it
// maps them 16 bytes at a time and looks at the strings of exactly 5 or 7 bytes, which are few.
// `content` itself needs a `choices` key of the object, not of something nested: the scan
// takes a `"choices"` key only when its quote is not escaped and no `{` stands between the
// object's and it. For any JSON text its answer is then the parse's. Broken text, which it
// does not validate, can get `content` only where the parse says `other` (the relay forwards
// both alike); braces that do not balance, as in a cut-off chunk, are left to the parse, and
// so is a chunk whose text has more of one brace than the other (code, mostly).

bool is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

std::size_t skip_space(std::string_view s, std::size_t at) {
  while (at < s.size() && is_space(s[at])) ++at;
  return at;
}

// The first 4 bytes of a name, read as a number the way four() reads bytes.
constexpr std::uint32_t name_start(const char (&name)[5]) {
  return std::bit_cast<std::uint32_t>(std::array<char, 4>{name[0], name[1], name[2], name[3]});
}

std::uint32_t four(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

struct Prescan {
  std::string_view data;
  std::size_t object = 0;  // the object's `{`
  bool has_choices = false;

  // The value of the key whose name ends at `name_end` (its closing quote); npos when the
  // string is not a key but a value.
  std::size_t value_of(std::size_t name_end) const {
    std::size_t colon = skip_space(data, name_end + 1);
    if (colon == data.size() || data[colon] != ':') return std::string_view::npos;
    return skip_space(data, colon + 1);
  }

  // A `choices` key whose quote is at `quote`: it must belong to the object itself (its quote
  // not escaped, no `{` between the object's and it), come once and hold a non-empty array.
  bool choices(std::size_t quote) {
    std::size_t value = value_of(quote + 8);
    if (value == std::string_view::npos) return true;  // "choices" as a value
    if (has_choices || data[quote - 1] == '\\' ||
        data.substr(object + 1, quote - object - 1).find('{') != std::string_view::npos) {
      return false;
    }
    if (value == data.size() || data[value] != '[') return false;
    std::size_t element = skip_space(data, value + 1);
    if (element == data.size() || data[element] == ']') return false;
    has_choices = true;
    return true;
  }

  // The strings of 5 and 7 bytes opening in the 64 bytes from `at`, mapped by `quotes` (bit i
  // for byte at + i): another quote 6 or 8 bytes on, maybe in the next 64 (`next`). False when
  // one is a key that needs the parse.
  bool short_strings(std::size_t at, std::uint64_t quotes, std::uint64_t next) {
    const char* names = data.data() + at + 1;
    for (std::uint64_t q = quotes & (quotes >> 6 | next << 58); q != 0; q &= q - 1) {
      const int bit = std::countr_zero(q);
      const std::uint32_t start = four(names + bit);
      const bool usage = start == name_start("usag") && names[bit + 4] == 'e';
      const bool error = start == name_start("erro") && names[bit + 4] == 'r';
      if (!usage && !error) continue;
      std::size_t value = value_of(at + static_cast<std::size_t>(bit) + 6);
      if (value == std::string_view::npos) continue;  // a string value
      if (error || (value < data.size() && data[value] == '{')) return false;
    }
    for (std::uint64_t q = quotes & (quotes >> 8 | next << 56); q != 0; q &= q - 1) {
      const int bit = std::countr_zero(q);
      if (four(names + bit) != name_start("choi") || four(names + bit + 3) != name_start("ices")) {
        continue;
      }
      if (!choices(at + static_cast<std::size_t>(bit))) return false;
    }
    return true;
  }
};

// True when `data` is certainly what the full parse calls an ordinary content chunk without
// usage: an object whose one top-level `choices` is a non-empty array, with no `error` key
// (whatever its value; null is left to the parse) and no usage object (null or absent, as on
// every chunk but the last).
bool plainly_content(std::string_view data) {
  Prescan scan{data, skip_space(data, 0)};
  std::size_t last = data.size();
  while (last > scan.object && is_space(data[last - 1])) --last;
  if (last - scan.object < 2 || data[scan.object] != '{' || data[last - 1] != '}') return false;
  // The quotes are mapped 64 bytes (a word) at a time; a word's strings are looked at once the
  // next word is mapped, since they may end in it.
  std::size_t word = 0;        // where the word being mapped starts
  std::uint64_t previous = 0;  // the map of the word before
  auto next_word = [&](std::uint64_t quotes) {
    if (word > 0 && !scan.short_strings(word - 64, previous, quotes)) return false;
    previous = quotes;
    word += 64;
    return true;
  };
  const char* bytes = data.data();
  const std::size_t size = data.size();
  std::int64_t braces = 0;   // `{` minus `}`
  std::uint64_t quotes = 0;  // the map of the last, partial word
  std::size_t at = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  __m128i opens = _mm_setzero_si128();  // per byte lane: minus the `{` seen, and so on
  __m128i closes = _mm_setzero_si128();
  auto fold = [&] {
    const __m128i zero = _mm_setzero_si128();
    const __m128i o = _mm_sad_epu8(_mm_sub_epi8(zero, opens), zero);
    const __m128i c = _mm_sad_epu8(_mm_sub_epi8(zero, closes), zero);
    braces += (_mm_cvtsi128_si32(o) + _mm_extract_epi16(o, 4)) -
              (_mm_cvtsi128_si32(c) + _mm_extract_epi16(c, 4));
    opens = closes = zero;
  };
  auto quotes_of = [&](__m128i v) {
    opens = _mm_add_epi8(opens, _mm_cmpeq_epi8(v, open));
    closes = _mm_add_epi8(closes, _mm_cmpeq_epi8(v, close));
    return std::uint64_t{static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)))};
  };
  auto load = [bytes](std::size_t from) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + from));
  };
  for (int words = 1; word + 64 <= size; ++words) {
    const std::uint64_t map = quotes_of(load(word)) | quotes_of(load(word + 16)) << 16 |
                              quotes_of(load(word + 32)) << 32 | quotes_of(load(word + 48)) << 48;
    if (!next_word(map)) return false;
    if (words % 63 == 0) fold();  // a lane counts up to 4 a word and wraps at 256
  }
  at = word;
  if (size >= 16) {
    for (; at + 16 <= size; at += 16) quotes |= quotes_of(load(at)) << (at - word);
    if (at < size) {  // the last bytes, read as the chunk's last 16; the others are counted
      const auto counted = static_cast<int>(at + 16 - size);
      const __m128i fresh =
          _mm_cmpgt_epi8(_mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm_set1_epi8(static_cast<char>(counted - 1)));
      const __m128i v = load(size - 16);
      opens = _mm_add_epi8(opens, _mm_and_si128(_mm_cmpeq_epi8(v, open), fresh));
      closes = _mm_add_epi8(closes, _mm_and_si128(_mm_cmpeq_epi8(v, close), fresh));
      const auto q = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)));
      quotes |= std::uint64_t{q >> counted} << (at - word);
      at = size;
    }
  }
  fold();
#endif
  for (; at < size; ++at) {  // without SSE2, or a chunk shorter than 16 bytes
    if (at - word == 64) {
      if (!next_word(quotes)) return false;
      quotes = 0;
    }
    const char c = bytes[at];
    if (c == '"') quotes |= std::uint64_t{1} << (at - word);
    braces += c == '{' ? 1 : c == '}' ? -1 : 0;
  }
  if (!next_word(quotes) || !next_word(0)) return false;  // the last two words
  return scan.has_choices && braces == 0;
}

}  // namespace

namespace detail {

ChunkInfo classify_chunk_by_parsing(std::string_view data) {
  if (data == "[DONE]") return ChunkInfo{ChunkKind::done, std::nullopt, UsageSpot{}};
  od::parser& parser = thread_parser(data.size());
  od::document doc;
  od::object obj;
  const simdjson::padded_string_view padded = padded_copy(data);
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return {};
  ChunkScan scan;
  scan.base = padded.data();
  for (auto field : obj) {
    if (field.error()) return {};
    if (scan_member(field.value_unsafe().key(), field.value_unsafe().value(), scan)) return {};
    // An in-band error wins over everything, wherever it comes, so the walk goes on to the
    // end unless it has one; ordinary content chunks, most of a stream, do not come here.
    if (scan.error) break;
  }
  if (!scan.usage) scan.spot = UsageSpot{};
  return ChunkInfo{kind_of(scan), std::move(scan.usage), scan.spot};
}

}  // namespace detail

std::optional<Usage> usage_from_completion(std::string_view body) {
  od::parser& parser = thread_parser(body.size());
  od::document doc;
  if (parser.iterate(padded_copy(body)).get(doc)) return std::nullopt;
  od::object obj;
  if (doc.get_object().get(obj)) return std::nullopt;
  std::optional<Usage> usage;
  for (auto field : obj) {
    if (field.error()) return std::nullopt;
    if (field.value_unsafe().key() != "usage") continue;
    if (read_usage_value(field.value_unsafe().value(), usage, Origin{})) return std::nullopt;
  }
  return usage;
}

ChunkInfo classify_chunk(std::string_view data) {
  if (plainly_content(data)) return ChunkInfo{ChunkKind::content, std::nullopt, UsageSpot{}};
  return detail::classify_chunk_by_parsing(data);
}

void append_with_usage_cost(std::string& out, std::string_view data, const UsageSpot& spot,
                            std::string_view cost) {
  if (spot.close >= data.size() || data[spot.close] != '}') {  // not this chunk's spot
    out.append(data);
    return;
  }
  if (spot.cost_end > spot.cost_begin && spot.cost_end <= spot.close) {
    out.append(data.substr(0, spot.cost_begin));
    out.append(cost);
    out.append(data.substr(spot.cost_end));
    return;
  }
  out.append(data.substr(0, spot.close));
  out.append(spot.empty ? "\"cost\":" : ",\"cost\":");
  out.append(cost);
  out.append(data.substr(spot.close));
}

}  // namespace tollbooth::openai
