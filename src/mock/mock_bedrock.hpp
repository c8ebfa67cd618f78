#pragma once
// The mock AWS Bedrock Runtime cloud, free of sockets: reading and validating a Converse body
// (PROTOCOLS.md §5.3), the deterministic answer, its Converse JSON (§5.4) and ConverseStream
// event-stream frames (§5.6, §6), Bedrock-shaped errors (§5.5) and the SigV4 check (§7).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4.hpp"
#include "core/result.hpp"
#include "mock/mock_config.hpp"
#include "mock/mock_reply.hpp"

namespace tollbooth::mock {

struct ConverseInput {
  std::string last_user_text;        // text blocks of the last user turn, joined by ' '
  std::vector<std::string> results;  // texts of the last user turn's toolResult blocks
  bool last_user_has_tool_results = false;
  // A text block of a user turn began "call NAME ARGS" (docs/mock.md, "Tool calls"): NAME ARGS,
  // from the last such turn, and whether that turn is the last user turn.
  std::string scripted_call;
  bool scripted_call_is_last = false;
  std::vector<std::string> tools;  // toolConfig.tools[].toolSpec.name, in order
  std::string tool_choice;         // toolConfig.toolChoice.tool.name; empty when none
  std::int64_t max_tokens = -1;    // inferenceConfig.maxTokens; -1: none
  std::int64_t input_tokens = 0;   // words in all text + 3 per message: the whole prompt
  bool cache_point = false;        // a cachePoint block in system, messages or tools
  // additionalModelRequestFields.reasoning_effort (a string), or "medium" for an enabled
  // additionalModelRequestFields.thinking; empty when neither asks for reasoning.
  std::string reasoning_effort;
};

// Errors are ErrorKind::invalid_request with Bedrock's ValidationException message.
Result<ConverseInput> parse_converse_input(std::string_view body);

struct ConverseBlock {
  std::string text;         // a text block when tool_name is empty
  std::string tool_use_id;  // toolUse: "tooluse_mock_<n>"
  std::string tool_name;
  std::string tool_input;  // toolUse: the input as JSON text
};

// Bedrock's counters (docs/mock.md, "Usage"): inputTokens leave out the tokens read from and
// written to the prompt cache; outputTokens include the reasoning ones (Converse does not
// count those apart).
struct ConverseAnswer {
  std::vector<ConverseBlock> blocks;
  std::string_view stop_reason = "end_turn";  // tool_use, max_tokens
  std::int64_t input_tokens = 0;
  std::int64_t cache_read_tokens = 0;
  std::int64_t cache_write_tokens = 0;
  std::int64_t output_tokens = 0;
};

ConverseAnswer make_converse_answer(std::string_view cloud, const ConverseInput& input);

// The Converse response body.
void render_converse(const ConverseAnswer& answer, std::string& out);
// The answer's `usage` object, as its body and its stream's metadata event carry it.
void append_converse_usage(std::string& out, const ConverseAnswer& answer);
// The ConverseStream body as event-stream frames, one per event, in order.
std::vector<std::string> render_converse_stream(const ConverseAnswer& answer);
// A stream exception frame (`:exception-type` = `name`, e.g. throttlingException).
std::string render_stream_exception(std::string_view name);

// A Bedrock error: `x-amzn-ErrorType: <type>` and {"message":...}.
void bedrock_error(Reply& reply, int status, std::string_view type, std::string_view message);
// The error an injected `status=N` fault answers with.
void bedrock_fault_error(Reply& reply, int status);
// The HTTP status of a stream exception member name, e.g. throttlingException -> 429.
int bedrock_exception_status(std::string_view name);

struct SigV4Failure {
  int status = 403;
  std::string type;  // x-amzn-ErrorType
  std::string message;
};

struct SigV4Input {
  std::string_view method;
  std::string_view target;  // path and query as received
  std::span<const aws::HeaderRef> headers;
  std::string_view body;
  std::int64_t now = 0;  // Unix seconds
};

// Checks a request's SigV4 Authorization for service `bedrock` against the cloud's region and
// credentials, the way AWS does: recompute and compare, and X-Amz-Date within 15 minutes.
// Returns an empty type on success.
SigV4Failure verify_sigv4(const CloudConfig& cloud, const SigV4Input& input);

// Percent-decodes a path segment ("%3A" -> ":"); malformed escapes are kept as they are.
std::string percent_decode(std::string_view s);

}  // namespace tollbooth::mock
