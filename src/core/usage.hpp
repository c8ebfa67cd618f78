#pragma once
#include <cstdint>

namespace tollbooth {

// Token counts of one answer as the upstream reported them, kept apart: input (prompt) tokens,
// the cached part of them, tokens written to a prompt cache, output (completion) tokens and
// the reasoning part of them. How each cloud's counters map onto these is the provider's
// (OpenAI's prompt_tokens include cached ones; Bedrock's inputTokens exclude cache reads and
// writes), normalised when read.
struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cached_input_tokens = 0;
  std::int64_t cache_write_input_tokens = 0;
  std::int64_t reasoning_tokens = 0;
  bool reported = false;  // true when the numbers came from the upstream's usage object
  bool operator==(const Usage&) const = default;
};

}  // namespace tollbooth
