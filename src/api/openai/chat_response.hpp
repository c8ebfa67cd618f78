#pragma once
// Reading OpenAI Chat Completions answers on the way back: usage from a whole response body, and
// the classification of stream chunks (usage chunk, Azure's empty prompt-filter chunk, errors).
#include <optional>
#include <string_view>

#include "core/usage.hpp"

namespace tollbooth::openai {

// Usage of a non-streaming chat.completion body; nullopt when absent, null or unparsable.
// input_tokens = prompt_tokens (cached ones included), output_tokens = completion_tokens
// (reasoning included); cached and reasoning are the *_details subsets. Counters that are
// missing, null or not non-negative integers count as 0.
std::optional<Usage> usage_from_completion(std::string_view body);

enum class ChunkKind {
  done,           // data: [DONE]
  content,        // an ordinary chunk with choices
  usage_only,     // choices == [] (or absent) and usage is an object (the include_usage chunk)
  azure_prelude,  // choices == [] and no usage: Azure's prompt_filter_results chunk; dropped
  error,          // a top-level non-null "error" (in-band error); wins over everything else
  other,          // anything else (not JSON, not an object, no choices): relayed unchanged
};

struct ChunkInfo {
  ChunkKind kind = ChunkKind::other;
  std::optional<Usage> usage;  // set when the chunk carries a non-null usage object
};

// Classifies one SSE event's data payload. Ordinary content chunks (a non-empty top-level
// `choices`, `usage` null or absent, no `error`) are recognised by a scan of the bytes without
// parsing; everything else goes to detail::classify_chunk_by_parsing. For any JSON text both
// give the same answer; text that is not JSON may come out `content` instead of `other`.
ChunkInfo classify_chunk(std::string_view data);

namespace detail {
// The full On-Demand parse classify_chunk falls back to; for tests and benchmarks that compare.
ChunkInfo classify_chunk_by_parsing(std::string_view data);
}  // namespace detail

}  // namespace tollbooth::openai
