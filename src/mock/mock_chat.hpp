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
};

// Errors are OpenAI-shaped invalid_request errors with `param` set where the service sets it.
// `model_required` is false for Azure's deployment form, where the path names the model.
Result<ChatInput> parse_chat_input(std::string_view body, bool model_required);

// Number of whitespace-separated words in `text`.
std::int64_t count_words(std::string_view text) noexcept;

}  // namespace tollbooth::mock
