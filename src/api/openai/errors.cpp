#include "api/openai/errors.hpp"

#include <boost/json.hpp>

#include "core/text.hpp"

// Renders core Error values as OpenAI's error body (PROTOCOLS.md §1.5). All four keys are
// always present, as the official SDKs expect; empty param/code become null.
//
// The body is valid UTF-8 JSON whatever the Error holds: messages can quote the client's own
// bytes, and Boost.JSON copies invalid UTF-8 through unchanged, which strict clients refuse to
// parse. Call sites still bound what they quote (excerpt_client_text); the caps here are a
// backstop that leaves the gateway's own messages whole.

namespace tollbooth::openai {
namespace {

constexpr std::size_t kMaxMessageBytes = 4096;
constexpr std::size_t kMaxParamBytes = 256;  // a field path, or an OpenAI code

boost::json::string json_text(const std::string& s, std::size_t max_bytes) {
  // The usual case, short valid text, is copied once without a repair pass.
  if (s.size() <= max_bytes && is_valid_utf8(s)) return boost::json::string(s);
  return boost::json::string(repair_utf8(s, max_bytes));
}

boost::json::value string_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return json_text(s, kMaxParamBytes);
}

}  // namespace

std::string error_body(const Error& error) {
  boost::json::object inner;
  inner.reserve(4);
  inner.emplace("message", json_text(error.message, kMaxMessageBytes));
  inner.emplace("type", openai_type(error.kind));
  inner.emplace("param", string_or_null(error.param));
  inner.emplace("code", string_or_null(error.code));
  boost::json::object outer;
  outer.emplace("error", std::move(inner));
  return boost::json::serialize(outer);
}

std::string error_event(const Error& error) {
  std::string event = "data: ";
  event += error_body(error);
  event += "\n\n";
  return event;
}

}  // namespace tollbooth::openai
