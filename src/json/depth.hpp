#pragma once
// How deep the gateway's Boost.JSON reads nest (its translations of whole bodies: the Responses
// bridge, embeddings). Boost.JSON's own default is 32, shallower than a real tool's JSON Schema
// can be; its parser keeps its stack on the heap, and 512 levels copy and print well within a
// thread's stack. A body nested deeper is refused with a message that says so.
#include <cstddef>

namespace tollbooth::json {

inline constexpr std::size_t kMaxDepth = 512;

}  // namespace tollbooth::json
