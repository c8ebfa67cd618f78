#include "mock/mock_responses.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "mock/mock_json.hpp"

namespace tollbooth::mock {
namespace json = boost::json;
namespace {

Error invalid(std::string message, std::string param = {}, std::string code = {}) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param),
                    std::move(code));
}

// A message item's text: a string content, or its text parts joined by a space.
std::string item_text(const json::object& item) {
  const auto* content = item.if_contains("content");
  if (content == nullptr) {
    for (const char* name : {"output", "arguments", "input"}) {
      if (const auto* v = item.if_contains(name); v && v->is_string())
        return std::string(v->get_string());
    }
    return {};
  }
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

void append_response_usage(std::string& out, const Answer& a) {
  out += R"("usage":{"input_tokens":)";
  append_int(out, a.prompt_tokens);
  out += R"(,"input_tokens_details":{"cached_tokens":)";
  append_int(out, a.cached_tokens);
  out += R"(},"output_tokens":)";
  append_int(out, a.completion_tokens);
  out += R"(,"output_tokens_details":{"reasoning_tokens":)";
  append_int(out, a.reasoning_tokens);
  out += R"(},"total_tokens":)";
  append_int(out, a.prompt_tokens + a.completion_tokens);
  out += "}";
}

bool cut(const Answer& a) {
  return a.finish_reason == "length";
}

// The message item, whole (`text` the answer so far, status as given).
void append_message_item(std::string& out, const ResponseMeta& m, std::string_view text,
                         std::string_view status, bool with_content) {
  out += R"({"type":"message","id":"msg_)";
  out += m.id.substr(m.id.find('_') + 1);
  out += R"(","status":)";
  append_json_string(out, status);
  out += R"(,"role":"assistant","content":[)";
  if (with_content) {
    out += R"({"type":"output_text","text":)";
    append_json_string(out, text);
    out += R"(,"annotations":[]})";
  }
  out += "]}";
}

// The tool call item of `turn`: `arguments` empty while it streams.
void append_call_item(std::string& out, const ResponseMeta& m, const ToolTurn& turn,
                      std::string_view arguments, std::string_view status) {
  const std::string_view n = m.id.substr(m.id.find_last_of('_') + 1);
  out += turn.custom ? R"({"type":"custom_tool_call","id":"ctc_)"
                     : R"({"type":"function_call","id":"fc_)";
  out += n;
  out += R"(","call_id":"call_mock_)";
  out += n;
  out += R"(","name":)";
  append_json_string(out, turn.name);
  out += turn.custom ? R"(,"input":)" : R"(,"arguments":)";
  append_json_string(out, arguments);
  out += R"(,"status":)";
  append_json_string(out, status);
  out += "}";
}

// The response object; `usage` false while it is in progress.
void append_response(std::string& out, const ResponseMeta& m, const Answer& a,
                     std::string_view status, bool final, const ToolTurn& turn) {
  out += R"({"id":)";
  append_json_string(out, m.id);
  out += R"(,"object":"response","created_at":)";
  append_int(out, m.created);
  out += R"(,"status":)";
  append_json_string(out, status);
  out += R"(,"error":null,"incomplete_details":)";
  out += final && cut(a) ? R"({"reason":"max_output_tokens"})" : "null";
  out += R"(,"model":)";
  append_json_string(out, m.model);
  out += R"(,"output":[)";
  if (final && turn.kind == ToolTurn::Kind::call)
    append_call_item(out, m, turn, turn.arguments, "completed");
  else if (final)
    append_message_item(out, m, a.content, cut(a) ? "incomplete" : "completed", true);
  out += "],";
  if (final)
    append_response_usage(out, a);
  else
    out += R"("usage":null)";
  out += "}";
}

std::string event(std::string_view type, int seq, std::string_view fields) {
  std::string out = "event: ";
  out += type;
  out += "\ndata: {\"type\":";
  append_json_string(out, type);
  out += ",\"sequence_number\":";
  append_int(out, seq);
  out += ",";
  out += fields;
  out += "}\n\n";
  return out;
}

}  // namespace

Result<ResponsesInput> parse_responses_input(std::string_view body) {
  boost::system::error_code ec;
  auto doc = json::parse(body, ec, {}, deep_json());
  if (ec || !doc.is_object()) {
    return invalid("We could not parse the JSON body of your request.");
  }
  const auto& obj = doc.get_object();
  ResponsesInput out;
  ChatInput& in = out.chat;
  ToolTurn& turn = out.turn;
  // The request's tools by name: true for a `custom` one.
  std::vector<std::pair<std::string, bool>> tools;
  if (const auto* t = obj.if_contains("tools"); t && t->is_array()) {
    for (const auto& tool : t->get_array()) {
      const auto* o = tool.if_object();
      const auto* name = o ? o->if_contains("name") : nullptr;
      const auto* type = o ? o->if_contains("type") : nullptr;
      if (name && name->is_string() && type && type->is_string())
        tools.emplace_back(std::string(name->get_string()), type->get_string() == "custom");
    }
  }
  std::string call_text;  // the last user message asking for a tool call
  std::string last_type;  // the type of the last input item
  in.include_usage = true;
  if (const auto* model = obj.if_contains("model"); model && model->is_string())
    in.model = std::string(model->get_string());
  if (in.model.empty())
    return invalid("Missing required parameter: 'model'.", "model", "missing_required_parameter");
  if (const auto* s = obj.if_contains("stream"); s && s->is_bool()) in.stream = s->get_bool();
  if (const auto* i = obj.if_contains("instructions"); i && i->is_string())
    in.prompt_tokens += count_words(i->get_string()) + 3;
  const auto* input = obj.if_contains("input");
  if (input && input->is_string()) {
    in.last_user_text = std::string(input->get_string());
    in.prompt_tokens += count_words(in.last_user_text) + 3;
  } else if (input && input->is_array()) {
    for (const auto& item : input->get_array()) {
      const auto* o = item.if_object();
      if (o == nullptr) return invalid("Invalid 'input': expected an array of objects.", "input");
      auto text = item_text(*o);
      in.prompt_tokens += count_words(text) + 3;
      const auto* type = o->if_contains("type");
      last_type = type && type->is_string() ? std::string(type->get_string()) : "message";
      const auto* role = o->if_contains("role");
      if (role && role->is_string() && role->get_string() == "user") {
        if (text.rfind("call ", 0) == 0) call_text = text.substr(5);
        in.last_user_text = std::move(text);
      } else if (last_type == "function_call_output" || last_type == "custom_tool_call_output") {
        // The output's last non-empty line, quoted by the answer.
        std::string_view rest = text;
        while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) rest.remove_suffix(1);
        const auto nl = rest.rfind('\n');
        turn.arguments = std::string(nl == std::string_view::npos ? rest : rest.substr(nl + 1));
      }
    }
  } else if (input && !input->is_null()) {
    return invalid("Invalid type for 'input': expected a string or an array.", "input",
                   "invalid_type");
  }
  if (const auto* p = obj.if_contains("previous_response_id"); p && p->is_string())
    out.previous_response_id = std::string(p->get_string());
  if (const auto* key = obj.if_contains("prompt_cache_key"); key && key->is_string())
    in.prompt_cache_key = true;
  if (const auto* r = obj.if_contains("reasoning"); r && r->is_object()) {
    if (const auto* e = r->get_object().if_contains("effort"); e && e->is_string())
      in.reasoning_effort = std::string(e->get_string());
  }
  if (const auto* m = obj.if_contains("max_output_tokens"); m && !m->is_null()) {
    if (!m->is_int64() || m->get_int64() < 1)
      return invalid("Invalid 'max_output_tokens': expected a positive integer.",
                     "max_output_tokens", "invalid_value");
    in.max_tokens = m->get_int64();
  }
  if (last_type == "function_call_output" || last_type == "custom_tool_call_output") {
    turn.kind = ToolTurn::Kind::after_output;
    in.last_user_text = "tool output: " + turn.arguments;
  } else if (!call_text.empty()) {
    const auto space = call_text.find(' ');
    const std::string name = call_text.substr(0, space);
    for (const auto& [tool, custom] : tools) {
      if (tool != name) continue;
      turn.kind = ToolTurn::Kind::call;
      turn.name = name;
      turn.custom = custom;
      turn.arguments = space == std::string::npos ? std::string() : call_text.substr(space + 1);
      in.last_user_text = turn.arguments;  // the call's tokens, for the usage
      break;
    }
  }
  return out;
}

void render_response(const ResponseMeta& meta, const Answer& answer, const ToolTurn& turn,
                     std::string& out) {
  const bool incomplete = cut(answer) && turn.kind != ToolTurn::Kind::call;
  append_response(out, meta, answer, incomplete ? "incomplete" : "completed", true, turn);
}

std::vector<std::string> render_response_stream(const ResponseMeta& meta, const Answer& answer,
                                                const ToolTurn& turn) {
  std::vector<std::string> events;
  events.reserve(answer.pieces.size() + 8);
  int seq = 0;
  std::string f;
  auto response_field = [&](std::string_view status, bool final) {
    f = "\"response\":";
    append_response(f, meta, answer, status, final, turn);
    return f;
  };
  events.push_back(event("response.created", seq++, response_field("in_progress", false)));
  events.push_back(event("response.in_progress", seq++, response_field("in_progress", false)));
  if (turn.kind == ToolTurn::Kind::call) {
    // The call: added with empty arguments, its arguments (or input) in one delta, done.
    f = R"("output_index":0,"item":)";
    append_call_item(f, meta, turn, {}, "in_progress");
    events.push_back(event("response.output_item.added", seq++, f));
    const std::string item_id =
        (turn.custom ? "ctc_" : "fc_") + std::string(meta.id.substr(meta.id.find_last_of('_') + 1));
    const std::string kind =
        turn.custom ? "response.custom_tool_call_input" : "response.function_call_arguments";
    f = R"("item_id":")" + item_id + R"(","output_index":0,"delta":)";
    append_json_string(f, turn.arguments);
    events.push_back(event(kind + ".delta", seq++, f));
    f = R"("item_id":")" + item_id + R"(","output_index":0,)";
    f += turn.custom ? R"("input":)" : R"("arguments":)";
    append_json_string(f, turn.arguments);
    events.push_back(event(kind + ".done", seq++, f));
    f = R"("output_index":0,"item":)";
    append_call_item(f, meta, turn, turn.arguments, "completed");
    events.push_back(event("response.output_item.done", seq++, f));
    events.push_back(event("response.completed", seq++, response_field("completed", true)));
    return events;
  }
  f = R"("output_index":0,"item":)";
  append_message_item(f, meta, {}, "in_progress", false);
  events.push_back(event("response.output_item.added", seq++, f));
  const std::string item_id = "msg_" + std::string(meta.id.substr(meta.id.find('_') + 1));
  std::string where = R"("item_id":")" + item_id + R"(","output_index":0,"content_index":0)";
  events.push_back(event("response.content_part.added", seq++,
                         where + R"(,"part":{"type":"output_text","text":"","annotations":[]})"));
  for (const auto& piece : answer.pieces) {
    f = where + R"(,"delta":)";
    append_json_string(f, piece);
    f += R"(,"logprobs":[])";
    events.push_back(event("response.output_text.delta", seq++, f));
  }
  f = where + R"(,"text":)";
  append_json_string(f, answer.content);
  f += R"(,"logprobs":[])";
  events.push_back(event("response.output_text.done", seq++, f));
  f = where + R"(,"part":{"type":"output_text","text":)";
  append_json_string(f, answer.content);
  f += R"(,"annotations":[]})";
  events.push_back(event("response.content_part.done", seq++, f));
  f = R"("output_index":0,"item":)";
  append_message_item(f, meta, answer.content, cut(answer) ? "incomplete" : "completed", true);
  events.push_back(event("response.output_item.done", seq++, f));
  const bool incomplete = cut(answer);
  events.push_back(event(incomplete ? "response.incomplete" : "response.completed", seq++,
                         response_field(incomplete ? "incomplete" : "completed", true)));
  return events;
}

}  // namespace tollbooth::mock
