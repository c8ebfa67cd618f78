#pragma once
// OpenAI Chat Completions request → AWS Bedrock Converse / ConverseStream request
// (PROTOCOLS.md §5.2, §5.3, §5.7). Pure: the client's body in, the URL path and the Converse body
// out; signing and sending are the caller's. docs/bedrock-translation.md lists every OpenAI field
// and what becomes of it.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace tollbooth::bedrock {

// A remote image the gateway downloaded because the route allows it (fetch_images), found by
// the URL written in the request. Bedrock takes images only as bytes (or S3), never as URLs.
struct FetchedImage {
  std::string url;
  std::string format;  // png | jpeg | gif | webp
  std::string base64;  // the image bytes, base64-encoded
};

struct ConverseOptions {
  // Route setting: parameters Bedrock cannot honour are dropped (and listed in
  // ConverseRequest::dropped) instead of answered with a 400 naming them.
  bool drop_unsupported = false;
  // Route setting: http(s) image URLs are allowed; their downloads must be in `images`.
  // Without it such an image is a 400 asking for a data: URL.
  bool fetch_images = false;
  std::span<const FetchedImage> images;
};

struct ConverseRequest {
  std::string path;  // /model/{percent-encoded modelId}/converse or .../converse-stream
  std::string body;  // the Converse JSON body
  bool stream = false;
  bool include_usage = false;  // the client asked for the usage chunk (stream_options)
  // The tool forced to carry a response_format answer; empty when none. The response and stream
  // translators turn its input back into message content (ReplyOptions::json_tool).
  std::string json_tool;
  std::vector<std::string> dropped;  // fields dropped under drop_unsupported, for the log
};

// Translates an OpenAI chat request for the Bedrock model `model_id` (a model id, inference
// profile id or ARN). `chat_body` must have passed openai::inspect_chat_request (so it is valid
// JSON with a model and messages); every field read here is checked again for its own shape.
// Errors are ErrorKind::invalid_request with `param` naming the field, e.g. `temperature` above
// 1, `n` above 1, tool-call arguments that are not a JSON object, an http image URL.
Result<ConverseRequest> to_converse(std::string_view chat_body, std::string_view model_id,
                                    const ConverseOptions& options);

// "/model/{modelId}/converse" (or "/converse-stream"), the modelId percent-encoded as a
// non-greedy URI label: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (':' → %3A, '/' → %2F).
std::string converse_path(std::string_view model_id, bool stream);

// The http(s) image URLs in a chat request's content parts, in order and without duplicates,
// so the gateway can download them before calling to_converse on a route with fetch_images.
Result<std::vector<std::string>> remote_image_urls(std::string_view chat_body);

namespace detail {
// JSON writing shared by the three Bedrock translators: `text` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);
// `n` in decimal.
void append_int(std::string& out, std::int64_t n);
// The raw text of a JSON value as simdjson hands it out, without the whitespace after it.
std::string_view trim_json(std::string_view raw) noexcept;
}  // namespace detail

}  // namespace tollbooth::bedrock
