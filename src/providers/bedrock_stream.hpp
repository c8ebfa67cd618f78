#pragma once
// AWS Bedrock ConverseStream events → OpenAI chat.completion.chunk SSE events (PROTOCOLS.md
// §1.4, §5.6, §5.8). Fed one decoded event-stream message at a time (the aws/ codec splits and
// checks the frames); writes `data: {...}\n\n` events, then `data: [DONE]\n\n`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/usage.hpp"
#include "providers/bedrock_response.hpp"

namespace tollbooth::bedrock {

// One translator per stream. Event by event:
//   messageStart               → a chunk with delta {role:"assistant", content:""}
//   contentBlockDelta text     → delta {content}
//   contentBlockStart toolUse  → delta {tool_calls:[{index, id, type, function:{name,
//   arguments:""}}]}
//                                where index counts tool calls only (OpenAI's), not blocks
//   contentBlockDelta toolUse  → delta {tool_calls:[{index, function:{arguments: fragment}}]}
//   contentBlockStop           → arguments "{}" for a tool block that got no input at all
//   messageStop                → delta {} with the finish_reason
//   metadata                   → the usage chunk (choices []) when include_usage, then [DONE]
// The response_format tool's input fragments are streamed as content, and its call ends with
// finish_reason "stop". reasoningContent text is streamed as delta.reasoning_content.
// An exception frame, a payload that is not JSON, or a stream that ends before both
// messageStop and metadata (finish()) becomes `data: {"error":{...}}\n\n` with no [DONE];
// after that, or after [DONE], input is ignored.
class ConverseStreamTranslator {
 public:
  explicit ConverseStreamTranslator(const ReplyOptions& options);

  // One `:message-type: event` frame: its `:event-type` and JSON payload. Appends to `out`.
  void on_event(std::string_view event_type, std::string_view payload, std::string& out);
  // One `:message-type: exception` frame: its `:exception-type` and JSON payload.
  void on_exception(std::string_view exception_type, std::string_view payload, std::string& out);
  // The upstream body ended (or broke off); reports an unfinished stream in-band.
  void finish(std::string& out);
  // The transport or the framing failed (a timeout, bytes that are not an event stream):
  // reports `error` in-band unless the stream already ended.
  void abort(Error error, std::string& out);

  // [DONE] or an error event has been written.
  bool done() const noexcept { return done_; }
  // Usage from the metadata event (reported = false until it came), for metering even when
  // the client did not ask for the usage chunk.
  const Usage& usage() const noexcept { return usage_; }
  // The finish_reason sent, empty before messageStop.
  std::string_view finish_reason() const noexcept { return finish_reason_; }
  // The error reported in-band, if any. When it is retryable and nothing was relayed yet (an
  // exception as the first frame), the gateway may drop the output and try the next route.
  const std::optional<Error>& error() const noexcept { return error_; }

 private:
  struct ToolBlock {
    std::int64_t block = 0;  // Bedrock contentBlockIndex
    int index = -1;          // OpenAI tool_calls index; -1 for the response_format tool
    bool got_input = false;
  };

  void open_chunk(std::string& out) const;
  void close_chunk(std::string& out, std::string_view finish_reason) const;
  void role_chunk(std::string& out);
  void block_start(std::string_view payload, std::string& out);
  void block_delta(std::string_view payload, std::string& out);
  void block_stop(std::string_view payload, std::string& out);
  void message_stop(std::string_view payload, std::string& out);
  void metadata(std::string_view payload, std::string& out);
  void complete(std::string& out);
  void malformed(std::string_view event_type, std::string& out);
  ToolBlock* tool_block(std::int64_t block);

  std::string head_;  // `data: {"id":...,"object":...,"created":...,"model":...`
  std::string json_tool_;
  bool include_usage_ = false;
  bool started_ = false;   // the role chunk is out
  bool stopped_ = false;   // messageStop came
  bool metadata_ = false;  // metadata came
  bool done_ = false;
  int tool_count_ = 0;
  std::vector<ToolBlock> tools_;
  std::string finish_reason_;
  Usage usage_;
  std::optional<Error> error_;
};

}  // namespace tollbooth::bedrock
