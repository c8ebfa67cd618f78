#pragma once
// Reading OpenAI Chat Completions answers on the way back: usage from a whole response body, and
// the classification of stream chunks (usage chunk, Azure's empty prompt-filter chunk, errors).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/usage.hpp"

namespace tollbooth::openai {

// Usage of a non-streaming chat.completion body; nullopt when absent, null or unparsable.
// OpenAI and Azure count every prompt token in prompt_tokens and every generated token in
// completion_tokens; the *_details counters are subsets of them. So, exactly:
//   input_tokens             = prompt_tokens (cached and cache-write tokens included)
//   cached_input_tokens      = prompt_tokens_details.cached_tokens
//   cache_write_input_tokens = prompt_tokens_details.cache_write_tokens
//   output_tokens            = completion_tokens (reasoning tokens included)
//   reasoning_tokens         = completion_tokens_details.reasoning_tokens
// Counters that are missing, null, negative, fractional or too large for 64 bits count as 0;
// total_tokens and the other details (audio, predictions) are not read.
std::optional<Usage> usage_from_completion(std::string_view body);

enum class ChunkKind {
  done,           // data: [DONE]
  content,        // an ordinary chunk with choices
  usage_only,     // choices == [] (or absent) and usage is an object (the include_usage chunk)
  azure_prelude,  // choices == [] and no usage: Azure's prompt_filter_results chunk; dropped
  error,          // a top-level non-null "error" (in-band error); wins over everything else
  other,          // anything else (not JSON, not an object, no choices): relayed unchanged
};

// Where a chunk's usage object is in its data, so a cost can be written into it without
// re-serialising the rest. Offsets into the data classify_chunk was given.
struct UsageSpot {
  std::size_t close = 0;       // the usage object's closing `}`
  bool empty = true;           // the object has no members
  std::size_t cost_begin = 0;  // the value of a `cost` member already there: [begin, end);
  std::size_t cost_end = 0;    // both 0 when it has none
};

struct ChunkInfo {
  ChunkKind kind = ChunkKind::other;
  std::optional<Usage> usage;  // set when the chunk carries a non-null usage object
  UsageSpot spot;              // where that object is, when usage is set
};

// Classifies one SSE event's data payload. Ordinary content chunks (a non-empty top-level
// `choices`, `usage` null or absent, no `error`) are recognised by a scan of the bytes without
// parsing; everything else goes to detail::classify_chunk_by_parsing. For any JSON text both
// give the same answer; text that is not JSON may come out `content` instead of `other`.
ChunkInfo classify_chunk(std::string_view data);

// Appends `data` (a chunk classify_chunk found a usage object in, with `spot`) with
// `"cost":<cost>` as the usage object's last member, or in place of the value of the `cost`
// member it has; every other byte as it was. `cost` is a JSON number (format_dollars).
void append_with_usage_cost(std::string& out, std::string_view data, const UsageSpot& spot,
                            std::string_view cost);

namespace detail {
// The full On-Demand parse classify_chunk falls back to; for tests and benchmarks that compare.
ChunkInfo classify_chunk_by_parsing(std::string_view data);
}  // namespace detail

}  // namespace tollbooth::openai
