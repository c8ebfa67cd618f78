#pragma once
// OpenAI Responses API request bodies (POST /v1/responses): what routing, admission and
// forwarding need, read in one pass. The facts come in the chat front's shape (ChatInspection),
// so the OpenAI-wire adapters splice and forward a Responses body as they do a chat body.
#include <string_view>

#include "api/openai/chat_request.hpp"
#include "core/result.hpp"

namespace tollbooth::openai {

// Validates what the gateway reads: a JSON object, `model` a non-empty string, `stream` a bool
// when present, `input` a string or an array of objects when present (absent is fine with
// `previous_response_id`), `instructions` a string or null, `tools` an array or null,
// `parallel_tool_calls` a bool or null, `text` and `reasoning` objects or null,
// `max_output_tokens` a non-negative integer or null, `store` a bool or null,
// `previous_response_id` null or a string of 1 to 256 printable ASCII characters. Duplicate keys
// are refused (code duplicate_key) in the body and in `text`, `text.format`, `reasoning` and every
// input item and content part: parsers disagree on which duplicate wins.
//
// The facts, in ChatInspection's fields:
// - `needs`: always `responses_api`; `tools` for a non-empty `tools` array, and
//   `parallel_tools` with it unless `parallel_tool_calls` is false; `vision` for an
//   `input_image` content part; `json_schema` / `json_object` for `text.format.type`;
//   `reasoning` for a `reasoning` object.
// - `estimated_input_tokens` = ceil(text_bytes / 4) + 4 × input items + 765 × images, as the
//   chat front counts: text_bytes are the raw JSON bytes of `instructions`, a string `input`,
//   string `content` and parts' `text`, function calls' `arguments`, tool outputs' `output`,
//   and the whole `tools` value.
// - `max_output_tokens`: `max_output_tokens`; 0 when absent or null.
// - `include_usage` is true: a Responses answer always carries its usage (in the response
//   object, and in a stream's terminal event), so nothing is spliced to ask for it.
// - `message_count`: the input items (1 for a string input).
// - `store`, `previous_response_id`: as the body says (store absent or null: true).
Result<ChatInspection> inspect_responses_request(std::string_view body);

}  // namespace tollbooth::openai
