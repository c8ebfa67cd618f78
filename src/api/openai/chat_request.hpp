#pragma once
// OpenAI Chat Completions request bodies: cheap inspection (no DOM kept) and byte splicing.
// The fast path forwards the client's bytes, changing only `model` and
// `stream_options.include_usage`; everything else reaches the upstream byte for byte.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tollbooth::openai {

// Byte range [begin, end) inside the original body.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  bool empty() const noexcept { return begin == end; }
};

struct ChatInspection {
  std::string model;
  bool stream = false;
  bool include_usage = false;  // the client itself asked for the usage chunk
  std::size_t message_count = 0;
  Span model_value;            // the JSON string token of `model`, quotes included
  Span stream_options_value;   // the whole `stream_options` value; empty if absent
  Span include_usage_value;    // the `include_usage` value inside it; empty if absent
  std::size_t object_end = 0;  // offset of the body's closing `}`
};

// Validates what the gateway needs to route and forward: a JSON object, `model` a non-empty
// string, `messages` a non-empty array of objects each with a known string `role`, `stream`
// a bool when present, `stream_options` an object or null when present (and its
// `include_usage` a bool). The whole body must be valid JSON.
// Duplicate keys: the last one wins, as in the upstreams' parsers; keys are compared unescaped
// ("mod\u0065l" is `model`), so the model we route on is the model the upstream reads.
// Errors are ErrorKind::invalid_request with `param` naming the field (empty for malformed
// JSON) and an OpenAI-style `code` (missing_required_parameter, invalid_type, ...).
// `body` must stay alive while the result's spans are used. The body is copied into a reused
// thread-local padded buffer; callers need not pad.
Result<ChatInspection> inspect_chat_request(std::string_view body);

// Returns the body to send upstream: `model` replaced by `upstream_model` (JSON-escaped), and,
// when `force_include_usage` is true, `stream_options.include_usage` set to true (inserting
// `stream_options` if absent). Bytes outside those spans are unchanged. Pass true only for
// streaming requests: OpenAI refuses `stream_options` without `stream: true`.
// `facts` must come from inspect_chat_request(body); if they do not fit `body`, it is returned
// unchanged.
std::string splice_chat_request(std::string_view body, const ChatInspection& facts,
                                std::string_view upstream_model, bool force_include_usage);

}  // namespace tollbooth::openai
