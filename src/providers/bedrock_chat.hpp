#pragma once
// The OpenAI Chat Completions front over AWS Bedrock Converse / ConverseStream: the request
// translated and signed (openai_bedrock), a Converse answer translated to a chat.completion, an
// event stream decoded frame by frame (aws/eventstream) and translated to OpenAI SSE chunks
// (bedrock_stream). Bedrock's errors are mapped (bedrock_response): throttling, unavailability
// and rejected credentials let the next route try; validation errors are the client's.
#include <optional>
#include <string>
#include <vector>

#include "aws/eventstream.hpp"
#include "providers/bedrock_stream.hpp"
#include "providers/openai_bedrock.hpp"
#include "providers/translator.hpp"

namespace tollbooth {

// A Bedrock error answer (any status but 200) into `r`, as the client's or the next route's:
// throttling and server errors retry elsewhere, validation errors are the client's, in OpenAI's
// shape.
void bedrock_error_reply(const ResponseHead& head, std::string_view body, Reply& r);

class BedrockChat final : public Translator {
 public:
  // `max_event_bytes` bounds one event-stream frame's payload.
  BedrockChat(const ChatInput& in, std::size_t max_event_bytes);

  Result<Ok> build(UpstreamRequest& out) override;
  BodyPlan plan(const ResponseHead& head) const override;
  Reply whole(const ResponseHead& head, std::string_view body) override;

  void feed(std::string_view bytes, std::string& out) override;
  void end(std::string& out) override;
  void fail(Error error, std::string& out) override;
  bool done() const noexcept override;
  const Error* error() const noexcept override;
  Usage usage() const noexcept override;
  std::size_t pending_bytes() const noexcept override { return decoder_.pending_bytes(); }

 private:
  bedrock::ConverseStreamTranslator& stream();

  const ChatInput& in_;
  BedrockCall call_;
  bedrock::ReplyOptions reply_{};
  aws::EventStreamDecoder decoder_;
  std::vector<aws::EventMessage> frames_;
  std::optional<bedrock::ConverseStreamTranslator> stream_;
};

}  // namespace tollbooth
