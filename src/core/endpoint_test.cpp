#include "core/endpoint.hpp"

#include <gtest/gtest.h>

namespace tb = tollbooth;

TEST(UpstreamEndpoint, ParsesHttpsWithDefaultPortAndPath) {
  auto ep = tb::parse_endpoint("https://api.openai.com/v1/");
  ASSERT_TRUE(ep.ok());
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->host, "api.openai.com");
  EXPECT_EQ(ep->port, 443);
  EXPECT_EQ(ep->base_path, "/v1");
  EXPECT_EQ(ep->host_header, "api.openai.com");
}

TEST(UpstreamEndpoint, KeepsExplicitPortInHostHeader) {
  auto ep = tb::parse_endpoint("http://127.0.0.1:4101/azure-east");
  ASSERT_TRUE(ep.ok());
  EXPECT_FALSE(ep->tls);
  EXPECT_EQ(ep->port, 4101);
  EXPECT_EQ(ep->base_path, "/azure-east");
  EXPECT_EQ(ep->host_header, "127.0.0.1:4101");
}

TEST(UpstreamEndpoint, Ipv6LiteralHostIsUnbracketed) {
  auto ep = tb::parse_endpoint("http://[::1]:8080");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->host_header, "[::1]:8080");
  EXPECT_EQ(ep->base_path, "");
}

TEST(UpstreamEndpoint, RejectsOtherSchemesAndQueries) {
  EXPECT_FALSE(tb::parse_endpoint("ftp://x/").ok());
  EXPECT_FALSE(tb::parse_endpoint("https://x/v1?a=b").ok());
  EXPECT_FALSE(tb::parse_endpoint("not a url").ok());
}
