#pragma once
// Response heads written by hand into one reused string: the gateway sends head and body with a
// single gather write instead of going through Beast's message serializer (DESIGN.md measured
// the serializer as the largest user-space cost of a Beast proxy).
#include <cstddef>
#include <string>
#include <string_view>

namespace tollbooth {

std::string_view reason_phrase(int status) noexcept;

class HeadBuilder {
 public:
  explicit HeadBuilder(std::string& out) : out_(out) { out_.clear(); }
  HeadBuilder& status(int code);
  HeadBuilder& header(std::string_view name, std::string_view value);
  HeadBuilder& content_length(std::size_t n);
  // Appends preformatted "Name: value\r\n" lines.
  HeadBuilder& raw(std::string_view lines);
  // Ends the head; `keep_alive` false adds "Connection: close".
  void finish(bool keep_alive);

 private:
  std::string& out_;
};

// Appends one chunk in HTTP/1.1 chunked encoding framing: size line, data, CRLF.
void append_chunk(std::string& out, std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace tollbooth
