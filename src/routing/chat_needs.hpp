#pragma once
// What a chat completions body asks of a route, for `tollbooth route --explain`. A stand-in:
// the gateway gets the same facts from openai::inspect_chat_request, and this function will
// be switched to it; it lives in one place so that switch is one edit.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/capability.hpp"

namespace tollbooth::routing {

struct ChatNeeds {
  std::string model;
  CapabilitySet needs;
  std::uint32_t estimated_input_tokens = 0;  // message text bytes / 4, a rough estimate
  std::uint32_t max_output_tokens = 0;       // max_completion_tokens or max_tokens; 0 = unset
  std::string error;                         // not empty: the body is not a usable request
};

// tools (non-empty "tools"), parallel_tools (tools and parallel_tool_calls not false), vision
// (an image_url content part), json_schema / json_object (response_format.type), reasoning
// (reasoning_effort or reasoning).
ChatNeeds needs_from_chat_body(std::string_view body);

}  // namespace tollbooth::routing
