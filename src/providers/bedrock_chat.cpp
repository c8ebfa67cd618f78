#include "providers/bedrock_chat.hpp"

#include <algorithm>

#include "api/openai/errors.hpp"
#include "providers/bedrock_response.hpp"

namespace tollbooth {

namespace {

aws::EventStreamLimits limits_for(std::size_t max_event_bytes) {
  aws::EventStreamLimits limits;
  limits.max_payload_bytes =
      static_cast<std::uint32_t>(std::min<std::size_t>(max_event_bytes, limits.max_payload_bytes));
  return limits;
}

}  // namespace

BedrockChat::BedrockChat(const ChatInput& in, std::size_t max_event_bytes)
    : in_(in), decoder_(limits_for(max_event_bytes)) {}

Result<Ok> BedrockChat::build(UpstreamRequest& out) {
  const ChatInput& in = in_;
  const std::int64_t now_s = in.unix_ms / 1000;
  auto built = build_bedrock_chat(in.provider, in.endpoint, in.route, *in.aws_auth, *in.signer,
                                  now_s, in.client_body, in.images, call_);
  if (!built) return std::move(built).error();
  // in.response_id lives as long as the attempt, as this translator does: no copy needed.
  reply_ = bedrock::ReplyOptions{
      in.facts.model, in.response_id, now_s, call_.converse.json_tool, call_.converse.include_usage,
      in.pricer};
  out.head.swap(call_.wire.head);
  out.body = call_.wire.body;  // points into call_.converse.body, which lives here
  return Ok{};
}

BodyPlan BedrockChat::plan(const ResponseHead& head) const {
  if (head.status != 200) return BodyPlan::refusal;
  return call_.converse.stream ? BodyPlan::stream : BodyPlan::whole;
}

void bedrock_error_reply(const ResponseHead& head, std::string_view body, Reply& r) {
  Error e = bedrock::error_from_bedrock(head.status, head.error_type, body);
  if (e.retryable) {
    r.kind = Reply::Kind::retry;
    r.error = std::move(e);
    return;
  }
  // Bedrock's validation errors are the client's: answered in OpenAI's shape, no fallback.
  r.status = http_status(e.kind);
  r.owned = openai::error_body(e);
  r.body = r.owned;
}

Reply BedrockChat::whole(const ResponseHead& head, std::string_view body) {
  Reply r;  // the one object returned, so that returning it is not a move
  if (head.status != 200) {
    bedrock_error_reply(head, body, r);
    return r;
  }
  auto reply = bedrock::chat_completion_from_converse(body, reply_);
  if (!reply) {
    // Bedrock answered 200 with something that is not a Converse answer: it may have done the
    // work, so the request is not sent again.
    r.kind = Reply::Kind::final;
    r.error = std::move(reply).error();
    r.error.retryable = false;
    return r;
  }
  r.owned = std::move(reply->body);
  r.body = r.owned;
  r.usage = reply->usage;
  return r;
}

bedrock::ConverseStreamTranslator& BedrockChat::stream() {
  if (!stream_) stream_.emplace(reply_);
  return *stream_;
}

void BedrockChat::feed(std::string_view bytes, std::string& out) {
  auto& tr = stream();
  frames_.clear();
  auto fed = decoder_.feed(bytes, frames_);
  for (const auto& m : frames_) {
    std::string_view type = m.message_type();
    if (type == "event") {
      tr.on_event(m.event_type(), m.payload, out);
    } else if (type == "exception") {
      tr.on_exception(m.exception_type(), m.payload, out);
    } else {  // "error": an error code and message in headers (§6.3)
      Error e = make_error(ErrorKind::bad_gateway, "Bedrock reported an error in the stream.");
      e.detail = "bedrock stream error " + std::string(m.error_code()) + ": " +
                 std::string(m.error_message());
      e.retryable = true;
      tr.abort(std::move(e), out);
    }
  }
  if (!fed) {
    // Bytes that are not an event stream: Bedrock (or something in between) is broken, and it
    // may have acted on the request, so no other route tries it.
    Error e = std::move(fed).error();
    e.retryable = false;
    tr.abort(std::move(e), out);
  }
}

void BedrockChat::end(std::string& out) {
  stream().finish(out);  // a no-op after [DONE]; otherwise the stream ended too early
}

void BedrockChat::fail(Error error, std::string& out) {
  stream().abort(std::move(error), out);
}

bool BedrockChat::done() const noexcept {
  return stream_ && stream_->done();
}

const Error* BedrockChat::error() const noexcept {
  return stream_ && stream_->error() ? &*stream_->error() : nullptr;
}

Usage BedrockChat::usage() const noexcept {
  return stream_ ? stream_->usage() : Usage{};
}

}  // namespace tollbooth
