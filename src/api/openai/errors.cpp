#include "api/openai/errors.hpp"

#include <boost/json.hpp>

// Renders core Error values as OpenAI's error body (PROTOCOLS.md §1.5). All four keys are
// always present, as the official SDKs expect; empty param/code become null.

namespace tollbooth::openai {
namespace {

boost::json::value string_or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return boost::json::string(s);
}

}  // namespace

std::string error_body(const Error& error) {
  boost::json::object inner;
  inner.reserve(4);
  inner.emplace("message", error.message);
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
