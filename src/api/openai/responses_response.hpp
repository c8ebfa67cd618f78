#pragma once
// OpenAI Responses API answers: the usage of a response object (a whole answer, or the
// `response` of a stream's terminal event), normalised to core::Usage, and the kinds of stream
// events the relay must tell apart.
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/usage.hpp"

namespace tollbooth::openai {

// The `usage` of a response object: `input_tokens` (the cached ones included, as in chat),
// `input_tokens_details.cached_tokens`, `output_tokens` (the reasoning ones included) and
// `output_tokens_details.reasoning_tokens`. nullopt when `body` is not a JSON object or has no
// usage object (a null usage included).
std::optional<Usage> usage_from_response(std::string_view body);

enum class ResponsesEventKind {
  other,       // any event that is not the end of the stream
  completed,   // response.completed
  incomplete,  // response.incomplete (max_output_tokens, content filter): the answer ends
  failed,      // response.failed: the upstream failed the response
  error,       // a bare `error` event
};

struct ResponsesEvent {
  ResponsesEventKind kind = ResponsesEventKind::other;
  std::optional<Usage> usage;  // a terminal event's response.usage
};

// Classifies one SSE event by its `event:` name, or by the `type` in its data when the event
// has no name; a terminal event's data is parsed for the response's usage.
ResponsesEvent classify_responses_event(std::string_view event_type, std::string_view data);

// A `response.failed` event for a stream the gateway ends itself (the upstream stalled, broke,
// or sent an event too large): Codex ignores bare `error` events, so a failure mid-stream is
// written as the terminal event it waits for, with `error` carrying the gateway's message.
// `sequence_number` follows the last the client saw; `response_id` names the response.
std::string responses_failed_event(const Error& error, std::string_view response_id,
                                   long long sequence_number);

}  // namespace tollbooth::openai
