#include "mock/mock_fault.hpp"

#include <gtest/gtest.h>

namespace tollbooth::mock {
namespace {

TEST(MockFault, EmptySpecIsNoFault) {
  auto spec = parse_fault_spec("");
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(spec->none());
  EXPECT_EQ(spec->fail_first, -1);
  EXPECT_TRUE(parse_fault_spec(" ; ;").ok());
}

TEST(MockFault, ParsesEveryItem) {
  auto spec = parse_fault_spec(
      "status=429; retry_after=2;latency_ms=200;stall_ms=5000;drop_after=3;close;fail_first=1");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_EQ(spec->status, 429);
  EXPECT_EQ(spec->retry_after_s, 2);
  EXPECT_EQ(spec->latency_ms, 200);
  EXPECT_EQ(spec->stall_ms, 5000);
  EXPECT_EQ(spec->drop_after, 3);
  EXPECT_TRUE(spec->close);
  EXPECT_EQ(spec->fail_first, 1);
  EXPECT_FALSE(spec->none());
}

TEST(MockFault, WhitespaceAroundNamesAndValuesIsIgnored) {
  auto spec = parse_fault_spec("  status = 503 ;\tclose  ");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->status, 503);
  EXPECT_TRUE(spec->close);
}

TEST(MockFault, DropAfterZeroIsAFault) {
  auto spec = parse_fault_spec("drop_after=0");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->drop_after, 0);
  EXPECT_FALSE(spec->none());
}

TEST(MockFault, FailFirstAloneChangesNothing) {
  auto spec = parse_fault_spec("fail_first=2");
  ASSERT_TRUE(spec.ok());
  EXPECT_TRUE(spec->none());
}

TEST(MockFault, RejectsUnknownItems) {
  auto spec = parse_fault_spec("status=503;explode");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.error().message.find("'explode'"), std::string::npos);
  EXPECT_FALSE(parse_fault_spec("delay=5").ok());
}

TEST(MockFault, RejectsBadNumbers) {
  EXPECT_FALSE(parse_fault_spec("status=abc").ok());
  EXPECT_FALSE(parse_fault_spec("status=200").ok());  // a fault status is an error status
  EXPECT_FALSE(parse_fault_spec("status=600").ok());
  EXPECT_FALSE(parse_fault_spec("status=").ok());
  EXPECT_FALSE(parse_fault_spec("latency_ms=-1").ok());
  EXPECT_FALSE(parse_fault_spec("latency_ms=10x").ok());
  EXPECT_FALSE(parse_fault_spec("stall_ms=99999999").ok());
  auto spec = parse_fault_spec("drop_after=x");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.error().message.find("integer from 0"), std::string::npos);
}

TEST(MockFault, CanonicalTextRoundTrips) {
  auto spec = parse_fault_spec("fail_first=2;close;retry_after=3;status=503");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(to_string(*spec), "status=503;retry_after=3;close;fail_first=2");
  auto again = parse_fault_spec(to_string(*spec));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *spec);
  EXPECT_EQ(to_string(FaultSpec{}), "");
}

}  // namespace
}  // namespace tollbooth::mock

namespace tollbooth::mock {
namespace {

TEST(MockFault, BedrockStreamException) {
  auto spec = parse_fault_spec("exception=throttlingException; fail_first=1");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->exception, "throttlingException");
  EXPECT_FALSE(spec->none());
  EXPECT_EQ(to_string(*spec), "fail_first=1;exception=throttlingException");
  EXPECT_FALSE(parse_fault_spec("exception="));
  EXPECT_FALSE(parse_fault_spec("exception=a b"));
}

}  // namespace
}  // namespace tollbooth::mock
