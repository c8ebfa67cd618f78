#include "server/http_head.hpp"

#include <charconv>
#include <cstring>

namespace tollbooth {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

namespace {

// The whole status line of a code reason_phrase() knows, as one constant: a head is built for
// every response, and the line in five appends cost about 200 instructions.
std::string_view known_status_line(int status) noexcept {
  switch (status) {
#define TOLLBOOTH_STATUS_LINE(code, reason) \
  case code: return "HTTP/1.1 " #code " " reason "\r\n";
    TOLLBOOTH_STATUS_LINE(100, "Continue")
    TOLLBOOTH_STATUS_LINE(200, "OK")
    TOLLBOOTH_STATUS_LINE(201, "Created")
    TOLLBOOTH_STATUS_LINE(204, "No Content")
    TOLLBOOTH_STATUS_LINE(400, "Bad Request")
    TOLLBOOTH_STATUS_LINE(401, "Unauthorized")
    TOLLBOOTH_STATUS_LINE(403, "Forbidden")
    TOLLBOOTH_STATUS_LINE(404, "Not Found")
    TOLLBOOTH_STATUS_LINE(405, "Method Not Allowed")
    TOLLBOOTH_STATUS_LINE(408, "Request Timeout")
    TOLLBOOTH_STATUS_LINE(409, "Conflict")
    TOLLBOOTH_STATUS_LINE(413, "Payload Too Large")
    TOLLBOOTH_STATUS_LINE(415, "Unsupported Media Type")
    TOLLBOOTH_STATUS_LINE(422, "Unprocessable Entity")
    TOLLBOOTH_STATUS_LINE(426, "Upgrade Required")
    TOLLBOOTH_STATUS_LINE(429, "Too Many Requests")
    TOLLBOOTH_STATUS_LINE(431, "Request Header Fields Too Large")
    TOLLBOOTH_STATUS_LINE(500, "Internal Server Error")
    TOLLBOOTH_STATUS_LINE(501, "Not Implemented")
    TOLLBOOTH_STATUS_LINE(502, "Bad Gateway")
    TOLLBOOTH_STATUS_LINE(503, "Service Unavailable")
    TOLLBOOTH_STATUS_LINE(504, "Gateway Timeout")
    TOLLBOOTH_STATUS_LINE(505, "HTTP Version Not Supported")
#undef TOLLBOOTH_STATUS_LINE
    default: return {};
  }
}

}  // namespace

HeadBuilder& HeadBuilder::status(int code) {
  if (std::string_view line = known_status_line(code); !line.empty()) {
    out_.append(line);
    return *this;
  }
  char num[8];
  auto [end, ec] = std::to_chars(num, num + sizeof num, code);
  out_.append("HTTP/1.1 ").append(num, end).append(" ").append(reason_phrase(code)).append("\r\n");
  return *this;
}

HeadBuilder& HeadBuilder::header(std::string_view name, std::string_view value) {
  // One growth of the string and the pieces copied in, rather than four appends.
  const std::size_t at = out_.size();
  out_.resize(at + name.size() + value.size() + 4);
  char* p = out_.data() + at;
  std::memcpy(p, name.data(), name.size());
  p += name.size();
  std::memcpy(p, ": ", 2);
  p += 2;
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  std::memcpy(p, "\r\n", 2);
  return *this;
}

HeadBuilder& HeadBuilder::content_length(std::size_t n) {
  char num[24];
  auto [end, ec] = std::to_chars(num, num + sizeof num, n);
  return header("Content-Length", std::string_view(num, end - num));
}

HeadBuilder& HeadBuilder::raw(std::string_view lines) {
  out_.append(lines);
  return *this;
}

void HeadBuilder::finish(bool keep_alive) {
  if (!keep_alive) out_.append("Connection: close\r\n");
  out_.append("\r\n");
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;  // an empty chunk would end the body
  char num[20];
  auto [end, ec] = std::to_chars(num, num + sizeof num, data.size(), 16);
  out.append(num, end).append("\r\n").append(data).append("\r\n");
}

}  // namespace tollbooth
