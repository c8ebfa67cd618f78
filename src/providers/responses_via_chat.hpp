#pragma once
// The Responses front over an upstream reached through its chat translator (Bedrock now; chat-
// only OpenAI-compatible servers next): the Responses request becomes a chat request
// (api/openai/responses_chat), the route's chat translator does the rest of the wire (Converse
// and SigV4 for Bedrock), and its chat answer is turned into the Responses answer: a response
// object, or the Responses event stream with exactly one terminal event.
#include <optional>
#include <string>

#include "api/openai/chat_request.hpp"
#include "api/openai/responses_chat.hpp"
#include "providers/chat_translators.hpp"

namespace tollbooth {

class ResponsesViaChat final : public Translator {
 public:
  // `in` is the attempt's input with the client's Responses body and facts; its
  // response_id names the response. `bridge` is the chat request made from it.
  ResponsesViaChat(const ChatInput& in, const ServerConfig& server, openai::ChatBridge bridge,
                   openai::ChatInspection chat_facts);

  Result<Ok> build(UpstreamRequest& out) override { return inner_->build(out); }
  BodyPlan plan(const ResponseHead& head) const override { return inner_->plan(head); }
  Reply whole(const ResponseHead& head, std::string_view body) override;

  void feed(std::string_view bytes, std::string& out) override;
  void end(std::string& out) override;
  void fail(Error error, std::string& out) override;
  bool done() const noexcept override { return stream_.done(); }
  const Error* error() const noexcept override;
  Usage usage() const noexcept override { return inner_->usage(); }
  std::size_t pending_bytes() const noexcept override { return inner_->pending_bytes(); }

 private:
  std::string response_id_;
  openai::ChatBridge bridge_;
  openai::ChatInspection chat_facts_;
  ChatInput chat_in_;  // the inner translator's input: the chat body and its facts
  AnyChatTranslator storage_;
  Translator* inner_ = nullptr;
  openai::ChatToResponsesStream stream_;
  std::string chat_out_;  // the inner translator's chat events, before they are turned
  std::optional<Error> stream_error_;
};

}  // namespace tollbooth
