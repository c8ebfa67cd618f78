#include "api/openai/chat_request.hpp"

#include "api/openai/chat_facts.hpp"
#include "api/openai/chat_inspect.hpp"

#include <optional>
#include <string>

// Inspects an OpenAI Chat Completions request body (PROTOCOLS.md §1.2). One On-Demand pass
// walks the whole document: the fields we route on are read, everything else is validated, so
// a malformed body is refused here rather than costing an upstream round trip. This runs on
// every request, so keys are compared raw and errors are only formatted once found. The
// request facts (capabilities, token estimate) are read on the same walk (chat_facts.cpp).

namespace tollbooth::openai {
namespace {

using inspect::error_code;
using inspect::FactsReader;
using inspect::invalid;
using inspect::is_ws;
using inspect::key_of;
using inspect::KeySet;
using inspect::MessageTally;
using inspect::missing;
using inspect::not_json;
using inspect::note_duplicate;
using inspect::read_string;
using inspect::SUCCESS;
using inspect::validate;
using inspect::wrong_type;
namespace od = inspect::od;

simdjson::padded_string_view padded_copy(std::string_view in) {
  thread_local std::string buf;
  return json::padded_copy(buf, in);
}

od::parser& thread_parser(std::size_t doc_size) {
  thread_local od::parser parser;
  return json::reuse(parser, doc_size);
}

bool known_role(std::string_view role) noexcept {
  switch (role.size()) {
    case 4: return role == "user" || role == "tool";
    case 6: return role == "system";
    case 8: return role == "function";
    case 9: return role == "assistant" || role == "developer";
    default: return false;
  }
}

std::string message_param(std::size_t index, std::string_view suffix) {
  return "messages[" + std::to_string(index) + "]" + std::string(suffix);
}

struct Role {
  bool seen = false;
  od::json_type type = od::json_type::null;
  std::string_view value;  // valid while the document is

  bool ok() const noexcept { return seen && type == od::json_type::string && known_role(value); }
  Error error(std::size_t index) const;
};

// Walks the body once. Structural errors abort the walk; field errors are kept per field and
// reported by finish() in a fixed order, a duplicated key first: while a body says two things,
// nothing else in it can be trusted.
class Inspector {
 public:
  explicit Inspector(const char* base) : base_(base), facts_(duplicate_) {}

  error_code member(std::string_view key, od::value& v);
  Result<ChatInspection> finish(std::string_view body);

 private:
  error_code read_model(od::value& v);
  error_code read_messages(od::value& v);
  error_code read_message(od::value& v, std::size_t index);
  error_code read_role(od::value& v, Role& role);
  error_code read_stream(od::value& v);
  error_code read_stream_options(od::value& v);
  error_code read_options_object(od::value& v);

  // The token at `token`, without the whitespace simdjson includes after it.
  Span token_span(std::string_view token) const noexcept {
    std::size_t len = token.size();
    while (len > 0 && is_ws(token[len - 1])) --len;
    auto begin = static_cast<std::size_t>(token.data() - base_);
    return Span{begin, begin + len};
  }

  const char* base_;
  ChatInspection out_;
  KeySet keys_;                     // the body's
  std::optional<Error> duplicate_;  // the first duplicated key, here or in facts_
  FactsReader facts_;
  bool saw_model_ = false;
  bool saw_messages_ = false;
  std::optional<Error> model_err_, messages_err_, stream_err_, options_err_;
};

error_code Inspector::member(std::string_view key, od::value& v) {
  if (!keys_.insert(key)) note_duplicate(duplicate_, std::string(key));
  if (key == "model") return read_model(v);
  if (key == "messages") return read_messages(v);
  if (key == "stream") return read_stream(v);
  if (key == "stream_options") return read_stream_options(v);
  return facts_.member(key, v);
}

error_code Inspector::read_model(od::value& v) {
  saw_model_ = true;
  model_err_.reset();
  out_.model.clear();
  out_.model_value = {};
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::string) {
    model_err_ = wrong_type("model", "a string", t);
    return validate(v, 1);
  }
  Span span = token_span(v.raw_json_token());
  std::string_view name;
  if (auto ec = read_string(v, name)) return ec;
  if (name.empty()) {
    model_err_ = invalid("Invalid 'model': empty string.", "model", "empty_string");
    return SUCCESS;
  }
  out_.model.assign(name);
  out_.model_value = span;
  return SUCCESS;
}

error_code Inspector::read_messages(od::value& v) {
  saw_messages_ = true;
  messages_err_.reset();
  out_.message_count = 0;
  facts_.reset_messages();
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::array) {
    messages_err_ = wrong_type("messages", "an array", t);
    return validate(v, 1);
  }
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return ec;
  std::size_t index = 0;
  for (auto element : arr) {
    if (auto ec = element.error()) return ec;
    if (auto ec = read_message(element.value_unsafe(), index)) return ec;
    ++index;
  }
  out_.message_count = index;
  if (index == 0 && !messages_err_) {
    messages_err_ = invalid(
        "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead.",
        "messages", "empty_array");
  }
  return SUCCESS;
}

// Only the first bad message is reported, but every message is still walked for validity.
error_code Inspector::read_message(od::value& v, std::size_t index) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) {
    if (!messages_err_) messages_err_ = wrong_type(message_param(index, ""), "an object", t);
    return validate(v, 2);
  }
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  Role role;
  MessageTally tally;
  KeySet keys;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return ec;
    if (!keys.insert(key)) note_duplicate(duplicate_, message_param(index, "." + std::string(key)));
    od::value& child = field.value_unsafe().value();
    auto ec =
        key == "role" ? read_role(child, role) : facts_.message_member(index, key, child, tally);
    if (ec) return ec;
  }
  if (!role.ok() && !messages_err_) messages_err_ = role.error(index);
  facts_.add_message(tally);
  return SUCCESS;
}

// The `role` of a message; its error is only formatted if the message turns out bad.
error_code Inspector::read_role(od::value& v, Role& role) {
  role = Role{};
  role.seen = true;
  if (auto ec = v.type().get(role.type)) return ec;
  if (role.type != od::json_type::string) return validate(v, 3);
  return read_string(v, role.value);
}

Error Role::error(std::size_t index) const {
  std::string param = message_param(index, ".role");
  if (!seen) return missing(std::move(param));
  if (type != od::json_type::string) return wrong_type(std::move(param), "a string", type);
  return invalid("Invalid value: '" + std::string(value) +
                     "'. Supported values are: 'system', 'developer', 'user', 'assistant', "
                     "'tool', and 'function'.",
                 std::move(param), "invalid_value");
}

error_code Inspector::read_stream(od::value& v) {
  stream_err_.reset();
  out_.stream = false;
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::boolean) {
    stream_err_ = wrong_type("stream", "a boolean", t);
    return validate(v, 1);
  }
  return v.get_bool().get(out_.stream);
}

error_code Inspector::read_stream_options(od::value& v) {
  options_err_.reset();
  out_.include_usage = false;
  out_.include_usage_value = {};
  out_.stream_options_value = {};
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::object) return read_options_object(v);
  if (t != od::json_type::null) {
    options_err_ = wrong_type("stream_options", "an object or null", t);
    return validate(v, 1);
  }
  Span span = token_span(v.raw_json_token());
  if (auto ec = validate(v, 1)) return ec;
  out_.stream_options_value = span;
  return SUCCESS;
}

error_code Inspector::read_options_object(od::value& v) {
  std::size_t begin = token_span(v.raw_json_token()).begin;
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  KeySet keys;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return ec;
    if (!keys.insert(key)) note_duplicate(duplicate_, "stream_options." + std::string(key));
    od::value& child = field.value_unsafe().value();
    if (key != "include_usage") {
      if (auto ec = validate(child, 2)) return ec;
      continue;
    }
    options_err_.reset();
    out_.include_usage = false;
    out_.include_usage_value = {};
    od::json_type t;
    if (auto ec = child.type().get(t)) return ec;
    if (t != od::json_type::boolean) {
      options_err_ = wrong_type("stream_options.include_usage", "a boolean", t);
      if (auto ec = validate(child, 2)) return ec;
      continue;
    }
    out_.include_usage_value = token_span(child.raw_json_token());
    if (auto ec = child.get_bool().get(out_.include_usage)) return ec;
  }
  // The object is consumed, so the iterator sits on the parent's next token (`,` or `}`);
  // the value ends at the last non-blank byte before it.
  const char* next = nullptr;
  if (auto ec = v.current_location().get(next)) return ec;
  auto end = static_cast<std::size_t>(next - base_);
  while (end > begin && is_ws(base_[end - 1])) --end;
  out_.stream_options_value = Span{begin, end};
  return SUCCESS;
}

Result<ChatInspection> Inspector::finish(std::string_view body) {
  if (duplicate_) return std::move(*duplicate_);
  if (!saw_model_) return missing("model");
  if (model_err_) return std::move(*model_err_);
  if (!saw_messages_) return missing("messages");
  if (messages_err_) return std::move(*messages_err_);
  if (stream_err_) return std::move(*stream_err_);
  if (options_err_) return std::move(*options_err_);
  if (auto err = facts_.finish(out_)) return std::move(*err);
  // The document ended right after the object, so the last non-blank byte is its `}`.
  std::size_t end = body.size();
  while (end > 0 && is_ws(body[end - 1])) --end;
  out_.object_end = end - 1;
  return std::move(out_);
}

}  // namespace

Result<ChatInspection> inspect_chat_request(std::string_view body) {
  simdjson::padded_string_view padded = padded_copy(body);
  od::parser& parser = thread_parser(body.size());
  od::document doc;
  if (auto ec = parser.iterate(padded).get(doc)) return not_json(ec);
  od::json_type t;
  if (auto ec = doc.type().get(t)) return not_json(ec);
  if (t != od::json_type::object) {
    return invalid("The request body must be a JSON object.", {}, "invalid_type");
  }
  od::object obj;
  if (auto ec = doc.get_object().get(obj)) return not_json(ec);
  Inspector inspector(padded.data());
  for (auto field : obj) {
    if (auto ec = field.error()) return not_json(ec);
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return not_json(ec);
    if (auto ec = inspector.member(key, field.value_unsafe().value())) return not_json(ec);
  }
  // At the end of the document current_location() reports OUT_OF_BOUNDS; a location means
  // bytes follow the object.
  if (!doc.current_location().error()) return not_json(simdjson::TRAILING_CONTENT);
  return inspector.finish(body);
}

}  // namespace tollbooth::openai
