#pragma once
// The Responses API over an upstream that has only Chat Completions (and Bedrock, through the
// chat translator): a Responses request becomes a chat request, and the chat answer (whole, or
// its chat.completion.chunk stream) becomes a Responses answer. PROTOCOLS.md §2.6 lists the
// mapping; docs/responses.md says what is kept, dropped and refused.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/result.hpp"
#include "core/usage.hpp"

namespace tollbooth::openai {

struct ChatBridge {
  std::string chat_body;                  // the chat request
  std::vector<std::string> custom_tools;  // `custom` tools, sent as functions of one string
  std::vector<std::string> dropped;       // what was dropped under drop_unsupported, for the log
};

// `body` must have passed inspect_responses_request. `route` names the route in errors.
// `drop_unsupported` (the route's setting): built-in tools (web_search, file_search, computer
// use, code interpreter, ...) and items no chat upstream can take are dropped instead of
// refused with a 400 naming the tool and the route. Reasoning items are always dropped: their
// encrypted_content belongs to the organisation that made it. `previous_response_id` is
// refused: the route keeps no state (with a store, the Responses front spells a kept
// conversation out before it gets here; docs/responses.md, "State").
Result<ChatBridge> responses_to_chat(std::string_view body, std::string_view route,
                                     bool drop_unsupported);

// The response object of a whole chat.completion; nullopt when it is not one. `id` names it;
// tool calls of a `custom_tools` name become custom_tool_call items with their `input`.
std::optional<std::string> chat_completion_to_response(
    std::string_view chat, std::string_view id, const std::vector<std::string>& custom_tools);

// A chat.completion.chunk stream (the `data:` events a chat translator writes) as a Responses
// event stream: response.created, an output item per message or tool call with its deltas,
// and one terminal event (response.completed with the output and usage, response.incomplete
// for finish_reason length or content_filter, response.failed for an error event or a stream
// that ends without [DONE]).
class ChatToResponsesStream {
 public:
  // Output items (messages and tool calls) an answer may have: past it, or for a tool call
  // index outside 0..kMaxOutputItems-1, the stream ends in response.failed (a hostile
  // upstream's index must not size a vector).
  static constexpr std::size_t kMaxOutputItems = 1024;
  // The text and arguments an answer may hold (response.completed repeats them all); past it,
  // response.failed: an endless upstream stream must not grow the gateway without bound.
  static constexpr std::size_t kMaxAnswerBytes = std::size_t{32} << 20;

  ChatToResponsesStream(std::string_view id, std::string_view model,
                        std::vector<std::string> custom_tools);

  // Chat SSE bytes as the chat translator wrote them (whole events). Appends Responses events.
  void feed(std::string_view chat_sse, std::string& out);
  // The chat stream ended: without [DONE] the response failed.
  void finish(std::string& out);
  // The gateway gave up on the stream.
  void fail(const Error& error, std::string& out);
  bool done() const noexcept { return done_; }

 private:
  struct Item {
    bool call = false;
    bool custom = false;
    std::string id, call_id, name;
    std::string text;   // the message's text, or the call's arguments
    std::string where;  // a text delta's fields before the delta, made once
  };
  void on_chunk(std::string_view data, std::string& out);
  // Counts `bytes` more of the answer kept; false (and response.failed written) past the bound.
  bool keep(std::size_t bytes, std::string& out);
  void start(std::string& out);
  void open_message(std::string& out);
  void close_open(std::string& out);
  void complete(std::string& out);
  void failed(std::string_view message, std::string_view code, std::string& out);
  void emit(std::string_view type, std::string fields, std::string& out);
  std::string item_json(const Item& item, bool done) const;
  std::string response_json(std::string_view status, bool final) const;

  std::string id_, model_;
  std::vector<std::string> custom_tools_;
  std::string pending_;  // an unfinished chat event
  std::vector<Item> items_;
  int open_ = -1;                // the item being streamed
  std::vector<int> call_items_;  // chat tool_call index -> item
  std::int64_t seq_ = 0;
  std::size_t kept_ = 0;  // bytes of text and arguments kept in items_
  std::string finish_reason_;
  std::optional<Usage> usage_;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace tollbooth::openai
