#include "server/http_head.hpp"

#include <charconv>

namespace tollbooth {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
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

HeadBuilder& HeadBuilder::status(int code) {
  char num[8];
  auto [end, ec] = std::to_chars(num, num + sizeof num, code);
  out_.append("HTTP/1.1 ").append(num, end).append(" ").append(reason_phrase(code)).append("\r\n");
  return *this;
}

HeadBuilder& HeadBuilder::header(std::string_view name, std::string_view value) {
  out_.append(name).append(": ").append(value).append("\r\n");
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
