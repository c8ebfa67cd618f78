#pragma once
// OpenAI Chat Completions request bodies: cheap inspection (no DOM kept) and byte splicing.
// The fast path forwards the client's bytes, changing only `model` and
// `stream_options.include_usage`; everything else reaches the upstream byte for byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/capability.hpp"
#include "core/result.hpp"

namespace tollbooth::openai {

// Byte range [begin, end) inside the original body.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool empty() const noexcept { return begin == end; }
};

// What routing, admission and forwarding need to know of a request, read in one pass.
//
// Request facts:
// - `needs`: the capabilities a route must offer. `tools`: a non-empty `tools` array, or a
//   non-empty legacy `functions` array. `parallel_tools`: a non-empty `tools` array and
//   `parallel_tool_calls` not false (absent or null means true, OpenAI's default); legacy
//   `functions` never ask for it (one function_call per turn), and tool calls already in the
//   history do not either. `vision`: a content part of type `image_url` or `input_image` in
//   any message. `json_schema` / `json_object`: `response_format.type`; other types need
//   nothing. `reasoning`: `reasoning_effort` a string, or `reasoning` an object.
//   `responses_api` and `long_context` are never set here (the Responses endpoint and the
//   planner set them). `tool_choice` is not consulted: a route must accept `tools` even when
//   the client says "none".
// - `estimated_input_tokens` = ceil(text_bytes / 4) + 4 × message_count + 765 × image_parts,
//   saturating at 2^32-1. text_bytes are raw JSON bytes (escapes as written) of: string
//   `content`, string `text` members of content parts, assistant `tool_calls` values, and the
//   whole `tools` and `functions` values. 4 bytes a token is right for English and code and
//   low for other scripts; 4 a message is the chat template's per-message framing; 765 is a
//   1024×1024 image at detail "high". Image payloads (URLs, base64 data) are not text.
//   At least 4 for any request that passed validation (messages is non-empty).
// - `max_output_tokens`: `max_completion_tokens`, else `max_tokens`; 0 when both are absent
//   or null. A JSON integer; values above 2^32-1 saturate.
struct ChatInspection {
  std::string model;
  bool stream = false;
  bool include_usage = false;  // the client itself asked for the usage chunk
  std::size_t message_count = 0;
  Span model_value;            // the JSON string token of `model`, quotes included
  Span stream_options_value;   // the whole `stream_options` value; empty if absent
  Span include_usage_value;    // the `include_usage` value inside it; empty if absent
  std::size_t object_end = 0;  // offset of the body's closing `}`

  // The request facts, as above.
  CapabilitySet needs;
  std::uint32_t estimated_input_tokens = 0;
  std::uint32_t max_output_tokens = 0;  // 0: the client set no limit

  // The Responses front's state (inspect_responses_request only): `store` (absent or null:
  // true, OpenAI's default) and `previous_response_id` (empty: none).
  bool store = true;
  std::string previous_response_id;
};

// Validates what the gateway needs to route and forward: a JSON object, `model` a non-empty
// string, `messages` a non-empty array of objects each with a known string `role`, `stream`
// a bool when present, `stream_options` an object or null when present (and its
// `include_usage` a bool). The whole body must be valid JSON. For the request facts:
// `tools` and `functions` arrays or null, `parallel_tool_calls` a bool or null,
// `response_format` an object with a string `type` (or null), `reasoning_effort` a string or
// null, `max_completion_tokens` and `max_tokens` non-negative integers or null (a decimal
// number is invalid_type, a negative one invalid_value). Values only an upstream can judge
// (unknown response_format types, effort levels, a cap above the model's) pass.
// Duplicate keys are refused (code duplicate_key, `param` the key's path, e.g. "model",
// "messages[2].role") in the body and in every object whose members are read here: each
// message, each content part, `stream_options` and `response_format`. Parsers disagree on
// which duplicate wins, so routing on one would let the upstream serve another. Keys are
// compared unescaped ("mod\u0065l" is `model`), as the upstream reads them.
// Errors are ErrorKind::invalid_request with `param` naming the field (empty for malformed
// JSON) and an OpenAI-style `code` (missing_required_parameter, invalid_type, ...).
// `body` must stay alive while the result's spans are used. The body is copied into a reused
// thread-local padded buffer; callers need not pad.
Result<ChatInspection> inspect_chat_request(std::string_view body);

// Returns the body to send upstream: `model` replaced by `upstream_model` (JSON-escaped), and,
// when `force_include_usage` is true, `stream_options.include_usage` set to true (inserting
// `stream_options` if absent). Bytes outside those spans are unchanged. Pass true only for
// streaming requests: OpenAI refuses `stream_options` without `stream: true`.
// `facts` must come from inspect_chat_request(body); if they do not fit `body`, it is returned
// unchanged.
std::string splice_chat_request(std::string_view body, const ChatInspection& facts,
                                std::string_view upstream_model, bool force_include_usage);

}  // namespace tollbooth::openai
