#include "aws/sigv4.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace tollbooth::aws {
namespace {

using Digest = std::array<unsigned char, 32>;

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr std::int64_t kMaxUnixTime = 253402300799;  // 9999-12-31T23:59:59Z

void append_hex(std::string& out, const unsigned char* data, std::size_t size) {
  const std::size_t at = out.size();
  out.resize(at + 2 * size);
  // Through a pointer taken once: written as out[i], every byte stored through the string may
  // alias it, and the compiler reloaded its data pointer for each (3 hashes a signature).
  char* p = out.data() + at;
  for (std::size_t i = 0; i < size; ++i) {
    *p++ = kHexLower[data[i] >> 4];
    *p++ = kHexLower[data[i] & 0xF];
  }
}

// RFC 3986 unreserved bytes, the only ones SigV4 leaves unencoded.
constexpr std::array<bool, 256> kUnreserved = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c) {
    table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == '~';
  }
  return table;
}();

void append_escape(std::string& out, unsigned char c) {
  const char escape[3] = {'%', kHexUpper[c >> 4], kHexUpper[c & 0xF]};
  out.append(escape, 3);
}

void append_encoded_byte(std::string& out, unsigned char c) {
  if (kUnreserved[c]) {
    out += static_cast<char>(c);
  } else {
    append_escape(out, c);
  }
}

// SigV4's URI encoding: space is %20, never '+'. Copies runs of unreserved bytes in one append,
// since paths are mostly made of them.
void append_encoded(std::string& out, std::string_view text, bool keep_slash) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (kUnreserved[c] || (keep_slash && c == '/')) continue;
    out.append(text.data() + run, i - run);
    append_escape(out, c);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Query names and values arrive encoded once (or not at all); decoding first makes both spell
// the same canonical form. A '%' not followed by two hex digits is taken literally.
void append_reencoded(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<unsigned char>(hi * 16 + lo);
        i += 2;
      }
    }
    append_encoded_byte(out, c);
  }
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// Header values are trimmed and inner whitespace runs become one space, quotes or not (the
// suite's get-header-value-trim signs "a   b   c" as "a b c"). Words are copied whole.
void append_trimmed(std::string& out, std::string_view value) {
  std::size_t i = 0;
  const std::size_t n = value.size();
  for (bool first = true;; first = false) {
    while (i < n && is_space(value[i])) ++i;
    if (i == n) return;
    std::size_t word = i;
    while (i < n && !is_space(value[i])) ++i;
    if (!first) out += ' ';
    out.append(value.data() + word, i - word);
  }
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Headers the signer writes itself, and headers a proxy may change in flight (smithy's
// unsignable list): signing those would break the signature, not protect anything.
bool skipped_header(std::string_view name, bool signer_owns_content_sha256) {
  static constexpr std::string_view kSkipped[] = {"authorization",
                                                  "x-amz-date",
                                                  "date",
                                                  "x-amz-security-token",
                                                  "cache-control",
                                                  "connection",
                                                  "expect",
                                                  "from",
                                                  "keep-alive",
                                                  "max-forwards",
                                                  "pragma",
                                                  "referer",
                                                  "te",
                                                  "trailer",
                                                  "transfer-encoding",
                                                  "upgrade",
                                                  "user-agent",
                                                  "x-amzn-trace-id"};
  for (std::string_view skipped : kSkipped) {
    if (name == skipped) return true;
  }
  if (name.starts_with("proxy-") || name.starts_with("sec-")) return true;
  return signer_owns_content_sha256 && name == "x-amz-content-sha256";
}

// Days since 1970-01-01 → civil date (H. Hinnant's algorithm), so no gmtime and no locale.
void civil_from_days(std::int64_t days, int& year, unsigned& month, unsigned& day) {
  days += 719468;
  std::int64_t era = days / 146097;
  auto doe = static_cast<unsigned>(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
}

void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

Error signing_error(std::string detail) {
  Error error = make_error(ErrorKind::internal, "the upstream request could not be signed");
  error.detail = "SigV4: " + std::move(detail);
  return error;
}

}  // namespace

std::string amz_date(std::int64_t unix_time) {
  if (unix_time < 0 || unix_time > kMaxUnixTime) return {};
  int year = 0;
  unsigned month = 0, day = 0;
  civil_from_days(unix_time / 86400, year, month, day);
  auto secs = static_cast<unsigned>(unix_time % 86400);
  std::string out = "00000000T000000Z";
  put_digits(&out[0], static_cast<unsigned>(year), 4);
  put_digits(&out[4], month, 2);
  put_digits(&out[6], day, 2);
  put_digits(&out[9], secs / 3600, 2);
  put_digits(&out[11], secs / 60 % 60, 2);
  put_digits(&out[13], secs % 60, 2);
  return out;
}

std::string sha256_hex(std::string_view data) {
  Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  std::string out;
  append_hex(out, digest.data(), digest.size());
  return out;
}

// OpenSSL objects are fetched once per Signer: an implicit fetch on every digest or MAC costs
// more than hashing a small request.
struct Signer::Impl {
  struct Entry {            // one header to sign
    std::string_view name;  // lower case: points into names_ or at a literal
    std::string_view value;
    std::uint32_t seq;  // keeps repeated headers in their request order
  };
  struct QueryParam {
    std::uint32_t name_at, name_size, value_at, value_size;  // into query_
  };
  // A derived signing key lives only inside its own keyed HMAC context: re-initialising that
  // context skips the key set-up (two SHA-256 blocks and OpenSSL's bookkeeping) on every request.
  struct CachedKey {
    std::string date, region, service, secret;
    EVP_MAC_CTX* mac = nullptr;
  };
  static constexpr std::size_t kCachedKeys = 4;  // a worker signs for a handful of regions

  Impl();
  ~Impl();
  void release();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void sha256(std::string_view data, Digest& out);
  EVP_MAC_CTX* new_hmac();
  static void hmac(EVP_MAC_CTX* ctx, const unsigned char* key, std::size_t key_size,
                   std::string_view data, Digest& out);
  EVP_MAC_CTX* signing_key(std::string_view date, const Credentials& credentials,
                           const SigningParams& params);
  void append_canonical_uri(std::string_view path, const SigningParams& params);
  void append_canonical_query(std::string_view query);
  bool collect_headers(const SigningRequest& request, const SigningParams& params,
                       std::string_view& caller_content_sha256);
  std::size_t append_canonical_headers();
  void finish(SignedHeaders& out, std::string_view date, std::string_view signed_headers,
              const Credentials& credentials, const SigningParams& params);

  EVP_MD* md_ = nullptr;
  EVP_MD_CTX* md_ctx_ = nullptr;
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* mac_ctx_ = nullptr;

  std::vector<Entry> entries_;
  std::string names_;
  std::vector<std::string_view> segments_;
  std::string query_;
  std::vector<QueryParam> params_;
  std::string canonical_;
  std::string string_to_sign_;
  std::array<CachedKey, kCachedKeys> keys_;
  std::size_t next_key_ = 0;
  std::uint64_t keys_derived_ = 0;
};

Signer::Impl::Impl() {
  md_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  md_ctx_ = EVP_MD_CTX_new();
  mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  mac_ctx_ = mac_ ? new_hmac() : nullptr;
  if (!md_ || !md_ctx_ || !mac_ctx_) {
    release();
    throw std::runtime_error("OpenSSL: SHA-256/HMAC unavailable for SigV4");
  }
}

// The digest is set once here: passing it to every EVP_MAC_init would fetch it every time.
EVP_MAC_CTX* Signer::Impl::new_hmac() {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac_);
  char digest_name[] = "SHA256";
  OSSL_PARAM set_digest[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  if (ctx && EVP_MAC_CTX_set_params(ctx, set_digest) == 1) return ctx;
  EVP_MAC_CTX_free(ctx);
  return nullptr;
}

Signer::Impl::~Impl() {
  for (CachedKey& cached : keys_) {
    if (!cached.secret.empty()) OPENSSL_cleanse(cached.secret.data(), cached.secret.size());
    EVP_MAC_CTX_free(cached.mac);  // clears the key material it holds
  }
  release();
}

void Signer::Impl::release() {
  EVP_MAC_CTX_free(mac_ctx_);
  EVP_MAC_free(mac_);
  EVP_MD_CTX_free(md_ctx_);
  EVP_MD_free(md_);
  mac_ctx_ = nullptr;
  mac_ = nullptr;
  md_ctx_ = nullptr;
  md_ = nullptr;
}

void Signer::Impl::sha256(std::string_view data, Digest& out) {
  unsigned int size = 0;
  if (EVP_DigestInit_ex2(md_ctx_, md_, nullptr) != 1 ||
      EVP_DigestUpdate(md_ctx_, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(md_ctx_, out.data(), &size) != 1) {
    throw std::runtime_error("OpenSSL: SHA-256 failed");
  }
}

// key == nullptr re-uses the key `ctx` was last initialised with.
void Signer::Impl::hmac(EVP_MAC_CTX* ctx, const unsigned char* key, std::size_t key_size,
                        std::string_view data, Digest& out) {
  std::size_t size = 0;
  if (EVP_MAC_init(ctx, key, key_size, nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, out.data(), &size, out.size()) != 1) {
    throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  }
}

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request"),
// which depends only on these four values, so it is derived once a day per region and service.
// Returns an HMAC context keyed with the signing key.
EVP_MAC_CTX* Signer::Impl::signing_key(std::string_view date, const Credentials& credentials,
                                       const SigningParams& params) {
  for (const CachedKey& cached : keys_) {
    if (cached.mac && cached.date == date && cached.region == params.region &&
        cached.service == params.service && cached.secret == credentials.secret_access_key) {
      return cached.mac;
    }
  }
  CachedKey& slot = keys_[next_key_];
  if (!slot.mac && !(slot.mac = new_hmac())) throw std::runtime_error("OpenSSL: no HMAC context");
  next_key_ = (next_key_ + 1) % kCachedKeys;
  std::string seed = "AWS4" + credentials.secret_access_key;
  Digest k{};
  hmac(mac_ctx_, reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), date, k);
  OPENSSL_cleanse(seed.data(), seed.size());
  hmac(mac_ctx_, k.data(), k.size(), params.region, k);
  hmac(mac_ctx_, k.data(), k.size(), params.service, k);
  hmac(mac_ctx_, k.data(), k.size(), kTerminator, k);
  slot.date.clear();  // the slot stays unusable if keying fails below
  if (EVP_MAC_init(slot.mac, k.data(), k.size(), nullptr) != 1) {
    OPENSSL_cleanse(k.data(), k.size());
    throw std::runtime_error("OpenSSL: HMAC-SHA256 failed");
  }
  OPENSSL_cleanse(k.data(), k.size());
  slot.date.assign(date);
  slot.region.assign(params.region);
  slot.service.assign(params.service);
  slot.secret.assign(credentials.secret_access_key);
  ++keys_derived_;
  return slot.mac;
}

// PROTOCOLS.md §7.1: remove empty and "." segments, resolve "..", keep a trailing '/', then
// encode the (already wire-encoded) path once more; S3 turns both steps off.
void Signer::Impl::append_canonical_uri(std::string_view path, const SigningParams& params) {
  if (path.empty()) path = "/";
  auto emit = [&](std::string_view text) {
    if (params.double_encode_path) {
      append_encoded(canonical_, text, true);
    } else {
      canonical_.append(text);
    }
  };
  if (!params.normalize_path) {
    emit(path);
    return;
  }
  segments_.clear();
  for (std::size_t at = 0; at <= path.size();) {
    std::size_t end = std::min(path.find('/', at), path.size());
    std::string_view segment = path.substr(at, end - at);
    at = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments_.empty()) segments_.pop_back();
    } else {
      segments_.push_back(segment);
    }
  }
  canonical_ += '/';
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (i > 0) canonical_ += '/';
    emit(segments_[i]);
  }
  if (!segments_.empty() && path.back() == '/') canonical_ += '/';
}

// Names and values re-encoded, sorted by name then value, "name=value" joined with '&'.
void Signer::Impl::append_canonical_query(std::string_view query) {
  query_.clear();
  params_.clear();
  for (std::size_t at = 0; at <= query.size();) {
    std::size_t end = std::min(query.find('&', at), query.size());
    std::string_view pair = query.substr(at, end - at);
    at = end + 1;
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    QueryParam param{};
    param.name_at = static_cast<std::uint32_t>(query_.size());
    append_reencoded(query_, name);
    param.name_size = static_cast<std::uint32_t>(query_.size() - param.name_at);
    param.value_at = static_cast<std::uint32_t>(query_.size());
    append_reencoded(query_, value);
    param.value_size = static_cast<std::uint32_t>(query_.size() - param.value_at);
    params_.push_back(param);
  }
  std::string_view text = query_;
  auto name = [&](const QueryParam& p) { return text.substr(p.name_at, p.name_size); };
  auto value = [&](const QueryParam& p) { return text.substr(p.value_at, p.value_size); };
  std::sort(params_.begin(), params_.end(), [&](const QueryParam& a, const QueryParam& b) {
    int by_name = name(a).compare(name(b));
    return by_name != 0 ? by_name < 0 : value(a) < value(b);
  });
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (i > 0) canonical_ += '&';
    canonical_.append(name(params_[i]));
    canonical_ += '=';
    canonical_.append(value(params_[i]));
  }
}

// Lower-cases and filters the caller's headers into entries_. Returns false when Host is absent.
bool Signer::Impl::collect_headers(const SigningRequest& request, const SigningParams& params,
                                   std::string_view& caller_content_sha256) {
  std::size_t total = 0;
  for (const HeaderRef& header : request.headers) total += header.name.size();
  names_.clear();
  names_.reserve(total);  // no reallocation below, so the views into names_ stay valid
  entries_.clear();
  bool has_host = false;
  std::uint32_t seq = 0;
  for (const HeaderRef& header : request.headers) {
    std::size_t at = names_.size();
    for (char c : header.name) names_ += to_lower(c);
    std::string_view name = std::string_view(names_).substr(at);
    if (skipped_header(name, params.add_content_sha256)) continue;
    if (name == "host") has_host = true;
    if (name == "x-amz-content-sha256") caller_content_sha256 = trimmed(header.value);
    entries_.push_back({name, header.value, seq++});
  }
  return has_host;
}

// Appends "name:value\n" per header name (repeats joined with ','), then the blank line, then
// the signed-headers list, whose offset in canonical_ it returns.
std::size_t Signer::Impl::append_canonical_headers() {
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    int by_name = a.name.compare(b.name);
    return by_name != 0 ? by_name < 0 : a.seq < b.seq;
  });
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    bool repeat = i > 0 && entries_[i].name == entries_[i - 1].name;
    if (repeat) {
      canonical_ += ',';
    } else {
      if (i > 0) canonical_ += '\n';
      canonical_.append(entries_[i].name);
      canonical_ += ':';
    }
    append_trimmed(canonical_, entries_[i].value);
  }
  canonical_ += "\n\n";
  std::size_t list_at = canonical_.size();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0 && entries_[i].name == entries_[i - 1].name) continue;
    if (i > 0) canonical_ += ';';
    canonical_.append(entries_[i].name);
  }
  return list_at;
}

// Steps 3 to 6: string to sign, signature with the (cached) signing key, Authorization.
void Signer::Impl::finish(SignedHeaders& out, std::string_view date,
                          std::string_view signed_headers, const Credentials& credentials,
                          const SigningParams& params) {
  Digest digest{};
  sha256(canonical_, digest);
  string_to_sign_.clear();
  string_to_sign_.append(kAlgorithm).append("\n").append(out.amz_date).append("\n");
  std::size_t scope_at = string_to_sign_.size();
  string_to_sign_.append(date).append("/").append(params.region).append("/");
  string_to_sign_.append(params.service).append("/").append(kTerminator);
  std::size_t scope_size = string_to_sign_.size() - scope_at;
  string_to_sign_ += '\n';
  append_hex(string_to_sign_, digest.data(), digest.size());

  hmac(signing_key(date, credentials, params), nullptr, 0, string_to_sign_, digest);
  std::string& auth = out.authorization;
  auth.reserve(kAlgorithm.size() + credentials.access_key_id.size() + scope_size +
               signed_headers.size() + 64 + 40);
  auth.append(kAlgorithm).append(" Credential=").append(credentials.access_key_id).append("/");
  auth.append(std::string_view(string_to_sign_).substr(scope_at, scope_size));
  auth.append(", SignedHeaders=").append(signed_headers).append(", Signature=");
  append_hex(auth, digest.data(), digest.size());
}

Signer::Signer() : impl_(std::make_unique<Impl>()) {}
Signer::~Signer() = default;
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;

std::string_view Signer::canonical_request() const {
  return impl_->canonical_;
}
std::string_view Signer::string_to_sign() const {
  return impl_->string_to_sign_;
}
std::uint64_t Signer::keys_derived() const {
  return impl_->keys_derived_;
}

Result<SignedHeaders> Signer::sign(const SigningRequest& request, const Credentials& credentials,
                                   const SigningParams& params) {
  Impl& s = *impl_;
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    return signing_error("no access key id or secret access key");
  }
  if (params.region.empty() || params.service.empty()) {
    return signing_error("region and service are required");
  }
  SignedHeaders out;
  out.amz_date = amz_date(params.unix_time);
  if (out.amz_date.empty()) return signing_error("time outside 1970..9999");
  std::string_view date = std::string_view(out.amz_date).substr(0, 8);

  std::string_view caller_content_sha256;
  if (!s.collect_headers(request, params, caller_content_sha256)) {
    return signing_error("the request has no Host header");
  }
  std::string_view payload_hash = request.payload_hash;
  if (payload_hash.empty()) payload_hash = caller_content_sha256;
  std::array<char, 64> computed_hash{};
  if (payload_hash.empty()) {
    Digest digest{};
    s.sha256(request.payload, digest);
    for (std::size_t i = 0; i < digest.size(); ++i) {
      computed_hash[2 * i] = kHexLower[digest[i] >> 4];
      computed_hash[2 * i + 1] = kHexLower[digest[i] & 0xF];
    }
    payload_hash = std::string_view(computed_hash.data(), computed_hash.size());
  }
  s.entries_.push_back({"x-amz-date", out.amz_date, UINT32_MAX});
  if (!credentials.session_token.empty()) {
    out.security_token = credentials.session_token;
    if (params.sign_session_token) {
      s.entries_.push_back({"x-amz-security-token", out.security_token, UINT32_MAX});
    }
  }
  if (params.add_content_sha256) {
    out.content_sha256.assign(payload_hash);
    s.entries_.push_back({"x-amz-content-sha256", out.content_sha256, UINT32_MAX});
  }

  s.canonical_.clear();
  s.canonical_.append(request.method).append("\n");
  s.append_canonical_uri(request.path, params);
  s.canonical_ += '\n';
  s.append_canonical_query(request.query);
  s.canonical_ += '\n';
  std::size_t list_at = s.append_canonical_headers();
  std::size_t list_size = s.canonical_.size() - list_at;
  s.canonical_.append("\n").append(payload_hash);
  s.finish(out, date, std::string_view(s.canonical_).substr(list_at, list_size), credentials,
           params);
  return out;
}

}  // namespace tollbooth::aws
