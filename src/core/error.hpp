#pragma once
// The one error type of the request path. Only api/openai renders it as a wire body.
#include <string>

namespace tollbooth {

enum class ErrorKind {
  invalid_request,     // 400: malformed JSON, bad or missing field
  unauthorized,        // 401: no key, or a key that is unknown, expired or revoked
  forbidden,           // 403: a key that may not use this model, region or scope
  not_found,           // 404: unknown model or path
  method_not_allowed,  // 405
  conflict,            // 409: the record exists already, or is read-only (declared in the config)
  payload_too_large,   // 413
  rate_limited,        // 429
  internal,            // 500
  bad_gateway,         // 502: every route failed with an upstream error
  unavailable,         // 503: no route could be tried, or draining
  gateway_timeout,     // 504: every route timed out
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;  // public: safe to show a client (never a secret)
  std::string param;    // the request field at fault, empty when none
  std::string code;     // OpenAI-style code, e.g. "model_not_found"; empty → null
  std::string detail;   // internal: logs only
  bool retryable = false;
};

// HTTP status for an error kind; the single mapping used by every area.
int http_status(ErrorKind kind) noexcept;
// OpenAI `type` string for an error kind (e.g. "invalid_request_error").
const char* openai_type(ErrorKind kind) noexcept;

inline Error make_error(ErrorKind kind, std::string message, std::string param = {},
                        std::string code = {}) {
  return Error{kind, std::move(message), std::move(param), std::move(code), {}, false};
}

}  // namespace tollbooth
