#include "providers/bedrock_response.hpp"

#include "json/scratch.hpp"

#include <cctype>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "providers/bedrock_request.hpp"

// Converse → chat.completion (PROTOCOLS.md §5.4, §5.8) and Bedrock errors → Error (§5.5).
// One On-Demand pass collects the answer's text, tool calls and usage in whatever order they
// come; the OpenAI body is then written by hand. Tool inputs are minified, not re-serialised,
// so their numbers reach the client exactly as Bedrock wrote them.

namespace tollbooth::bedrock {

using namespace std::string_view_literals;

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

error_code open_doc(std::string_view text, od::document& doc) {
  thread_local std::string buf;
  thread_local od::parser parser;
  return json::reuse(parser, text.size()).iterate(json::padded_copy(buf, text)).get(doc);
}

struct ToolCall {
  std::string_view id, name;
  std::string arguments;  // minified JSON text
};

// What a Converse answer holds, collected before anything is written.
struct Answer {
  std::string text;
  std::string reasoning;
  std::vector<ToolCall> calls;
  std::string json;  // the response_format tool's input, when it was called
  bool has_json = false;
  std::string_view stop_reason;
  Usage usage;
};

error_code minified(od::value& v, std::string& out) {
  std::string_view raw;
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::object) {
    od::object o;
    if (auto ec = v.get_object().get(o)) return ec;
    if (auto ec = o.raw_json().get(raw)) return ec;
  } else {
    raw = v.raw_json_token();  // Bedrock's tool input is an object; anything else kept as is
  }
  out.resize(raw.size());
  std::size_t size = 0;
  if (auto ec = simdjson::minify(raw.data(), raw.size(), out.data(), size)) return ec;
  out.resize(size);
  return SUCCESS;
}

error_code read_tool_use(od::value& v, Answer& a, std::string_view json_tool) {
  od::object o;
  if (auto ec = v.get_object().get(o)) return ec;
  ToolCall call;
  for (auto field : o) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    od::value& fv = field.value_unsafe().value();
    error_code ec = SUCCESS;
    if (key == "toolUseId")
      ec = fv.get_string().get(call.id);
    else if (key == "name")
      ec = fv.get_string().get(call.name);
    else if (key == "input")
      ec = minified(fv, call.arguments);
    if (ec) return ec;
  }
  if (call.arguments.empty()) call.arguments = "{}";
  if (!json_tool.empty() && call.name == json_tool) {
    // The first call is the answer, as in a stream, which cannot take back what it sent.
    if (!a.has_json) a.json = std::move(call.arguments);
    a.has_json = true;
  } else {
    a.calls.push_back(std::move(call));
  }
  return SUCCESS;
}

// reasoningContent: {reasoningText:{text, signature?}} | {redactedContent}; only text is shown.
error_code read_reasoning(od::value& v, Answer& a) {
  od::object o;
  if (auto ec = v.get_object().get(o)) return ec;
  for (auto field : o) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    if (key != "reasoningText") continue;
    od::object text;
    if (auto ec = field.value_unsafe().value().get_object().get(text)) return ec;
    for (auto member : text) {
      std::string_view k, s;
      if (auto ec = member.unescaped_key().get(k)) return ec;
      if (k != "text") continue;
      if (auto ec = member.value_unsafe().value().get_string().get(s)) return ec;
      a.reasoning += s;
    }
  }
  return SUCCESS;
}

error_code read_content(od::value& v, Answer& a, std::string_view json_tool) {
  od::array blocks;
  if (auto ec = v.get_array().get(blocks)) return ec;
  for (auto element : blocks) {
    od::object block;
    if (auto ec = element.get_object().get(block)) return ec;
    for (auto field : block) {
      std::string_view key, s;
      if (auto ec = field.unescaped_key().get(key)) return ec;
      od::value& fv = field.value_unsafe().value();
      error_code ec = SUCCESS;
      if (key == "text") {
        if (!(ec = fv.get_string().get(s))) a.text += s;
      } else if (key == "toolUse") {
        ec = read_tool_use(fv, a, json_tool);
      } else if (key == "reasoningContent") {
        ec = read_reasoning(fv, a);
      }
      if (ec) return ec;
    }
  }
  return SUCCESS;
}

// output: {message: {role, content: [...]}}
error_code read_output(od::value& v, Answer& a, std::string_view json_tool) {
  od::object output;
  if (auto ec = v.get_object().get(output)) return ec;
  for (auto field : output) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    if (key != "message") continue;
    od::object message;
    if (auto ec = field.value_unsafe().value().get_object().get(message)) return ec;
    for (auto member : message) {
      std::string_view k;
      if (auto ec = member.unescaped_key().get(k)) return ec;
      if (k != "content") continue;
      if (auto ec = read_content(member.value_unsafe().value(), a, json_tool)) return ec;
    }
  }
  return SUCCESS;
}

// A token count; anything but an integer from 0 to 2^63-1 counts as 0.
std::int64_t read_count(od::value v) {
  std::int64_t n = 0;
  if (v.get_int64().get(n) != SUCCESS || n < 0) return 0;
  return n;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::int64_t>::max() : sum;
}

// Bedrock usage → Usage (detail::usage_from_payload has the mapping). A value that is not an
// object (null) leaves `usage` unreported rather than spoiling the answer.
error_code read_usage(od::value& v, Usage& usage) {
  usage = Usage{};
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) return SUCCESS;
  od::object o;
  if (auto ec = v.get_object().get(o)) return ec;
  std::int64_t input = 0, output = 0, cache_read = 0, cache_write = 0;
  for (auto field : o) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    std::int64_t* slot = key == "inputTokens"             ? &input
                         : key == "outputTokens"          ? &output
                         : key == "cacheReadInputTokens"  ? &cache_read
                         : key == "cacheWriteInputTokens" ? &cache_write
                                                          : nullptr;
    if (slot) *slot = read_count(field.value_unsafe().value());
  }
  usage.input_tokens = saturating_add(saturating_add(input, cache_read), cache_write);
  usage.output_tokens = output;
  usage.cached_input_tokens = cache_read;
  usage.cache_write_input_tokens = cache_write;
  usage.reported = true;
  return SUCCESS;
}

error_code read_answer(std::string_view body, Answer& a, std::string_view json_tool) {
  od::document doc;
  od::object root;
  if (auto ec = open_doc(body, doc)) return ec;
  if (auto ec = doc.get_object().get(root)) return ec;
  bool has_output = false;
  for (auto field : root) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    od::value& v = field.value_unsafe().value();
    error_code ec = SUCCESS;
    if (key == "output")
      ec = read_output(v, a, json_tool), has_output = true;
    else if (key == "stopReason")
      ec = v.get_string().get(a.stop_reason);
    else if (key == "usage")
      ec = read_usage(v, a.usage);
    if (ec) return ec;
  }
  return has_output ? SUCCESS : simdjson::NO_SUCH_FIELD;
}

void write_message(std::string& out, const Answer& a) {
  out += R"({"role":"assistant","content":)"sv;
  if (a.has_json)
    detail::append_json_string(out, a.json);
  else if (!a.text.empty() || a.calls.empty())
    detail::append_json_string(out, a.text);
  else
    out += "null"sv;
  out += R"(,"refusal":null,"annotations":[])"sv;
  if (!a.reasoning.empty()) {
    out += R"(,"reasoning_content":)"sv;  // the vendor extension LiteLLM and others use
    detail::append_json_string(out, a.reasoning);
  }
  if (!a.calls.empty()) {
    out += R"(,"tool_calls":[)"sv;
    for (std::size_t i = 0; i < a.calls.size(); ++i) {
      if (i) out += ',';
      out += R"({"id":)"sv;
      detail::append_json_string(out, a.calls[i].id);
      out += R"(,"type":"function","function":{"name":)"sv;
      detail::append_json_string(out, a.calls[i].name);
      out += R"(,"arguments":)"sv;
      detail::append_json_string(out, a.calls[i].arguments);
      out += "}}"sv;
    }
    out += ']';
  }
  out += '}';
}

}  // namespace

namespace detail {

void append_usage(std::string& out, const Usage& usage, std::string_view cost) {
  out += R"({"prompt_tokens":)"sv;
  detail::append_int(out, usage.input_tokens);
  out += R"(,"completion_tokens":)"sv;
  detail::append_int(out, usage.output_tokens);
  out += R"(,"total_tokens":)"sv;
  detail::append_int(out, saturating_add(usage.input_tokens, usage.output_tokens));
  out += R"(,"prompt_tokens_details":{"cached_tokens":)"sv;
  detail::append_int(out, usage.cached_input_tokens);
  out += R"(,"cache_write_tokens":)"sv;
  detail::append_int(out, usage.cache_write_input_tokens);
  out += R"(,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":)"sv;
  detail::append_int(out, usage.reasoning_tokens);
  out += R"(,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0})"sv;
  if (!cost.empty()) {
    out += R"(,"cost":)"sv;
    out += cost;
  }
  out += '}';
}

bool usage_from_payload(std::string_view payload, Usage& usage) {
  usage = Usage{};
  od::document doc;
  od::object root;
  if (open_doc(payload, doc) || doc.get_object().get(root)) return false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "usage" && read_usage(field.value_unsafe().value(), usage)) return false;
  }
  return true;
}

}  // namespace detail

std::string_view finish_reason_from_stop(std::string_view stop_reason) noexcept {
  if (stop_reason == "max_tokens" || stop_reason == "model_context_window_exceeded")
    return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "guardrail_intervened" || stop_reason == "content_filtered")
    return "content_filter";
  return "stop";  // end_turn, stop_sequence, malformed_* and whatever comes next
}

Result<ChatReply> chat_completion_from_converse(std::string_view converse_body,
                                                const ReplyOptions& options) {
  Answer a;
  if (auto ec = read_answer(converse_body, a, options.json_tool)) {
    Error e = make_error(ErrorKind::bad_gateway, "Bedrock sent an answer that could not be read.");
    e.detail = std::string("converse body: ") + simdjson::error_message(ec);
    e.retryable = true;
    return e;
  }
  ChatReply reply;
  reply.usage = a.usage;
  reply.finish_reason = finish_reason_from_stop(a.stop_reason);
  // The response_format tool is our device, not a call the client made.
  if (reply.finish_reason == "tool_calls" && a.calls.empty()) reply.finish_reason = "stop";
  std::string& out = reply.body;
  out.reserve(a.text.size() + a.json.size() + 512);
  out += R"({"id":)"sv;
  detail::append_json_string(out, options.response_id);
  out += R"(,"object":"chat.completion","created":)"sv;
  detail::append_int(out, options.created);
  out += R"(,"model":)"sv;
  detail::append_json_string(out, options.client_model);
  out += R"(,"choices":[{"index":0,"message":)"sv;
  write_message(out, a);
  out += R"(,"logprobs":null,"finish_reason":")"sv;
  out += reply.finish_reason;
  out += "\"}]"sv;
  if (a.usage.reported) {
    out += R"(,"usage":)"sv;
    detail::append_usage(out, a.usage);
  }
  out += '}';
  return reply;
}

namespace {

// PROTOCOLS.md §5.5, plus the AWS-wide authentication errors any AWS endpoint may send. An
// empty public message means Bedrock's own message is shown: it is about the client's request.
struct Rule {
  std::string_view name;
  ErrorKind kind;
  bool retryable;
  std::string_view code;
  std::string_view message;
};
constexpr std::string_view kCredentials = "Bedrock did not accept the gateway's AWS credentials.";
constexpr Rule kRules[] = {
    {"ValidationException", ErrorKind::invalid_request, false, "", ""},
    {"ThrottlingException", ErrorKind::rate_limited, true, "rate_limit_exceeded",
     "Bedrock is throttling requests for this model; try again later."},
    {"ServiceQuotaExceededException", ErrorKind::rate_limited, true, "insufficient_quota",
     "The Bedrock quota for this model is exhausted."},
    {"ModelNotReadyException", ErrorKind::unavailable, true, "",
     "The model on Bedrock is not ready yet; try again later."},
    {"ServiceUnavailableException", ErrorKind::unavailable, true, "",
     "Bedrock is unavailable; try again later."},
    {"ModelTimeoutException", ErrorKind::gateway_timeout, true, "",
     "The model on Bedrock took too long to answer."},
    {"ModelErrorException", ErrorKind::bad_gateway, true, "",
     "The model on Bedrock failed while answering."},
    {"ModelStreamErrorException", ErrorKind::bad_gateway, true, "",
     "The model on Bedrock failed while streaming its answer."},
    {"InternalServerException", ErrorKind::bad_gateway, true, "",
     "Bedrock failed with an internal error."},
    {"ResourceNotFoundException", ErrorKind::not_found, true, "model_not_found",
     "The Bedrock model of this route was not found."},
    {"AccessDeniedException", ErrorKind::bad_gateway, true, "",
     "Bedrock denied the gateway access to this model."},
    {"UnrecognizedClientException", ErrorKind::bad_gateway, true, "", kCredentials},
    {"InvalidSignatureException", ErrorKind::bad_gateway, true, "", kCredentials},
    {"IncompleteSignatureException", ErrorKind::bad_gateway, true, "", kCredentials},
    {"ExpiredTokenException", ErrorKind::bad_gateway, true, "", kCredentials},
    {"MissingAuthenticationTokenException", ErrorKind::bad_gateway, true, "", kCredentials},
};

// An exception Bedrock did not name, or one we do not know, by its HTTP status.
Rule rule_for_status(int status) {
  if (status == 401 || status == 403) return {"", ErrorKind::bad_gateway, true, "", kCredentials};
  if (status == 408) return {"", ErrorKind::gateway_timeout, true, "", "Bedrock timed out."};
  if (status == 429)
    return {"", ErrorKind::rate_limited, true, "rate_limit_exceeded",
            "Bedrock is throttling requests for this model; try again later."};
  if (status == 503)
    return {"", ErrorKind::unavailable, true, "", "Bedrock is unavailable; try again later."};
  if (status >= 400 && status < 500) return {"", ErrorKind::invalid_request, false, "", ""};
  return {"", ErrorKind::bad_gateway, true, "", "Bedrock failed to answer."};
}

// "ValidationException:http://internal.amazon.com/..." and "com.amazon.coral#Name" → the name.
std::string_view exception_name(std::string_view raw) {
  raw = raw.substr(0, raw.find_first_of(":,"));
  if (auto hash = raw.rfind('#'); hash != std::string_view::npos) raw.remove_prefix(hash + 1);
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
  while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
  return raw;
}

struct ErrorBody {
  std::string message;
  std::string type;  // __type or code
};

ErrorBody read_error_body(std::string_view body) {
  ErrorBody out;
  od::document doc;
  od::object root;
  if (open_doc(body, doc) || doc.get_object().get(root)) return out;
  for (auto field : root) {
    std::string_view key, s;
    if (field.unescaped_key().get(key)) break;
    bool message = key == "message" || key == "Message";
    bool type = key == "__type" || key == "code";
    if (!message && !type) continue;
    if (field.value_unsafe().value().get_string().get(s)) continue;
    (message ? out.message : out.type) = s;
  }
  return out;
}

bool contains_ci(std::string_view text, std::string_view needle) {
  if (needle.size() > text.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < needle.size() && std::tolower(static_cast<unsigned char>(text[i + k])) == needle[k])
      ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

// Bedrock reports an over-long prompt as a ValidationException; OpenAI clients (Codex among
// them) look for this code to trim their history.
bool is_context_overflow(std::string_view message) {
  for (std::string_view hint : {"input is too long", "prompt is too long", "too many input tokens",
                                "context length", "context window", "maximum context"})
    if (contains_ci(message, hint)) return true;
  return false;
}

Error make_bedrock_error(std::string_view name, int status, std::string message) {
  Rule rule = rule_for_status(status);
  for (const auto& r : kRules)
    if (r.name == name) rule = r;
  Error e;
  e.kind = rule.kind;
  e.retryable = rule.retryable;
  e.code = std::string(rule.code);
  if (!rule.message.empty())
    e.message = std::string(rule.message);
  else if (!message.empty())
    e.message = message;
  else
    e.message = "Bedrock refused the request (" +
                std::string(name.empty() ? "no reason given" : name) + ").";
  if (e.kind == ErrorKind::invalid_request && is_context_overflow(message))
    e.code = "context_length_exceeded";
  e.detail = "bedrock " + std::string(name.empty() ? "error" : name);
  if (status) e.detail += " (HTTP " + std::to_string(status) + ")";
  if (!message.empty()) e.detail += ": " + message;
  return e;
}

}  // namespace

Error error_from_bedrock(int http_status, std::string_view error_type_header,
                         std::string_view body) {
  ErrorBody parsed = read_error_body(body);
  std::string_view name = exception_name(error_type_header);
  if (name.empty()) name = exception_name(parsed.type);
  return make_bedrock_error(name, http_status, std::move(parsed.message));
}

Error error_from_stream_exception(std::string_view exception_type, std::string_view payload) {
  // Stream frames name the union member (throttlingException), not the shape.
  std::string name(exception_name(exception_type));
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return make_bedrock_error(name, 0, read_error_body(payload).message);
}

}  // namespace tollbooth::bedrock
