#pragma once
// The OpenAI error body (PROTOCOLS.md §1.5): {"error":{"message","type","param","code"}}.
#include <string>

#include "core/error.hpp"

namespace tollbooth::openai {

std::string error_body(const Error& error);
// The in-band form for a stream whose 200 head has gone out: `data: {"error":...}\n\n`.
std::string error_event(const Error& error);

}  // namespace tollbooth::openai
