#pragma once
// What the OpenAI-wire translators (chat, Responses, embeddings on OpenAI and Azure) do alike
// with an upstream's answer head: which bodies to read how, and which statuses are this route's
// failure rather than the client's answer.
#include <string>

#include "providers/translator.hpp"

namespace tollbooth {

// 429, 5xx and the cloud refusing the gateway's own credentials (401, 403) are read as
// refusals; a 200 event stream is streamed when the client asked for a stream; anything else
// is read whole.

inline BodyPlan openai_wire_plan(const ResponseHead& head, bool stream) {
  const int s = head.status;
  if (s == 429 || s >= 500 || s == 401 || s == 403) return BodyPlan::refusal;
  if (s == 200 && stream && head.content_type.starts_with("text/event-stream"))
    return BodyPlan::stream;
  return BodyPlan::whole;
}

// For 401 and 403 (the gateway's credentials: a configuration fault of this route; the body is
// dropped, OpenAI's echoes part of the key), 429 and 5xx: `r` becomes a retry, so the next route
// may serve, and the answer is true. False for every other status: the answer (or the client's
// own error) passes through. `r` is the caller's one Reply, so its return is not a copy (a
// second returned object costs the chat path a Reply move: 260 instructions, bench/instructions).
inline bool openai_wire_refused(const ResponseHead& head, Reply& r) {
  const int s = head.status;
  if (s != 401 && s != 403 && s != 429 && s < 500) return false;
  r.kind = Reply::Kind::retry;
  if (s == 401 || s == 403) {
    r.error =
        make_error(ErrorKind::bad_gateway,
                   "HTTP " + std::to_string(s) + ": the cloud refused the gateway's credentials");
  } else {
    r.error = make_error(s == 429 ? ErrorKind::rate_limited : ErrorKind::bad_gateway,
                         "HTTP " + std::to_string(s));
    r.retry_after = std::string(head.retry_after);
  }
  r.error.retryable = true;
  return true;
}

}  // namespace tollbooth
