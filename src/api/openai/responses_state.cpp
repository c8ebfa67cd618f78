#include "api/openai/responses_state.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "json/depth.hpp"

// boost::json here, not simdjson: these run once per kept response or GET, and rebuild
// documents (the chat inspection's single pass only reads).

namespace tollbooth::openai {
namespace {

namespace json = boost::json;

std::optional<json::value> parse(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options deep;
  deep.max_depth = ::tollbooth::json::kMaxDepth;
  json::value v = json::parse(text, ec, {}, deep);
  if (ec) return std::nullopt;
  return v;
}

Error bad(std::string message, std::string param, std::string code) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param),
                    std::move(code));
}

// The items of a kept JSON array (input items, or a response's output): [] when it is not one.
json::array items_of(const json::value* v) {
  if (v && v->is_array()) return v->get_array();
  return {};
}

// A history item as an upstream without the gateway's ids takes it; false: left out.
bool history_item(json::value& item) {
  auto* o = item.if_object();
  if (!o) return false;
  if (const auto* type = o->if_contains("type"); type && type->is_string()) {
    if (type->get_string() == "reasoning") return false;
  }
  o->erase("id");
  return true;
}

}  // namespace

std::string input_items_json(std::string_view body) {
  auto doc = parse(body);
  const json::object* o = doc ? doc->if_object() : nullptr;
  const json::value* input = o ? o->if_contains("input") : nullptr;
  if (!input || input->is_null()) return "[]";
  if (input->is_array()) return json::serialize(*input);
  if (input->is_string()) {
    json::array one{json::object{
        {"type", "message"},
        {"role", "user"},
        {"content",
         json::array{json::object{{"type", "input_text"}, {"text", input->get_string()}}}}}};
    return json::serialize(one);
  }
  return "[]";
}

Result<std::string> continue_conversation(std::string_view body, std::span<const KeptTurn> turns,
                                          std::size_t max_bytes) {
  auto doc = parse(body);
  if (!doc || !doc->is_object()) return bad("The request body must be a JSON object.", {}, {});
  json::object& request = doc->get_object();
  json::array input;
  for (const KeptTurn& turn : turns) {
    auto items = parse(turn.input_items);
    for (json::value& item : items_of(items ? &*items : nullptr))
      if (history_item(item)) input.push_back(std::move(item));
    auto response = parse(turn.response);
    const json::object* r = response ? response->if_object() : nullptr;
    json::array output = items_of(r ? r->if_contains("output") : nullptr);
    for (json::value& item : output)
      if (history_item(item)) input.push_back(std::move(item));
  }
  auto own = parse(input_items_json(body));
  for (json::value& item : items_of(own ? &*own : nullptr)) input.push_back(std::move(item));
  request["input"] = std::move(input);
  request.erase("previous_response_id");
  std::string out = json::serialize(request);
  if (out.size() > max_bytes) {
    return bad("the conversation of previous_response_id, with this request, is " +
                   std::to_string(out.size()) + " bytes: more than a request may be (" +
                   std::to_string(max_bytes) +
                   " bytes, server.max_body_bytes); start a new conversation or send a shorter "
                   "history yourself",
               "previous_response_id", "conversation_too_long");
  }
  return out;
}

std::optional<std::string> without_reasoning(std::string_view body) {
  // Only a body that names a reasoning item is parsed.
  if (body.find("\"reasoning\"") == std::string_view::npos) return std::nullopt;
  auto doc = parse(body);
  json::object* request = doc ? doc->if_object() : nullptr;
  json::value* input = request ? request->if_contains("input") : nullptr;
  if (!input || !input->is_array()) return std::nullopt;
  json::array& items = input->get_array();
  const std::size_t before = items.size();
  json::array kept;
  for (json::value& item : items) {
    const auto* o = item.if_object();
    const auto* type = o ? o->if_contains("type") : nullptr;
    if (type && type->is_string() && type->get_string() == "reasoning") continue;
    kept.push_back(std::move(item));
  }
  if (kept.size() == before) return std::nullopt;
  *input = std::move(kept);
  return json::serialize(*request);
}

std::optional<ResponseFacts> response_facts(std::string_view response) {
  auto doc = parse(response);
  const json::object* o = doc ? doc->if_object() : nullptr;
  const json::value* id = o ? o->if_contains("id") : nullptr;
  if (!id || !id->is_string()) return std::nullopt;
  ResponseFacts f;
  f.id = std::string(id->get_string());
  if (const auto* s = o->if_contains("status"); s && s->is_string())
    f.status = std::string(s->get_string());
  return f;
}

std::optional<std::string> terminal_response(std::string_view sse) {
  std::optional<std::string> found;
  // Whole events, each ending with a blank line; their data lines joined with "\n" (SSE).
  std::size_t at = 0;
  while (at < sse.size()) {
    std::size_t end = sse.find("\n\n", at);
    const std::size_t next = end == std::string_view::npos ? sse.size() : end + 2;
    std::string_view event = sse.substr(at, next - at);
    at = next;
    if (event.find("response.completed") == std::string_view::npos &&
        event.find("response.incomplete") == std::string_view::npos)
      continue;
    std::string data;
    for (std::size_t line_at = 0; line_at < event.size();) {
      std::size_t line_end = event.find('\n', line_at);
      if (line_end == std::string_view::npos) line_end = event.size();
      std::string_view line = event.substr(line_at, line_end - line_at);
      line_at = line_end + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.starts_with("data:")) continue;
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (!data.empty()) data += '\n';
      data.append(line);
    }
    auto doc = parse(data);
    const json::object* o = doc ? doc->if_object() : nullptr;
    const json::value* type = o ? o->if_contains("type") : nullptr;
    if (!type || !type->is_string()) continue;
    if (type->get_string() != "response.completed" && type->get_string() != "response.incomplete")
      continue;
    const json::value* response = o->if_contains("response");
    if (response && response->is_object()) found = json::serialize(*response);
  }
  return found;
}

Result<std::string> input_items_page(std::string_view items_json, std::string_view response_id,
                                     std::string_view query) {
  std::size_t limit = 20;
  bool ascending = false;
  std::string after;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (name == "limit") {
      std::size_t n = 0;
      bool ok = !value.empty() && value.size() <= 3;
      for (char ch : value) {
        ok &= ch >= '0' && ch <= '9';
        n = n * 10 + static_cast<std::size_t>(ch - '0');
      }
      if (!ok || n < 1 || n > 100)
        return bad("Invalid 'limit': expected an integer from 1 to 100.", "limit", "invalid_value");
      limit = n;
    } else if (name == "order") {
      if (value != "asc" && value != "desc")
        return bad("Invalid 'order': expected 'asc' or 'desc'.", "order", "invalid_value");
      ascending = value == "asc";
    } else if (name == "after") {
      after = std::string(value);  // ids are letters, digits and _: nothing to decode
    }
  }
  auto doc = parse(items_json);
  json::array items = items_of(doc ? &*doc : nullptr);
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto* o = items[i].if_object();
    if (!o) continue;
    const auto* id = o->if_contains("id");
    if (!id || !id->is_string())
      (*o)["id"] = std::string(response_id) + "_item_" + std::to_string(i);
  }
  if (!ascending) std::reverse(items.begin(), items.end());
  std::size_t start = 0;
  if (!after.empty()) {
    start = items.size() + 1;  // not found
    for (std::size_t i = 0; i < items.size() && start > items.size(); ++i) {
      const auto* o = items[i].if_object();
      const auto* id = o ? o->if_contains("id") : nullptr;
      if (id && id->is_string() && id->get_string() == after) start = i + 1;
    }
    if (start > items.size())
      return bad("Invalid 'after': no input item of response " + std::string(response_id) +
                     " has that id.",
                 "after", "invalid_value");
  }
  json::array page;
  for (std::size_t i = start; i < items.size() && page.size() < limit; ++i)
    page.push_back(items[i]);
  const bool has_more = start + page.size() < items.size();
  auto id_of = [](const json::value& v) -> json::value {
    const auto* o = v.if_object();
    const auto* id = o ? o->if_contains("id") : nullptr;
    return id ? *id : json::value(nullptr);
  };
  json::object list{{"object", "list"},
                    {"first_id", page.empty() ? json::value(nullptr) : id_of(page.front())},
                    {"last_id", page.empty() ? json::value(nullptr) : id_of(page.back())},
                    {"has_more", has_more}};
  list["data"] = std::move(page);
  return json::serialize(list);
}

std::string response_deleted_body(std::string_view id) {
  return json::serialize(json::object{{"id", id}, {"object", "response"}, {"deleted", true}});
}

}  // namespace tollbooth::openai
