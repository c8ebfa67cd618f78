#include "server/http_head.hpp"

#include <gtest/gtest.h>

namespace tb = tollbooth;

TEST(HttpHead, BuildsStatusHeadersAndLength) {
  std::string out;
  tb::HeadBuilder(out)
      .status(404)
      .header("Content-Type", "application/json")
      .content_length(12)
      .finish(true);
  EXPECT_EQ(
      out,
      "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n");
}

TEST(HttpHead, ConnectionCloseWhenNotKeepAlive) {
  std::string out;
  tb::HeadBuilder(out).status(503).content_length(0).finish(false);
  EXPECT_NE(out.find("Connection: close\r\n\r\n"), std::string::npos);
}

TEST(HttpHead, ChunkFramingUsesHexSizeAndSkipsEmpty) {
  std::string out;
  tb::append_chunk(out, std::string(26, 'x'));
  EXPECT_EQ(out.substr(0, 4), "1a\r\n");
  EXPECT_EQ(out.substr(out.size() - 2), "\r\n");
  std::string empty;
  tb::append_chunk(empty, "");
  EXPECT_TRUE(empty.empty());
}

TEST(HttpHead, EveryStatusLineIsItsCodeAndReasonPhrase) {
  // The common codes come from a table of whole lines; any code reads as the rule says.
  for (int code = 100; code < 600; ++code) {
    std::string out;
    tb::HeadBuilder(out).status(code);
    EXPECT_EQ(out, "HTTP/1.1 " + std::to_string(code) + " " + std::string(tb::reason_phrase(code)) +
                       "\r\n");
  }
}

TEST(HttpHead, HeadersAppendToWhatIsThere) {
  std::string out;
  tb::HeadBuilder h(out);
  h.status(200).header("A", "").header("x-request-id", "req_1").raw("B: c\r\n").finish(true);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nA: \r\nx-request-id: req_1\r\nB: c\r\n\r\n");
}
