#include "routing/chat_needs.hpp"

#include <boost/json.hpp>
#include <limits>

namespace tollbooth::routing {
namespace {

namespace json = boost::json;

std::uint32_t clamp_tokens(std::uint64_t n) {
  return n > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : static_cast<std::uint32_t>(n);
}

// Text bytes of the messages (for the token estimate) and whether any part is an image.
void scan_messages(const json::array& messages, ChatNeeds& out, std::uint64_t& text_bytes) {
  for (const auto& m : messages) {
    const json::object* message = m.if_object();
    if (!message) continue;
    const json::value* content = message->if_contains("content");
    if (!content) continue;
    if (const json::string* s = content->if_string()) text_bytes += s->size();
    const json::array* parts = content->if_array();
    if (!parts) continue;
    for (const auto& p : *parts) {
      const json::object* part = p.if_object();
      if (!part) continue;
      const json::value* type = part->if_contains("type");
      if (type && type->is_string() && type->get_string() == "image_url") {
        out.needs.add(Capability::vision);
      }
      if (const json::value* text = part->if_contains("text"); text && text->is_string()) {
        text_bytes += text->get_string().size();
      }
    }
  }
}

std::uint64_t unsigned_field(const json::object& body, std::string_view key) {
  const json::value* v = body.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() > 0) return static_cast<std::uint64_t>(v->get_int64());
  return 0;
}

void scan_options(const json::object& body, ChatNeeds& out) {
  const json::value* tools = body.if_contains("tools");
  if (tools && tools->is_array() && !tools->get_array().empty()) {
    out.needs.add(Capability::tools);
    const json::value* parallel = body.if_contains("parallel_tool_calls");
    if (!(parallel && parallel->is_bool() && !parallel->get_bool())) {
      out.needs.add(Capability::parallel_tools);
    }
  }
  if (const json::value* rf = body.if_contains("response_format"); rf && rf->is_object()) {
    const json::value* type = rf->get_object().if_contains("type");
    if (type && type->is_string() && type->get_string() == "json_schema") {
      out.needs.add(Capability::json_schema);
    }
    if (type && type->is_string() && type->get_string() == "json_object") {
      out.needs.add(Capability::json_object);
    }
  }
  if (body.contains("reasoning_effort") || body.contains("reasoning")) {
    out.needs.add(Capability::reasoning);
  }
  std::uint64_t max_out = unsigned_field(body, "max_completion_tokens");
  if (max_out == 0) max_out = unsigned_field(body, "max_tokens");
  out.max_output_tokens = clamp_tokens(max_out);
}

}  // namespace

ChatNeeds needs_from_chat_body(std::string_view body) {
  ChatNeeds out;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec || !root.is_object()) {
    out.error = ec ? "the body is not JSON: " + ec.message() : "the body is not a JSON object";
    return out;
  }
  const json::object& object = root.get_object();
  const json::value* model = object.if_contains("model");
  if (!model || !model->is_string() || model->get_string().empty()) {
    out.error = "the body has no \"model\" string";
    return out;
  }
  out.model = std::string(model->get_string());
  std::uint64_t text_bytes = 0;
  if (const json::value* messages = object.if_contains("messages");
      messages && messages->is_array()) {
    scan_messages(messages->get_array(), out, text_bytes);
  }
  scan_options(object, out);
  out.estimated_input_tokens = clamp_tokens((text_bytes + 3) / 4);
  return out;
}

}  // namespace tollbooth::routing
