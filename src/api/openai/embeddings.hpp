#pragma once
// OpenAI Embeddings (POST /v1/embeddings): the request read for routing and forwarding, the
// usage of an answer, and the answer written from one vector (for translated upstreams).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/openai/chat_request.hpp"
#include "core/result.hpp"
#include "core/usage.hpp"

namespace tollbooth::openai {

struct EmbeddingsInspection {
  // model, its span and the body's end, for the OpenAI-wire adapters' splice (as chat's);
  // stream false, include_usage true.
  ChatInspection facts;
  std::vector<std::string> texts;  // the inputs when they are strings (unescaped)
  bool token_input = false;        // `input` holds token arrays, not strings
  std::size_t input_count = 0;
  bool base64 = false;  // encoding_format "base64"
  std::optional<std::int64_t> dimensions;
};

// Validates: a JSON object, `model` a non-empty string, `input` a non-empty string or a
// non-empty array of strings, of integers (one token array), or of integer arrays;
// `encoding_format` "float" or "base64" when present; `dimensions` a positive integer when
// present. 400s name the field. The estimate is the chat front's rule: text bytes / 4 (a token
// array counts its length).
Result<EmbeddingsInspection> inspect_embeddings_request(std::string_view body);

// usage.prompt_tokens of an embeddings answer as input tokens; nullopt without a usage object.
std::optional<Usage> usage_from_embeddings(std::string_view body);

// The OpenAI answer for one input's vector: {"object":"list","data":[{"object":"embedding",
// "index":0,"embedding":[...] or "base64"}],"model":...,"usage":{...}}. base64 is the
// little-endian float32 bytes, as OpenAI sends them.
std::string embeddings_answer(std::span<const double> vector, bool base64, std::string_view model,
                              std::int64_t prompt_tokens);

}  // namespace tollbooth::openai
