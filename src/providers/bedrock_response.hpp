#pragma once
// AWS Bedrock Converse answers → OpenAI Chat Completions answers (PROTOCOLS.md §5.4, §5.5, §5.8):
// a Converse JSON body becomes a chat.completion body, and a Bedrock error (HTTP answer or
// stream exception) becomes the gateway's Error. Pure: bytes and values in, bytes and values out.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/usage.hpp"

namespace tollbooth {
class UsagePricer;  // providers/translator.hpp
}

namespace tollbooth::bedrock {

// What the OpenAI answer says about itself; Bedrock returns no id and no timestamp.
struct ReplyOptions {
  std::string_view client_model;        // the model name the client asked for (its alias)
  std::string_view response_id;         // e.g. "chatcmpl-..."; the gateway makes it
  std::int64_t created = 0;             // unix seconds, from the gateway's clock
  std::string_view json_tool;           // ConverseRequest::json_tool: its input is the content
  bool include_usage = false;           // streams only: send the usage chunk before [DONE]
  const UsagePricer* pricer = nullptr;  // streams only: the usage chunk's `cost`, when it has one
};

struct ChatReply {
  std::string body;  // the chat.completion JSON
  Usage usage;       // reported = false when Bedrock sent no usage (see usage_from_payload)
  std::string finish_reason;  // as in the body
};

// Converse response JSON → chat.completion JSON. A body that is not a Converse answer is a
// retryable ErrorKind::bad_gateway.
Result<ChatReply> chat_completion_from_converse(std::string_view converse_body,
                                                const ReplyOptions& options);

// Bedrock stopReason → OpenAI finish_reason (end_turn/stop_sequence → stop, max_tokens and
// model_context_window_exceeded → length, tool_use → tool_calls, guardrail_intervened and
// content_filtered → content_filter, anything else → stop).
std::string_view finish_reason_from_stop(std::string_view stop_reason) noexcept;

// A non-2xx Bedrock answer as an Error, per PROTOCOLS.md §5.5. The exception name comes from
// the x-amzn-ErrorType header (its ":..." suffix cut), else the body's `__type` or `code`; the
// message from the body's `message` or `Message`. Throttling, quota, unavailability, timeouts
// and model or server failures are retryable (the router tries the next route); validation
// errors are the client's: not retryable, Bedrock's message passed on. Credential and
// permission failures are the gateway's configuration: retryable, message kept internal.
Error error_from_bedrock(int http_status, std::string_view error_type_header,
                         std::string_view body);

// A ConverseStream exception frame (`:exception-type`, e.g. throttlingException, and its JSON
// payload {"message":...}) as an Error, with the same mapping.
Error error_from_stream_exception(std::string_view exception_type, std::string_view payload);

namespace detail {
// OpenAI's usage object for `usage`: prompt_tokens counts every prompt token (cache reads and
// writes included), prompt_tokens_details.cached_tokens and cache_write_tokens say how many
// were read from and written to the cache, completion_tokens counts every output token. With a
// `cost` (a JSON number), `"cost":<cost>` is its last member.
void append_usage(std::string& out, const Usage& usage, std::string_view cost = {});
// Reads the `usage` member of a JSON object (a Converse answer, a ConverseStream metadata
// event); false when the payload is not an object. usage.reported tells whether it had one
// (an object; `null` or another type counts as none). Bedrock's inputTokens leave out the
// tokens read from and written to the prompt cache, and Converse reports no reasoning count
// (reasoning is part of outputTokens), so exactly:
//   input_tokens             = inputTokens + cacheReadInputTokens + cacheWriteInputTokens
//   cached_input_tokens      = cacheReadInputTokens
//   cache_write_input_tokens = cacheWriteInputTokens
//   output_tokens            = outputTokens
//   reasoning_tokens         = 0
// A counter that is missing, null, negative, fractional or too large for 64 bits counts as
// 0, and the sum saturates at the largest int64 instead of overflowing; totalTokens is not read.
bool usage_from_payload(std::string_view payload, Usage& usage);
}  // namespace detail

}  // namespace tollbooth::bedrock
