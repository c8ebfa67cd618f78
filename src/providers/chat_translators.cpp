#include "providers/chat_translators.hpp"

namespace tollbooth {

Translator& make_chat_translator(const ChatInput& in, const ServerConfig& server,
                                 AnyChatTranslator& storage) {
  switch (in.provider.kind) {
    case ProviderKind::openai:
    case ProviderKind::azure: return storage.emplace<OpenAiWireChat>(in);
    case ProviderKind::bedrock:
      return storage.emplace<BedrockChat>(in, server.max_stream_event_bytes);
  }
  return storage.emplace<OpenAiWireChat>(in);
}

}  // namespace tollbooth
