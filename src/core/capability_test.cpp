#include "core/capability.hpp"

#include <gtest/gtest.h>

namespace tollbooth {
namespace {

TEST(Capability, NamesRoundTripForEveryCapability) {
  for (int i = 0; i < kCapabilityCount; ++i) {
    auto c = static_cast<Capability>(i);
    auto back = capability_from_name(capability_name(c));
    ASSERT_TRUE(back.has_value()) << capability_name(c);
    EXPECT_EQ(*back, c);
  }
  EXPECT_FALSE(capability_from_name("Vision").has_value());
  EXPECT_FALSE(capability_from_name("").has_value());
}

TEST(Capability, RouteServesRequestWhenNothingNeededIsMissing) {
  CapabilitySet needs;
  needs.add(Capability::tools);
  needs.add(Capability::vision);
  CapabilitySet serves = CapabilitySet::all();
  serves.remove(Capability::vision);
  EXPECT_EQ(capability_list(needs - serves), "vision");
  serves.add(Capability::vision);
  EXPECT_TRUE((needs - serves).empty());
  EXPECT_EQ(capability_list(CapabilitySet{}), "none");
  EXPECT_EQ(capability_list(needs), "tools, vision");
}

}  // namespace
}  // namespace tollbooth
