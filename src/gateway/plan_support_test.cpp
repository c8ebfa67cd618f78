#include "gateway/plan_support.hpp"

#include <gtest/gtest.h>

#include "config/config.hpp"

namespace tollbooth::gateway {
namespace {

Config with_admin_key(std::string key) {
  Config c;
  c.server.admin_key = std::move(key);
  return c;
}

TEST(PlanSupport, AdminKeyIsRecognisedWhateverTheCaseOfTheScheme) {
  const Config c = with_admin_key("tb-admin");
  EXPECT_TRUE(may_see_routing(c, "Bearer tb-admin"));
  EXPECT_TRUE(may_see_routing(c, "bearer tb-admin"));
  EXPECT_TRUE(may_see_routing(c, "BEARER tb-admin"));
  EXPECT_TRUE(may_see_routing(c, "Bearer   tb-admin")) << "RFC 9110: one or more spaces";
}

TEST(PlanSupport, AnythingButTheExactKeyIsRefused) {
  const Config c = with_admin_key("tb-admin");
  EXPECT_FALSE(may_see_routing(c, "Bearer tb-admin2"));
  EXPECT_FALSE(may_see_routing(c, "Bearer TB-ADMIN")) << "the key itself is case-sensitive";
  EXPECT_FALSE(may_see_routing(c, "Basic tb-admin"));
  EXPECT_FALSE(may_see_routing(c, "Bearertb-admin"));
  EXPECT_FALSE(may_see_routing(c, "Bearer"));
  EXPECT_FALSE(may_see_routing(c, ""));
  EXPECT_FALSE(may_see_routing(with_admin_key(""), "Bearer ")) << "no key configured: nobody";
}

}  // namespace
}  // namespace tollbooth::gateway
