#include "mock/mock_answer.hpp"

#include <algorithm>

#include "mock/mock_json.hpp"
#include "mock/mock_text.hpp"

namespace tollbooth::mock {
namespace {

constexpr std::string_view kFingerprint = "fp_mock";

// Azure's "nothing was filtered" results (PROTOCOLS.md §4.3): the prompt form carries
// jailbreak, the choice form the protected-material checks.
constexpr std::string_view kSafeCategories =
    R"("hate":{"filtered":false,"severity":"safe"},"self_harm":{"filtered":false,"severity":"safe"},)"
    R"("sexual":{"filtered":false,"severity":"safe"},"violence":{"filtered":false,"severity":"safe"})";

void append_prompt_filter_results(std::string& out) {
  out += R"("prompt_filter_results":[{"prompt_index":0,"content_filter_results":{)";
  out += kSafeCategories;
  out += R"(,"jailbreak":{"filtered":false,"detected":false}}}])";
}

void append_choice_filter_results(std::string& out) {
  out += R"("content_filter_results":{)";
  out += kSafeCategories;
  out += R"(,"protected_material_code":{"filtered":false,"detected":false},)"
         R"("protected_material_text":{"filtered":false,"detected":false}})";
}

void append_usage(std::string& out, const Answer& a) {
  out += R"("usage":)";
  append_usage_object(out, a);
}

std::vector<std::string> split_pieces(std::string_view text) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;  // trailing whitespace belongs to no word
    while (i < text.size() && !is_space(text[i])) ++i;
    pieces.emplace_back(text.substr(start, i - start));
    start = i;
  }
  return pieces;
}

void append_chunk_head(const AnswerMeta& meta, std::string& out) {
  out += R"(data: {"id":)";
  append_json_string(out, meta.id);
  out += R"(,"object":"chat.completion.chunk","created":)";
  append_int(out, kCreated);
  out += R"(,"model":)";
  append_json_string(out, meta.model);
  out += R"(,"system_fingerprint":")";
  out += kFingerprint;
  out += R"(","choices":[)";
}

// One chunk with one choice; `delta` is the delta object's inside, `finish` null or a reason.
std::string choice_chunk(const AnswerMeta& meta, std::string_view delta, std::string_view finish,
                         bool filter_results) {
  std::string out;
  out.reserve(320);
  append_chunk_head(meta, out);
  out += R"({"index":0,"delta":{)";
  out += delta;
  out += R"(},"logprobs":null,"finish_reason":)";
  if (finish.empty())
    out += "null";
  else
    append_json_string(out, finish);
  if (meta.dialect == Dialect::azure) {
    out.push_back(',');
    if (filter_results)
      append_choice_filter_results(out);
    else
      out += R"("content_filter_results":{})";
  }
  out += "}]";
  if (meta.include_usage) out += R"(,"usage":null)";
  out += "}\n\n";
  return out;
}

std::string usage_chunk(const AnswerMeta& meta, const Answer& answer) {
  std::string out;
  append_chunk_head(meta, out);
  out += "],";
  append_usage(out, answer);
  out += "}\n\n";
  return out;
}

std::string azure_prelude() {
  std::string out = R"(data: {"id":"","object":"","created":0,"model":"","choices":[],)";
  append_prompt_filter_results(out);
  out += "}\n\n";
  return out;
}

}  // namespace

void append_usage_object(std::string& out, const Answer& a) {
  out += R"({"prompt_tokens":)";
  append_int(out, a.prompt_tokens);
  out += R"(,"completion_tokens":)";
  append_int(out, a.completion_tokens);
  out += R"(,"total_tokens":)";
  append_int(out, a.prompt_tokens + a.completion_tokens);
  out += R"(,"prompt_tokens_details":{"cached_tokens":)";
  append_int(out, a.cached_tokens);
  out += R"(,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":)";
  append_int(out, a.reasoning_tokens);
  out += R"(,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})";
}

Answer make_answer(std::string_view cloud, const ChatInput& input) {
  Answer a;
  std::string full(cloud);
  full += " says: ";
  full += first_chars(input.last_user_text, kEchoChars);
  a.pieces = split_pieces(full);
  if (input.max_tokens >= 0 && static_cast<std::int64_t>(a.pieces.size()) > input.max_tokens) {
    a.pieces.resize(static_cast<std::size_t>(input.max_tokens));
    a.finish_reason = "length";
  }
  for (const auto& p : a.pieces) a.content += p;
  a.prompt_tokens = input.prompt_tokens;
  // Usage (docs/mock.md): half the prompt comes from the cache when the request names a cache
  // key or the prompt is long; reasoning comes on top of the answer's words, within the cap.
  if (input.prompt_cache_key || a.prompt_tokens >= kCachedPromptTokens)
    a.cached_tokens = a.prompt_tokens / 2;
  const auto words = static_cast<std::int64_t>(a.pieces.size());
  a.reasoning_tokens = reasoning_tokens_for(input.reasoning_effort);
  if (input.max_tokens >= 0)
    a.reasoning_tokens = std::min(a.reasoning_tokens, input.max_tokens - words);
  a.completion_tokens = words + a.reasoning_tokens;
  return a;
}

void render_completion(const AnswerMeta& meta, const Answer& answer, std::string& out) {
  out += R"({"id":)";
  append_json_string(out, meta.id);
  out += R"(,"object":"chat.completion","created":)";
  append_int(out, kCreated);
  out += R"(,"model":)";
  append_json_string(out, meta.model);
  out += R"(,"choices":[{"index":0,"message":{"role":"assistant","content":)";
  append_json_string(out, answer.content);
  out += R"(,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":)";
  append_json_string(out, answer.finish_reason);
  if (meta.dialect == Dialect::azure) {
    out.push_back(',');
    append_choice_filter_results(out);
  }
  out += "}],";
  append_usage(out, answer);
  if (meta.dialect == Dialect::azure) {
    out.push_back(',');
    append_prompt_filter_results(out);
  } else {
    out += R"(,"service_tier":"default")";
  }
  out += R"(,"system_fingerprint":")";
  out += kFingerprint;
  out += "\"}";
}

std::vector<std::string> render_stream(const AnswerMeta& meta, const Answer& answer) {
  std::vector<std::string> events;
  events.reserve(answer.pieces.size() + 5);
  if (meta.dialect == Dialect::azure) events.push_back(azure_prelude());
  events.push_back(
      choice_chunk(meta, R"("role":"assistant","content":"","refusal":null)", {}, false));
  std::string delta;
  for (const auto& piece : answer.pieces) {
    delta = R"("content":)";
    append_json_string(delta, piece);
    events.push_back(choice_chunk(meta, delta, {}, true));
  }
  events.push_back(choice_chunk(meta, {}, answer.finish_reason, false));
  if (meta.include_usage) events.push_back(usage_chunk(meta, answer));
  events.emplace_back("data: [DONE]\n\n");
  return events;
}

}  // namespace tollbooth::mock
