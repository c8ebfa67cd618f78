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

// A scripted tool turn (docs/mock.md, "Tool calls"), for clients that run tools (Codex CLI):
// a user message "call NAME ARGUMENTS" naming one of the request's tools is answered with a
// call of it (a function_call, or a custom_tool_call for a `custom` tool) whose arguments (or
// input) are ARGUMENTS; once the input ends with that call's output, the answer is a message
// quoting the output's last non-empty line.
struct ToolTurn {
  enum class Kind { none, call, after_output };
  Kind kind = Kind::none;
  std::string name;       // call: the tool
  bool custom = false;    // call: a `custom` tool (freeform input, not JSON arguments)
  std::string arguments;  // call: what follows the name
};

struct ResponsesInput {
  ChatInput chat;
  ToolTurn turn;
  std::string previous_response_id;  // "" when the request has none
};

// `input` a string or an array of items: the last user message's text (a string content, or its
// input_text parts joined by a space) is what the answer echoes; prompt tokens are the words of
// `instructions` and of every item's text, plus 3 per item. `max_output_tokens` caps the
// answer; `reasoning.effort` and `prompt_cache_key` count as in chat. Errors are OpenAI-shaped.
Result<ResponsesInput> parse_responses_input(std::string_view body);

struct ResponseMeta {
  std::string_view id;     // "resp_mock_<cloud>_<n>"
  std::string_view model;  // as the request named it
  std::int64_t created = 0;
};

// The whole response object: a message, or the tool call of `turn` (kind call).
void render_response(const ResponseMeta& meta, const Answer& answer, const ToolTurn& turn,
                     std::string& out);
// The stream's events, each "event: <type>\ndata: {...}\n\n", sequence numbers from 0; the last
// is the terminal event (response.completed, or response.incomplete when the answer was cut by
// max_output_tokens) carrying the usage.
std::vector<std::string> render_response_stream(const ResponseMeta& meta, const Answer& answer,
                                                const ToolTurn& turn);

}  // namespace tollbooth::mock
