#pragma once
// The request facts inspect_chat_request collects for capability routing and admission
// (DESIGN.md `RequestFacts`): the capabilities a Chat Completions body needs, a cheap input
// token estimate and the requested output cap. Read during the inspection's one On-Demand
// pass, so nothing is parsed twice and no DOM is kept. Internal to the inspection (includes
// simdjson); the semantics are documented on ChatInspection in chat_request.hpp.
#include <cstdint>
#include <optional>
#include <string_view>

#include "api/openai/chat_inspect.hpp"
#include "api/openai/chat_request.hpp"

namespace tollbooth::openai::inspect {

// The token estimate's constants (formula in chat_request.hpp).
inline constexpr std::uint64_t kBytesPerToken = 4;
inline constexpr std::uint64_t kTokensPerMessage = 4;
// OpenAI's price of a 1024×1024 image at detail "high" (85 + 4 tiles × 170). Low detail costs
// 85 and big images more; decoding the image to find out is not worth it on the request path.
inline constexpr std::uint64_t kTokensPerImage = 765;

// Bytes inside a string token's quotes, as written (escapes count as their raw bytes);
// `token` is simdjson's raw token, which runs on to the next token.
inline std::uint64_t string_bytes(std::string_view token) noexcept {
  std::size_t len = token.size();
  while (len > 0 && is_ws(token[len - 1])) --len;
  return len >= 2 ? len - 2 : 0;
}

// What one message contributes.
struct MessageTally {
  std::uint64_t content_bytes = 0;
  std::uint64_t content_images = 0;
  std::uint64_t tool_call_bytes = 0;
};

class FactsReader {
 public:
  // Keys repeated in the objects read here (response_format, content parts) are recorded in
  // `duplicate`, which must outlive the reader.
  explicit FactsReader(std::optional<Error>& duplicate) : duplicate_(duplicate) {}

  // A top-level member the routing pass does not read itself: reads it if it is a fact,
  // otherwise only validates it.
  error_code member(std::string_view key, od::value& v);
  // A member of message `index` other than `role`. Inline: it runs for every message member,
  // and string content, the common case, is a few loads.
  error_code message_member(std::size_t index, std::string_view key, od::value& v,
                            MessageTally& tally) {
    if (equals(key, "content")) {
      od::json_type t;
      if (auto ec = v.type().get(t)) return ec;
      if (t != od::json_type::string) return read_content_parts(index, v, t, tally);
      tally.content_images = 0;
      tally.content_bytes = string_bytes(v.raw_json_token());
      return v.get_raw_json_string().error();
    }
    if (equals(key, "tool_calls")) return read_tool_calls(v, tally);
    return validate(v, 3);
  }
  void add_message(const MessageTally& tally) noexcept {
    message_bytes_ += tally.content_bytes + tally.tool_call_bytes;
    images_ += tally.content_images;
  }
  // `messages` begins: nothing counted yet.
  void reset_messages() noexcept { message_bytes_ = images_ = 0; }
  // Fills `needs`, `estimated_input_tokens` and `max_output_tokens`, or returns the first
  // field error in a fixed order (tools, functions, parallel_tool_calls, response_format,
  // reasoning_effort, max_completion_tokens, max_tokens).
  std::optional<Error> finish(ChatInspection& out);

 private:
  // Each field's reader starts from a clean state. A key read twice is refused anyway (see
  // KeySet), so the state kept is never mistaken for the upstream's.
  struct ToolList {
    std::size_t count = 0;
    std::uint64_t bytes = 0;
    std::optional<Error> err;
  };
  struct TokenCap {
    bool present = false;
    std::uint32_t value = 0;
    std::optional<Error> err;
  };
  enum class Format : std::uint8_t { none, json_schema, json_object };

  error_code read_tool_list(od::value& v, const char* name, ToolList& list);
  error_code read_parallel_tool_calls(od::value& v);
  error_code read_response_format(od::value& v);
  error_code read_reasoning_effort(od::value& v);
  error_code read_reasoning(od::value& v);
  error_code read_token_cap(od::value& v, const char* name, TokenCap& cap);
  error_code read_content_parts(std::size_t message, od::value& v, od::json_type t,
                                MessageTally& tally);
  error_code read_tool_calls(od::value& v, MessageTally& tally);
  error_code read_part(std::size_t message, std::size_t part, od::value& v, MessageTally& tally);

  std::optional<Error>& duplicate_;
  std::uint64_t message_bytes_ = 0;
  std::uint64_t images_ = 0;
  ToolList tools_, functions_;
  bool parallel_tool_calls_ = true;  // OpenAI's default
  std::optional<Error> parallel_err_;
  Format format_ = Format::none;
  std::optional<Error> format_err_;
  bool reasoning_effort_ = false;
  std::optional<Error> effort_err_;
  bool reasoning_object_ = false;
  TokenCap max_completion_tokens_, max_tokens_;
};

}  // namespace tollbooth::openai::inspect
