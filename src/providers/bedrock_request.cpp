#include "providers/bedrock_request.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

#include "providers/bedrock_request_internal.hpp"

// OpenAI Chat Completions → Bedrock Converse (PROTOCOLS.md §5.3, §5.7). One On-Demand pass over
// the client's body: each member is translated where it is met into its own slot (system
// blocks, merged message turns, inference settings, tool specs), and the slots are joined once
// at the end. JSON that Bedrock must see unchanged (tool schemas, tool-call arguments, sampling
// numbers) is copied as the client wrote it, so 0.2 stays 0.2 and large integers survive;
// Boost.JSON 1.81 prints 0.2 as 2E-1 and parses some doubles one ULP off, and building a DOM
// only to print it again costs more than the translation (bench/bedrock_translate_bench.cpp).
// The pass is split by concern: this file holds the top-level fields, sampling and assembly;
// bedrock_messages.cpp the messages; bedrock_tool_config.cpp the tools and toolConfig.

namespace tollbooth::bedrock {

using namespace std::string_view_literals;

namespace detail {

// Eight bytes at a time: a word with no control byte, quote or backslash is skipped whole; a
// word with one is walked byte by byte. The word test is exact about whether such a byte is in
// the word (not about which one it is).
void append_json_string(std::string& out, std::string_view text) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  std::size_t start = 0, i = 0, n = text.size();
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, text.data() + i, 8);
      std::uint64_t q = w ^ (kOnes * '"'), b = w ^ (kOnes * '\\');
      std::uint64_t found = ((w - kOnes * 0x20) & ~w) | ((q - kOnes) & ~q) | ((b - kOnes) & ~b);
      if ((found & kHigh) == 0) {
        i += 8;
        continue;
      }
    }
    for (std::size_t stop = std::min(n, i + 8); i < stop; ++i) {
      auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out.append(text.data() + start, i - start);
      start = i + 1;
      switch (c) {
        case '"': out += "\\\""sv; break;
        case '\\': out += "\\\\"sv; break;
        case '\n': out += "\\n"sv; break;
        case '\r': out += "\\r"sv; break;
        case '\t': out += "\\t"sv; break;
        case '\b': out += "\\b"sv; break;
        case '\f': out += "\\f"sv; break;
        default:
          out += "\\u00"sv;
          out += kHex[c >> 4];
          out += kHex[c & 15];
      }
    }
  }
  out.append(text.data() + start, n - start);
  out += '"';
}

void append_int(std::string& out, std::int64_t n) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

std::string_view trim_json(std::string_view raw) noexcept {
  auto end = raw.find_last_not_of(" \t\r\n");
  return end == std::string_view::npos ? std::string_view{} : raw.substr(0, end + 1);
}

}  // namespace detail

namespace internal {

namespace {

using simdjson::SUCCESS;

// OpenAI parameters with no Converse counterpart. Sent with their neutral value (or null) they
// ask for nothing Bedrock does not already do, so they pass; any other value is unsupported.
struct Unsupported {
  std::string_view key;
  std::string_view neutral;  // "0", "1", "false", "{}", "[\"text\"]", or "" when only null is
  std::string_view why;
};
constexpr Unsupported kUnsupported[] = {
    {"n", "1", "Bedrock serves one choice per request; n must be 1"},
    {"logprobs", "false", "Bedrock does not return log probabilities"},
    {"top_logprobs", "0", "Bedrock does not return log probabilities"},
    {"logit_bias", "{}", "Bedrock has no logit bias"},
    {"seed", "", "Bedrock has no sampling seed"},
    {"presence_penalty", "0", "Bedrock has no presence penalty"},
    {"frequency_penalty", "0", "Bedrock has no frequency penalty"},
    {"modalities", "[\"text\"]", "Bedrock routes answer with text only"},
    {"audio", "", "Bedrock routes answer with text only"},
    {"prediction", "", "Bedrock has no predicted outputs"},
    {"web_search_options", "", "Bedrock has no built-in web search"},
    {"verbosity", "", "Bedrock has no verbosity setting"},
    {"functions", "", "the deprecated functions API is not translated; use tools"},
    {"function_call", "", "the deprecated functions API is not translated; use tool_choice"},
};

bool is_neutral(od::value& v, std::string_view neutral) {
  od::json_type t;
  if (neutral.empty() || v.type().get(t)) return false;
  if (t == od::json_type::number) {
    double d = 0;
    return (neutral == "0" || neutral == "1") && !v.get_double().get(d) && d == neutral[0] - '0';
  }
  if (t == od::json_type::boolean) {
    bool b = true;
    return neutral == "false" && !v.get_bool().get(b) && !b;
  }
  std::string_view raw;
  if (raw_value(v, raw)) return false;
  std::string compact;
  for (char c : raw)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact += c;
  return compact == neutral;
}

// The client's body is parsed once, into a thread-local parser and buffer reused across calls.
error_code open_body(std::string_view body, od::document& doc, od::object& root) {
  thread_local std::string buf;
  thread_local od::parser parser;
  if (auto ec = reuse(parser, body.size()).iterate(padded_copy(buf, body)).get(doc)) return ec;
  return doc.get_object().get(root);
}

Error not_json() {
  return make_error(ErrorKind::invalid_request,
                    "We could not parse the JSON body of your request: it is not valid JSON.");
}

}  // namespace

error_code raw_value(od::value& v, std::string_view& out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t == od::json_type::object) {
    od::object o;
    if (auto ec = v.get_object().get(o)) return ec;
    if (auto ec = o.raw_json().get(out)) return ec;
  } else if (t == od::json_type::array) {
    od::array a;
    if (auto ec = v.get_array().get(a)) return ec;
    if (auto ec = a.raw_json().get(out)) return ec;
  } else {
    out = v.raw_json_token();
  }
  out = detail::trim_json(out);
  return SUCCESS;
}

std::string at(std::size_t index, std::string_view tail) {
  return "messages[" + std::to_string(index) + "]" + std::string(tail);
}

std::string indexed(std::string_view head, std::size_t index, std::string_view tail) {
  return std::string(head) + "[" + std::to_string(index) + "]" + std::string(tail);
}

bool Translator::fail(std::string param, std::string message, std::string_view code) {
  error_ = make_error(ErrorKind::invalid_request, std::move(message), std::move(param),
                      std::string(code));
  failed_ = true;
  return false;
}

// A shape error, unless a deeper one was already recorded (each_member's fn failed).
bool Translator::wrong_type(std::string param, std::string_view expected) {
  if (failed_) return false;
  std::string message = "Invalid type for '" + param + "': expected " + std::string(expected) + ".";
  return fail(std::move(param), std::move(message), "invalid_type");
}

// A parameter Bedrock cannot honour: a 400 naming it, or dropped when the route allows.
bool Translator::unsupported(std::string_view param, std::string_view why) {
  if (options_.drop_unsupported) {
    out_.dropped.emplace_back(param);
    return true;
  }
  return fail(std::string(param),
              "Unsupported parameter '" + std::string(param) + "': " + std::string(why) + ".",
              "unsupported_parameter");
}

bool Translator::member(std::string_view key, od::value& v) {
  if (key == "messages") return messages(v);
  if (key == "stream") return !v.get_bool().get(out_.stream) || wrong_type("stream", "a boolean");
  if (key == "max_completion_tokens" || key == "max_tokens") return max_tokens(key, v);
  if (key == "temperature") return unit_interval(key, v, temperature_);
  if (key == "top_p") return unit_interval(key, v, top_p_);
  if (key == "stop") return stop(v);
  if (key == "tools") {
    specs_.clear();
    tool_names_.clear();
    return each_element(v, [this](std::size_t i, od::value& t) { return tool(t, i); }) ||
           wrong_type("tools", "an array of objects");
  }
  if (key == "tool_choice") return tool_choice(v);
  if (key == "response_format") return response_format(v);
  if (key == "reasoning_effort") return reasoning_effort(v);
  if (key == "stream_options") {  // include_obfuscation: there is nothing to obfuscate
    return each_member(v,
                       [this](std::string_view k, od::value& o) {
                         return k != "include_usage" || !o.get_bool().get(out_.include_usage);
                       }) ||
           wrong_type("stream_options", "an object with a boolean include_usage");
  }
  if (key == "service_tier") {
    std::string_view tier;
    if (v.get_string().get(tier)) return wrong_type("service_tier", "a string");
    return tier == "auto" || tier == "default" ||
           unsupported("service_tier", "Bedrock routes serve the default tier");
  }
  // `model` is the route's business; the rest change nothing Bedrock does (see the doc).
  if (key == "model" || key == "parallel_tool_calls" || key == "user" || key == "metadata" ||
      key == "store" || key == "prompt_cache_key" || key == "safety_identifier")
    return true;
  return other(key, v);
}

bool Translator::other(std::string_view key, od::value& v) {
  for (const auto& u : kUnsupported)
    if (u.key == key) return is_neutral(v, u.neutral) || unsupported(key, u.why);
  return unsupported(key, "it is not a Chat Completions parameter Bedrock can honour");
}

bool Translator::max_tokens(std::string_view key, od::value& v) {
  std::int64_t n = 0;
  std::string param(key);
  if (v.get_int64().get(n)) return wrong_type(param, "an integer");
  if (n < 1)
    return fail(param,
                "Invalid '" + param + "': must be at least 1; got " + std::to_string(n) + ".",
                "invalid_value");
  (key == "max_tokens" ? max_tokens_ : max_completion_tokens_) = n;
  return true;
}

// temperature and top_p: Bedrock's range is 0–1 (OpenAI allows temperature up to 2).
bool Translator::unit_interval(std::string_view key, od::value& v, std::string_view& slot) {
  std::string_view raw = detail::trim_json(v.raw_json_token());
  std::string param(key);
  double d = 0;
  if (v.get_double().get(d)) return wrong_type(param, "a number");
  if (!(d >= 0 && d <= 1))
    return fail(param,
                "Invalid '" + param + "': must be between 0 and 1 for Bedrock routes; got " +
                    std::string(raw) + ".",
                "invalid_value");
  slot = raw;
  return true;
}

bool Translator::stop(od::value& v) {
  stops_.clear();
  std::string_view s;
  auto add = [this, &s]() {
    if (s.empty()) return;  // Bedrock refuses empty stop sequences
    if (!stops_.empty()) stops_ += ',';
    detail::append_json_string(stops_, s);
  };
  if (!v.get_string().get(s)) return add(), true;
  return each_element(v, [&](std::size_t,
                             od::value& e) { return !e.get_string().get(s) && (add(), true); }) ||
         wrong_type("stop", "a string or an array of strings");
}

// OpenAI's own models on Bedrock take reasoning_effort as a model field (AWS's gpt-oss guide);
// other families spell reasoning their own way, which is not translated.
bool Translator::reasoning_effort(od::value& v) {
  std::string_view s;
  if (v.get_string().get(s)) return wrong_type("reasoning_effort", "a string");
  if (model_id_.find("openai.") == std::string_view::npos)
    return unsupported("reasoning_effort", "it is translated only for OpenAI models on Bedrock");
  effort_ = detail::trim_json(v.raw_json_token());
  return true;
}

std::string Translator::assemble() const {
  std::string body;
  body.reserve(system_.size() + turns_.size() + stops_.size() + tool_config_.size() + 256);
  body += '{';
  if (!system_.empty()) (body += R"("system":[)"sv) += system_, body += "],"sv;
  body += R"("messages":[)"sv;
  body += turns_;
  body += ']';
  std::int64_t max = max_completion_tokens_ ? max_completion_tokens_ : max_tokens_;
  std::string inference;
  auto add = [&inference](std::string_view key, std::string_view value) {
    inference += inference.empty() ? "{\"" : ",\"";
    (inference += key) += "\":"sv;
    inference += value;
  };
  if (max) add("maxTokens", std::to_string(max));
  if (!temperature_.empty()) add("temperature", temperature_);
  if (!top_p_.empty()) add("topP", top_p_);
  if (!stops_.empty()) add("stopSequences", "[" + stops_ + "]");
  if (!inference.empty()) (body += R"(,"inferenceConfig":)"sv) += inference, body += '}';
  if (!tool_config_.empty()) (body += R"(,"toolConfig":)"sv) += tool_config_;
  if (!effort_.empty())
    (body += R"(,"additionalModelRequestFields":{"reasoning_effort":)"sv) += effort_, body += '}';
  body += '}';
  return body;
}

Result<ConverseRequest> Translator::run(std::string_view body) {
  od::document doc;
  od::object root;
  if (open_body(body, doc, root)) return not_json();
  turns_.reserve(body.size());  // the messages are most of the body, and of its translation
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return not_json();
    od::value& v = field.value_unsafe().value();
    od::json_type t;
    if (v.type().get(t)) return not_json();
    // null means "not set" for every optional field.
    if (t == od::json_type::null && key != "messages") continue;
    if (!member(key, v)) return std::move(error_);
  }
  if (turns_.empty())
    return make_error(ErrorKind::invalid_request, "Missing required parameter: 'messages'.",
                      "messages", "missing_required_parameter");
  if (!tool_config()) return std::move(error_);
  out_.path = converse_path(model_id_, out_.stream);
  out_.body = assemble();
  return std::move(out_);
}

}  // namespace internal

Result<ConverseRequest> to_converse(std::string_view chat_body, std::string_view model_id,
                                    const ConverseOptions& options) {
  return internal::Translator(model_id, options).run(chat_body);
}

std::string converse_path(std::string_view model_id, bool stream) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string path = "/model/";
  path.reserve(model_id.size() * 3 + 24);
  for (char ch : model_id) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      path += ch;
    } else {
      path += '%';
      path += kHex[c >> 4];
      path += kHex[c & 15];
    }
  }
  path += stream ? "/converse-stream" : "/converse";
  return path;
}

Result<std::vector<std::string>> remote_image_urls(std::string_view chat_body) {
  using namespace internal;
  od::document doc;
  od::object root;
  if (open_body(chat_body, doc, root)) return not_json();
  std::vector<std::string> urls;
  auto part = [&urls](std::size_t, od::value& p) {
    std::array<std::string_view, 1> url{};
    each_member(p, [&url](std::string_view key, od::value& v) {
      return key != "image_url" || read_strings<1>(v, {"url"}, url);
    });
    bool remote = url[0].starts_with("https://") || url[0].starts_with("http://");
    if (remote && std::find(urls.begin(), urls.end(), url[0]) == urls.end())
      urls.emplace_back(url[0]);
    return true;
  };
  auto message = [&part](std::size_t, od::value& m) {
    return each_member(m, [&part](std::string_view key, od::value& v) {
      return key != "content" || each_element(v, part) || true;
    });
  };
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return not_json();
    if (key == "messages") each_element(field.value_unsafe().value(), message);
  }
  return urls;
}

}  // namespace tollbooth::bedrock
