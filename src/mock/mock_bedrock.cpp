#include "mock/mock_bedrock.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <optional>

#include "aws/eventstream.hpp"
#include "mock/mock_chat.hpp"
#include "mock/mock_json.hpp"
#include "mock/mock_text.hpp"

namespace tollbooth::mock {
namespace json = boost::json;
namespace {

constexpr std::size_t kEcho = 64;
constexpr std::string_view kPreamble = "Let me check.";  // text before the tool calls

Error invalid(std::string message) {
  return make_error(ErrorKind::invalid_request, std::move(message));
}

Error constraint(std::string_view value, std::string_view at, std::string_view rule) {
  std::string m = "1 validation error detected: Value '";
  m.append(value).append("' at '").append(at).append("' failed to satisfy constraint: ");
  m.append(rule);
  return invalid(std::move(m));
}

std::string number_text(const json::value& v) {
  if (v.is_double()) {
    auto s = json::serialize(v);
    return s;
  }
  return json::serialize(v);
}

std::optional<double> as_number(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const auto start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

void join(std::string& out, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty()) out.push_back(' ');
  out.append(text);
}

std::optional<Error> read_tool_config(const json::object& body, ConverseInput& in) {
  const auto* config = body.if_contains("toolConfig");
  if (config == nullptr) return std::nullopt;
  const auto* obj = config->if_object();
  if (obj == nullptr) return invalid("Malformed input request: toolConfig must be an object.");
  const auto* tools = obj->if_contains("tools");
  if (tools == nullptr || !tools->is_array() || tools->get_array().empty()) {
    return constraint("[]", "toolConfig.tools",
                      "Member must have length greater than or equal to 1");
  }
  for (const auto& t : tools->get_array()) {
    const auto* spec = t.is_object() ? t.get_object().if_contains("toolSpec") : nullptr;
    const auto* name = spec && spec->is_object() ? spec->get_object().if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string() || name->get_string().empty()) continue;
    in.tools.emplace_back(name->get_string());
  }
  if (const auto* choice = obj->if_contains("toolChoice"); choice && choice->is_object()) {
    if (const auto* tool = choice->get_object().if_contains("tool"); tool && tool->is_object()) {
      if (const auto* name = tool->get_object().if_contains("name"); name && name->is_string()) {
        in.tool_choice = name->get_string();
        if (std::find(in.tools.begin(), in.tools.end(), in.tool_choice) == in.tools.end()) {
          return invalid("The tool named in toolChoice (" + in.tool_choice +
                         ") is not in toolConfig.tools.");
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<Error> read_inference(const json::object& body, ConverseInput& in) {
  const auto* config = body.if_contains("inferenceConfig");
  if (config == nullptr) return std::nullopt;
  const auto* obj = config->if_object();
  if (obj == nullptr) return invalid("Malformed input request: inferenceConfig must be an object.");
  if (const auto* t = obj->if_contains("temperature")) {
    const auto v = as_number(*t);
    if (!v)
      return invalid("Malformed input request: inferenceConfig.temperature must be a number.");
    if (*v < 0)
      return constraint(number_text(*t), "inferenceConfig.temperature",
                        "Member must have value greater than or equal to 0");
    if (*v > 1)
      return constraint(number_text(*t), "inferenceConfig.temperature",
                        "Member must have value less than or equal to 1");
  }
  if (const auto* p = obj->if_contains("topP")) {
    const auto v = as_number(*p);
    if (!v || *v < 0 || *v > 1)
      return constraint(number_text(*p), "inferenceConfig.topP",
                        "Member must have value less than or equal to 1");
  }
  if (const auto* m = obj->if_contains("maxTokens")) {
    if (!m->is_int64() && !m->is_uint64())
      return invalid("Malformed input request: inferenceConfig.maxTokens must be an integer.");
    const auto v = m->is_int64() ? m->get_int64() : static_cast<std::int64_t>(m->get_uint64());
    if (v < 1)
      return constraint(std::to_string(v), "inferenceConfig.maxTokens",
                        "Member must have value greater than or equal to 1");
    in.max_tokens = v;
  }
  return std::nullopt;
}

// One message's blocks: text into `text`, toolResult texts into `results`.
std::optional<Error> read_blocks(const json::array& content, std::size_t index, bool has_tools,
                                 std::string& text, std::vector<std::string>& results,
                                 bool& tool_result) {
  for (const auto& b : content) {
    const auto* block = b.if_object();
    if (block == nullptr || block->empty()) {
      return invalid("Malformed input request: messages." + std::to_string(index) +
                     ".content must hold objects with exactly one member.");
    }
    if (const auto* t = block->if_contains("text")) {
      if (!t->is_string()) return invalid("Malformed input request: text must be a string.");
      if (t->get_string().empty()) {
        return invalid("The text field in the ContentBlock object at messages." +
                       std::to_string(index) +
                       ".content.0 is blank. Add text to the text field, and try again.");
      }
      join(text, std::string_view(t->get_string()));
    }
    const bool use = block->contains("toolUse");
    const auto* result = block->if_contains("toolResult");
    if ((use || result) && !has_tools) {
      return invalid(
          "The toolConfig field must be defined when using toolUse and toolResult content "
          "blocks.");
    }
    if (result != nullptr) {
      tool_result = true;
      std::string joined;
      const auto* r = result->if_object();
      const auto* parts = r ? r->if_contains("content") : nullptr;
      if (parts && parts->is_array()) {
        for (const auto& part : parts->get_array()) {
          if (!part.is_object()) continue;
          if (const auto* pt = part.get_object().if_contains("text"); pt && pt->is_string()) {
            join(joined, std::string_view(pt->get_string()));
          } else if (const auto* pj = part.get_object().if_contains("json")) {
            join(joined, json::serialize(*pj));
          }
        }
      }
      results.push_back(std::move(joined));
    }
  }
  return std::nullopt;
}

std::optional<Error> read_messages(const json::object& body, ConverseInput& in) {
  const auto* messages = body.if_contains("messages");
  if (messages == nullptr || messages->is_null()) {
    return constraint("null", "messages", "Member must not be null");
  }
  const auto* array = messages->if_array();
  if (array == nullptr) return invalid("Malformed input request: messages must be an array.");
  if (array->empty() || !array->front().is_object() ||
      array->front().get_object().if_contains("role") == nullptr ||
      *array->front().get_object().if_contains("role") != "user") {
    if (!array->empty() && array->front().is_object()) {
      const auto* role = array->front().get_object().if_contains("role");
      if (role && role->is_string() && *role != "assistant") {
        return constraint(std::string_view(role->get_string()), "messages.1.member.role",
                          "Member must satisfy enum value set: [user, assistant]");
      }
    }
    return invalid(
        "A conversation must start with a user message. Try again with a conversation that "
        "starts with a user message.");
  }
  std::string_view previous;
  std::string all_text;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* msg = (*array)[i].if_object();
    if (msg == nullptr) return invalid("Malformed input request: messages must hold objects.");
    const auto* role = msg->if_contains("role");
    if (role == nullptr || !role->is_string() ||
        (role->get_string() != "user" && role->get_string() != "assistant")) {
      return constraint(role && role->is_string() ? std::string_view(role->get_string()) : "null",
                        "messages." + std::to_string(i + 1) + ".member.role",
                        "Member must satisfy enum value set: [user, assistant]");
    }
    const std::string_view r = role->get_string();
    if (r == previous) {
      return invalid(
          "A conversation must alternate between user and assistant roles. Make sure the "
          "conversation alternates between user and assistant roles and try again.");
    }
    previous = r;
    const auto* content = msg->if_contains("content");
    if (content == nullptr || !content->is_array()) {
      return constraint("null", "messages." + std::to_string(i + 1) + ".member.content",
                        "Member must not be null");
    }
    std::string text;
    std::vector<std::string> results;
    bool tool_result = false;
    if (auto e =
            read_blocks(content->get_array(), i, !in.tools.empty(), text, results, tool_result)) {
      return e;
    }
    in.input_tokens += count_words(text) + 3;
    for (const auto& res : results) in.input_tokens += count_words(res);
    if (r == "user") {
      // Blocks are joined with a space: a block's start is the text's start or after a space.
      const auto at = text.rfind("call ");
      in.scripted_call_is_last = at != std::string::npos && (at == 0 || text[at - 1] == ' ');
      if (in.scripted_call_is_last) in.scripted_call = text.substr(at + 5);
      in.last_user_text = std::move(text);
      in.results = std::move(results);
      in.last_user_has_tool_results = tool_result;
    }
  }
  if (const auto* system = body.if_contains("system"); system && system->is_array()) {
    for (const auto& s : system->get_array()) {
      if (!s.is_object()) continue;
      if (const auto* t = s.get_object().if_contains("text"); t && t->is_string()) {
        in.input_tokens += count_words(std::string_view(t->get_string()));
      }
    }
  }
  return std::nullopt;
}

void append_tool_use(std::string& out, const ConverseBlock& b) {
  out += R"({"toolUseId":)";
  append_json_string(out, b.tool_use_id);
  out += R"(,"name":)";
  append_json_string(out, b.tool_name);
}

void append_usage(std::string& out, const ConverseAnswer& a) {
  out += R"("usage":)";
  append_converse_usage(out, a);
  out += R"(,"metrics":{"latencyMs":1})";
}

bool is_cache_point(const json::value& v) {
  return v.is_object() && v.get_object().contains("cachePoint");
}

// A cachePoint block anywhere Converse takes one: system, a message's content, the tools.
bool has_cache_point(const json::object& body) {
  auto any_in = [](const json::value* list) {
    if (list == nullptr || !list->is_array()) return false;
    const auto& items = list->get_array();
    return std::any_of(items.begin(), items.end(), is_cache_point);
  };
  if (any_in(body.if_contains("system"))) return true;
  if (const auto* config = body.if_contains("toolConfig"); config && config->is_object()) {
    if (any_in(config->get_object().if_contains("tools"))) return true;
  }
  if (const auto* messages = body.if_contains("messages"); messages && messages->is_array()) {
    for (const auto& m : messages->get_array()) {
      if (m.is_object() && any_in(m.get_object().if_contains("content"))) return true;
    }
  }
  return false;
}

// What additionalModelRequestFields asks of reasoning: OpenAI models' reasoning_effort, or
// Anthropic's thinking (counted as "medium").
std::string reasoning_effort_of(const json::object& body) {
  const auto* fields = body.if_contains("additionalModelRequestFields");
  if (fields == nullptr || !fields->is_object()) return {};
  const auto& f = fields->get_object();
  if (const auto* effort = f.if_contains("reasoning_effort"); effort && effort->is_string())
    return std::string(effort->get_string());
  if (const auto* thinking = f.if_contains("thinking"); thinking && thinking->is_object()) {
    const auto* type = thinking->get_object().if_contains("type");
    if (type && type->is_string() && type->get_string() == "enabled") return "medium";
  }
  return {};
}

// Real Bedrock pads each event with a "p" field of varying length; ours is deterministic.
void append_padding(std::string& out, std::size_t n) {
  constexpr std::string_view kAlphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  out += R"(,"p":")";
  out += kAlphabet.substr(0, 1 + (n * 7) % 40);
  out += '"';
}

// "20150830T123600Z" -> Unix seconds; nullopt when malformed.
std::optional<std::int64_t> parse_amz_date(std::string_view s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  auto num = [&](std::size_t pos, std::size_t len) -> std::optional<int> {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const auto y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(9, 2), mi = num(11, 2),
             se = num(13, 2);
  if (!y || !mo || !d || !h || !mi || !se || *mo < 1 || *mo > 12 || *d < 1 || *d > 31) {
    return std::nullopt;
  }
  // Howard Hinnant's days_from_civil.
  const int yy = *y - (*mo <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned mp = static_cast<unsigned>(*mo + (*mo > 2 ? -3 : 9));
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(*d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return days * 86400 + *h * 3600 + *mi * 60 + *se;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view header(std::span<const aws::HeaderRef> headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

// The value of `key=` in the Authorization parameters ("Credential=..., SignedHeaders=...").
std::string_view auth_param(std::string_view params, std::string_view key) {
  std::size_t pos = 0;
  while (pos < params.size()) {
    while (pos < params.size() && (params[pos] == ' ' || params[pos] == ',')) ++pos;
    const auto end = params.find(',', pos);
    const auto item = params.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (item.size() > key.size() && item.substr(0, key.size()) == key && item[key.size()] == '=') {
      auto v = item.substr(key.size() + 1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      return v;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return {};
}

SigV4Failure fail(std::string type, std::string message, int status = 403) {
  return {status, std::move(type), std::move(message)};
}

constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Result<ConverseInput> parse_converse_input(std::string_view body) {
  boost::system::error_code ec;
  auto doc = json::parse(body, ec, {}, deep_json());
  if (ec || !doc.is_object()) {
    return invalid("Malformed input request, please reformat your input and try again.");
  }
  const auto& obj = doc.get_object();
  ConverseInput in;
  if (auto e = read_tool_config(obj, in)) return std::move(*e);
  if (auto e = read_inference(obj, in)) return std::move(*e);
  if (auto e = read_messages(obj, in)) return std::move(*e);
  in.cache_point = has_cache_point(obj);
  in.reasoning_effort = reasoning_effort_of(obj);
  return in;
}

void append_converse_usage(std::string& out, const ConverseAnswer& a) {
  out += R"({"inputTokens":)";
  append_int(out, a.input_tokens);
  out += R"(,"outputTokens":)";
  append_int(out, a.output_tokens);
  out += R"(,"totalTokens":)";
  append_int(out, a.input_tokens + a.cache_read_tokens + a.cache_write_tokens + a.output_tokens);
  if (a.cache_read_tokens > 0 || a.cache_write_tokens > 0) {
    out += R"(,"cacheReadInputTokens":)";
    append_int(out, a.cache_read_tokens);
    out += R"(,"cacheWriteInputTokens":)";
    append_int(out, a.cache_write_tokens);
  }
  out += '}';
}

namespace {

// The answer's blocks, stop reason and output tokens (its words).
// The last non-empty line of `text`.
std::string_view last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const auto nl = text.rfind('\n');
  return nl == std::string_view::npos ? text : text.substr(nl + 1);
}

// The scripted tool turn (docs/mock.md, "Tool calls"), as the Responses mock plays it: "call
// NAME ARGS" naming one of the tools is answered with a toolUse of it (ARGS as its input when
// it is a JSON object, else {"input": ARGS}); the turn that brings its result, with a message
// quoting the result's last line. nullopt when the conversation is not scripted.
std::optional<ConverseAnswer> scripted_blocks(std::string_view cloud, const ConverseInput& in) {
  if (in.scripted_call.empty()) return std::nullopt;
  const auto space = in.scripted_call.find(' ');
  const std::string name = in.scripted_call.substr(0, space);
  if (std::find(in.tools.begin(), in.tools.end(), name) == in.tools.end()) return std::nullopt;
  ConverseAnswer a;
  if (in.last_user_has_tool_results) {
    std::string text(cloud);
    text += " says: tool output: ";
    text +=
        last_line(in.results.empty() ? std::string_view() : std::string_view(in.results.back()));
    a.output_tokens = count_words(text);
    a.blocks.push_back(ConverseBlock{std::move(text), {}, {}, {}});
    return a;
  }
  if (!in.scripted_call_is_last) return std::nullopt;
  const std::string args = space == std::string::npos ? "" : in.scripted_call.substr(space + 1);
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(args, ec);
  ConverseBlock b;
  b.tool_use_id = "tooluse_mock_1";
  b.tool_name = name;
  if (!ec && parsed.is_object()) {
    b.tool_input = args;
  } else {
    b.tool_input = R"({"input":)";
    append_json_string(b.tool_input, args);
    b.tool_input += '}';
  }
  a.output_tokens = count_words(args) + 1;
  a.blocks.push_back(std::move(b));
  a.stop_reason = "tool_use";
  return a;
}

ConverseAnswer answer_blocks(std::string_view cloud, const ConverseInput& in) {
  if (auto scripted = scripted_blocks(cloud, in)) return std::move(*scripted);
  ConverseAnswer a;
  if (!in.tools.empty() && !in.last_user_has_tool_results) {
    const auto w = words(in.last_user_text);
    const auto has_word = [&](std::string_view word) {
      return std::find(w.begin(), w.end(), word) != w.end();
    };
    // Models may write a sentence before they call a tool; "preamble" gives that answer shape
    // so a gateway's handling of it (e.g. behind its response_format tool) can be tested.
    if (has_word("preamble")) {
      a.blocks.push_back(ConverseBlock{std::string(kPreamble), {}, {}, {}});
      a.output_tokens += count_words(kPreamble);
    }
    std::vector<std::string_view> called;
    if (!in.tool_choice.empty()) {
      called.push_back(in.tool_choice);
    } else {
      called.push_back(in.tools[0]);
      if (has_word("parallel") && in.tools.size() >= 2) called.push_back(in.tools[1]);
    }
    std::string input = R"({"echo":)";
    append_json_string(input, first_chars(in.last_user_text, kEcho));
    input += '}';
    for (std::size_t i = 0; i < called.size(); ++i) {
      ConverseBlock b;
      b.tool_use_id = "tooluse_mock_" + std::to_string(i + 1);
      b.tool_name = called[i];
      b.tool_input = input;
      a.output_tokens += count_words(input);
      a.blocks.push_back(std::move(b));
    }
    a.stop_reason = "tool_use";
    return a;
  }
  std::string text(cloud);
  if (in.last_user_has_tool_results) {
    text += " got tool results: ";
    std::string joined;
    for (const auto& r : in.results) join(joined, r);
    text += first_chars(joined, kEcho);
  } else {
    text += " says: ";
    text += first_chars(in.last_user_text, kEcho);
  }
  auto w = words(text);
  if (in.max_tokens >= 0 && static_cast<std::int64_t>(w.size()) > in.max_tokens) {
    w.resize(static_cast<std::size_t>(in.max_tokens));
    std::string cut;
    for (auto word : w) join(cut, word);
    w.clear();
    text = std::move(cut);
    a.output_tokens = in.max_tokens;
    a.stop_reason = "max_tokens";
  }
  if (a.stop_reason != "max_tokens") a.output_tokens = static_cast<std::int64_t>(w.size());
  a.blocks.push_back(ConverseBlock{std::move(text), {}, {}, {}});
  return a;
}

}  // namespace

ConverseAnswer make_converse_answer(std::string_view cloud, const ConverseInput& in) {
  ConverseAnswer a = answer_blocks(cloud, in);
  // Usage (docs/mock.md): with a cachePoint or a long prompt, half the prompt is read from the
  // cache and a quarter written to it; Bedrock's inputTokens count only the rest. Reasoning
  // comes on top of the answer's words, within maxTokens.
  a.input_tokens = in.input_tokens;
  if (in.cache_point || in.input_tokens >= kCachedPromptTokens) {
    a.cache_read_tokens = in.input_tokens / 2;
    a.cache_write_tokens = in.input_tokens / 4;
    a.input_tokens -= a.cache_read_tokens + a.cache_write_tokens;
  }
  std::int64_t reasoning = reasoning_tokens_for(in.reasoning_effort);
  if (in.max_tokens >= 0)
    reasoning = std::min(reasoning, std::max<std::int64_t>(0, in.max_tokens - a.output_tokens));
  a.output_tokens += reasoning;
  return a;
}

void render_converse(const ConverseAnswer& a, std::string& out) {
  out += R"({"output":{"message":{"role":"assistant","content":[)";
  for (std::size_t i = 0; i < a.blocks.size(); ++i) {
    const auto& b = a.blocks[i];
    if (i > 0) out += ',';
    if (b.tool_name.empty()) {
      out += R"({"text":)";
      append_json_string(out, b.text);
      out += '}';
    } else {
      out += R"({"toolUse":)";
      append_tool_use(out, b);
      out += R"(,"input":)";
      out += b.tool_input;
      out += "}}";
    }
  }
  out += R"(]}},"stopReason":)";
  append_json_string(out, a.stop_reason);
  out += ',';
  append_usage(out, a);
  out += '}';
}

std::vector<std::string> render_converse_stream(const ConverseAnswer& a) {
  std::vector<std::string> events;
  std::string p;
  std::size_t n = 0;
  auto emit = [&](std::string_view type) {
    append_padding(p, n++);
    p += '}';
    events.push_back(aws::encode_bedrock_event(type, p));
    p.clear();
  };
  p = R"({"role":"assistant")";
  emit("messageStart");
  for (std::size_t i = 0; i < a.blocks.size(); ++i) {
    const auto& b = a.blocks[i];
    const auto index = static_cast<std::int64_t>(i);
    if (b.tool_name.empty()) {
      const auto w = words(b.text);
      for (std::size_t k = 0; k < w.size(); ++k) {
        p = R"({"contentBlockIndex":)";
        append_int(p, index);
        p += R"(,"delta":{"text":)";
        std::string piece(w[k]);
        if (k + 1 < w.size()) piece += ' ';
        append_json_string(p, piece);
        p += "}";
        emit("contentBlockDelta");
      }
    } else {
      p = R"({"contentBlockIndex":)";
      append_int(p, index);
      p += R"(,"start":{"toolUse":)";
      append_tool_use(p, b);
      p += "}}";
      emit("contentBlockStart");
      const auto half = b.tool_input.size() / 2;
      for (const auto& frag : {b.tool_input.substr(0, half), b.tool_input.substr(half)}) {
        p = R"({"contentBlockIndex":)";
        append_int(p, index);
        p += R"(,"delta":{"toolUse":{"input":)";
        append_json_string(p, frag);
        p += "}}";
        emit("contentBlockDelta");
      }
    }
    p = R"({"contentBlockIndex":)";
    append_int(p, index);
    emit("contentBlockStop");
  }
  p = R"({"stopReason":)";
  append_json_string(p, a.stop_reason);
  emit("messageStop");
  p = "{";
  append_usage(p, a);
  emit("metadata");
  return events;
}

std::string render_stream_exception(std::string_view name) {
  std::string body = R"({"message":)";
  append_json_string(body, name == "throttlingException"
                               ? "Too many requests, please wait before trying again. (mock fault)"
                               : "The stream failed (mock fault).");
  body += '}';
  return aws::encode_bedrock_exception(name, body);
}

void bedrock_error(Reply& reply, int status, std::string_view type, std::string_view message) {
  reply.status = status;
  reply.content_type = "application/json";
  reply.add_header("x-amzn-ErrorType", type);
  reply.body += R"({"message":)";
  append_json_string(reply.body, message);
  reply.body += '}';
}

void bedrock_fault_error(Reply& reply, int status) {
  switch (status) {
    case 400:
      return bedrock_error(reply, status, "ValidationException", "Bad request (mock fault).");
    case 403:
      return bedrock_error(reply, status, "AccessDeniedException",
                           "You don't have access to the model with the specified model ID. "
                           "(mock fault)");
    case 404:
      return bedrock_error(reply, status, "ResourceNotFoundException",
                           "The provided model identifier is invalid. (mock fault)");
    case 408:
      return bedrock_error(reply, status, "ModelTimeoutException",
                           "Model has timed out in processing the request. (mock fault)");
    case 424:
      return bedrock_error(reply, status, "ModelErrorException",
                           "The model returned an error. (mock fault)");
    case 429:
      return bedrock_error(reply, status, "ThrottlingException",
                           "Too many requests, please wait before trying again. (mock fault)");
    case 500:
      return bedrock_error(reply, status, "InternalServerException",
                           "The server encountered an internal error. (mock fault)");
    case 503:
      return bedrock_error(reply, status, "ServiceUnavailableException",
                           "Bedrock is unable to process your request. (mock fault)");
    default:
      return bedrock_error(reply, status,
                           status >= 500 ? "InternalServerException" : "ValidationException",
                           "Request failed (mock fault).");
  }
}

int bedrock_exception_status(std::string_view name) {
  if (name == "throttlingException") return 429;
  if (name == "validationException") return 400;
  if (name == "serviceUnavailableException") return 503;
  if (name == "modelStreamErrorException") return 424;
  return 500;
}

SigV4Failure verify_sigv4(const CloudConfig& cloud, const SigV4Input& in) {
  const auto authorization = header(in.headers, "authorization");
  constexpr std::string_view kScheme = "AWS4-HMAC-SHA256 ";
  if (authorization.empty()) {
    return fail("MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  if (authorization.substr(0, kScheme.size()) != kScheme) {
    return fail("IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header.");
  }
  const auto params = authorization.substr(kScheme.size());
  const auto credential = auth_param(params, "Credential");
  const auto signed_headers = auth_param(params, "SignedHeaders");
  const auto signature = auth_param(params, "Signature");
  if (credential.empty() || signed_headers.empty() || signature.empty()) {
    return fail("IncompleteSignatureException",
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' "
                "parameters.");
  }
  // Credential = AKID/YYYYMMDD/region/service/aws4_request
  std::vector<std::string_view> scope;
  for (std::size_t pos = 0;;) {
    const auto slash = credential.find('/', pos);
    scope.push_back(credential.substr(pos, slash == std::string_view::npos ? slash : slash - pos));
    if (slash == std::string_view::npos) break;
    pos = slash + 1;
  }
  if (scope.size() != 5 || scope[4] != "aws4_request") {
    return fail("IncompleteSignatureException", "Credential is malformed.");
  }
  if (scope[0] != cloud.access_key_id) {
    return fail("UnrecognizedClientException",
                "The security token included in the request is invalid.");
  }
  if (scope[3] != "bedrock") {
    return fail("InvalidSignatureException",
                "Credential should be scoped to correct service: 'bedrock'. ");
  }
  if (scope[2] != cloud.region) {
    return fail("InvalidSignatureException", "Credential should be scoped to a valid region. ");
  }
  const auto date_text = header(in.headers, "x-amz-date");
  const auto date = parse_amz_date(date_text);
  if (!date) {
    return fail("IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header.");
  }
  if (date_text.substr(0, 8) != scope[1]) {
    return fail("InvalidSignatureException",
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                "from HTTP.");
  }
  if (*date < in.now - 900 || *date > in.now + 900) {
    return fail("InvalidSignatureException",
                "Signature expired: " + std::string(date_text) + " is now earlier than " +
                    aws::amz_date(in.now - 900) + " (" + aws::amz_date(in.now) + " - 15 min.)");
  }
  // The headers the client signed, as received (repeats joined with ',').
  std::vector<std::string> joined;
  std::vector<aws::HeaderRef> to_sign;
  aws::Credentials creds{cloud.access_key_id, cloud.secret_access_key, {}};
  for (std::size_t pos = 0; pos <= signed_headers.size();) {
    const auto semi = signed_headers.find(';', pos);
    const auto name =
        signed_headers.substr(pos, semi == std::string_view::npos ? semi : semi - pos);
    pos = semi == std::string_view::npos ? signed_headers.size() + 1 : semi + 1;
    if (name.empty() || name == "x-amz-date") continue;
    std::string value;
    bool found = false;
    for (const auto& h : in.headers) {
      if (!iequals(h.name, name)) continue;
      if (found) value += ',';
      value.append(h.value);
      found = true;
    }
    if (!found) {
      return fail("IncompleteSignatureException",
                  "Signed header " + std::string(name) + " is missing from the request.");
    }
    if (name == "x-amz-security-token") {
      creds.session_token = value;
      continue;
    }
    joined.push_back(std::move(value));
    to_sign.push_back({name, {}});
  }
  for (std::size_t i = 0; i < to_sign.size(); ++i) to_sign[i].value = joined[i];
  const auto q = in.target.find('?');
  aws::SigningRequest req;
  req.method = in.method;
  req.path = in.target.substr(0, q);
  req.query = q == std::string_view::npos ? std::string_view{} : in.target.substr(q + 1);
  req.headers = to_sign;
  req.payload = in.body;
  const auto payload_hash = aws::sha256_hex(in.body);
  req.payload_hash = payload_hash;
  aws::SigningParams sp;
  sp.region = cloud.region;
  sp.service = "bedrock";
  sp.unix_time = *date;
  thread_local aws::Signer signer;  // not thread-safe: one per thread
  auto signed_ = signer.sign(req, creds, sp);
  if (!signed_ || signed_->signature() != signature) {
    return fail("InvalidSignatureException", std::string(kMismatch));
  }
  return {200, {}, {}};
}

}  // namespace tollbooth::mock
