#include "upstream/response_parser.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <string_view>

namespace tollbooth {
namespace {

namespace http = boost::beast::http;

// Feeds `wire` to a fresh parser in pieces of `step` bytes, as reads would; the error that
// stopped it, or none when the message is done.
boost::beast::error_code parse(UpstreamResponse& res, std::string_view wire, std::size_t step) {
  ResponseParser p(res);
  p.eager(true);
  std::string pending;
  boost::beast::error_code ec;
  for (std::size_t at = 0; at < wire.size() && !p.is_done(); at += step) {
    pending.append(wire.substr(at, step));
    const std::size_t used = p.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (ec == http::error::need_more) ec = {};
    if (ec) return ec;
  }
  if (!p.is_done()) return http::error::need_more;
  return {};
}

TEST(ResponseParser, KeepsTheFieldsTheGatewayReadsAndTheBody) {
  const std::string_view wire =
      "HTTP/1.1 429 Too Many Requests\r\n"
      "Content-Type: application/json\r\n"
      "Retry-After: 7\r\n"
      "X-Request-Id: req-1\r\n"
      "apim-request-id: apim-1\r\n"
      "X-Amzn-RequestId: amzn-1\r\n"
      "x-amzn-errortype: ThrottlingException\r\n"
      "X-Other: ignored\r\n"
      "Content-Length: 2\r\n"
      "\r\n"
      "{}";
  for (std::size_t step : {wire.size(), std::size_t{1}, std::size_t{7}}) {
    UpstreamResponse res;
    ASSERT_FALSE(parse(res, wire, step)) << step;
    EXPECT_EQ(res.status, 429u);
    EXPECT_EQ(res.content_type, "application/json");
    EXPECT_EQ(res.first_content_type(), "application/json");
    EXPECT_EQ(res.retry_after, "7");
    EXPECT_EQ(res.request_id, "req-1");
    EXPECT_EQ(res.apim_request_id, "apim-1");
    EXPECT_EQ(res.amzn_request_id, "amzn-1");
    EXPECT_EQ(res.amzn_error_type, "ThrottlingException");
    EXPECT_EQ(res.body, "{}");
  }
}

TEST(ResponseParser, ARepeatedFieldReadsAsItsLastValueAndContentTypeKeepsItsFirst) {
  UpstreamResponse res;
  ASSERT_FALSE(parse(res,
                     "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nx-request-id: a\r\n"
                     "Content-Type: text/plain\r\nx-request-id: b\r\nContent-Length: 0\r\n\r\n",
                     1000));
  EXPECT_EQ(res.content_type, "text/plain");
  EXPECT_EQ(res.first_content_type(), "image/png");
  EXPECT_EQ(res.request_id, "b");
}

TEST(ResponseParser, ChunkedBodiesAreJoined) {
  UpstreamResponse res;
  ASSERT_FALSE(parse(res,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                     5));
  EXPECT_EQ(res.body, "abcde");
}

TEST(ResponseParser, BeastJudgesTheWireFormat) {
  UpstreamResponse res;
  EXPECT_EQ(parse(res, "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", 1000), http::error::bad_field);
  EXPECT_EQ(parse(res, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 1000),
            http::error::multiple_content_length);
  EXPECT_EQ(parse(res, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1000),
            http::error::bad_chunk);
}

TEST(ResponseParser, ANewParserStartsFromAClearedResponseKeepingSmallBodiesMemory) {
  UpstreamResponse res;
  ASSERT_FALSE(parse(res,
                     "HTTP/1.1 500 Oops\r\nRetry-After: 1\r\nContent-Type: a/b\r\n"
                     "Content-Type: c/d\r\nContent-Length: 3\r\n\r\nabc",
                     1000));
  const std::size_t kept = res.body.capacity();
  ASSERT_FALSE(parse(res, "HTTP/1.1 204 No Content\r\n\r\n", 1000));
  EXPECT_EQ(res.status, 204u);
  EXPECT_EQ(res.retry_after, "");
  EXPECT_EQ(res.content_type, "");
  EXPECT_EQ(res.first_content_type(), "");
  EXPECT_EQ(res.body, "");
  EXPECT_EQ(res.body.capacity(), kept);

  res.body.assign(UpstreamResponse::kKeepBodyBytes + 1, 'x');
  res.clear();
  EXPECT_LE(res.body.capacity(), UpstreamResponse::kKeepBodyBytes) << "a large body is freed";
}

}  // namespace
}  // namespace tollbooth
