#include "mock/mock_reply.hpp"

#include "mock/mock_json.hpp"

namespace tollbooth::mock {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
  }
}

void append_response_head(std::string& out, const Reply& reply, bool keep_alive) {
  out += "HTTP/1.1 ";
  append_int(out, reply.status);
  out.push_back(' ');
  out += reason_phrase(reply.status);
  out += "\r\ncontent-type: ";
  out += reply.content_type;
  if (reply.stream) {
    out += "\r\ntransfer-encoding: chunked\r\n";
  } else {
    out += "\r\ncontent-length: ";
    append_int(out, static_cast<std::int64_t>(reply.body.size()));
    out += "\r\n";
  }
  out += reply.headers;
  if (!keep_alive) out += "connection: close\r\n";
  out += "\r\n";
}

}  // namespace tollbooth::mock
