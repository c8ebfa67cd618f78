#pragma once
// The OpenAI error body (PROTOCOLS.md §1.5): {"error":{"message","type","param","code"}}.
#include <string>

#include "core/error.hpp"

namespace tollbooth::openai {

// Always valid UTF-8: ill-formed bytes in message, param or code become U+FFFD, and a message
// over 4 KiB (param/code over 256 bytes) is cut with "… (N bytes)".
std::string error_body(const Error& error);
// The in-band form for a stream whose 200 head has gone out: `data: {"error":...}\n\n`.
std::string error_event(const Error& error);

}  // namespace tollbooth::openai
