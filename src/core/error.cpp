#include "core/error.hpp"

namespace tollbooth {

int http_status(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_request: return 400;
    case ErrorKind::unauthorized: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::method_not_allowed: return 405;
    case ErrorKind::conflict: return 409;
    case ErrorKind::payload_too_large: return 413;
    case ErrorKind::rate_limited: return 429;
    case ErrorKind::internal: return 500;
    case ErrorKind::bad_gateway: return 502;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::gateway_timeout: return 504;
  }
  return 500;
}

const char* openai_type(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::invalid_request:
    case ErrorKind::not_found:
    case ErrorKind::method_not_allowed:
    case ErrorKind::conflict:
    case ErrorKind::payload_too_large: return "invalid_request_error";
    case ErrorKind::forbidden: return "permission_error";
    case ErrorKind::unauthorized: return "authentication_error";
    case ErrorKind::rate_limited: return "rate_limit_error";
    case ErrorKind::internal: return "server_error";
    case ErrorKind::bad_gateway:
    case ErrorKind::gateway_timeout: return "upstream_error";
    case ErrorKind::unavailable: return "service_unavailable_error";
  }
  return "server_error";
}

}  // namespace tollbooth
