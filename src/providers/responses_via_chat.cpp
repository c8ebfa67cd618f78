#include "providers/responses_via_chat.hpp"

namespace tollbooth {

ResponsesViaChat::ResponsesViaChat(const ChatInput& in, const ServerConfig& server,
                                   openai::ChatBridge bridge, openai::ChatInspection chat_facts)
    : response_id_(in.response_id),
      bridge_(std::move(bridge)),
      chat_facts_(std::move(chat_facts)),
      chat_in_{in.provider,  in.endpoint, in.route,    bridge_.chat_body, chat_facts_, in.unix_ms,
               response_id_, in.signer,   in.aws_auth, in.images,         in.pricer},
      stream_(response_id_, chat_facts_.model, bridge_.custom_tools) {
  inner_ = &make_chat_translator(chat_in_, server, storage_);
}

Reply ResponsesViaChat::whole(const ResponseHead& head, std::string_view body) {
  Reply r = inner_->whole(head, body);
  if (r.kind != Reply::Kind::respond || r.status != 200) return r;
  auto converted = openai::chat_completion_to_response(r.body, response_id_, bridge_.custom_tools);
  if (!converted) return r;
  r.owned = std::move(*converted);
  r.body = r.owned;
  r.content_type = "application/json";
  return r;
}

void ResponsesViaChat::feed(std::string_view bytes, std::string& out) {
  chat_out_.clear();
  inner_->feed(bytes, chat_out_);
  stream_.feed(chat_out_, out);
}

void ResponsesViaChat::end(std::string& out) {
  chat_out_.clear();
  inner_->end(chat_out_);
  stream_.feed(chat_out_, out);
  if (!stream_.done()) {
    stream_error_ = make_error(ErrorKind::bad_gateway,
                               "the upstream's stream ended before the response was complete");
    stream_.finish(out);
  }
}

void ResponsesViaChat::fail(Error error, std::string& out) {
  chat_out_.clear();
  inner_->fail(error, chat_out_);
  stream_.feed(chat_out_, out);  // the chat error event becomes response.failed
  stream_.fail(error, out);      // (or this, when the inner wrote none)
}

const Error* ResponsesViaChat::error() const noexcept {
  if (const Error* e = inner_->error()) return e;
  return stream_error_ ? &*stream_error_ : nullptr;
}

}  // namespace tollbooth
