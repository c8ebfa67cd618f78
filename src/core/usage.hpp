#pragma once
#include <cstdint>

namespace tollbooth {

// Token counts of one answer, and whether the upstream reported them (vs. our estimate).
struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cached_input_tokens = 0;
  std::int64_t reasoning_tokens = 0;
  bool reported = false;  // true when the numbers came from the upstream's usage object
};

}  // namespace tollbooth
