#include "access/secret.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace tollbooth::access {
namespace {

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kHex[] = "0123456789abcdef";

void random_bytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed: no secure random bytes available");
  }
}

std::string base64url(const unsigned char* data, std::size_t n) {
  std::string out;
  out.reserve((n * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                      std::uint32_t{data[i + 2]};
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    out.push_back(kBase64Url[(v >> 6) & 63]);
    out.push_back(kBase64Url[v & 63]);
  }
  if (n - i == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
  } else if (n - i == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    out.push_back(kBase64Url[(v >> 6) & 63]);
  }
  return out;
}

void append_hex(std::string& out, const unsigned char* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 15]);
  }
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// SHA-256 is fetched once for the process and each thread keeps its own context: OpenSSL 3's
// one-shot SHA256()/EVP_Digest fetch the algorithm by name and allocate a context on every
// call, which costs more than hashing the 46 bytes of a secret.
const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!m) throw std::runtime_error("OpenSSL: SHA-256 unavailable");
    return m;
  }();
  return md;
}

struct ThreadDigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadDigestContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string generate_secret() {
  unsigned char bytes[kSecretRandomBytes];
  random_bytes(bytes, sizeof bytes);
  std::string out(kSecretPrefix);
  out += base64url(bytes, sizeof bytes);
  OPENSSL_cleanse(bytes, sizeof bytes);
  return out;
}

SecretDigest secret_digest(std::string_view secret) {
  const EVP_MD* md = sha256_md();
  thread_local ThreadDigestContext local;
  SecretDigest out{};
  unsigned int size = 0;
  if (!local.ctx || EVP_DigestInit_ex2(local.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(local.ctx, secret.data(), secret.size()) != 1 ||
      EVP_DigestFinal_ex(local.ctx, out.data(), &size) != 1 || size != out.size()) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
  return out;
}

std::string hash_secret(std::string_view secret) {
  SecretDigest d = secret_digest(secret);
  std::string out;
  out.reserve(d.size() * 2);
  append_hex(out, d.data(), d.size());
  return out;
}

std::optional<SecretDigest> parse_secret_hash(std::string_view hex) noexcept {
  SecretDigest out{};
  if (hex.size() != out.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

std::string last4(std::string_view secret) {
  return std::string(secret.size() <= 4 ? secret : secret.substr(secret.size() - 4));
}

std::string new_key_id() {
  unsigned char bytes[8];
  random_bytes(bytes, sizeof bytes);
  std::string out = "key_";
  append_hex(out, bytes, sizeof bytes);
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool looks_like_secret(std::string_view text) noexcept {
  if (text.size() != kSecretLength || !text.starts_with(kSecretPrefix)) return false;
  for (std::size_t i = kSecretPrefix.size(); i < text.size(); ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace tollbooth::access
