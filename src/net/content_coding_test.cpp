#include "net/content_coding.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <stdexcept>
#include <string>

namespace tollbooth::net {
namespace {

using ::testing::HasSubstr;
using Kind = CodingError::Kind;

std::string deflate_as(std::string_view in, bool gzip, int level = 6) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, gzip ? 16 + MAX_WBITS : MAX_WBITS, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}
std::string gzip(std::string_view in) {
  return deflate_as(in, true);
}

std::string zstd(std::string_view in, int level = 3) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
  if (ZSTD_isError(n)) throw std::runtime_error("ZSTD_compress");
  out.resize(n);
  return out;
}

// A stream written without its size known, with a window of 2^window_log bytes.
std::string zstd_streamed(std::string_view in, int window_log) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, window_log);
  std::string out(ZSTD_compressBound(in.size()) + 1024, '\0');
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.size(), 0};
  ZSTD_compressStream2(c, &dst, &src, ZSTD_e_continue);  // the size is not known up front
  ZSTD_inBuffer none{nullptr, 0, 0};
  while (ZSTD_compressStream2(c, &dst, &none, ZSTD_e_end) != 0) {
  }
  ZSTD_freeCCtx(c);
  out.resize(dst.pos);
  return out;
}

const std::string kText =
    R"({"model":"gpt-4o","input":[{"role":"user","content":"héllo, how are you?"}],"stream":true})";

TEST(ContentCoding, EachCodingComesBackAsItWasSent) {
  for (auto [coding, encoded] : {std::pair<std::string, std::string>{"gzip", gzip(kText)},
                                 {"x-gzip", gzip(kText)},
                                 {"GZip", gzip(kText)},
                                 {"deflate", deflate_as(kText, false)},
                                 {"zstd", zstd(kText)},
                                 {" zstd ", zstd(kText, 19)},
                                 {"identity, zstd", zstd(kText)}}) {
    std::string body = encoded;
    EXPECT_EQ(decode_content_coding(coding, body, 1 << 20), std::nullopt) << coding;
    EXPECT_EQ(body, kText) << coding;
  }
}

TEST(ContentCoding, IdentityOrNothingLeavesTheBodyAlone) {
  for (std::string_view coding : {"", "identity", "IDENTITY", " , identity"}) {
    std::string body = "not compressed";
    EXPECT_EQ(decode_content_coding(coding, body, 4), std::nullopt) << coding;
    EXPECT_EQ(body, "not compressed") << "not checked against the limit either";
  }
  std::string empty;
  EXPECT_EQ(decode_content_coding("zstd", empty, 10), std::nullopt) << "an empty body is empty";
}

TEST(ContentCoding, TwoCodingsAreUndoneLastFirst) {
  std::string body = zstd(gzip(kText));  // gzip applied first, then zstd
  EXPECT_EQ(decode_content_coding("gzip, zstd", body, 1 << 20), std::nullopt);
  EXPECT_EQ(body, kText);
}

TEST(ContentCoding, SeveralGzipMembersAndZstdFramesAreOneBody) {
  std::string body = gzip("first half, ") + gzip("second half");
  EXPECT_EQ(decode_content_coding("gzip", body, 1 << 20), std::nullopt);
  EXPECT_EQ(body, "first half, second half");
  body = zstd("first half, ") + zstd("second half");
  EXPECT_EQ(decode_content_coding("zstd", body, 1 << 20), std::nullopt);
  EXPECT_EQ(body, "first half, second half");
}

TEST(ContentCoding, TheLimitIsTheDecodedSizeExactly) {
  const std::string big(100'000, 'a');
  for (auto [coding, encoded] : {std::pair<std::string, std::string>{"gzip", gzip(big)},
                                 {"deflate", deflate_as(big, false)},
                                 {"zstd", zstd(big)}}) {
    std::string body = encoded;
    EXPECT_EQ(decode_content_coding(coding, body, big.size()), std::nullopt) << coding;
    EXPECT_EQ(body.size(), big.size());
    body = encoded;
    auto err = decode_content_coding(coding, body, big.size() - 1);
    ASSERT_TRUE(err) << coding;
    EXPECT_EQ(err->kind, Kind::too_large);
    EXPECT_THAT(err->message, HasSubstr("max_body_bytes (99999 bytes) once decoded"));
    EXPECT_THAT(err->message, HasSubstr("Content-Encoding: " + coding));
    EXPECT_EQ(body, encoded) << "left as it was";
  }
}

TEST(ContentCoding, ABombStopsAtTheLimit) {
  // 64 MiB of zeros in a few kilobytes: decoding stops at 1 MiB.
  const std::string zeros(64u << 20, '\0');
  for (auto [coding, encoded] :
       {std::pair<std::string, std::string>{"gzip", deflate_as(zeros, true, 9)},
        {"zstd", zstd(zeros, 19)}}) {
    ASSERT_LT(encoded.size(), 128u * 1024) << coding;
    std::string body = encoded;
    auto err = decode_content_coding(coding, body, 1 << 20);
    ASSERT_TRUE(err) << coding;
    EXPECT_EQ(err->kind, Kind::too_large) << coding;
  }
}

TEST(ContentCoding, AZstdFrameAskingForAHugeWindowIsRefusedAsTooLarge) {
  std::string body =
      zstd_streamed(kText, 25);  // a 32 MiB window (zstd alone takes 128), for a few bytes
  auto err = decode_content_coding("zstd", body, 1 << 20);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, Kind::too_large);
  // The usual windows pass: 8 MiB (level 19, size unknown) under a 1 MiB limit.
  body = zstd_streamed(kText, 23);
  EXPECT_EQ(decode_content_coding("zstd", body, 1 << 20), std::nullopt);
  EXPECT_EQ(body, kText);
}

TEST(ContentCoding, BrokenOrCutShortBodiesAreMalformed) {
  const std::string cut_gzip = gzip(kText).substr(0, 20);
  const std::string cut_zstd = zstd(kText).substr(0, 20);
  const std::string trailing = deflate_as(kText, false) + "junk";
  for (auto [coding, bytes] : {std::pair<std::string, std::string>{"gzip", "plain text"},
                               {"gzip", cut_gzip},
                               {"zstd", "plain text"},
                               {"zstd", cut_zstd},
                               {"deflate", trailing},
                               {"deflate", gzip(kText)}}) {
    std::string body = bytes;
    auto err = decode_content_coding(coding, body, 1 << 20);
    ASSERT_TRUE(err) << coding << " " << bytes.size();
    EXPECT_EQ(err->kind, Kind::malformed) << coding;
    EXPECT_THAT(err->message, HasSubstr("not valid " + coding + " data"));
    EXPECT_EQ(body, bytes);
  }
}

TEST(ContentCoding, UnknownCodingsAndLongChainsAreUnsupported) {
  std::string body = "x";
  auto err = decode_content_coding("br", body, 100);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, Kind::unsupported);
  EXPECT_THAT(err->message, HasSubstr("'br' is not supported"));
  EXPECT_THAT(err->message, HasSubstr("gzip, x-gzip, deflate, zstd, identity"));
  err = decode_content_coding("gzip, gzip, gzip", body, 100);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->kind, Kind::unsupported);
  EXPECT_THAT(err->message, HasSubstr("more than 2 times"));
  EXPECT_EQ(body, "x");
}

}  // namespace
}  // namespace tollbooth::net
