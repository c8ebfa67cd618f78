#pragma once
// Reading a Chat Completions request body (PROTOCOLS.md §1.2) the way the real services
// validate it, reduced to what the mock's deterministic answer needs.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tollbooth::mock {

struct ChatInput {
  std::string model;  // empty when the body has none
  bool stream = false;
  bool include_usage = false;      // stream_options.include_usage
  std::int64_t max_tokens = -1;    // smaller of max_tokens / max_completion_tokens; -1: none
  std::string last_user_text;      // text of the last user message, text parts joined by ' '
  std::int64_t prompt_tokens = 0;  // words across all message contents + 3 per message
  bool prompt_cache_key = false;   // the body has a string `prompt_cache_key`
  std::string reasoning_effort;    // `reasoning_effort` when it is a string; empty otherwise
};

// Errors are OpenAI-shaped invalid_request errors with `param` set where the service sets it.
// `model_required` is false for Azure's deployment form, where the path names the model.
Result<ChatInput> parse_chat_input(std::string_view body, bool model_required);

// Number of whitespace-separated words in `text`.
std::int64_t count_words(std::string_view text) noexcept;

// The mock's usage rule, shared by its clouds (docs/mock.md, "Usage"): a prompt of this many
// tokens or more is served partly from the prompt cache, as OpenAI caches prompts from 1024
// tokens on.
inline constexpr std::int64_t kCachedPromptTokens = 1024;
// Reasoning tokens for a `reasoning_effort` (none 0, minimal 8, low 16, medium 64, high 256,
// any other value 64); 0 for an empty one (no reasoning asked for).
std::int64_t reasoning_tokens_for(std::string_view effort) noexcept;

}  // namespace tollbooth::mock
