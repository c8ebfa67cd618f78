#include "api/openai/responses_response.hpp"

#include <boost/json.hpp>

#include "core/text.hpp"
#include "json/scratch.hpp"

// Responses answers (PROTOCOLS.md §2.3, §2.4). Only terminal events are parsed: the rest of a
// stream passes through as the upstream sent it.

namespace tollbooth::openai {
namespace {

namespace dom = simdjson::dom;

dom::parser& thread_parser() {
  thread_local dom::parser parser;
  return parser;
}

std::int64_t count_of(dom::element e) {
  std::int64_t n = 0;
  if (e.is_int64())
    n = e.get_int64().value_unsafe();
  else if (e.is_uint64())
    n = INT64_MAX;  // past 2^63: saturated
  return n < 0 ? 0 : n;
}

std::optional<Usage> read_usage(dom::element response) {
  dom::object obj;
  if (response.get_object().get(obj)) return std::nullopt;
  dom::element u;
  if (obj.at_key("usage").get(u) || !u.is_object()) return std::nullopt;
  Usage usage;
  usage.reported = true;
  dom::element v;
  if (!u.at_key("input_tokens").get(v)) usage.input_tokens = count_of(v);
  if (!u.at_key("output_tokens").get(v)) usage.output_tokens = count_of(v);
  if (!u.at_key("input_tokens_details").get(v) && v.is_object()) {
    dom::element d;
    if (!v.at_key("cached_tokens").get(d)) usage.cached_input_tokens = count_of(d);
    if (!v.at_key("cache_write_tokens").get(d)) usage.cache_write_input_tokens = count_of(d);
  }
  if (!u.at_key("output_tokens_details").get(v) && v.is_object()) {
    dom::element d;
    if (!v.at_key("reasoning_tokens").get(d)) usage.reasoning_tokens = count_of(d);
  }
  return usage;
}

ResponsesEventKind kind_of(std::string_view type) {
  if (type == "response.completed") return ResponsesEventKind::completed;
  if (type == "response.incomplete") return ResponsesEventKind::incomplete;
  if (type == "response.failed") return ResponsesEventKind::failed;
  if (type == "error") return ResponsesEventKind::error;
  return ResponsesEventKind::other;
}

std::string json_text(const std::string& s) {
  return is_valid_utf8(s) ? s : repair_utf8(s, 4096);
}

}  // namespace

std::optional<Usage> usage_from_response(std::string_view body) {
  thread_local std::string buf;
  dom::element doc;
  if (thread_parser().parse(json::padded_copy(buf, body)).get(doc)) return std::nullopt;
  return read_usage(doc);
}

ResponsesEvent classify_responses_event(std::string_view event_type, std::string_view data) {
  ResponsesEvent out;
  if (!event_type.empty()) {
    out.kind = kind_of(event_type);
    if (out.kind == ResponsesEventKind::other || out.kind == ResponsesEventKind::error) return out;
  } else if (data.find("\"response.") == std::string_view::npos &&
             data.find("\"error\"") == std::string_view::npos) {
    return out;  // no terminal type can be in it
  }
  thread_local std::string buf;
  dom::element doc;
  if (thread_parser().parse(json::padded_copy(buf, data)).get(doc)) return out;
  if (event_type.empty()) {
    std::string_view type;
    if (doc["type"].get_string().get(type)) return out;
    out.kind = kind_of(type);
    if (out.kind == ResponsesEventKind::other || out.kind == ResponsesEventKind::error) return out;
  }
  dom::element response;
  if (!doc["response"].get(response)) out.usage = read_usage(response);
  return out;
}

std::string responses_failed_event(const Error& error, std::string_view response_id,
                                   long long sequence_number) {
  boost::json::object err;
  err.emplace("code", error.code.empty() ? "server_error" : json_text(error.code));
  err.emplace("message", json_text(error.message));
  boost::json::object response;
  response.emplace("id", response_id);
  response.emplace("object", "response");
  response.emplace("status", "failed");
  response.emplace("error", std::move(err));
  response.emplace("output", boost::json::array());
  response.emplace("usage", nullptr);
  boost::json::object ev;
  ev.emplace("type", "response.failed");
  ev.emplace("sequence_number", sequence_number);
  ev.emplace("response", std::move(response));
  std::string out = "event: response.failed\ndata: ";
  out += boost::json::serialize(ev);
  out += "\n\n";
  return out;
}

}  // namespace tollbooth::openai
