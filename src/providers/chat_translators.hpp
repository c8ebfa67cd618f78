#pragma once
// The chat front's translators, one per upstream wire, and the one factory that picks one by
// provider kind. Adding a provider kind: its translator files, one alternative in the variant
// and one case below (docs/architecture.md, "Adding a provider kind").
#include <variant>

#include "config/config.hpp"
#include "providers/bedrock_chat.hpp"
#include "providers/openai_chat.hpp"

namespace tollbooth {

// Storage for one attempt's translator, so the relay's frame holds it without an allocation.
using AnyChatTranslator = std::variant<std::monostate, OpenAiWireChat, BedrockChat>;

// Makes the translator of the input's provider kind in `storage` and returns it.
Translator& make_chat_translator(const ChatInput& in, const ServerConfig& server,
                                 AnyChatTranslator& storage);

}  // namespace tollbooth
