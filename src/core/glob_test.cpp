#include "core/glob.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace tollbooth {
namespace {

TEST(Glob, LiteralsMatchOnlyThemselves) {
  EXPECT_TRUE(glob_match("gpt-4o", "gpt-4o"));
  EXPECT_FALSE(glob_match("gpt-4o", "gpt-4o-mini"));
  EXPECT_FALSE(glob_match("gpt-4o", "gpt-4"));
  EXPECT_FALSE(glob_match("GPT-4o", "gpt-4o"));  // case-sensitive
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_FALSE(glob_match("", "a"));
}

TEST(Glob, StarMatchesAnyRunIncludingNone) {
  EXPECT_TRUE(glob_match("gpt-4o*", "gpt-4o"));
  EXPECT_TRUE(glob_match("gpt-4o*", "gpt-4o-mini"));
  EXPECT_FALSE(glob_match("gpt-4o*", "gpt-4"));
  EXPECT_TRUE(glob_match("us-*", "us-east-1"));
  EXPECT_FALSE(glob_match("us-*", "eu-west-1"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_TRUE(glob_match("*-east-*", "us-east-1"));
  EXPECT_TRUE(glob_match("*mini", "gpt-4o-mini"));
  EXPECT_FALSE(glob_match("*mini", "gpt-4o-mini-2024"));
  EXPECT_TRUE(glob_match("a*b*c", "abc"));
  EXPECT_TRUE(glob_match("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(glob_match("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(glob_match("**", "x"));
}

TEST(Glob, QuestionMarkMatchesExactlyOneCharacter) {
  EXPECT_TRUE(glob_match("us-east-?", "us-east-1"));
  EXPECT_FALSE(glob_match("us-east-?", "us-east-"));
  EXPECT_FALSE(glob_match("us-east-?", "us-east-12"));
  EXPECT_TRUE(glob_match("?*", "a"));
  EXPECT_FALSE(glob_match("?*", ""));
}

TEST(Glob, PathologicalPatternsStayLinearish) {
  // A recursive matcher takes exponential time here; the two-pointer walk takes microseconds.
  std::string text(20000, 'a');
  std::string pattern = "a*a*a*a*a*a*a*a*a*a*a*a*a*b";
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(glob_match(pattern, text));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(200));
}

TEST(Glob, EmptyListAllowsEverything) {
  std::vector<std::string> none;
  EXPECT_TRUE(matches_any(none, "gpt-5"));
  EXPECT_TRUE(matches_any(none, ""));
  std::vector<std::string> some = {"gpt-4o*", "claude-*"};
  EXPECT_TRUE(matches_any(some, "gpt-4o-mini"));
  EXPECT_TRUE(matches_any(some, "claude-sonnet"));
  EXPECT_FALSE(matches_any(some, "gpt-5"));
}

TEST(Glob, CoversMeansEveryNarrowMatchIsAWideMatch) {
  EXPECT_TRUE(glob_covers("us-*", "us-east-*"));
  EXPECT_TRUE(glob_covers("us-*", "us-east-1"));
  EXPECT_TRUE(glob_covers("us-*", "us-*"));
  EXPECT_TRUE(glob_covers("*", "anything-*"));
  EXPECT_TRUE(glob_covers("us-east-?", "us-east-1"));
  EXPECT_TRUE(glob_covers("us-east-?", "us-east-?"));
  EXPECT_TRUE(glob_covers("us-*", "us-?"));
  EXPECT_FALSE(glob_covers("us-east-*", "us-*"));  // us-west-2 escapes
  EXPECT_FALSE(glob_covers("us-?", "us-*"));       // us-east-1 escapes
  EXPECT_FALSE(glob_covers("us-east-1", "us-east-?"));
  EXPECT_FALSE(glob_covers("eu-*", "us-east-1"));
  EXPECT_FALSE(glob_covers("us-*", "*-east-1"));
}

}  // namespace
}  // namespace tollbooth
