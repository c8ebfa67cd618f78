#include "server/request.hpp"

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
boost::beast::error_code parse(HttpRequest& req, std::string_view wire, std::size_t step) {
  RequestParser p(req);
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

TEST(HttpRequest, KeepsTheRequestLineEveryFieldInOrderAndTheBody) {
  const std::string_view wire =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
      "Host: gw\r\n"
      "Authorization: Bearer k\r\n"
      "api-key: a\r\n"
      "X-Custom:   spaced value  \r\n"
      "Content-Length: 2\r\n"
      "\r\n"
      "{}";
  for (std::size_t step : {wire.size(), std::size_t{1}, std::size_t{5}}) {
    HttpRequest req;
    ASSERT_FALSE(parse(req, wire, step)) << step;
    EXPECT_EQ(req.method(), http::verb::post);
    EXPECT_EQ(req.method_string(), "POST");
    EXPECT_EQ(req.target(), "/v1/chat/completions?x=1");
    EXPECT_EQ(req.version(), 11u);
    EXPECT_EQ(req[http::field::authorization], "Bearer k");
    EXPECT_EQ(req["API-Key"], "a") << "names compare without regard to case";
    EXPECT_EQ(req["x-custom"], "spaced value");
    EXPECT_EQ(req[http::field::expect], "");
    EXPECT_EQ(req["x-absent"], "");
    ASSERT_EQ(req.field_count(), 5u);
    EXPECT_EQ(req.field(0).name, http::field::host);
    EXPECT_EQ(req.field(2).name, http::field::unknown);
    EXPECT_EQ(req.field(2).name_string, "api-key");
    EXPECT_EQ(req.field(4).value, "2");
    EXPECT_EQ(req.body(), "{}");
  }
}

TEST(HttpRequest, ARepeatedFieldReadsAsItsFirstValueAndIsCounted) {
  HttpRequest req;
  ASSERT_FALSE(
      parse(req, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nX-A: 1\r\nx-a: 2\r\n\r\n", 1000));
  EXPECT_EQ(req.count(http::field::host), 2u);
  EXPECT_EQ(req.count("x-a"), 2u);
  EXPECT_EQ(req.count("HOST"), 2u);
  EXPECT_EQ(req.count("api-key"), 0u);
  EXPECT_EQ(req[http::field::host], "a");
  EXPECT_EQ(req["X-A"], "1");
}

TEST(HttpRequest, AnUnknownMethodKeepsItsSpelling) {
  HttpRequest req;
  ASSERT_FALSE(parse(req, "BREW /pot HTTP/1.0\r\n\r\n", 1000));
  EXPECT_EQ(req.method(), http::verb::unknown);
  EXPECT_EQ(req.method_string(), "BREW");
  EXPECT_EQ(req.version(), 10u);
}

TEST(HttpRequest, KeepAliveReadsTheFirstConnectionFieldAsBeastDoes) {
  struct Case {
    std::string_view head;
    bool keep_alive;
  };
  for (const Case& c : {
           Case{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, Close\r\n\r\n", false},
           Case{"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
                true},
           Case{"GET / HTTP/1.0\r\n\r\n", false},
           Case{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
       }) {
    HttpRequest req;
    ASSERT_FALSE(parse(req, c.head, 1000)) << c.head;
    EXPECT_EQ(req.keep_alive(), c.keep_alive) << c.head;
  }
}

TEST(HttpRequest, ChunkedBodiesAreJoined) {
  HttpRequest req;
  ASSERT_FALSE(parse(req,
                     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
                     4));
  EXPECT_EQ(req.body(), "abcde");
}

TEST(HttpRequest, BeastJudgesTheWireFormat) {
  HttpRequest req;
  EXPECT_EQ(parse(req, "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 1000), http::error::bad_field);
  using namespace std::string_view_literals;
  EXPECT_EQ(parse(req, "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"sv, 1000), http::error::bad_value);
  EXPECT_EQ(parse(req, "GET / HTTP/2.0\r\n\r\n", 1000), http::error::bad_version);
}

TEST(HttpRequest, ANewParserStartsFromAClearedRequestKeepingSmallBodiesMemory) {
  HttpRequest req;
  ASSERT_FALSE(parse(req, "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 1000));
  const std::size_t kept = req.body().capacity();
  ASSERT_FALSE(parse(req, "GET /b HTTP/1.1\r\nHost: b\r\n\r\n", 1000));
  EXPECT_EQ(req.target(), "/b");
  EXPECT_EQ(req.field_count(), 1u);
  EXPECT_EQ(req[http::field::host], "b");
  EXPECT_EQ(req[http::field::content_length], "");
  EXPECT_EQ(req.body(), "");
  EXPECT_EQ(req.body().capacity(), kept);

  req.body().assign(HttpRequest::kKeepBodyBytes + 1, 'x');
  req.clear();
  EXPECT_LE(req.body().capacity(), HttpRequest::kKeepBodyBytes) << "a large body is freed";
}

}  // namespace
}  // namespace tollbooth
