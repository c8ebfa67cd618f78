#pragma once
// AWS Signature Version 4, header form (AWS4-HMAC-SHA256), as Bedrock Runtime and
// bedrock-mantle expect it: PROTOCOLS.md §7. Pure code: the caller passes the request bytes,
// the credentials and the time; the signer returns the headers to add. It never reads a clock.
//
// Kept free of OpenSSL, Boost and Beast headers: this header sits on the request path.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tollbooth::aws {

// Static or temporary (STS) credentials. A non-empty session token is sent and signed as
// X-Amz-Security-Token. Never log these values.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

struct HeaderRef {
  std::string_view name;   // any case
  std::string_view value;  // raw; surrounding whitespace is trimmed and runs collapsed
};

struct SigningRequest {
  std::string_view method;  // "POST"
  // The path exactly as sent on the wire, already percent-encoded once (Bedrock model ids carry
  // %3A and %2F there), without the query.
  std::string_view path;
  std::string_view query;  // after '?', without it; empty when none
  // Every header that should be signed; Host is required. Headers the signer owns (authorization,
  // x-amz-date, date, x-amz-security-token) are skipped, as are hop-by-hop and proxy headers.
  std::span<const HeaderRef> headers;
  std::string_view payload;  // the exact body bytes that will be sent
  // Lower-case hex SHA-256 of the payload when the caller already has it (or "UNSIGNED-PAYLOAD");
  // empty means: hash `payload` (or use a caller-supplied x-amz-content-sha256 header).
  std::string_view payload_hash;
};

struct SigningParams {
  std::string_view region;          // "us-east-1"
  std::string_view service;         // signing name: "bedrock" (bedrock-runtime) or "bedrock-mantle"
  std::int64_t unix_time = 0;       // seconds since the epoch, UTC; injected by the caller
  bool normalize_path = true;       // remove "." / empty segments, resolve ".." (all but S3)
  bool double_encode_path = true;   // percent-encode the wire path again (all but S3)
  bool add_content_sha256 = false;  // add and sign x-amz-content-sha256 (smithy's default)
  // false: X-Amz-Security-Token is added after signing, left out of the signature (a few
  // services want that; the suite's post-sts-header-after case).
  bool sign_session_token = true;
};

// The headers to add to the request. `for_each` yields them in the order AWS's reference signer
// appends them, with its spelling, so a signed request can be compared byte for byte.
struct SignedHeaders {
  std::string amz_date;        // X-Amz-Date, "YYYYMMDD'T'HHMMSS'Z'"
  std::string security_token;  // X-Amz-Security-Token; empty when there is no session token
  std::string content_sha256;  // x-amz-content-sha256; empty unless add_content_sha256
  std::string authorization;   // Authorization

  // The lower-case hex signature (the tail of `authorization`).
  std::string_view signature() const {
    std::string_view auth = authorization;
    return auth.size() < 64 ? std::string_view() : auth.substr(auth.size() - 64);
  }

  template <class Fn>  // Fn(std::string_view name, std::string_view value)
  void for_each(Fn&& fn) const {
    using sv = std::string_view;
    if (!security_token.empty()) fn(sv("X-Amz-Security-Token"), sv(security_token));
    fn(sv("X-Amz-Date"), sv(amz_date));
    if (!content_sha256.empty()) fn(sv("x-amz-content-sha256"), sv(content_sha256));
    fn(sv("Authorization"), sv(authorization));
  }
};

// Signs requests; owns the OpenSSL contexts, scratch buffers and a few derived signing keys.
// Not thread-safe by design: each worker thread owns one Signer, so there are no locks.
// Construct it at startup: the constructor throws if OpenSSL lacks SHA-256 or HMAC. `sign`
// returns an Error for requests it cannot sign (no Host, empty keys, region or service, a time
// outside 1970..9999); it throws only if OpenSSL itself fails.
class Signer {
 public:
  Signer();
  ~Signer();
  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  Result<SignedHeaders> sign(const SigningRequest& request, const Credentials& credentials,
                             const SigningParams& params);

  // The last successful call's intermediate texts (PROTOCOLS.md §7.1 steps 2 and 3), for tests
  // and debug logs. Valid until the next call.
  std::string_view canonical_request() const;
  std::string_view string_to_sign() const;

  // How many signing keys were derived (cache misses) since construction; for tests.
  std::uint64_t keys_derived() const;

 private:
  struct Impl;  // OpenSSL contexts, scratch buffers, key cache: defined in sigv4.cpp
  std::unique_ptr<Impl> impl_;
};

// Lower-case hex SHA-256, e.g. to hash a body once and pass it as SigningRequest::payload_hash.
std::string sha256_hex(std::string_view data);

// "YYYYMMDD'T'HHMMSS'Z'" for a Unix time (UTC); empty outside years 1970..9999.
std::string amz_date(std::int64_t unix_time);

}  // namespace tollbooth::aws
