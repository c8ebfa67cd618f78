#include "access/records.hpp"

#include <gtest/gtest.h>

namespace tollbooth::access {
namespace {

TEST(AccessScope, NamesRoundTripForEveryScope) {
  for (std::size_t i = 0; i < kScopeCount; ++i) {
    auto s = static_cast<Scope>(i);
    ASSERT_FALSE(scope_name(s).empty());
    auto back = parse_scope(scope_name(s));
    ASSERT_TRUE(back.has_value()) << scope_name(s);
    EXPECT_EQ(*back, s);
  }
}

TEST(AccessScope, NamesAreTheConfigSpellings) {
  EXPECT_EQ(scope_name(Scope::chat), "chat");
  EXPECT_EQ(scope_name(Scope::responses), "responses");
  EXPECT_EQ(scope_name(Scope::embeddings), "embeddings");
  EXPECT_EQ(scope_name(Scope::models), "models");
  EXPECT_EQ(scope_name(Scope::routing_explain), "routing:explain");
  EXPECT_EQ(scope_name(Scope::admin), "admin");
}

TEST(AccessScope, UnknownOrMisspelledNamesAreRefused) {
  EXPECT_FALSE(parse_scope("").has_value());
  EXPECT_FALSE(parse_scope("Chat").has_value());
  EXPECT_FALSE(parse_scope("routing_explain").has_value());
  EXPECT_FALSE(parse_scope("routing:").has_value());
  EXPECT_FALSE(parse_scope("admin ").has_value());
  EXPECT_FALSE(scope_name(static_cast<Scope>(kScopeCount)).size());
}

TEST(AccessScope, DefaultScopesLeaveOutExplainAndAdmin) {
  EXPECT_TRUE(kDefaultScopes & scope_bit(Scope::chat));
  EXPECT_FALSE(kDefaultScopes & scope_bit(Scope::routing_explain));
  EXPECT_FALSE(kDefaultScopes & scope_bit(Scope::admin));
  EXPECT_FALSE(kDefaultScopes & scope_bit(Scope::metrics));
  EXPECT_EQ(kAllScopes, 0x7Fu);
}

}  // namespace
}  // namespace tollbooth::access
