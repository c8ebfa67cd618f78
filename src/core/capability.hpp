#pragma once
// What a request needs from a route, and what a model or route can serve (CONFIG.md
// `capabilities:`, `lacks:`, a contract's `declines:`). A small bit set: request facts, the
// planner and the catalog all speak it, and testing "can this route serve this request" is one
// AND.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tollbooth {

enum class Capability : std::uint8_t {
  tools,           // the request declares tools
  parallel_tools,  // tools and parallel_tool_calls not false: several calls in one turn
  vision,          // an image part in a message
  json_schema,     // response_format {type: json_schema}
  json_object,     // response_format {type: json_object}
  reasoning,       // reasoning parameters (reasoning_effort, reasoning: {...})
  responses_api,   // the request came through the Responses API
  long_context,    // estimated input + requested output exceed the route's context window
};
inline constexpr int kCapabilityCount = 8;

class CapabilitySet {
 public:
  constexpr CapabilitySet() = default;
  constexpr explicit CapabilitySet(std::uint16_t bits) : bits_(bits) {}

  constexpr void add(Capability c) noexcept { bits_ |= bit(c); }
  constexpr void remove(Capability c) noexcept { bits_ &= static_cast<std::uint16_t>(~bit(c)); }
  constexpr bool has(Capability c) const noexcept { return (bits_ & bit(c)) != 0; }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  constexpr std::uint16_t bits() const noexcept { return bits_; }

  // Set algebra: a route serves a request when (needs - serves).empty().
  constexpr CapabilitySet operator|(CapabilitySet o) const noexcept {
    return CapabilitySet(static_cast<std::uint16_t>(bits_ | o.bits_));
  }
  constexpr CapabilitySet operator&(CapabilitySet o) const noexcept {
    return CapabilitySet(static_cast<std::uint16_t>(bits_ & o.bits_));
  }
  constexpr CapabilitySet operator-(CapabilitySet o) const noexcept {
    return CapabilitySet(static_cast<std::uint16_t>(bits_ & ~o.bits_));
  }
  constexpr bool operator==(const CapabilitySet&) const = default;

  static constexpr CapabilitySet all() noexcept {
    return CapabilitySet(static_cast<std::uint16_t>((1u << kCapabilityCount) - 1));
  }

 private:
  static constexpr std::uint16_t bit(Capability c) noexcept {
    return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c));
  }
  std::uint16_t bits_ = 0;
};

// The config spelling: "tools", "parallel_tools", "vision", "json_schema", "json_object",
// "reasoning", "responses_api", "long_context".
std::string_view capability_name(Capability c) noexcept;
std::optional<Capability> capability_from_name(std::string_view name) noexcept;
// "vision, json_schema" in enum order; "none" when empty.
std::string capability_list(CapabilitySet set);

}  // namespace tollbooth
