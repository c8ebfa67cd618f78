#pragma once
// Error bodies as each cloud writes them (PROTOCOLS.md §1.5 for OpenAI, §4.3 for Azure).
#include <string_view>

#include "mock/mock_config.hpp"
#include "mock/mock_reply.hpp"

namespace tollbooth::mock {

// {"error":{"message","type","param","code"}}; empty param/code are written as null.
void openai_error(Reply& reply, int status, std::string_view message, std::string_view type,
                  std::string_view param = {}, std::string_view code = {});

// Azure's gateway-level errors: {"error":{"code","message"}}.
void azure_error(Reply& reply, int status, std::string_view code, std::string_view message);

// The error an injected `status=N` fault answers with, shaped as the cloud would send it.
void fault_error(Reply& reply, CloudKind kind, int status);

}  // namespace tollbooth::mock
