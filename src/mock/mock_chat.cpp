#include "mock/mock_chat.hpp"
#include "mock/mock_json.hpp"

#include <optional>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "mock/mock_text.hpp"

namespace tollbooth::mock {
namespace json = boost::json;
namespace {

Error invalid(std::string message, std::string param = {}, std::string code = {}) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param),
                    std::move(code));
}

const char* kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return "a string";
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    case json::kind::bool_: return "a boolean";
    case json::kind::null: return "null";
    default: return "a number";
  }
}

Error wrong_type(const std::string& param, const char* expected, const json::value& got) {
  return invalid("Invalid type for '" + param + "': expected " + expected + ", but got " +
                     kind_name(got) + " instead.",
                 param, "invalid_type");
}

// Text of a message's content: the string itself, or its text parts joined by a space.
std::string content_text(const json::value* content) {
  if (content == nullptr) return {};
  if (const auto* s = content->if_string()) return std::string(*s);
  std::string out;
  if (const auto* parts = content->if_array()) {
    for (const auto& part : *parts) {
      const auto* obj = part.if_object();
      const auto* text = obj ? obj->if_contains("text") : nullptr;
      if (text == nullptr || !text->is_string()) continue;
      if (!out.empty()) out.push_back(' ');
      out.append(text->get_string());
    }
  }
  return out;
}

std::optional<Error> read_messages(const json::object& body, ChatInput& in) {
  const auto* messages = body.if_contains("messages");
  if (messages == nullptr) {
    return invalid("Missing required parameter: 'messages'.", "messages",
                   "missing_required_parameter");
  }
  const auto* array = messages->if_array();
  if (array == nullptr) return wrong_type("messages", "an array of objects", *messages);
  if (array->empty()) {
    return invalid(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead.",
        "messages", "empty_array");
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto param = "messages[" + std::to_string(i) + "]";
    const auto* msg = (*array)[i].if_object();
    if (msg == nullptr) return wrong_type(param, "an object", (*array)[i]);
    const auto* role = msg->if_contains("role");
    if (role == nullptr) {
      return invalid("Missing required parameter: '" + param + ".role'.", param + ".role",
                     "missing_required_parameter");
    }
    if (!role->is_string()) return wrong_type(param + ".role", "a string", *role);
    auto text = content_text(msg->if_contains("content"));
    in.prompt_tokens += count_words(text) + 3;
    if (role->get_string() == "user") in.last_user_text = std::move(text);
  }
  return std::nullopt;
}

std::optional<Error> read_options(const json::object& body, ChatInput& in) {
  if (const auto* stream = body.if_contains("stream"); stream && !stream->is_null()) {
    if (!stream->is_bool()) return wrong_type("stream", "a boolean", *stream);
    in.stream = stream->get_bool();
  }
  if (const auto* opts = body.if_contains("stream_options"); opts && opts->is_object()) {
    const auto* usage = opts->get_object().if_contains("include_usage");
    in.include_usage = usage && usage->is_bool() && usage->get_bool();
  }
  if (const auto* key = body.if_contains("prompt_cache_key"); key && key->is_string()) {
    in.prompt_cache_key = true;
  }
  if (const auto* effort = body.if_contains("reasoning_effort"); effort && effort->is_string()) {
    in.reasoning_effort = std::string(effort->get_string());
  }
  for (const char* name : {"max_tokens", "max_completion_tokens"}) {
    const auto* v = body.if_contains(name);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_int64() && !v->is_uint64()) return wrong_type(name, "an integer", *v);
    const auto n = v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
    if (n < 1) {
      return invalid("Invalid '" + std::string(name) +
                         "': integer below minimum value. "
                         "Expected a value >= 1, but got " +
                         std::to_string(n) + " instead.",
                     name, "integer_below_min_value");
    }
    if (in.max_tokens < 0 || n < in.max_tokens) in.max_tokens = n;
  }
  return std::nullopt;
}

}  // namespace

std::int64_t count_words(std::string_view text) noexcept {
  std::int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = is_space(c);
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::int64_t reasoning_tokens_for(std::string_view effort) noexcept {
  if (effort.empty() || effort == "none") return 0;
  if (effort == "minimal") return 8;
  if (effort == "low") return 16;
  if (effort == "high") return 256;
  return 64;  // medium, and levels newer than this list
}

Result<ChatInput> parse_chat_input(std::string_view body, bool model_required) {
  // Request bodies are small; a stack arena keeps the parse free of heap allocations.
  unsigned char arena[8192];
  json::monotonic_resource mr(arena, sizeof arena);
  boost::system::error_code ec;
  auto doc = json::parse(body, ec, &mr, deep_json());
  if (ec) {
    return invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
        "sent was not valid JSON.)");
  }
  const auto* obj = doc.if_object();
  if (obj == nullptr) return wrong_type("body", "an object", doc);
  ChatInput in;
  if (const auto* model = obj->if_contains("model"); model && !model->is_null()) {
    if (!model->is_string()) return wrong_type("model", "a string", *model);
    in.model = std::string(model->get_string());
  }
  if (model_required && in.model.empty()) {
    return invalid("you must provide a model parameter", "model", "missing_required_parameter");
  }
  if (auto err = read_messages(*obj, in)) return std::move(*err);
  if (auto err = read_options(*obj, in)) return std::move(*err);
  return in;
}

}  // namespace tollbooth::mock
