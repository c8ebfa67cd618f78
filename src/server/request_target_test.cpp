#include "server/request_target.hpp"

#include <gtest/gtest.h>

namespace tollbooth {
namespace {

TEST(RequestTarget, OriginFormLosesItsQuery) {
  EXPECT_EQ(target_path("/v1/models?limit=1"), "/v1/models");
  EXPECT_EQ(target_path("/v1/chat/completions"), "/v1/chat/completions");
}

TEST(RequestTarget, AbsoluteFormIsServedByItsPath) {
  EXPECT_EQ(target_path("http://127.0.0.1:4000/v1/chat/completions"), "/v1/chat/completions");
  EXPECT_EQ(target_path("HTTPS://gw.example/v1/models?x=1"), "/v1/models");
  EXPECT_EQ(target_path("http://gw.example"), "/");
  EXPECT_EQ(target_path("http://gw.example?x"), "/");
}

TEST(RequestTarget, OtherFormsHaveNoPath) {
  EXPECT_EQ(target_path("*"), std::nullopt);
  EXPECT_EQ(target_path("gw.example:443"), std::nullopt);
  EXPECT_EQ(target_path("http:///v1/models"), std::nullopt);
  EXPECT_EQ(target_path("ftp://x/v1/models"), std::nullopt);
  EXPECT_EQ(target_path(""), std::nullopt);
}

}  // namespace
}  // namespace tollbooth
