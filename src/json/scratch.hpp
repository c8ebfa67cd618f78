#pragma once
// Reused scratch memory for simdjson On-Demand parsing. simdjson reads up to SIMDJSON_PADDING
// bytes past the end of its input, which a string_view promises nothing about, so every parser
// of outside bytes copies its input into a padded buffer it keeps per thread. Include only from
// .cpp files that parse JSON (simdjson.h is large).
#include <simdjson.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace tollbooth::json {

// Scratch kept above this size is released after use, so one huge body does not pin memory.
inline constexpr std::size_t kKeepScratchBytes = 1u << 20;

// Copies `in` into `buf` followed by SIMDJSON_PADDING zero bytes (part of the string's size, so
// every byte simdjson may read is in bounds and initialised). Valid until `buf` changes.
simdjson::padded_string_view padded_copy(std::string& buf, std::string_view in);

// Returns `parser`, first replaced by a fresh one when it grew past kKeepScratchBytes for an
// earlier document and this one is small.
simdjson::ondemand::parser& reuse(simdjson::ondemand::parser& parser, std::size_t doc_size);

}  // namespace tollbooth::json
