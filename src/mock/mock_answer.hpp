#pragma once
// The mock's deterministic answer to a chat request, and its wire forms: the OpenAI
// chat.completion object and chat.completion.chunk stream (PROTOCOLS.md §1.3, §1.4), and
// Azure's variants with content-filter results and the empty prelude chunk (§4.3).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mock/mock_chat.hpp"

namespace tollbooth::mock {

// The answer content is "<cloud> says: <echo>", where <echo> is the last user message cut to
// kEchoChars characters. Tests and the demo can predict every byte of it.
inline constexpr std::size_t kEchoChars = 64;
inline constexpr std::int64_t kCreated = 1'700'000'000;

struct Answer {
  std::string content;
  // The content split for streaming: one piece per word, each with the whitespace before it,
  // so that concatenating the pieces gives `content` exactly.
  std::vector<std::string> pieces;
  std::string_view finish_reason = "stop";  // "length" when max tokens cut the answer
  // OpenAI's counters: prompt_tokens include the cached ones, completion_tokens the reasoning
  // ones (docs/mock.md, "Usage").
  std::int64_t prompt_tokens = 0;
  std::int64_t cached_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::int64_t reasoning_tokens = 0;
};

Answer make_answer(std::string_view cloud, const ChatInput& input);

enum class Dialect { openai, azure };

struct AnswerMeta {
  Dialect dialect = Dialect::openai;
  std::string_view id;     // "chatcmpl-mock-<n>"
  std::string_view model;  // request model (OpenAI) or the deployment's underlying model (Azure)
  bool include_usage = false;
};

// Appends the answer's `usage` object, as its body and its usage chunk carry it.
void append_usage_object(std::string& out, const Answer& answer);

// Appends the non-streaming chat.completion body to `out`.
void render_completion(const AnswerMeta& meta, const Answer& answer, std::string& out);

// The whole stream as complete SSE events ("data: ...\n\n"), in order: (Azure: prelude chunk),
// role chunk, one chunk per word, the finish_reason chunk, (include_usage: the usage chunk),
// and "data: [DONE]\n\n".
std::vector<std::string> render_stream(const AnswerMeta& meta, const Answer& answer);

}  // namespace tollbooth::mock
