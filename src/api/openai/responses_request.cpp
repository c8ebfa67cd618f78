#include "api/openai/responses_request.hpp"

#include <optional>
#include <string>

#include "api/openai/chat_inspect.hpp"

// Inspects an OpenAI Responses request body (PROTOCOLS.md §2) in one On-Demand pass, with the
// chat inspection's helpers (duplicate keys, validation, OpenAI's error wording): the fields
// routing and forwarding read are read, everything else is validated.

namespace tollbooth::openai {
namespace {

using inspect::error_code;
using inspect::invalid;
using inspect::is_ws;
using inspect::key_of;
using inspect::KeySet;
using inspect::missing;
using inspect::not_json;
using inspect::note_duplicate;
using inspect::read_string;
using inspect::SUCCESS;
using inspect::validate;
using inspect::wrong_type;
namespace od = inspect::od;

constexpr std::uint32_t kTokensPerImage = 765;  // as the chat front counts an image
constexpr std::uint32_t kTokensPerItem = 4;

simdjson::padded_string_view padded_copy(std::string_view in) {
  thread_local std::string buf;
  return json::padded_copy(buf, in);
}

od::parser& thread_parser(std::size_t doc_size) {
  thread_local od::parser parser;
  return json::reuse(parser, doc_size);
}

std::uint32_t saturate(std::uint64_t n) {
  return n > 0xffff'ffffu ? 0xffff'ffffu : static_cast<std::uint32_t>(n);
}

class Inspector {
 public:
  explicit Inspector(const char* base) : base_(base) {}

  error_code member(std::string_view key, od::value& v);
  Result<ChatInspection> finish(std::string_view body);

 private:
  error_code read_model(od::value& v);
  error_code read_bool(od::value& v, const char* name, bool& out);
  error_code read_input(od::value& v);
  error_code read_item(od::value& v, const std::string& path);
  error_code read_content(od::value& v, const std::string& path);
  error_code read_tools(od::value& v);
  error_code read_object(od::value& v, std::string_view name);
  error_code read_format(od::value& v);
  error_code read_max_output(od::value& v);
  error_code read_previous(od::value& v);
  // A string counted as text, or any other value validated and not counted.
  error_code count_text(od::value& v);
  void type_error(std::string param, const char* expected, od::json_type got) {
    if (!error_) error_ = wrong_type(std::move(param), expected, got);
  }

  Span token_span(std::string_view token) const noexcept {
    std::size_t len = token.size();
    while (len > 0 && is_ws(token[len - 1])) --len;
    auto begin = static_cast<std::size_t>(token.data() - base_);
    return Span{begin, begin + len};
  }

  const char* base_;
  ChatInspection out_;
  KeySet keys_;
  std::optional<Error> duplicate_;
  std::optional<Error> error_;  // the first other refusal
  bool saw_model_ = false;
  bool tools_ = false;
  bool parallel_off_ = false;
  std::uint64_t text_bytes_ = 0;
  std::uint64_t images_ = 0;
};

error_code Inspector::member(std::string_view key, od::value& v) {
  if (!keys_.insert(key)) note_duplicate(duplicate_, std::string(key));
  if (key == "model") return read_model(v);
  if (key == "stream") return read_bool(v, "stream", out_.stream);
  if (key == "input") return read_input(v);
  if (key == "instructions") return count_text(v);
  if (key == "tools") return read_tools(v);
  if (key == "text") return read_object(v, "text");
  if (key == "reasoning") return read_object(v, "reasoning");
  if (key == "max_output_tokens") return read_max_output(v);
  if (key == "store") return read_bool(v, "store", out_.store);
  if (key == "previous_response_id") return read_previous(v);
  if (key == "parallel_tool_calls") {
    bool on = true;
    if (auto ec = read_bool(v, "parallel_tool_calls", on)) return ec;
    parallel_off_ = !on;
    return SUCCESS;
  }

  return validate(v, 1);
}

error_code Inspector::read_model(od::value& v) {
  saw_model_ = true;
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::string) {
    type_error("model", "a string", t);
    return validate(v, 1);
  }
  Span span = token_span(v.raw_json_token());
  std::string_view name;
  if (auto ec = read_string(v, name)) return ec;
  if (name.empty()) {
    if (!error_) error_ = invalid("Invalid 'model': empty string.", "model", "empty_string");
    return SUCCESS;
  }
  out_.model.assign(name);
  out_.model_value = span;
  return SUCCESS;
}

// A boolean named `name` into `out`; null leaves `out` as it is.
error_code Inspector::read_bool(od::value& v, const char* name, bool& out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::null) return v.is_null().error();
  if (t != od::json_type::boolean) {
    type_error(name, "a boolean", t);
    return validate(v, 1);
  }
  return v.get_bool().get(out);
}

error_code Inspector::read_previous(od::value& v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::null) return v.is_null().error();
  if (t != od::json_type::string) {
    type_error("previous_response_id", "a string", t);
    return validate(v, 1);
  }
  std::string_view id;
  if (auto ec = read_string(v, id)) return ec;
  // An id is what a response's `id` was: printable ASCII, not empty, not huge.
  bool ok = !id.empty() && id.size() <= 256;
  for (char ch : id) ok &= ch > ' ' && ch < 0x7f;
  if (!ok) {
    if (!error_)
      error_ = invalid("Invalid 'previous_response_id': not a response id.", "previous_response_id",
                       "invalid_value");
    return SUCCESS;
  }
  out_.previous_response_id.assign(id);
  return SUCCESS;
}

error_code Inspector::count_text(od::value& v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::string) return validate(v, 2);
  text_bytes_ += v.raw_json_token().size();
  return v.get_raw_json_string().error();
}

error_code Inspector::read_input(od::value& v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::string) {
    out_.message_count = 1;
    return count_text(v);
  }
  if (t != od::json_type::array) {
    type_error("input", "a string or an array", t);
    return validate(v, 1);
  }
  od::array items;
  if (auto ec = v.get_array().get(items)) return ec;
  std::size_t index = 0;
  for (auto item : items) {
    od::value iv;
    if (auto ec = item.get(iv)) return ec;
    if (auto ec = read_item(iv, "input[" + std::to_string(index) + "]")) return ec;
    ++index;
  }
  out_.message_count = index;
  return SUCCESS;
}

error_code Inspector::read_item(od::value& v, const std::string& path) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) {
    type_error(path, "an object", t);
    return validate(v, 2);
  }
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  KeySet keys;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return ec;
    if (!keys.insert(key)) note_duplicate(duplicate_, path + "." + std::string(key));
    od::value fv = field.value_unsafe().value();
    if (key == "content") {
      if (auto ec = read_content(fv, path + ".content")) return ec;
    } else if (key == "arguments" || key == "output" || key == "input" || key == "text") {
      if (auto ec = count_text(fv)) return ec;
    } else {
      if (auto ec = validate(fv, 3)) return ec;
    }
  }
  return SUCCESS;
}

error_code Inspector::read_content(od::value& v, const std::string& path) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::array) return count_text(v);
  od::array parts;
  if (auto ec = v.get_array().get(parts)) return ec;
  std::size_t index = 0;
  for (auto part : parts) {
    od::value pv;
    if (auto ec = part.get(pv)) return ec;
    const std::string at = path + "[" + std::to_string(index++) + "]";
    od::json_type pt;
    if (auto ec = pv.type().get(pt)) return ec;
    if (pt != od::json_type::object) {
      if (auto ec = validate(pv, 4)) return ec;
      continue;
    }
    od::object obj;
    if (auto ec = pv.get_object().get(obj)) return ec;
    KeySet keys;
    for (auto field : obj) {
      if (auto ec = field.error()) return ec;
      std::string_view key;
      if (auto ec = key_of(field.value_unsafe(), key)) return ec;
      if (!keys.insert(key)) note_duplicate(duplicate_, at + "." + std::string(key));
      od::value fv = field.value_unsafe().value();
      if (key == "type") {
        od::json_type kt;
        if (auto ec = fv.type().get(kt)) return ec;
        std::string_view type;
        if (kt == od::json_type::string) {
          if (auto ec = read_string(fv, type)) return ec;
          if (type == "input_image") {
            ++images_;
            out_.needs.add(Capability::vision);
          }
        } else if (auto ec = validate(fv, 5)) {
          return ec;
        }
      } else if (key == "text") {
        if (auto ec = count_text(fv)) return ec;
      } else if (auto ec = validate(fv, 5)) {
        return ec;
      }
    }
  }
  return SUCCESS;
}

error_code Inspector::read_tools(od::value& v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::null) return v.is_null().error();
  if (t != od::json_type::array) {
    type_error("tools", "an array", t);
    return validate(v, 1);
  }
  const char* begin = v.raw_json_token().data();
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return ec;
  std::size_t count = 0;
  for (auto element : arr) {
    if (auto ec = element.error()) return ec;
    if (auto ec = validate(element.value_unsafe(), 2)) return ec;
    ++count;
  }
  if (count == 0) return SUCCESS;
  tools_ = true;
  const char* next = nullptr;
  if (auto ec = v.current_location().get(next)) return ec;
  text_bytes_ += static_cast<std::uint64_t>(next - begin);
  return SUCCESS;
}

error_code Inspector::read_object(od::value& v, std::string_view name) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::null) return v.is_null().error();
  if (t != od::json_type::object) {
    type_error(std::string(name), "an object", t);
    return validate(v, 1);
  }
  if (name == "reasoning") out_.needs.add(Capability::reasoning);
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  KeySet keys;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return ec;
    if (!keys.insert(key)) note_duplicate(duplicate_, std::string(name) + "." + std::string(key));
    od::value fv = field.value_unsafe().value();
    if (name == "text" && key == "format") {
      if (auto ec = read_format(fv)) return ec;
    } else if (auto ec = validate(fv, 2)) {
      return ec;
    }
  }
  return SUCCESS;
}

error_code Inspector::read_format(od::value& v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) return validate(v, 2);
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  KeySet keys;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    std::string_view key;
    if (auto ec = key_of(field.value_unsafe(), key)) return ec;
    if (!keys.insert(key)) note_duplicate(duplicate_, "text.format." + std::string(key));
    od::value fv = field.value_unsafe().value();
    od::json_type kt;
    if (auto ec = fv.type().get(kt)) return ec;
    if (key == "type" && kt == od::json_type::string) {
      std::string_view type;
      if (auto ec = read_string(fv, type)) return ec;
      if (type == "json_schema") out_.needs.add(Capability::json_schema);
      if (type == "json_object") out_.needs.add(Capability::json_object);
    } else if (auto ec = validate(fv, 3)) {
      return ec;
    }
  }
  return SUCCESS;
}

error_code Inspector::read_max_output(od::value& v) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::null) return v.is_null().error();
  if (t != od::json_type::number) {
    type_error("max_output_tokens", "an integer", t);
    return validate(v, 1);
  }
  od::number_type nt;
  if (auto ec = v.get_number_type().get(nt)) return ec;
  if (nt == od::number_type::floating_point_number) {
    if (!error_)
      error_ = invalid(
          "Invalid type for 'max_output_tokens': expected an integer, but got a "
          "decimal number instead.",
          "max_output_tokens", "invalid_type");
    return validate(v, 1);
  }
  if (nt == od::number_type::signed_integer) {
    std::int64_t n = 0;
    if (auto ec = v.get_int64().get(n)) return ec;
    if (n < 0) {
      if (!error_)
        error_ = invalid("Invalid 'max_output_tokens': integer below minimum value.",
                         "max_output_tokens", "integer_below_min_value");
      return SUCCESS;
    }
    out_.max_output_tokens = saturate(static_cast<std::uint64_t>(n));
    return SUCCESS;
  }
  out_.max_output_tokens = 0xffff'ffffu;  // past 2^63: saturates
  if (nt == od::number_type::unsigned_integer) {
    std::uint64_t n = 0;
    if (auto ec = v.get_uint64().get(n)) return ec;
    out_.max_output_tokens = saturate(n);
    return SUCCESS;
  }
  return validate(v, 1);
}

Result<ChatInspection> Inspector::finish(std::string_view body) {
  if (duplicate_) return std::move(*duplicate_);
  if (!saw_model_) return missing("model");
  if (error_) return std::move(*error_);
  out_.include_usage = true;
  out_.needs.add(Capability::responses_api);
  if (tools_) {
    out_.needs.add(Capability::tools);
    if (!parallel_off_) out_.needs.add(Capability::parallel_tools);
  }
  out_.estimated_input_tokens = saturate(
      (text_bytes_ + 3) / 4 + kTokensPerItem * out_.message_count + kTokensPerImage * images_);
  std::size_t end = body.size();
  while (end > 0 && is_ws(body[end - 1])) --end;
  out_.object_end = end - 1;
  return std::move(out_);
}

}  // namespace

Result<ChatInspection> inspect_responses_request(std::string_view body) {
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
  if (!doc.current_location().error()) return not_json(simdjson::TRAILING_CONTENT);
  return inspector.finish(body);
}

}  // namespace tollbooth::openai
