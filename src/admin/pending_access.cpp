// TEMPORARY stand-in for access/secret.cpp and records.cpp (branch access), removed when they
// land on main.
#include "admin/pending_access.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include "access/records.hpp"

namespace tollbooth::access {
namespace {
constexpr std::array<std::string_view, kScopeCount> kNames = {
    "chat", "responses", "embeddings", "models", "routing:explain", "admin"};

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return out;
}
}  // namespace

std::string_view scope_name(Scope s) noexcept {
  return kNames[static_cast<std::size_t>(s)];
}

std::optional<Scope> parse_scope(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kScopeCount; ++i)
    if (kNames[i] == name) return static_cast<Scope>(i);
  return std::nullopt;
}

std::string generate_secret() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string bytes = random_bytes(32);
  std::string out = "tk-";
  unsigned bits = 0, acc = 0;
  for (unsigned char b : bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      out += kAlphabet[(acc >> (bits - 6)) & 63];
      bits -= 6;
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::string hash_secret(std::string_view secret) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(secret.data(), secret.size(), md, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

std::string last4(std::string_view secret) {
  return std::string(secret.size() <= 4 ? secret : secret.substr(secret.size() - 4));
}

std::string new_key_id() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "key_";
  for (unsigned char b : random_bytes(8)) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace tollbooth::access
