#include "net/content_coding.hpp"

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <memory>
#include <vector>

namespace tollbooth::net {

namespace {

// A body is decoded by at most this many codings: one is what clients send; two leaves room
// for an odd proxy, and more is only ever a way to make the gateway work.
constexpr std::size_t kMaxCodings = 2;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

CodingError too_large(std::string_view coding, std::size_t max_bytes) {
  return {CodingError::Kind::too_large,
          "request body exceeds max_body_bytes (" + std::to_string(max_bytes) +
              " bytes) once decoded (Content-Encoding: " + std::string(coding) + ")"};
}

CodingError malformed(std::string_view coding, std::string_view why) {
  return {CodingError::Kind::malformed, "request body is not valid " + std::string(coding) +
                                            " data (Content-Encoding: " + std::string(coding) +
                                            "): " + std::string(why)};
}

// Room for more output: `out` grows by doubling (from 16 KiB), never past max_bytes + 1 (one
// byte past the limit is how an overflow is seen). False when it is already that large.
bool grow(std::string& out, std::size_t produced, std::size_t max_bytes) {
  if (produced < out.size()) return true;
  if (out.size() > max_bytes) return false;
  const std::size_t want = std::max<std::size_t>(out.size() * 2, 16 * 1024);
  out.resize(std::min(want, max_bytes + 1));
  return true;
}

// zlib's streams: gzip (several members allowed, as gunzip reads them) or deflate (RFC 9110's
// "deflate": the zlib format).
std::optional<CodingError> inflate_body(std::string_view coding, bool gzip, std::string_view in,
                                        std::string& out, std::size_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, gzip ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK) throw std::bad_alloc();
  std::unique_ptr<z_stream, int (*)(z_streamp)> end(&zs, inflateEnd);
  const auto* next = reinterpret_cast<const Bytef*>(in.data());
  std::size_t left = in.size();
  std::size_t produced = 0;
  for (;;) {
    if (!grow(out, produced, max_bytes)) return too_large(coding, max_bytes);
    const auto in_now = static_cast<uInt>(std::min<std::size_t>(left, UINT_MAX));
    const auto out_now = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, UINT_MAX));
    zs.next_in = const_cast<Bytef*>(next);
    zs.avail_in = in_now;
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = out_now;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    next += in_now - zs.avail_in;
    left -= in_now - zs.avail_in;
    produced += out_now - zs.avail_out;
    if (produced > max_bytes) return too_large(coding, max_bytes);
    if (rc == Z_STREAM_END) {
      if (left == 0) break;
      if (!gzip) return malformed(coding, "data after the end of the stream");
      if (inflateReset(&zs) != Z_OK) return malformed(coding, "a member after the first");
      continue;  // the next gzip member
    }
    if (rc == Z_BUF_ERROR || rc == Z_OK) {
      if (left == 0 && zs.avail_out != 0)
        return malformed(coding, "the body ends inside the stream");
      // Room and input but no progress: never loop on bytes zlib will not take.
      if (zs.avail_in == in_now && zs.avail_out == out_now)
        return malformed(coding, "the stream stops making progress");
      continue;  // more room needed, or more input to read
    }
    return malformed(coding, zs.msg ? zs.msg : "inflate failed");
  }
  out.resize(produced);
  return std::nullopt;
}

struct DctxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

std::optional<CodingError> unzstd_body(std::string_view coding, std::string_view in,
                                       std::string& out, std::size_t max_bytes) {
  std::unique_ptr<ZSTD_DCtx, DctxFree> d(ZSTD_createDCtx());
  if (!d) throw std::bad_alloc();
  // The window a frame may ask for: what the limit needs, at least 8 MiB (what encoders use at
  // their usual levels when they do not know the size), at most zstd's own default of 128 MiB.
  const int need = static_cast<int>(std::bit_width(std::max<std::size_t>(max_bytes, 1) - 1));
  ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, std::clamp(need, 23, 27));
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  std::size_t produced = 0;
  std::size_t pending = 1;  // ZSTD_decompressStream's hint: 0 when a frame is complete
  while (src.pos < src.size || pending != 0) {
    if (!grow(out, produced, max_bytes)) return too_large(coding, max_bytes);
    ZSTD_outBuffer dst{out.data() + produced, out.size() - produced, 0};
    const std::size_t before = src.pos;
    pending = ZSTD_decompressStream(d.get(), &dst, &src);
    if (ZSTD_isError(pending)) {
      if (ZSTD_getErrorCode(pending) == ZSTD_error_frameParameter_windowTooLarge)
        return too_large(coding, max_bytes);
      return malformed(coding, ZSTD_getErrorName(pending));
    }
    produced += dst.pos;
    if (produced > max_bytes) return too_large(coding, max_bytes);
    // All input read, room left, and the frame still unfinished: the body was cut short.
    if (pending != 0 && src.pos == src.size && dst.pos < dst.size)
      return malformed(coding, "the body ends inside a frame");
    // Room and input but no progress: never loop on bytes zstd will not take.
    if (src.pos == before && dst.pos == 0)
      return malformed(coding, "the stream stops making progress");
  }
  out.resize(produced);
  return std::nullopt;
}

}  // namespace

std::optional<CodingError> decode_content_coding(std::string_view content_encoding,
                                                 std::string& body, std::size_t max_bytes) {
  std::vector<std::string> codings;  // as applied, identity left out
  std::size_t listed = 0;
  for (std::size_t at = 0; at <= content_encoding.size();) {
    std::size_t comma = content_encoding.find(',', at);
    if (comma == std::string_view::npos) comma = content_encoding.size();
    const std::string coding = lower(trim(content_encoding.substr(at, comma - at)));
    at = comma + 1;
    if (coding.empty() || coding == "identity") continue;
    if (++listed > kMaxCodings) {
      return CodingError{CodingError::Kind::unsupported,
                         "request body is encoded more than " + std::to_string(kMaxCodings) +
                             " times (Content-Encoding: " + std::string(content_encoding) + ")"};
    }
    if (coding != "gzip" && coding != "x-gzip" && coding != "deflate" && coding != "zstd") {
      return CodingError{CodingError::Kind::unsupported,
                         "Content-Encoding '" + coding +
                             "' is not supported for request bodies (supported: " +
                             std::string(kDecodedCodings) + ")"};
    }
    codings.push_back(coding);
  }
  if (codings.empty() || body.empty()) return std::nullopt;
  // The last coding applied is undone first.
  std::string current;
  std::string_view from = body;
  for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
    std::string decoded;
    auto err = *it == "zstd" ? unzstd_body(*it, from, decoded, max_bytes)
                             : inflate_body(*it, *it != "deflate", from, decoded, max_bytes);
    if (err) return err;
    current = std::move(decoded);
    from = current;
  }
  body = std::move(current);
  return std::nullopt;
}

}  // namespace tollbooth::net
