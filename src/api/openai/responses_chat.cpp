#include "api/openai/responses_chat.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/json/monotonic_resource.hpp>

#include "core/text.hpp"
#include "json/depth.hpp"

namespace tollbooth::openai {
namespace {

namespace json = boost::json;

Error bad(std::string message, std::string param, std::string code = "unsupported_value") {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param),
                    std::move(code));
}

std::string str(const json::value* v) {
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// A message's content parts as chat content: a string when every part is text.
std::optional<json::value> chat_content(const json::value& content, const std::string& param,
                                        std::optional<Error>& err) {
  if (content.is_string()) return content;
  if (!content.is_array()) return json::value(nullptr);
  json::array parts;
  bool only_text = true;
  std::string text;
  std::size_t j = 0;
  for (const auto& p : content.get_array()) {
    const std::string at = param + "[" + std::to_string(j++) + "]";
    const auto* o = p.if_object();
    if (!o) continue;
    const std::string type = str(o->if_contains("type"));
    if (type == "input_text" || type == "output_text" || type == "text") {
      const std::string t = str(o->if_contains("text"));
      parts.push_back(json::object{{"type", "text"}, {"text", t}});
      if (!text.empty()) text += "\n";
      text += t;
    } else if (type == "refusal") {
      const std::string t = str(o->if_contains("refusal"));
      parts.push_back(json::object{{"type", "text"}, {"text", t}});
      text += t;
    } else if (type == "input_image") {
      only_text = false;
      json::object image{{"url", str(o->if_contains("image_url"))}};
      if (const auto* d = o->if_contains("detail"); d && d->is_string()) image["detail"] = *d;
      if (image["url"].get_string().empty()) {
        err =
            bad("an input_image by file_id cannot be sent to this route; send the image as a "
                "data: URL",
                at);
        return std::nullopt;
      }
      parts.push_back(json::object{{"type", "image_url"}, {"image_url", std::move(image)}});
    } else {
      err = bad(
          "content part type '" + excerpt_client_text(type, 64) + "' cannot be sent to this route",
          at + ".type");
      return std::nullopt;
    }
  }
  if (only_text) return json::value(text);
  return json::value(std::move(parts));
}

// A tool output (`output`: a string or parts) as a tool message's content.
std::string output_text(const json::value* v) {
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  std::string out;
  if (v->is_array()) {
    for (const auto& p : v->get_array()) {
      if (const auto* o = p.if_object()) {
        if (!out.empty()) out += "\n";
        out += str(o->if_contains("text"));
      }
    }
  }
  return out;
}

json::object function_tool(std::string name, std::string description, json::value parameters) {
  json::object fn{{"name", std::move(name)}};
  if (!description.empty()) fn["description"] = std::move(description);
  fn["parameters"] = std::move(parameters);
  return json::object{{"type", "function"}, {"function", std::move(fn)}};
}

void usage_json(json::object& out, const json::object& u) {
  auto count = [](const json::value* v) -> std::int64_t {
    return v && v->is_int64() ? v->get_int64() : v && v->is_uint64() ? INT64_MAX : 0;
  };
  const std::int64_t in = count(u.if_contains("prompt_tokens"));
  const std::int64_t outt = count(u.if_contains("completion_tokens"));
  std::int64_t cached = 0, reasoning = 0;
  if (const auto* d = u.if_contains("prompt_tokens_details"); d && d->is_object())
    cached = count(d->get_object().if_contains("cached_tokens"));
  if (const auto* d = u.if_contains("completion_tokens_details"); d && d->is_object())
    reasoning = count(d->get_object().if_contains("reasoning_tokens"));
  out["usage"] =
      json::object{{"input_tokens", in},
                   {"input_tokens_details", json::object{{"cached_tokens", cached}}},
                   {"output_tokens", outt},
                   {"output_tokens_details", json::object{{"reasoning_tokens", reasoning}}},
                   {"total_tokens", in + outt}};
}

bool is_custom(const std::vector<std::string>& custom, std::string_view name) {
  return std::find(custom.begin(), custom.end(), name) != custom.end();
}

// A custom tool's call: the raw input from the function's {"input": "..."} arguments.
std::string custom_input(std::string_view arguments) {
  boost::system::error_code ec;
  auto v = json::parse(arguments, ec);
  if (!ec && v.is_object()) {
    if (const auto* i = v.get_object().if_contains("input"); i && i->is_string())
      return std::string(i->get_string());
  }
  return std::string(arguments);
}

std::string_view incomplete_reason(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_output_tokens";
  if (finish_reason == "content_filter") return "content_filter";
  return {};
}

}  // namespace

Result<ChatBridge> responses_to_chat(std::string_view body, std::string_view route,
                                     bool drop_unsupported) {
  boost::system::error_code ec;
  json::parse_options deep;
  deep.max_depth = ::tollbooth::json::kMaxDepth;
  json::value doc = json::parse(body, ec, {}, deep);
  if (ec == json::error::too_deep) {
    return bad("the request nests JSON deeper than " +
                   std::to_string(::tollbooth::json::kMaxDepth) + " levels, more than route " +
                   std::string(route) + "'s translation reads",
               {}, "too_deep");
  }
  if (ec || !doc.is_object()) return bad("the body is not a JSON object", {}, "invalid_type");
  const json::object& in = doc.get_object();
  ChatBridge out;
  if (const auto* p = in.if_contains("previous_response_id"); p && !p->is_null()) {
    return bad("previous_response_id cannot be used on route " + std::string(route) +
                   ": it keeps no conversation state, and this gateway has no store to keep "
                   "it (store: in its config); send the whole history in `input`",
               "previous_response_id");
  }
  json::object chat;
  chat["model"] = in.at("model");
  json::array messages;
  if (const auto* i = in.if_contains("instructions"); i && i->is_string())
    messages.push_back(json::object{{"role", "system"}, {"content", *i}});
  // Function calls in a row are one assistant turn (parallel calls).
  auto assistant_for_calls = [&]() -> json::object& {
    if (!messages.empty()) {
      auto& last = messages.back().as_object();
      if (last.at("role") == "assistant") {
        if (!last.contains("tool_calls")) last["tool_calls"] = json::array();
        return last;
      }
    }
    messages.push_back(
        json::object{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array()}});
    return messages.back().as_object();
  };
  const json::value* input = in.if_contains("input");
  if (input && input->is_string()) {
    messages.push_back(json::object{{"role", "user"}, {"content", *input}});
  } else if (input && input->is_array()) {
    std::size_t index = 0;
    for (const auto& iv : input->get_array()) {
      const std::string param = "input[" + std::to_string(index++) + "]";
      const auto* item = iv.if_object();
      if (!item) return bad("an input item must be an object", param, "invalid_type");
      std::string type = str(item->if_contains("type"));
      if (type.empty()) type = "message";
      if (type == "message") {
        std::string role = str(item->if_contains("role"));
        if (role.empty()) role = "user";
        std::optional<Error> err;
        const json::value* content = item->if_contains("content");
        auto c = chat_content(content ? *content : json::value(""), param + ".content", err);
        if (err) return std::move(*err);
        messages.push_back(json::object{{"role", role}, {"content", std::move(*c)}});
      } else if (type == "function_call" || type == "custom_tool_call") {
        const bool custom = type == "custom_tool_call";
        std::string arguments = str(item->if_contains(custom ? "input" : "arguments"));
        if (custom) arguments = json::serialize(json::object{{"input", arguments}});
        json::object call{{"id", str(item->if_contains("call_id"))},
                          {"type", "function"},
                          {"function", json::object{{"name", str(item->if_contains("name"))},
                                                    {"arguments", arguments}}}};
        assistant_for_calls()["tool_calls"].as_array().push_back(std::move(call));
      } else if (type == "function_call_output" || type == "custom_tool_call_output") {
        messages.push_back(json::object{{"role", "tool"},
                                        {"tool_call_id", str(item->if_contains("call_id"))},
                                        {"content", output_text(item->if_contains("output"))}});
      } else if (type == "reasoning") {
        // Reasoning (and its encrypted_content) is the organisation's that made it: never sent
        // to another.
        out.dropped.push_back(param + " (" + type + ")");
      } else if (drop_unsupported) {
        // Other items (an item_reference names state this route does not have; built-in tool
        // calls) are the route's to drop when it says so, never silently.
        out.dropped.push_back(param + " (" + type + ")");
      } else {
        return bad("input item type '" + excerpt_client_text(type, 64) +
                       "' cannot be sent to route " + std::string(route) +
                       " (set drop_unsupported on the route to drop such items)",
                   param + ".type");
      }
    }
  }
  chat["messages"] = std::move(messages);
  if (const auto* tools = in.if_contains("tools"); tools && tools->is_array()) {
    json::array chat_tools;
    std::size_t index = 0;
    for (const auto& tv : tools->get_array()) {
      const std::string param = "tools[" + std::to_string(index++) + "]";
      const auto* t = tv.if_object();
      if (!t) continue;
      const std::string type = str(t->if_contains("type"));
      const std::string name = str(t->if_contains("name"));
      if (type == "function") {
        const json::value* params = t->if_contains("parameters");
        chat_tools.push_back(function_tool(name, str(t->if_contains("description")),
                                           params && !params->is_null()
                                               ? *params
                                               : json::value(json::object{{"type", "object"}})));
      } else if (type == "custom") {
        // A freeform tool: one string parameter, its grammar in the description.
        std::string description = str(t->if_contains("description"));
        if (const auto* f = t->if_contains("format"); f && f->is_object()) {
          const std::string definition = str(f->get_object().if_contains("definition"));
          if (!definition.empty())
            description += "\n\nThe input must follow this grammar (" +
                           str(f->get_object().if_contains("syntax")) + "):\n" + definition;
        }
        json::object schema{
            {"type", "object"},
            {"properties",
             json::object{{"input", json::object{{"type", "string"},
                                                 {"description", "the tool's raw input"}}}}},
            {"required", json::array{"input"}}};
        chat_tools.push_back(function_tool(name, description, std::move(schema)));
        out.custom_tools.push_back(name);
      } else if (drop_unsupported) {
        out.dropped.push_back(param + " (" + type + ")");
      } else {
        return bad("tool type '" + excerpt_client_text(type, 64) + "' cannot run on route " +
                       std::string(route) +
                       ": only function and custom tools can (set drop_unsupported on the "
                       "route to drop the others)",
                   param + ".type");
      }
    }
    if (!chat_tools.empty()) chat["tools"] = std::move(chat_tools);
  }
  if (const auto* choice = in.if_contains("tool_choice"); choice && chat.contains("tools")) {
    if (choice->is_string()) {
      chat["tool_choice"] = *choice;
    } else if (const auto* o = choice->if_object()) {
      const std::string type = str(o->if_contains("type"));
      if (type == "function" || type == "custom") {
        chat["tool_choice"] =
            json::object{{"type", "function"},
                         {"function", json::object{{"name", str(o->if_contains("name"))}}}};
      } else if (!drop_unsupported) {
        return bad("tool_choice type '" + excerpt_client_text(type, 64) +
                       "' cannot be sent to route " + std::string(route),
                   "tool_choice.type");
      }
    }
  }
  if (const auto* p = in.if_contains("parallel_tool_calls");
      p && p->is_bool() && chat.contains("tools"))
    chat["parallel_tool_calls"] = *p;
  for (const char* name : {"temperature", "top_p"}) {
    if (const auto* v = in.if_contains(name); v && !v->is_null()) chat[name] = *v;
  }
  if (const auto* m = in.if_contains("max_output_tokens"); m && !m->is_null())
    chat["max_completion_tokens"] = *m;
  if (const auto* text = in.if_contains("text"); text && text->is_object()) {
    if (const auto* f = text->get_object().if_contains("format"); f && f->is_object()) {
      const auto& fo = f->get_object();
      const std::string type = str(fo.if_contains("type"));
      if (type == "json_schema") {
        json::object schema;
        for (const char* k : {"name", "schema", "strict", "description"}) {
          if (const auto* v = fo.if_contains(k)) schema[k] = *v;
        }
        chat["response_format"] =
            json::object{{"type", "json_schema"}, {"json_schema", std::move(schema)}};
      } else if (type == "json_object") {
        chat["response_format"] = json::object{{"type", "json_object"}};
      }
    }
  }
  if (const auto* r = in.if_contains("reasoning"); r && r->is_object()) {
    if (const auto* e = r->get_object().if_contains("effort"); e && e->is_string())
      chat["reasoning_effort"] = *e;
  }
  if (const auto* s = in.if_contains("stream"); s && s->is_bool() && s->get_bool()) {
    chat["stream"] = true;
    chat["stream_options"] = json::object{{"include_usage", true}};
  }
  out.chat_body = json::serialize(chat);
  return out;
}

std::optional<std::string> chat_completion_to_response(
    std::string_view chat, std::string_view id, const std::vector<std::string>& custom_tools) {
  boost::system::error_code ec;
  json::parse_options deep;
  deep.max_depth = ::tollbooth::json::kMaxDepth;
  json::value doc = json::parse(chat, ec, {}, deep);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto& c = doc.get_object();
  const auto* choices = c.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return std::nullopt;
  const auto* choice = choices->get_array()[0].if_object();
  const auto* message = choice ? choice->if_contains("message") : nullptr;
  if (!message || !message->is_object()) return std::nullopt;
  const auto& m = message->get_object();
  const std::string finish = str(choice->if_contains("finish_reason"));
  json::array output;
  const std::string text = str(m.if_contains("content"));
  if (!text.empty()) {
    output.push_back(json::object{
        {"type", "message"},
        {"id", "msg_" + std::string(id)},
        {"status", "completed"},
        {"role", "assistant"},
        {"content",
         json::array{json::object{
             {"type", "output_text"}, {"text", text}, {"annotations", json::array()}}}}});
  }
  if (const auto* calls = m.if_contains("tool_calls"); calls && calls->is_array()) {
    std::size_t n = 0;
    for (const auto& cv : calls->get_array()) {
      const auto* call = cv.if_object();
      const auto* fn = call ? call->if_contains("function") : nullptr;
      if (!fn || !fn->is_object()) continue;
      const std::string name = str(fn->get_object().if_contains("name"));
      const std::string arguments = str(fn->get_object().if_contains("arguments"));
      const std::string item_id = "fc_" + std::string(id) + "_" + std::to_string(n++);
      if (is_custom(custom_tools, name)) {
        output.push_back(json::object{{"type", "custom_tool_call"},
                                      {"id", item_id},
                                      {"call_id", str(call->if_contains("id"))},
                                      {"name", name},
                                      {"input", custom_input(arguments)},
                                      {"status", "completed"}});
      } else {
        output.push_back(json::object{{"type", "function_call"},
                                      {"id", item_id},
                                      {"call_id", str(call->if_contains("id"))},
                                      {"name", name},
                                      {"arguments", arguments},
                                      {"status", "completed"}});
      }
    }
  }
  const std::string_view reason = incomplete_reason(finish);
  json::object r{{"id", id},
                 {"object", "response"},
                 {"created_at", c.if_contains("created") ? c.at("created") : json::value(0)},
                 {"status", reason.empty() ? "completed" : "incomplete"},
                 {"error", nullptr},
                 {"incomplete_details",
                  reason.empty() ? json::value(nullptr) : json::object{{"reason", reason}}},
                 {"model", c.if_contains("model") ? c.at("model") : json::value("")},
                 {"output", std::move(output)}};
  if (const auto* u = c.if_contains("usage"); u && u->is_object())
    usage_json(r, u->get_object());
  else
    r["usage"] = nullptr;
  return json::serialize(r);
}

// --- the stream ---------------------------------------------------------------------------

ChatToResponsesStream::ChatToResponsesStream(std::string_view id, std::string_view model,
                                             std::vector<std::string> custom_tools)
    : id_(id), model_(model), custom_tools_(std::move(custom_tools)) {}

void ChatToResponsesStream::emit(std::string_view type, std::string fields, std::string& out) {
  out += "event: ";
  out += type;
  out += "\ndata: {\"type\":\"";
  out += type;
  out += "\",\"sequence_number\":";
  out += std::to_string(seq_++);
  if (!fields.empty()) {
    out += ',';
    out += fields;
  }
  out += "}\n\n";
}

std::string ChatToResponsesStream::item_json(const Item& item, bool done) const {
  json::object o;
  if (item.call) {
    o = json::object{{"type", item.custom ? "custom_tool_call" : "function_call"},
                     {"id", item.id},
                     {"call_id", item.call_id},
                     {"name", item.name}};
    if (item.custom)
      o["input"] = done ? custom_input(item.text) : std::string();
    else
      o["arguments"] = done ? item.text : std::string();
  } else {
    json::array content;
    if (done)
      content.push_back(json::object{
          {"type", "output_text"}, {"text", item.text}, {"annotations", json::array()}});
    o = json::object{{"type", "message"},
                     {"id", item.id},
                     {"role", "assistant"},
                     {"content", std::move(content)}};
  }
  o["status"] = done ? "completed" : "in_progress";
  return json::serialize(o);
}

std::string ChatToResponsesStream::response_json(std::string_view status, bool final) const {
  json::object r{{"id", id_},
                 {"object", "response"},
                 {"status", status},
                 {"model", model_},
                 {"error", nullptr}};
  const std::string_view reason = incomplete_reason(finish_reason_);
  r["incomplete_details"] = final && !reason.empty() ? json::value(json::object{{"reason", reason}})
                                                     : json::value(nullptr);
  json::array output;
  if (final) {
    for (const auto& item : items_) output.push_back(json::parse(item_json(item, true)));
  }
  r["output"] = std::move(output);
  if (final && usage_) {
    const Usage& u = *usage_;
    r["usage"] = json::object{
        {"input_tokens", u.input_tokens},
        {"input_tokens_details", json::object{{"cached_tokens", u.cached_input_tokens}}},
        {"output_tokens", u.output_tokens},
        {"output_tokens_details", json::object{{"reasoning_tokens", u.reasoning_tokens}}},
        {"total_tokens", u.input_tokens + u.output_tokens}};
  } else {
    r["usage"] = nullptr;
  }
  return json::serialize(r);
}

void ChatToResponsesStream::start(std::string& out) {
  if (started_) return;
  started_ = true;
  emit("response.created", "\"response\":" + response_json("in_progress", false), out);
  emit("response.in_progress", "\"response\":" + response_json("in_progress", false), out);
}

void ChatToResponsesStream::open_message(std::string& out) {
  if (open_ >= 0 && !items_[static_cast<std::size_t>(open_)].call) return;
  if (items_.size() >= kMaxOutputItems) {
    failed(
        "the upstream's answer has more than " + std::to_string(kMaxOutputItems) + " output items",
        "server_error", out);
    return;
  }
  close_open(out);
  Item item;
  item.id = "msg_" + id_ + "_" + std::to_string(items_.size());
  items_.push_back(std::move(item));
  open_ = static_cast<int>(items_.size()) - 1;
  emit("response.output_item.added",
       "\"output_index\":" + std::to_string(open_) + ",\"item\":" + item_json(items_.back(), false),
       out);
  emit("response.content_part.added",
       "\"item_id\":" + json::serialize(json::value(items_.back().id)) +
           ",\"output_index\":" + std::to_string(open_) +
           ",\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":["
           "]}",
       out);
}

void ChatToResponsesStream::close_open(std::string& out) {
  if (open_ < 0) return;
  const Item& item = items_[static_cast<std::size_t>(open_)];
  const std::string where = "\"item_id\":" + json::serialize(json::value(item.id)) +
                            ",\"output_index\":" + std::to_string(open_);
  if (item.call && item.custom) {
    const std::string input = custom_input(item.text);
    emit("response.custom_tool_call_input.delta",
         where + ",\"delta\":" + json::serialize(json::value(input)), out);
    emit("response.custom_tool_call_input.done",
         where + ",\"input\":" + json::serialize(json::value(input)), out);
  } else if (item.call) {
    emit("response.function_call_arguments.done",
         where + ",\"arguments\":" + json::serialize(json::value(item.text)), out);
  } else {
    const std::string text = json::serialize(json::value(item.text));
    emit("response.output_text.done", where + ",\"content_index\":0,\"text\":" + text, out);
    emit("response.content_part.done",
         where + ",\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":" + text +
             ",\"annotations\":[]}",
         out);
  }
  emit("response.output_item.done",
       "\"output_index\":" + std::to_string(open_) + ",\"item\":" + item_json(item, true), out);
  open_ = -1;
}

bool ChatToResponsesStream::keep(std::size_t bytes, std::string& out) {
  kept_ += bytes;
  if (kept_ <= kMaxAnswerBytes) return true;
  failed("the upstream's answer is longer than " + std::to_string(kMaxAnswerBytes >> 20) +
             " MiB, more than the gateway keeps for response.completed",
         "server_error", out);
  return false;
}

void ChatToResponsesStream::failed(std::string_view message, std::string_view code,
                                   std::string& out) {
  start(out);
  json::object r{{"id", id_},
                 {"object", "response"},
                 {"status", "failed"},
                 {"model", model_},
                 {"error", json::object{{"code", code}, {"message", message}}},
                 {"output", json::array()},
                 {"usage", nullptr}};
  emit("response.failed", "\"response\":" + json::serialize(r), out);
  done_ = true;
}

void ChatToResponsesStream::complete(std::string& out) {
  start(out);
  close_open(out);
  const bool incomplete = !incomplete_reason(finish_reason_).empty();
  emit(incomplete ? "response.incomplete" : "response.completed",
       "\"response\":" + response_json(incomplete ? "incomplete" : "completed", true), out);
  done_ = true;
}

void ChatToResponsesStream::on_chunk(std::string_view data, std::string& out) {
  if (data == "[DONE]") return complete(out);
  // A chunk is small: parsed into a stack arena, no heap allocation per chunk (the DOM's
  // allocations were most of this function's cost, bench/responses_bench.cpp).
  unsigned char arena[4096];
  json::monotonic_resource mr(arena, sizeof arena);
  boost::system::error_code ec;
  json::parse_options deep;
  deep.max_depth = ::tollbooth::json::kMaxDepth;
  json::value v = json::parse(data, ec, &mr, deep);
  if (ec || !v.is_object()) return;
  const auto& o = v.get_object();
  if (const auto* e = o.if_contains("error"); e && e->is_object()) {
    const auto& eo = e->get_object();
    std::string code = str(eo.if_contains("code"));
    if (code.empty()) code = "server_error";
    return failed(str(eo.if_contains("message")), code, out);
  }
  start(out);
  if (const auto* u = o.if_contains("usage"); u && u->is_object()) {
    json::object tmp;
    usage_json(tmp, u->get_object());
    const auto& uu = tmp.at("usage").as_object();
    Usage usage;
    usage.reported = true;
    usage.input_tokens = uu.at("input_tokens").as_int64();
    usage.output_tokens = uu.at("output_tokens").as_int64();
    usage.cached_input_tokens = uu.at("input_tokens_details").at("cached_tokens").as_int64();
    usage.reasoning_tokens = uu.at("output_tokens_details").at("reasoning_tokens").as_int64();
    usage_ = usage;
  }
  const auto* choices = o.if_contains("choices");
  if (!choices || !choices->is_array() || choices->get_array().empty()) return;
  const auto* choice = choices->get_array()[0].if_object();
  if (!choice) return;
  if (const auto* delta = choice->if_contains("delta"); delta && delta->is_object()) {
    const auto& d = delta->get_object();
    if (const auto* c = d.if_contains("content"); c && c->is_string() && !c->get_string().empty()) {
      open_message(out);
      if (done_) return;  // failed: too many items
      if (!keep(c->get_string().size(), out)) return;
      Item& item = items_[static_cast<std::size_t>(open_)];
      item.text += c->get_string();
      if (item.where.empty()) {
        item.where = "\"item_id\":" + json::serialize(json::value(item.id)) +
                     ",\"output_index\":" + std::to_string(open_) +
                     ",\"content_index\":0,\"delta\":";
      }
      emit("response.output_text.delta", item.where + json::serialize(*c) + ",\"logprobs\":[]",
           out);
    }
    if (const auto* calls = d.if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& cv : calls->get_array()) {
        const auto* call = cv.if_object();
        if (!call) continue;
        const auto* idx = call->if_contains("index");
        const std::int64_t raw = idx && idx->is_int64() ? idx->get_int64() : 0;
        // A hostile upstream's index must not size a vector, nor its calls grow the answer
        // kept for response.completed without end.
        if (raw < 0 || raw >= static_cast<std::int64_t>(kMaxOutputItems)) {
          return failed("the upstream's answer has a tool call index outside 0.." +
                            std::to_string(kMaxOutputItems - 1),
                        "server_error", out);
        }
        const auto index = static_cast<std::size_t>(raw);
        const auto* fn = call->if_contains("function");
        const json::object* f = fn && fn->is_object() ? &fn->get_object() : nullptr;
        if (index >= call_items_.size() || call_items_[index] < 0) {
          // A new call: the open item ends, this one opens.
          if (items_.size() >= kMaxOutputItems) {
            return failed("the upstream's answer has more than " + std::to_string(kMaxOutputItems) +
                              " output items",
                          "server_error", out);
          }
          close_open(out);
          Item item;
          item.call = true;
          item.call_id = str(call->if_contains("id"));
          item.name = f ? str(f->if_contains("name")) : std::string();
          item.custom = is_custom(custom_tools_, item.name);
          item.id = (item.custom ? "ctc_" : "fc_") + id_ + "_" + std::to_string(items_.size());
          items_.push_back(std::move(item));
          open_ = static_cast<int>(items_.size()) - 1;
          if (call_items_.size() <= index) call_items_.resize(index + 1, -1);
          call_items_[index] = open_;
          emit("response.output_item.added",
               "\"output_index\":" + std::to_string(open_) +
                   ",\"item\":" + item_json(items_.back(), false),
               out);
        }
        const int at = call_items_[index];
        Item& item = items_[static_cast<std::size_t>(at)];
        if (f) {
          if (const auto* a = f->if_contains("arguments");
              a && a->is_string() && !a->get_string().empty()) {
            if (!keep(a->get_string().size(), out)) return;
            item.text += a->get_string();
            // A custom tool's input is sent whole when the call ends (its arguments are JSON).
            if (!item.custom && at == open_) {
              emit("response.function_call_arguments.delta",
                   "\"item_id\":" + json::serialize(json::value(item.id)) + ",\"output_index\":" +
                       std::to_string(at) + ",\"delta\":" + json::serialize(*a),
                   out);
            }
          }
        }
      }
    }
  }
  if (const auto* fr = choice->if_contains("finish_reason"); fr && fr->is_string()) {
    finish_reason_ = std::string(fr->get_string());
    close_open(out);
  }
}

void ChatToResponsesStream::feed(std::string_view chat_sse, std::string& out) {
  if (done_) return;
  pending_.append(chat_sse);
  std::size_t at = 0;
  for (;;) {
    const auto end = pending_.find("\n\n", at);
    if (end == std::string::npos) break;
    std::string_view event(pending_.data() + at, end - at);
    at = end + 2;
    // The chat translators write `data: ...` lines only.
    std::string data;
    std::size_t p = 0;
    while (p < event.size()) {
      auto nl = event.find('\n', p);
      if (nl == std::string_view::npos) nl = event.size();
      std::string_view line = event.substr(p, nl - p);
      if (line.starts_with("data:")) {
        line.remove_prefix(5);
        if (line.starts_with(' ')) line.remove_prefix(1);
        if (!data.empty()) data += '\n';
        data.append(line);
      }
      p = nl + 1;
    }
    if (!data.empty()) on_chunk(data, out);
    if (done_) break;
  }
  pending_.erase(0, at);
}

void ChatToResponsesStream::finish(std::string& out) {
  if (done_) return;
  failed("the upstream's stream ended before the response was complete", "server_error", out);
}

void ChatToResponsesStream::fail(const Error& error, std::string& out) {
  if (done_) return;
  failed(error.message, error.code.empty() ? "server_error" : error.code, out);
}

}  // namespace tollbooth::openai
