#include "api/openai/chat_facts.hpp"

#include <algorithm>
#include <limits>
#include <string>

// Reads the request facts during the inspection pass (semantics on ChatInspection). Type
// errors OpenAI itself would refuse become 400s here; values only an upstream can judge
// (unknown response_format types, reasoning_effort levels, a max_tokens above the model's
// limit) are passed on.

namespace tollbooth::openai::inspect {
namespace {

// The raw JSON bytes of a value that began at `begin` and has just been consumed: the
// iterator sits on the parent's next token (`,` or `}`).
error_code bytes_since(od::value& v, const char* begin, std::uint64_t& bytes) {
  const char* next = nullptr;
  if (auto ec = v.current_location().get(next)) return ec;
  bytes = static_cast<std::uint64_t>(next - begin);
  return SUCCESS;
}

bool is_image_part(std::string_view type) noexcept {
  return equals(type, "image_url") || equals(type, "input_image");
}

}  // namespace

// By length first: most members of a typical body (temperature, user, ...) are none of ours
// and cost no comparison.
error_code FactsReader::member(std::string_view key, od::value& v) {
  switch (key.size()) {
    case 5:
      if (equals(key, "tools")) return read_tool_list(v, "tools", tools_);
      break;
    case 9:
      if (equals(key, "functions")) return read_tool_list(v, "functions", functions_);
      if (equals(key, "reasoning")) return read_reasoning(v);
      break;
    case 10:
      if (equals(key, "max_tokens")) return read_token_cap(v, "max_tokens", max_tokens_);
      break;
    case 15:
      if (equals(key, "response_format")) return read_response_format(v);
      break;
    case 16:
      if (equals(key, "reasoning_effort")) return read_reasoning_effort(v);
      break;
    case 19:
      if (equals(key, "parallel_tool_calls")) return read_parallel_tool_calls(v);
      break;
    case 21:
      if (equals(key, "max_completion_tokens")) {
        return read_token_cap(v, "max_completion_tokens", max_completion_tokens_);
      }
      break;
    default: break;
  }
  return validate(v, 1);
}

// `tools` / `functions`: an array or null. Elements are left to the upstream.
error_code FactsReader::read_tool_list(od::value& v, const char* name, ToolList& list) {
  list = ToolList{};
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::array) {
    if (t != od::json_type::null) list.err = wrong_type(name, "an array", t);
    return validate(v, 1);
  }
  const char* begin = v.raw_json_token().data();
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return ec;
  for (auto element : arr) {
    if (auto ec = element.error()) return ec;
    if (auto ec = validate(element.value_unsafe(), 2)) return ec;
    ++list.count;
  }
  return list.count == 0 ? SUCCESS : bytes_since(v, begin, list.bytes);
}

error_code FactsReader::read_parallel_tool_calls(od::value& v) {
  parallel_tool_calls_ = true;
  parallel_err_.reset();
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::boolean) return v.get_bool().get(parallel_tool_calls_);
  if (t != od::json_type::null) parallel_err_ = wrong_type("parallel_tool_calls", "a boolean", t);
  return validate(v, 1);
}

// `response_format`: an object with a string `type`, or null. Only json_schema and
// json_object need anything of a route; other types (text, future ones) are the upstream's.
error_code FactsReader::read_response_format(od::value& v) {
  format_ = Format::none;
  format_err_.reset();
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) {
    if (t != od::json_type::null) format_err_ = wrong_type("response_format", "an object", t);
    return validate(v, 1);
  }
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  bool saw_type = false;
  od::json_type type_t = od::json_type::null;
  std::string_view type;
  KeySet keys;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return ec;
    if (!keys.insert(key)) note_duplicate(duplicate_, "response_format." + std::string(key));
    od::value& child = field.value_unsafe().value();
    if (equals(key, "type")) {
      saw_type = true;
      if (auto ec = child.type().get(type_t)) return ec;
      if (type_t == od::json_type::string) {
        if (auto ec = read_string(child, type)) return ec;
        continue;
      }
    }
    if (auto ec = validate(child, 2)) return ec;
  }
  if (!saw_type) {
    format_err_ = missing("response_format.type");
  } else if (type_t != od::json_type::string) {
    format_err_ = wrong_type("response_format.type", "a string", type_t);
  } else if (equals(type, "json_schema")) {
    format_ = Format::json_schema;
  } else if (equals(type, "json_object")) {
    format_ = Format::json_object;
  }
  return SUCCESS;
}

// A string or null; the level itself ("low", "high", ...) is the upstream's to judge.
error_code FactsReader::read_reasoning_effort(od::value& v) {
  reasoning_effort_ = false;
  effort_err_.reset();
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::string) {
    reasoning_effort_ = true;
  } else if (t != od::json_type::null) {
    effort_err_ = wrong_type("reasoning_effort", "a string", t);
  }
  return validate(v, 1);
}

// Not a Chat Completions parameter at OpenAI, but OpenAI-compatible servers take the
// Responses API's object here; anything else is left to the upstream.
error_code FactsReader::read_reasoning(od::value& v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  reasoning_object_ = t == od::json_type::object;
  return validate(v, 1);
}

// A non-negative JSON integer or null. Values beyond 32 bits saturate: far above any model's
// limit, which the upstream enforces.
error_code FactsReader::read_token_cap(od::value& v, const char* name, TokenCap& cap) {
  cap = TokenCap{};
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::number) {
    if (t != od::json_type::null) cap.err = wrong_type(name, "an integer", t);
    return validate(v, 1);
  }
  // The common case, a plain non-negative integer; on failure nothing is consumed.
  std::uint64_t n = 0;
  if (v.get_uint64().get(n) == SUCCESS) {
    cap.present = true;
    cap.value = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(n, std::numeric_limits<std::uint32_t>::max()));
    return SUCCESS;
  }
  od::number_type kind;
  if (auto ec = v.get_number_type().get(kind)) return ec;
  std::string_view token = v.raw_json_token();
  double value = 0;
  if (auto ec = v.get_double().get(value)) return ec;  // integers beyond 64 bits too
  if (kind == od::number_type::floating_point_number) {
    cap.err = invalid(std::string("Invalid type for '") + name +
                          "': expected an integer, but got a decimal number instead.",
                      name, "invalid_type");
  } else if (value < 0) {
    while (!token.empty() && is_ws(token.back())) token.remove_suffix(1);
    cap.err = invalid(std::string("Invalid '") + name +
                          "': integer below minimum value. Expected a value >= 0, but got " +
                          std::string(token) + " instead.",
                      name, "invalid_value");
  } else {
    constexpr double kMax = std::numeric_limits<std::uint32_t>::max();
    cap.present = true;
    cap.value = value >= kMax ? std::numeric_limits<std::uint32_t>::max()
                              : static_cast<std::uint32_t>(value);
  }
  return SUCCESS;
}

error_code FactsReader::read_tool_calls(od::value& v, MessageTally& tally) {
  const char* begin = v.raw_json_token().data();
  if (auto ec = validate(v, 3)) return ec;
  return bytes_since(v, begin, tally.tool_call_bytes);
}

// Content that is not a string: an array of parts; other shapes are left to the upstream.
error_code FactsReader::read_content_parts(std::size_t message, od::value& v, od::json_type t,
                                           MessageTally& tally) {
  tally.content_bytes = 0;
  tally.content_images = 0;
  if (t != od::json_type::array) return validate(v, 3);
  od::array parts;
  if (auto ec = v.get_array().get(parts)) return ec;
  std::size_t part = 0;
  for (auto element : parts) {
    if (auto ec = element.error()) return ec;
    if (auto ec = read_part(message, part++, element.value_unsafe(), tally)) return ec;
  }
  return SUCCESS;
}

// One content part: a string `text` member counts as text whatever the part's type (text,
// input_text, ...); an `image_url` or `input_image` part counts as an image. Image payloads
// (URLs, base64 data) are not text and are not counted.
error_code FactsReader::read_part(std::size_t message, std::size_t part, od::value& v,
                                  MessageTally& tally) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) return validate(v, 4);
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  std::string_view type;
  std::uint64_t text_bytes = 0;
  KeySet keys;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return ec;
    if (!keys.insert(key)) {
      note_duplicate(duplicate_, "messages[" + std::to_string(message) + "].content[" +
                                     std::to_string(part) + "]." + std::string(key));
    }
    od::value& child = field.value_unsafe().value();
    const bool is_type = equals(key, "type");
    if (is_type || equals(key, "text")) {
      od::json_type ct;
      if (auto ec = child.type().get(ct)) return ec;
      if (is_type) type = {};
      if (ct == od::json_type::string) {
        if (is_type) {
          if (auto ec = read_string(child, type)) return ec;
        } else {
          text_bytes = string_bytes(child.raw_json_token());
          if (auto ec = child.get_raw_json_string().error()) return ec;
        }
        continue;
      }
    }
    if (auto ec = validate(child, 5)) return ec;
  }
  tally.content_bytes += text_bytes;
  if (is_image_part(type)) ++tally.content_images;
  return SUCCESS;
}

std::optional<Error> FactsReader::finish(ChatInspection& out) {
  for (std::optional<Error>* err : {&tools_.err, &functions_.err, &parallel_err_, &format_err_,
                                    &effort_err_, &max_completion_tokens_.err, &max_tokens_.err}) {
    if (*err) return std::move(*err);
  }
  CapabilitySet needs;
  if (tools_.count > 0 || functions_.count > 0) needs.add(Capability::tools);
  // Legacy `functions` answer with one function_call per turn, so only `tools` can ask for
  // parallel calls.
  if (tools_.count > 0 && parallel_tool_calls_) needs.add(Capability::parallel_tools);
  if (images_ > 0) needs.add(Capability::vision);
  if (format_ == Format::json_schema) needs.add(Capability::json_schema);
  if (format_ == Format::json_object) needs.add(Capability::json_object);
  if (reasoning_effort_ || reasoning_object_) needs.add(Capability::reasoning);
  out.needs = needs;

  std::uint64_t bytes = message_bytes_ + tools_.bytes + functions_.bytes;
  std::uint64_t tokens = (bytes + kBytesPerToken - 1) / kBytesPerToken +
                         kTokensPerMessage * out.message_count + kTokensPerImage * images_;
  out.estimated_input_tokens = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(tokens, std::numeric_limits<std::uint32_t>::max()));
  out.max_output_tokens = max_completion_tokens_.present ? max_completion_tokens_.value
                          : max_tokens_.present          ? max_tokens_.value
                                                         : 0;
  return std::nullopt;
}

}  // namespace tollbooth::openai::inspect
