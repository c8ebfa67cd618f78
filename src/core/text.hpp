#pragma once
// Untrusted text (a client's model name or request path) made safe to echo into an error
// message, a JSON body or a log line: bounded, valid UTF-8 and, for messages and logs, free of
// control characters that could forge a log line or drive a terminal.
//
//   "The model `" + excerpt_client_text(model) + "` does not exist"
//   spdlog::info("... model={} ...", excerpt_client_text(model));
//   spdlog::info("{} {}", method, excerpt_client_text(target, kClientPathExcerptBytes));
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

namespace tollbooth {

// Default bound for a quoted model name: longer than any real model id, short enough that a
// 1 MB name costs the error body and the log line next to nothing.
inline constexpr std::size_t kClientTextExcerptBytes = 128;
// Request paths are longer than model names (deployments, API versions in the query).
inline constexpr std::size_t kClientPathExcerptBytes = 256;

// The client's text as a short, printable, valid UTF-8 excerpt:
// - every ill-formed UTF-8 sequence (overlong, surrogate, above U+10FFFF, truncated, lone
//   continuation byte, 0xC0/0xC1/0xF5..0xFF) becomes U+FFFD, one per maximal subpart as the
//   Unicode standard and the WHATWG decoder do;
// - C0 controls, DEL, C1 controls and U+2028/U+2029 become visible escapes: "\n", "\r", "\t",
//   else "\u001B" style (uppercase hex). The result never holds a byte below 0x20 or 0x7F, so a
//   newline cannot start a forged log line. Backslashes are kept as they are: the result is for
//   people to read, not to decode;
// - at most max_bytes bytes of that, cut between characters (never inside one, nor inside an
//   escape), followed by "… (N bytes)" with N the length of the original when anything was cut.
// Allocates one string; text that is already short printable UTF-8 comes back unchanged.
std::string excerpt_client_text(std::string_view text,
                                std::size_t max_bytes = kClientTextExcerptBytes);

// Valid UTF-8 with the same U+FFFD repair, but control characters kept: for text that a JSON
// serializer escapes itself (an error body's message). Bounded the same way when max_bytes is
// given: cut between characters and "… (N bytes)" appended.
std::string repair_utf8(std::string_view text,
                        std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

// True when excerpt_client_text(text, max_bytes) would return `text` unchanged because it is
// printable ASCII (0x20 to 0x7E) within the bound: the common case, which a hot path (the
// access log) can then use as it is, without building a string.
bool is_plain_excerpt(std::string_view text, std::size_t max_bytes) noexcept;

// Appends `text` as a JSON string, quotes included: `"` and `\` escaped, bytes below 0x20 and
// 0x7F as \u00XX, invalid UTF-8 repaired as repair_utf8 does. For log lines in JSON.
void append_json_string(std::string& out, std::string_view text);

// True when text is well-formed UTF-8 (Unicode Table 3-7: no overlongs, surrogates or code
// points above U+10FFFF). SIMD-fast; an empty string is valid.
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace tollbooth
