#pragma once
// The path of a request target (RFC 9112 §3.2), pure.
#include <optional>
#include <string_view>

namespace tollbooth {

// The path of an origin-form target ("/v1/models?x=1" → "/v1/models") or of an absolute-form
// one ("http://gw:4000/v1/models" → "/v1/models"; "http://gw" → "/"), without the query.
// nullopt for anything else (asterisk-form "*", authority-form "host:port", garbage).
std::optional<std::string_view> target_path(std::string_view target) noexcept;

}  // namespace tollbooth
