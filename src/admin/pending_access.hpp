#pragma once
// TEMPORARY stand-in for access/secret.hpp (branch access), removed when it lands on main.
#include <string>
#include <string_view>

namespace tollbooth::access {
std::string generate_secret();
std::string hash_secret(std::string_view secret);
std::string last4(std::string_view secret);
std::string new_key_id();
}  // namespace tollbooth::access
