// OpenAI messages → Converse system blocks and turns (PROTOCOLS.md §5.3): roles, content
// parts, images, documents, tool calls and tool results. Part of the translator whose pass
// starts in bedrock_request.cpp.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "providers/bedrock_request.hpp"
#include "providers/bedrock_request_internal.hpp"

namespace tollbooth::bedrock::internal {

using namespace std::string_view_literals;

namespace {

using simdjson::SUCCESS;

constexpr int kMaxArgumentDepth = 128;

// Checks a complete JSON text (tool-call arguments) value by value: On-Demand alone would skip
// what it is not asked for. Strings are checked for being strings only, as in chat_request.
error_code validate(od::value v, int depth) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (depth > kMaxArgumentDepth) return simdjson::DEPTH_ERROR;
  switch (t) {
    case od::json_type::object: {
      od::object o;
      if (auto ec = v.get_object().get(o)) return ec;
      for (auto field : o) {
        if (auto ec = field.error()) return ec;
        if (auto ec = validate(field.value_unsafe().value(), depth + 1)) return ec;
      }
      return SUCCESS;
    }
    case od::json_type::array: {
      od::array a;
      if (auto ec = v.get_array().get(a)) return ec;
      for (auto element : a) {
        if (auto ec = element.error()) return ec;
        if (auto ec = validate(element.value_unsafe(), depth + 1)) return ec;
      }
      return SUCCESS;
    }
    case od::json_type::number: return v.get_double().error();
    case od::json_type::string: return v.get_raw_json_string().error();
    case od::json_type::boolean: return v.get_bool().error();
    case od::json_type::null: return v.is_null().error();
  }
  return simdjson::INCORRECT_TYPE;
}

// Tool-call arguments are a JSON object inside a JSON string; Bedrock wants the object itself
// (its model families take tool input as an object).
bool arguments_are_object(std::string_view text) {
  thread_local std::string buf;
  thread_local od::parser parser;
  od::document doc;
  od::object o;
  if (reuse(parser, text.size()).iterate(padded_copy(buf, text)).get(doc)) return false;
  if (doc.get_object().get(o)) return false;
  for (auto field : o) {
    if (field.error() || validate(field.value_unsafe().value(), 2)) return false;
  }
  const char* trailing = nullptr;  // anything after the object is an error
  return doc.current_location().get(trailing) == simdjson::OUT_OF_BOUNDS;
}

// `data:image/png;base64,AAAA` → mime "image/png" and the base64 payload.
bool split_data_url(std::string_view url, std::string_view& mime, std::string_view& data) {
  if (!url.starts_with("data:")) return false;
  auto comma = url.find(',');
  if (comma == std::string_view::npos) return false;
  std::string_view head = url.substr(5, comma - 5);
  if (!head.ends_with(";base64")) return false;
  mime = head.substr(0, head.find(';'));
  data = url.substr(comma + 1);
  return true;
}

std::string_view image_format(std::string_view mime) noexcept {
  if (mime == "image/png") return "png";
  if (mime == "image/jpeg" || mime == "image/jpg") return "jpeg";
  if (mime == "image/gif") return "gif";
  if (mime == "image/webp") return "webp";
  return {};
}

// Bedrock document formats, by MIME type or by file extension.
std::string_view document_format(std::string_view mime, std::string_view filename) noexcept {
  static constexpr std::array<std::array<std::string_view, 3>, 9> kFormats{{
      {"pdf", "application/pdf", ".pdf"},
      {"csv", "text/csv", ".csv"},
      {"doc", "application/msword", ".doc"},
      {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
      {"xls", "application/vnd.ms-excel", ".xls"},
      {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
      {"html", "text/html", ".html"},
      {"txt", "text/plain", ".txt"},
      {"md", "text/markdown", ".md"},
  }};
  for (const auto& f : kFormats)
    if (mime == f[1] || (mime.empty() && filename.ends_with(f[2]))) return f[0];
  return {};
}

// Bedrock document names allow letters, digits, single spaces, '-', '(', ')', '[' and ']'.
std::string document_name(std::string_view filename, std::size_t ordinal) {
  std::string_view stem = filename.substr(0, filename.rfind('.'));
  std::string name;
  for (char c : stem) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    bool kept = alnum || c == '-' || c == '(' || c == ')' || c == '[' || c == ']';
    if (kept)
      name += c;
    else if (!name.empty() && name.back() != ' ' && name.back() != '-')
      name += c == ' ' ? ' ' : '-';
  }
  while (!name.empty() && (name.back() == ' ' || name.back() == '-')) name.pop_back();
  if (name.empty()) name = "document-" + std::to_string(ordinal);
  return name;
}

void append_text_block(std::string& out, std::string_view text) {
  if (!out.empty()) out += ',';
  out += R"({"text":)"sv;
  detail::append_json_string(out, text);
  out += '}';
}

}  // namespace

bool Translator::messages(od::value& v) {
  system_.clear();  // a repeated `messages` key replaces the earlier one, as upstreams do
  turns_.clear();
  open_role_ = 0;
  tool_blocks_ = false;
  called_.clear();
  if (!each_element(v, [this](std::size_t i, od::value& m) { return message(i, m); }))
    return wrong_type("messages", "an array of objects");
  if (open_role_ == 0)
    return fail("messages", "Bedrock needs at least one user or assistant message.",
                "invalid_value");
  turns_ += "]}"sv;
  return true;
}

bool Translator::message(std::size_t i, od::value& m) {
  blocks_.clear();
  uses_.clear();
  kinds_ = 0;
  std::string_view role, call_id;
  bool read = each_member(m, [&](std::string_view key, od::value& v) {
    if (key == "role") return !v.get_string().get(role) || wrong_type(at(i, ".role"), "a string");
    if (key == "content") return content(v, i);
    if (key == "tool_calls") {
      return is_null(v) ||
             each_element(v, [&](std::size_t j, od::value& c) { return tool_call(c, i, j); }) ||
             wrong_type(at(i, ".tool_calls"), "an array of objects");
    }
    if (key == "tool_call_id")
      return !v.get_string().get(call_id) || wrong_type(at(i, ".tool_call_id"), "a string");
    std::string_view refusal;
    if (key == "refusal" && !v.get_string().get(refusal) && !is_blank(refusal))
      append_text_block(blocks_, refusal), kinds_ |= kText;
    return true;
  });
  return (read || wrong_type(at(i, ""), "an object")) && finish_message(role, call_id, i);
}

bool Translator::finish_message(std::string_view role, std::string_view call_id, std::size_t i) {
  if (!uses_.empty() && role != "assistant")
    return fail(at(i, ".tool_calls"), "Only assistant messages can have tool_calls.",
                "invalid_value");
  if (role == "system" || role == "developer") {
    if (kinds_ & ~kText)
      return fail(at(i, ".content"), "Bedrock takes only text in system messages.",
                  "invalid_value");
    if (!blocks_.empty() && !system_.empty()) system_ += ',';
    system_ += blocks_;
    return true;
  }
  if (role == "user") return add_to_turn('u', blocks_, {}), true;
  if (role == "assistant") {
    if (kinds_ & ~kText)
      return fail(at(i, ".content"), "Assistant messages can hold only text and tool calls.",
                  "invalid_value");
    return add_to_turn('a', blocks_, uses_), true;
  }
  if (role == "tool") return tool_result(call_id, i);
  if (role == "function")
    return fail(at(i, ".role"),
                "The deprecated 'function' role is not translated for Bedrock; use tool messages.",
                "unsupported_value");
  return fail(at(i, ".role"), "Missing or unknown role.", "invalid_value");
}

// A tool message becomes a toolResult block in a user turn; consecutive ones share that turn.
bool Translator::tool_result(std::string_view call_id, std::size_t i) {
  if (kinds_ & ~kText)
    return fail(at(i, ".content"), "Tool messages can hold only text.", "invalid_value");
  if (call_id.empty())
    return fail(at(i, ".tool_call_id"),
                "Missing required parameter: '" + at(i, ".tool_call_id") + "'.",
                "missing_required_parameter");
  if (!valid_tool_use_id(call_id))
    return fail(at(i, ".tool_call_id"), "Bedrock tool call ids must match [a-zA-Z0-9_.:-]{1,64}.",
                "invalid_value");
  result_ = R"({"toolResult":{"toolUseId":)";
  detail::append_json_string(result_, call_id);
  result_ += R"(,"content":[)"sv;
  result_ += blocks_;
  result_ += "]}}"sv;
  tool_blocks_ = true;
  add_to_turn('u', result_, {});
  return true;
}

// Bedrock wants user and assistant turns to alternate: a message of the open turn's role joins it.
void Translator::add_to_turn(char role, std::string_view first, std::string_view second) {
  if (first.empty() && second.empty()) return;
  if (open_role_ == role) {
    turns_ += ',';
  } else {
    if (open_role_ != 0) turns_ += "]},"sv;
    turns_ += role == 'u' ? R"({"role":"user","content":[)" : R"({"role":"assistant","content":[)";
    open_role_ = role;
  }
  turns_ += first;
  if (!first.empty() && !second.empty()) turns_ += ',';
  turns_ += second;
}

bool Translator::content(od::value& v, std::size_t i) {
  std::string_view s;
  if (is_null(v)) return true;
  if (!v.get_string().get(s)) {
    if (!is_blank(s)) append_text_block(blocks_, s), kinds_ |= kText;  // Bedrock refuses blanks
    return true;
  }
  return each_element(v, [&](std::size_t j, od::value& p) { return part(p, i, j); }) ||
         wrong_type(at(i, ".content"), "a string or an array of content parts");
}

bool Translator::part(od::value& p, std::size_t i, std::size_t j) {
  std::string_view type, text;
  std::array<std::string_view, 1> url{};
  std::array<std::string_view, 3> file_fields{};  // file_data, filename, file_id
  bool read = each_member(p, [&](std::string_view key, od::value& v) {
    if (key == "type") return !v.get_string().get(type);
    if (key == "text" || key == "refusal") return !v.get_string().get(text);
    if (key == "image_url") return read_strings<1>(v, {"url"}, url);
    if (key == "file") return read_strings<3>(v, {"file_data", "filename", "file_id"}, file_fields);
    return true;
  });
  if (!read) return wrong_type(at(i, indexed(".content", j)), "a content part object");
  if (type == "text" || type == "refusal") {
    if (!is_blank(text)) append_text_block(blocks_, text), kinds_ |= kText;
    return true;
  }
  if (type == "image_url") return image(url[0], i, j);
  if (type == "file") return file(file_fields, i, j);
  if (type == "input_audio")
    return fail(at(i, indexed(".content", j)), "Bedrock routes do not take audio input.",
                "unsupported_value");
  return fail(at(i, indexed(".content", j, ".type")),
              "Unknown content part type '" + std::string(type) + "'.", "invalid_value");
}

bool Translator::image(std::string_view url, std::size_t i, std::size_t j) {
  auto param = [i, j](std::string_view) {  // built only for an error
    return at(i, indexed(".content", j, ".image_url.url"));
  };
  std::string_view mime, data, format;
  if (split_data_url(url, mime, data)) {
    format = image_format(mime);
    if (format.empty())
      return fail(param(""),
                  "Bedrock takes png, jpeg, gif and webp images; got '" + std::string(mime) + "'.",
                  "invalid_value");
  } else if (url.starts_with("https://") || url.starts_with("http://")) {
    if (!options_.fetch_images)
      return fail(param(""),
                  "Bedrock routes take images only as base64 data: URLs "
                  "(data:image/png;base64,...); this route does not fetch image URLs.",
                  "unsupported_value");
    const FetchedImage* found = nullptr;
    for (const auto& fetched : options_.images)
      if (fetched.url == url) found = &fetched;
    if (!found)
      return fail(param(""), "The image at this URL could not be fetched.", "invalid_value");
    format = found->format;
    data = found->base64;
  } else {
    return fail(param(""), "An image URL must be a base64 data: URL or an http(s) URL.",
                "invalid_value");
  }
  if (!blocks_.empty()) blocks_ += ',';
  blocks_ += R"({"image":{"format":")"sv;
  blocks_ += format;
  blocks_ += R"(","source":{"bytes":)"sv;
  detail::append_json_string(blocks_, data);
  blocks_ += "}}}"sv;
  kinds_ |= kImage;
  return true;
}

// file: {file_data (base64, or a base64 data: URL), filename, file_id}.
bool Translator::file(const std::array<std::string_view, 3>& file, std::size_t i, std::size_t j) {
  auto [data, name, id] = file;
  auto param = [i, j](std::string_view tail) {
    return at(i, indexed(".content", j, ".file" + std::string(tail)));
  };
  if (data.empty() && !id.empty())
    return fail(param(".file_id"),
                "Bedrock routes cannot read OpenAI file ids; send the file as file_data.",
                "unsupported_value");
  std::string_view mime;
  if (data.starts_with("data:") && !split_data_url(data, mime, data))
    return fail(param(".file_data"), "file_data must be base64 (or a base64 data: URL).",
                "invalid_value");
  if (data.empty())
    return fail(param(".file_data"), "Missing required parameter: '" + param(".file_data") + "'.",
                "missing_required_parameter");
  std::string_view format = document_format(mime, name);
  if (format.empty())
    return fail(param(""),
                "Bedrock takes pdf, csv, doc, docx, xls, xlsx, html, txt and md documents; "
                "the format of this file is not one of them.",
                "invalid_value");
  if (!blocks_.empty()) blocks_ += ',';
  blocks_ += R"({"document":{"format":")"sv;
  blocks_ += format;
  blocks_ += R"(","name":)"sv;
  detail::append_json_string(blocks_, document_name(name, ++documents_));
  blocks_ += R"(,"source":{"bytes":)"sv;
  detail::append_json_string(blocks_, data);
  blocks_ += "}}}"sv;
  kinds_ |= kDocument;
  return true;
}

// {id, type:"function", function:{name, arguments: "<JSON text>"}} → toolUse with the
// arguments' JSON copied as written (validated first).
bool Translator::tool_call(od::value& c, std::size_t i, std::size_t j) {
  auto param = [i, j](std::string_view tail) {  // built only for an error
    return at(i, indexed(".tool_calls", j, tail));
  };
  std::string_view id, type = "function";
  std::array<std::string_view, 2> fn{};  // name, arguments
  bool read = each_member(c, [&](std::string_view key, od::value& v) {
    if (key == "id") return !v.get_string().get(id);
    if (key == "type") return !v.get_string().get(type);
    if (key == "function") return read_strings<2>(v, {"name", "arguments"}, fn);
    return true;
  });
  if (!read) return wrong_type(param(""), "a tool call object");
  if (type != "function")
    return fail(param(".type"), "Bedrock routes support only function tool calls.",
                "unsupported_value");
  if (!valid_tool_use_id(id))
    return fail(param(".id"), "Bedrock tool call ids must match [a-zA-Z0-9_.:-]{1,64}.",
                "invalid_value");
  if (!valid_tool_name(fn[0]))
    return fail(param(".function.name"), "Bedrock tool names must match [a-zA-Z0-9_-]{1,64}.",
                "invalid_value");
  std::string_view input = detail::trim_json(fn[1]);
  input.remove_prefix(std::min(input.size(), input.find_first_not_of(" \t\r\n")));
  if (input.empty()) {
    input = "{}";  // some clients send "" for a call without arguments
  } else if (!arguments_are_object(input)) {
    return fail(param(".function.arguments"),
                "Tool call arguments must be a JSON object for Bedrock (they become the toolUse "
                "input).",
                "invalid_value");
  }
  if (!uses_.empty()) uses_ += ',';
  uses_ += R"({"toolUse":{"toolUseId":)"sv;
  detail::append_json_string(uses_, id);
  uses_ += R"(,"name":")"sv;
  uses_ += fn[0];  // checked above: nothing to escape
  uses_ += R"(","input":)"sv;
  uses_ += input;
  uses_ += "}}"sv;
  called_.push_back(fn[0]);
  tool_blocks_ = true;
  return true;
}

}  // namespace tollbooth::bedrock::internal
