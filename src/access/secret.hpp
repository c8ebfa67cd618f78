#pragma once
// Virtual key secrets: how they are made, how they are kept (only a SHA-256 hash), and the
// checks the request path runs on a presented one before and instead of comparing secrets.
// A secret is "tk-" followed by 43 base64url characters (32 random bytes, no padding).
//
// Nothing here logs, and no error message holds a secret or a part of one other than last4.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tollbooth::access {

inline constexpr std::string_view kSecretPrefix = "tk-";
inline constexpr std::size_t kSecretRandomBytes = 32;
inline constexpr std::size_t kSecretLength = kSecretPrefix.size() + 43;  // 46

// A raw SHA-256 digest: what the request path compares (no hex, no allocation).
using SecretDigest = std::array<unsigned char, 32>;

// A new secret from RAND_bytes. Throws std::runtime_error when the generator fails (never
// falls back to a weaker source).
std::string generate_secret();

// The digest of a whole presented secret, "tk-" included. Allocation-free; each thread keeps
// its own OpenSSL context, so workers never share one. Throws std::runtime_error only if
// OpenSSL cannot hash at all.
SecretDigest secret_digest(std::string_view secret);

// What the store keeps: lowercase hex of secret_digest (64 characters).
std::string hash_secret(std::string_view secret);

// A stored hash (64 hex digits, either case) back to its digest; nullopt when it is not one.
std::optional<SecretDigest> parse_secret_hash(std::string_view hex) noexcept;

// The last four characters (the whole of a shorter text), shown in lists so people can tell
// their keys apart. Four base64url characters out of 43 leave 222 random bits unknown.
std::string last4(std::string_view secret);

// "key_" + 16 lowercase hex digits from RAND_bytes. Not a secret. Throws like generate_secret.
std::string new_key_id();

// Equal contents, in time that depends only on the lengths (CRYPTO_memcmp): different lengths
// are false at once, without reading either side.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

// The cheap syntactic check run before hashing, so a garbage Authorization header costs a few
// comparisons: the prefix, exactly kSecretLength bytes, base64url characters after the prefix.
// Config-declared keys must use secrets of this form too (generate_secret makes them).
bool looks_like_secret(std::string_view text) noexcept;

}  // namespace tollbooth::access
