// OpenAI tools, tool_choice and response_format → Converse toolConfig (PROTOCOLS.md §5.7). Part
// of the translator whose pass starts in bedrock_request.cpp.
#include <simdjson.h>

#include <array>
#include <string>
#include <vector>

#include "providers/bedrock_request.hpp"
#include "providers/bedrock_request_internal.hpp"

namespace tollbooth::bedrock::internal {

using namespace std::string_view_literals;

namespace {

constexpr std::string_view kDefaultJsonTool = "json_tool_call";
constexpr std::string_view kOpenSchema = R"({"type":"object","properties":{}})";

bool contains(const std::vector<std::string_view>& names, std::string_view name) {
  for (auto n : names)
    if (n == name) return true;
  return false;
}

}  // namespace

// {type:"function", function:{name, description?, parameters?, strict?}} → toolSpec. The schema
// is copied byte for byte; `strict` is not sent (Bedrock's support for it varies by model).
bool Translator::tool(od::value& t, std::size_t i) {
  std::string_view type, name, description, parameters;
  bool read = each_member(t, [&](std::string_view key, od::value& v) {
    if (key == "type") return !v.get_string().get(type);
    if (key != "function") return true;
    return each_member(v, [&](std::string_view k, od::value& f) {
      od::json_type ft = od::json_type::null;
      if (f.type().get(ft)) return false;
      if (k == "name") return !f.get_string().get(name);
      if (k == "description" && ft == od::json_type::string)
        description = detail::trim_json(f.raw_json_token());
      if (k == "parameters" && ft == od::json_type::object) return !raw_value(f, parameters);
      return true;
    });
  });
  if (!read) return wrong_type(indexed("tools", i), "a function tool object");
  if (type != "function")
    return fail(indexed("tools", i, ".type"),
                "Bedrock routes support only function tools; got '" + std::string(type) + "'.",
                "unsupported_value");
  if (!valid_tool_name(name))
    return fail(indexed("tools", i, ".function.name"),
                "Bedrock tool names must match [a-zA-Z0-9_-]{1,64}.", "invalid_value");
  if (contains(tool_names_, name))
    return fail(indexed("tools", i, ".function.name"),
                "Tool names must be unique; '" + std::string(name) + "' is given twice.",
                "invalid_value");
  // An empty schema is refused by some families (Anthropic wants "type":"object").
  if (parameters.empty() || parameters == "{}") parameters = kOpenSchema;
  if (!specs_.empty()) specs_ += ',';
  specs_ += R"({"toolSpec":{"name":")"sv;
  specs_ += name;  // checked above: nothing to escape
  specs_ += '"';
  if (description.size() > 2) (specs_ += R"(,"description":)"sv) += description;  // not ""
  specs_ += R"(,"inputSchema":{"json":)"sv;
  specs_ += parameters;
  specs_ += "}}}"sv;
  tool_names_.push_back(name);
  return true;
}

bool Translator::tool_choice(od::value& v) {
  choice_ = ToolChoice::absent;
  std::string_view s, type;
  if (!v.get_string().get(s)) {
    if (s == "none")
      choice_ = ToolChoice::none;
    else if (s == "auto")
      choice_ = ToolChoice::automatic;
    else if (s == "required")
      choice_ = ToolChoice::required;
    else
      return fail("tool_choice",
                  "Invalid value for 'tool_choice': '" + std::string(s) +
                      "'. Supported values are: 'none', 'auto' and 'required'.",
                  "invalid_value");
    return true;
  }
  std::array<std::string_view, 1> name{};
  bool read = each_member(v, [&](std::string_view key, od::value& f) {
    if (key == "type") return !f.get_string().get(type);
    return key != "function" || read_strings<1>(f, {"name"}, name);
  });
  if (!read) return wrong_type("tool_choice", "a string or a tool choice object");
  if (type == "allowed_tools")
    return unsupported("tool_choice", "Bedrock cannot restrict the model to a subset of the tools");
  if (type != "function")
    return fail("tool_choice.type", "Bedrock routes support only function tool choices.",
                "unsupported_value");
  if (name[0].empty())
    return fail("tool_choice.function.name",
                "Missing required parameter: 'tool_choice.function.name'.",
                "missing_required_parameter");
  choice_ = ToolChoice::named;
  choice_name_ = name[0];
  return true;
}

bool Translator::response_format(od::value& v) {
  format_ = Format::text;
  format_name_ = format_description_ = format_schema_ = {};
  std::string_view type;
  bool read = each_member(v, [&](std::string_view key, od::value& f) {
    if (key == "type") return !f.get_string().get(type);
    return key != "json_schema" || json_schema(f);
  });
  if (!read) return wrong_type("response_format", "a response format object");
  if (type == "text") return true;
  if (type == "json_object") {
    format_ = Format::json_object;
    format_name_ = format_description_ = format_schema_ = {};
    return true;
  }
  if (type != "json_schema")
    return fail("response_format.type",
                "Invalid value for 'response_format.type': '" + std::string(type) +
                    "'. Supported values are: 'text', 'json_object' and 'json_schema'.",
                "invalid_value");
  format_ = Format::json_schema;
  if (!format_name_.empty() && !valid_tool_name(format_name_))
    return fail("response_format.json_schema.name",
                "The schema name becomes a Bedrock tool name and must match [a-zA-Z0-9_-]{1,64}.",
                "invalid_value");
  return true;
}

// json_schema: {name, description?, schema?, strict?}; raw JSON kept for description and schema.
bool Translator::json_schema(od::value& v) {
  return each_member(v, [this](std::string_view key, od::value& f) {
    od::json_type t = od::json_type::null;
    if (f.type().get(t)) return false;
    if (key == "name") return !f.get_string().get(format_name_);
    if (key == "description" && t == od::json_type::string)
      format_description_ = detail::trim_json(f.raw_json_token());
    if (key == "schema" && t == od::json_type::object) return !raw_value(f, format_schema_);
    return true;
  });
}

// Decides toolConfig from tools, tool_choice, response_format and the history (see the doc):
// - response_format json_* becomes one more tool, forced (or offered beside the client's tools
//   with toolChoice any, so the model either calls a tool or answers through it);
// - tool_choice none is honoured by declaring no tools, possible only while the history has no
//   tool blocks (Bedrock needs a toolConfig to read those);
// - required → any, named → tool; auto is Bedrock's default and is not sent, because some
//   model families refuse any toolChoice at all.
bool Translator::tool_config() {
  bool has_tools = !tool_names_.empty();
  bool forced = choice_ == ToolChoice::required || choice_ == ToolChoice::named;
  if (forced && !has_tools)
    return fail("tool_choice", "tool_choice requires tools; none were given.", "invalid_value");
  if (choice_ == ToolChoice::named && !contains(tool_names_, choice_name_))
    return fail("tool_choice.function.name",
                "tool_choice names '" + std::string(choice_name_) + "', which is not a tool.",
                "invalid_value");
  // A forced call is the whole answer, so there is no content for response_format to shape.
  bool json = format_ != Format::text && !forced;
  std::string_view json_name = format_name_.empty() ? kDefaultJsonTool : format_name_;
  if (json && contains(tool_names_, json_name))
    return fail("response_format.json_schema.name",
                "The schema name '" + std::string(json_name) + "' is also the name of a tool.",
                "invalid_value");
  bool declare = has_tools;
  if (choice_ == ToolChoice::none && has_tools) {
    if (!tool_blocks_)
      declare = false;
    else if (!json && !unsupported("tool_choice",
                                   "Bedrock cannot forbid tool calls once the conversation "
                                   "holds tool calls (it needs the tools declared)"))
      return false;
  }
  if (tool_blocks_ && !has_tools && !json &&
      !unsupported("tools",
                   "the conversation holds tool calls, and Bedrock needs the tools declared; "
                   "send the tools"))
    return false;
  tool_config_.clear();
  if (!declare && !json && !tool_blocks_) return true;
  tool_config_ = R"({"tools":[)";
  if (declare) tool_config_ += specs_;
  if (json)
    append_tools(json_name);
  else if (!has_tools)
    append_tools({});  // history with tool calls, no tools, drop_unsupported
  tool_config_ += ']';
  if (json && declare && choice_ != ToolChoice::none) {
    tool_config_ += R"(,"toolChoice":{"any":{}})"sv;
  } else if (json || choice_ == ToolChoice::named) {
    tool_config_ += R"(,"toolChoice":{"tool":{"name":")"sv;
    tool_config_ += json ? json_name : choice_name_;
    tool_config_ += "\"}}"sv;
  } else if (choice_ == ToolChoice::required) {
    tool_config_ += R"(,"toolChoice":{"any":{}})"sv;
  }
  tool_config_ += '}';
  out_.json_tool = json ? std::string(json_name) : std::string();
  return true;
}

// Appends the response_format tool (`json_name` set) or, with an empty name, declarations for
// the tools the history called, with an open schema, so Bedrock can read those blocks.
void Translator::append_tools(std::string_view json_name) {
  auto spec = [this](std::string_view name, std::string_view description, std::string_view schema) {
    if (tool_config_.back() != '[') tool_config_ += ',';
    tool_config_ += R"({"toolSpec":{"name":")"sv;
    tool_config_ += name;
    tool_config_ += R"(","description":)"sv;
    tool_config_ += description;
    tool_config_ += R"(,"inputSchema":{"json":)"sv;
    tool_config_ += schema;
    tool_config_ += "}}}"sv;
  };
  if (!json_name.empty()) {
    std::string_view description =
        format_description_.size() > 2
            ? format_description_
            : R"("Respond with a JSON value that follows the input schema.")";
    spec(json_name, description, format_schema_.empty() ? R"({"type":"object"})" : format_schema_);
    return;
  }
  std::vector<std::string_view> seen;
  for (auto name : called_) {
    if (contains(seen, name)) continue;
    seen.push_back(name);
    spec(name, R"("A tool called earlier in this conversation.")", kOpenSchema);
  }
}

}  // namespace tollbooth::bedrock::internal
