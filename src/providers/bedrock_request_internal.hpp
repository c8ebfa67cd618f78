#pragma once
// Internal to the OpenAI → Converse request translator, whose one On-Demand pass is spread over
// three files by concern: bedrock_request.cpp (top-level fields, sampling, assembly, path),
// bedrock_messages.cpp (messages and their content → Converse turns) and
// bedrock_tool_config.cpp (tools, tool_choice, response_format → toolConfig). Not for other
// callers; the API is bedrock_request.hpp.
#include "json/scratch.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "providers/bedrock_request.hpp"

namespace tollbooth::bedrock::internal {

namespace od = simdjson::ondemand;
using simdjson::error_code;

enum class ToolChoice { absent, none, automatic, required, named };
enum class Format { text, json_object, json_schema };
// Kinds of content part seen in one message.
enum : unsigned { kText = 1, kImage = 2, kDocument = 4 };

// Padded input copies and parser reuse (json/scratch.hpp): every parse copies its input into a
// thread-local buffer of its own.
using json::padded_copy;
using json::reuse;
// The raw text of any value: objects and arrays whole, scalars as their token.
error_code raw_value(od::value& v, std::string_view& out);

// Parameter paths for error messages: messages[index]tail and head[index]tail.
std::string at(std::size_t index, std::string_view tail);
std::string indexed(std::string_view head, std::size_t index, std::string_view tail = {});

// Inline: called for every value of the body.
inline bool is_null(od::value& v) noexcept {
  bool null = false;
  return !v.is_null().get(null) && null;
}

inline bool is_blank(std::string_view s) noexcept {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Bedrock tool names: [a-zA-Z0-9_-]{1,64}; toolUseId: [a-zA-Z0-9_.:-]{1,64}.
inline bool fits_pattern(std::string_view s, std::string_view extra) noexcept {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return true;
}
inline bool valid_tool_name(std::string_view s) noexcept {
  return fits_pattern(s, "_-");
}
inline bool valid_tool_use_id(std::string_view s) noexcept {
  return fits_pattern(s, "_.:-");
}

// Calls fn(key, value&) for each member of the object `v`, or fn(index, value&) for each element
// of the array `v`; false when `v` has another type, is unreadable, or fn returns false.
template <class Fn>
bool each_member(od::value& v, Fn&& fn) {
  od::object o;
  if (v.get_object().get(o)) return false;
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key) || !fn(key, field.value_unsafe().value())) return false;
  }
  return true;
}

template <class Fn>
bool each_element(od::value& v, Fn&& fn) {
  od::array a;
  if (v.get_array().get(a)) return false;
  std::size_t i = 0;
  for (auto element : a) {
    od::value e;
    if (element.get(e) || !fn(i++, e)) return false;
  }
  return true;
}

// Reads string members of an object by key into `slots`; other members are skipped.
template <std::size_t N>
bool read_strings(od::value& v, const std::array<std::string_view, N>& keys,
                  std::array<std::string_view, N>& slots) {
  return each_member(v, [&](std::string_view key, od::value& member) {
    for (std::size_t k = 0; k < N; ++k)
      if (key == keys[k]) return !member.get_string().get(slots[k]);
    return true;
  });
}

// One translation: the chat body's members are read in order, each into its slot below, and
// run() joins the slots into the Converse body. Methods are defined by concern in the three files
// named at the top of this header.
class Translator {
 public:
  Translator(std::string_view model_id, const ConverseOptions& options)
      : model_id_(model_id), options_(options) {}
  Result<ConverseRequest> run(std::string_view body);

 private:
  // bedrock_request.cpp: dispatch, errors, sampling, assembly.
  bool member(std::string_view key, od::value& v);
  bool fail(std::string param, std::string message, std::string_view code);
  bool wrong_type(std::string param, std::string_view expected);
  bool unsupported(std::string_view param, std::string_view why);
  bool other(std::string_view key, od::value& v);

  bool max_tokens(std::string_view key, od::value& v);
  bool unit_interval(std::string_view key, od::value& v, std::string_view& slot);
  bool stop(od::value& v);
  bool reasoning_effort(od::value& v);
  std::string assemble() const;

  // bedrock_messages.cpp
  bool messages(od::value& v);
  bool message(std::size_t i, od::value& m);
  bool finish_message(std::string_view role, std::string_view call_id, std::size_t i);
  bool tool_result(std::string_view call_id, std::size_t i);
  bool content(od::value& v, std::size_t i);
  bool part(od::value& p, std::size_t i, std::size_t j);
  bool image(std::string_view url, std::size_t i, std::size_t j);
  bool file(const std::array<std::string_view, 3>& file, std::size_t i, std::size_t j);
  bool tool_call(od::value& c, std::size_t i, std::size_t j);
  void add_to_turn(char role, std::string_view first, std::string_view second);

  // bedrock_tool_config.cpp
  bool tool(od::value& t, std::size_t i);
  bool tool_choice(od::value& v);
  bool response_format(od::value& v);
  bool json_schema(od::value& v);
  bool tool_config();
  void append_tools(std::string_view json_name);

  std::string_view model_id_;
  const ConverseOptions& options_;
  ConverseRequest out_;
  Error error_;
  bool failed_ = false;  // error_ holds the reason

  std::string system_;  // system blocks, comma-separated
  std::string turns_;   // merged message turns; the last one is still open
  char open_role_ = 0;  // 'u' or 'a': role of the open turn; 0 before the first
  std::string blocks_;  // the message being read: its content blocks ...
  std::string uses_;    // ... and its toolUse blocks
  std::string result_;  // scratch for a toolResult block
  unsigned kinds_ = 0;  // kinds of its content parts
  std::size_t documents_ = 0;
  bool tool_blocks_ = false;              // the history holds toolUse/toolResult blocks
  std::vector<std::string_view> called_;  // tool names called in the history

  std::int64_t max_tokens_ = 0;
  std::int64_t max_completion_tokens_ = 0;
  std::string_view temperature_, top_p_;  // raw numbers, as the client wrote them
  std::string stops_;
  std::string specs_;  // toolSpec entries, comma-separated
  std::vector<std::string_view> tool_names_;
  ToolChoice choice_ = ToolChoice::absent;
  std::string_view choice_name_;
  Format format_ = Format::text;
  std::string_view format_name_, format_description_, format_schema_;  // raw JSON
  std::string_view effort_;                                            // raw JSON string
  std::string tool_config_;
};

}  // namespace tollbooth::bedrock::internal
