#pragma once
// AWS Bedrock ConverseStream events → OpenAI chat.completion.chunk SSE events (PROTOCOLS.md
// §1.4, §5.6, §5.8). Fed one decoded event-stream message at a time (the aws/ codec splits and
// checks the frames); writes `data: {...}\n\n` events, then `data: [DONE]\n\n`.
#include <cstddef>
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
//   metadata                   → the usage chunk (choices []) when include_usage, then [DONE];
//                                with a pricer that has a figure, its usage ends in "cost"
// The response_format tool's input fragments are streamed as content, and its call ends with
// finish_reason "stop". reasoningContent text is streamed as delta.reasoning_content.
// While that tool is offered (json_tool set), text is held back instead of streamed: a model
// may write a sentence before it calls the tool, and the content must be the JSON alone. The
// tool's start drops the held text (and text after it is dropped too); an answer that ends
// without the tool gets its held text as one content chunk just before the finish_reason, the
// content the non-streamed translation gives. At most kMaxHeldText bytes are held; text beyond
// that is dropped, and if the tool then never comes, a finish_reason "stop" becomes "length"
// (the content was cut). Only the first response tool call is shown: a second one would make
// the content two JSON values.
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

  // The most text held back while the response tool may still come (escaped JSON bytes).
  // Far above any preamble a model writes before a tool call; it only bounds a model that
  // answers a structured-output request with a long plain-text answer instead.
  static constexpr std::size_t kMaxHeldText = std::size_t{1} << 20;

 private:
  static constexpr int kResponseTool = -1;  // ToolBlock::index of the response_format tool
  static constexpr int kIgnoredTool = -2;   // ... of a second response_format tool call

  struct ToolBlock {
    std::int64_t block = 0;  // Bedrock contentBlockIndex
    int index = -1;          // OpenAI tool_calls index, or kResponseTool / kIgnoredTool
    bool got_input = false;
  };

  void open_chunk(std::string& out) const;
  void close_chunk(std::string& out, std::string_view finish_reason) const;
  void role_chunk(std::string& out);
  void block_start(std::string_view payload, std::string& out);
  void block_delta(std::string_view payload, std::string& out);
  void block_stop(std::string_view payload, std::string& out);
  void hold_text(std::string_view fragment);
  void message_stop(std::string_view payload, std::string& out);
  void metadata(std::string_view payload, std::string& out);
  void complete(std::string& out);
  void malformed(std::string_view event_type, std::string& out);
  ToolBlock* tool_block(std::int64_t block);

  std::string head_;  // `data: {"id":...,"object":...,"created":...,"model":...`
  std::string json_tool_;
  bool include_usage_ = false;
  const UsagePricer* pricer_ = nullptr;
  bool started_ = false;   // the role chunk is out
  bool stopped_ = false;   // messageStop came
  bool metadata_ = false;  // metadata came
  bool done_ = false;
  int tool_count_ = 0;
  std::vector<ToolBlock> tools_;
  bool answered_ = false;  // the response_format tool was called: text is dropped
  std::string held_;       // text held back while it may still come, escaped, no quotes
  bool held_cut_ = false;  // text past kMaxHeldText was dropped
  std::string finish_reason_;
  Usage usage_;
  std::optional<Error> error_;
};

}  // namespace tollbooth::bedrock
