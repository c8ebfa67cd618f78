#pragma once
// The mock OpenAI and Azure clouds' Responses API (PROTOCOLS.md §2): a request read into the
// chat answer's input (the same deterministic answer and usage rule as chat), and the answer
// written as a response object or as its SSE event sequence.
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "mock/mock_answer.hpp"
#include "mock/mock_chat.hpp"

namespace tollbooth::mock {

// `input` a string or an array of items: the last user message's text (a string content, or its
// input_text parts joined by a space) is what the answer echoes; prompt tokens are the words of
// `instructions` and of every item's text, plus 3 per item. `max_output_tokens` caps the
// answer; `reasoning.effort` and `prompt_cache_key` count as in chat. Errors are OpenAI-shaped.
Result<ChatInput> parse_responses_input(std::string_view body);

struct ResponseMeta {
  std::string_view id;     // "resp_mock_<n>"
  std::string_view model;  // as the request named it
  std::int64_t created = 0;
};

// The whole response object.
void render_response(const ResponseMeta& meta, const Answer& answer, std::string& out);
// The stream's events, each "event: <type>\ndata: {...}\n\n", sequence numbers from 0; the last
// is the terminal event (response.completed, or response.incomplete when the answer was cut by
// max_output_tokens) carrying the usage.
std::vector<std::string> render_response_stream(const ResponseMeta& meta, const Answer& answer);

}  // namespace tollbooth::mock
