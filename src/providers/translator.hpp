#pragma once
// A translator turns one front's request into one upstream wire's request, and that upstream's
// answer back into what the front's client expects: one per (front API, upstream wire) pair.
// Pure: bytes and values in, bytes and values out; the one relay (gateway/relay.cpp) does the
// I/O for all of them, whole answers and streams alike.
//
// A translator is made for one attempt (by its front, with the request and the route), then the
// relay's calls, in order:
//   build()            once, before anything is sent; an Error is a refusal (the wire cannot
//                      carry the request), and the next route may try
//   plan(head)         once the response head is in: stream the body, read it whole, or read
//                      it as an error answer (a refusal by the upstream)
//   whole(head, body)  for whole and refusal bodies: what the client gets, or that the next
//                      route should try (retryable), or a final failure
//   feed(bytes, out)   for streams, as the body arrives: client bytes appended to `out`
//   end(out)           the upstream body ended cleanly
//   fail(error, out)   the relay gave up on the upstream (a stall, a break, an event too large):
//                      appends the in-band error event for a stream already under way
// and reads done(), error(), usage() and pending_bytes() between feeds.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/money.hpp"
#include "core/result.hpp"
#include "core/usage.hpp"
#include "providers/upstream_request.hpp"

namespace tollbooth {

namespace aws {
class Signer;
struct Auth;
}  // namespace aws
namespace bedrock {
struct FetchedImage;
}

// What a stream's usage costs its client, for the `cost` a translator writes into the usage chunk
// of a stream whose client asked for usage (`stream_options.include_usage`), as OpenRouter
// does. The gateway implements it (the attempt's price, the key's and team's terms); nullopt
// when it has no figure (an unpriced route), and then the chunk goes out unchanged. Called for
// each chunk with a usage object that goes to such a client (OpenAI, Azure and Bedrock send one
// per stream; a server that sends running totals on every chunk gets each priced), on the
// event loop: it must not block.
class UsagePricer {
 public:
  virtual ~UsagePricer() = default;
  virtual std::optional<Money> charge(const Usage& usage) const noexcept = 0;
};

// What a chat translator is made with: the client's request and the attempt's route. The
// references live as long as the attempt.
struct ChatInput {
  const ProviderConfig& provider;
  const Endpoint& endpoint;
  const RouteConfig& route;
  std::string_view client_body;
  const openai::ChatInspection& facts;
  std::int64_t unix_ms = 0;             // now, for signatures and answer timestamps
  std::string_view response_id;         // the id a translated answer carries (chatcmpl-<request>)
  aws::Signer* signer = nullptr;        // bedrock: the worker's SigV4 signer
  const aws::Auth* aws_auth = nullptr;  // bedrock: the provider's credentials
  std::span<const bedrock::FetchedImage> images;  // bedrock with fetch_images: downloaded images
  const UsagePricer* pricer = nullptr;  // the usage chunk's `cost`; none: no cost is written
  // Preformatted "Name: value\r\n" lines the client sent that go to a passed-through upstream
  // as they are (the Responses front's Codex session headers); empty for most requests.
  std::string_view client_headers = {};
};

// The upstream response head, as far as translators need it.
struct ResponseHead {
  int status = 0;
  std::string_view content_type;
  std::string_view retry_after;
  std::string_view error_type;  // x-amzn-ErrorType
};

enum class BodyPlan {
  whole,    // read the answer whole (bounded), then whole()
  refusal,  // an error answer: read it if possible (its body only explains it), then whole()
  stream,   // feed() the body as it comes
};

// What a whole answer (or a refusal) becomes.
struct Reply {
  enum class Kind {
    respond,  // the client gets status/content_type/body (success, or its own error)
    retry,    // nothing goes to the client; the next route may try (`error`, `retry_after`)
    final,    // nothing goes to the client but `error`; no other route may try
  };
  Kind kind = Kind::respond;
  int status = 200;
  std::string_view content_type = "application/json";
  std::string_view body;  // into the upstream's body or `owned`
  std::string owned;
  Error error;
  std::string retry_after;
  std::optional<Usage> usage;
};

class Translator {
 public:
  virtual ~Translator() = default;
  virtual Result<Ok> build(UpstreamRequest& out) = 0;
  virtual BodyPlan plan(const ResponseHead& head) const = 0;
  virtual Reply whole(const ResponseHead& head, std::string_view body) = 0;

  virtual void feed(std::string_view bytes, std::string& out) = 0;
  virtual void end(std::string& out) = 0;
  virtual void fail(Error error, std::string& out) = 0;
  // The stream has ended, for the client: nothing more will be written but the last chunk.
  virtual bool done() const noexcept = 0;
  // The stream's error, when it has one: before the first client byte, a retryable one lets the
  // next route try, another one becomes the HTTP answer; after it, it was sent in-band.
  virtual const Error* error() const noexcept = 0;
  // The usage the upstream reported, normalised (core/usage.hpp: input counts the cached and
  // cache-write tokens, output the reasoning ones); reported = false until it came. A stream's
  // is read even when its client did not ask for the usage chunk.
  virtual Usage usage() const noexcept = 0;
  // Bytes of an unfinished event held back, for the per-event limit.
  virtual std::size_t pending_bytes() const noexcept = 0;
};

}  // namespace tollbooth
