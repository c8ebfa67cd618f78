#include "config/config_values.hpp"

#include <gtest/gtest.h>

#include <array>

namespace tollbooth::config_detail {
namespace {

using std::chrono::milliseconds;

TEST(ConfigValues, SizesTakeBinaryAndDecimalUnits) {
  EXPECT_EQ(parse_size("1048576"), 1048576u);
  EXPECT_EQ(parse_size("8MiB"), 8u << 20);
  EXPECT_EQ(parse_size("16KiB"), 16u << 10);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  EXPECT_EQ(parse_size("2KB"), 2000u);
  EXPECT_EQ(parse_size("3MB"), 3'000'000u);
  EXPECT_EQ(parse_size("1GB"), 1'000'000'000u);
  EXPECT_EQ(parse_size("8 MiB"), 8u << 20);
  EXPECT_EQ(parse_size("8mib"), 8u << 20);
}

TEST(ConfigValues, SizesRejectGarbageAndOverflow) {
  for (const char* bad : {"", "8 megs", "MiB", "-1", "1.5MiB", "8MiB ", "8  MiB", "8TiB",
                          "99999999999999999999", "17179869184GiB"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
}

TEST(ConfigValues, DurationsNeedAUnit) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("2m"), milliseconds(120'000));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("12h"), milliseconds(12LL * 3'600'000));
  EXPECT_EQ(parse_duration("30d"), milliseconds(30LL * 86'400'000));
  for (const char* bad :
       {"30", "", "s", "1.5s", "30 sec", "1w", "30S", "-5s", "999999999999999999m"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(ConfigValues, ListenTakesIpv4Ipv6AndLocalhost) {
  auto v4 = parse_listen("127.0.0.1:4000");
  ASSERT_TRUE(v4.address) << v4.error;
  EXPECT_EQ(v4.address->host, "127.0.0.1");
  EXPECT_EQ(v4.address->port, 4000);

  auto v6 = parse_listen("[::1]:0");
  ASSERT_TRUE(v6.address) << v6.error;
  EXPECT_EQ(v6.address->host, "::1");
  EXPECT_EQ(v6.address->port, 0);

  auto local = parse_listen("localhost:8080");
  ASSERT_TRUE(local.address) << local.error;
  EXPECT_EQ(local.address->host, "127.0.0.1");
}

TEST(ConfigValues, ListenExplainsWhatIsWrong) {
  EXPECT_NE(parse_listen("127.0.0.1:70000").error.find("0 to 65535"), std::string::npos);
  EXPECT_NE(parse_listen("::1:4000").error.find("brackets"), std::string::npos);
  EXPECT_NE(parse_listen("4000").error.find("host:port"), std::string::npos);
  EXPECT_NE(parse_listen("example.com:4000").error.find("IP address"), std::string::npos);
  EXPECT_FALSE(parse_listen("[::1]4000").address);
  EXPECT_FALSE(parse_listen("127.0.0.1:").address);
}

TEST(ConfigValues, HttpUrlsKeepPathAndDropTrailingSlash) {
  EXPECT_EQ(parse_http_url("https://api.openai.com/v1/").url, "https://api.openai.com/v1");
  EXPECT_EQ(parse_http_url("http://127.0.0.1:4101/azure-east").url,
            "http://127.0.0.1:4101/azure-east");
  EXPECT_EQ(parse_http_url("https://contoso.openai.azure.com").url,
            "https://contoso.openai.azure.com");
}

TEST(ConfigValues, HttpUrlsRejectOtherForms) {
  EXPECT_NE(parse_http_url("ftp://example.com").error.find("http or https"), std::string::npos);
  EXPECT_NE(parse_http_url("api.openai.com/v1").error, "");
  EXPECT_NE(parse_http_url("https://").error, "");
  EXPECT_NE(parse_http_url("https://host:99999/v1").error.find("port"), std::string::npos);
  EXPECT_NE(parse_http_url("https://host/v1?x=1").error.find("query"), std::string::npos);
  auto with_password = parse_http_url("https://user:hunter2@host/v1");
  EXPECT_NE(with_password.error.find("credentials"), std::string::npos);
  EXPECT_EQ(with_password.error.find("hunter2"), std::string::npos);
}

TEST(ConfigValues, EnvNamesLookLikeShellVariables) {
  EXPECT_TRUE(is_env_name("OPENAI_API_KEY"));
  EXPECT_TRUE(is_env_name("_x1"));
  EXPECT_FALSE(is_env_name(""));
  EXPECT_FALSE(is_env_name("1KEY"));
  EXPECT_FALSE(is_env_name("MY-KEY"));
}

TEST(ConfigValues, AwsRegionsHaveTheAwsForm) {
  for (const char* ok : {"us-east-1", "eu-central-2", "ap-southeast-4", "us-gov-west-1"}) {
    EXPECT_TRUE(is_aws_region(ok)) << ok;
  }
  for (const char* bad : {"", "us-east", "useast1", "US-EAST-1", "us-east-12", "us-east-1a",
                          "eastus", "us--1", "usa-east-1", " us-east-1"}) {
    EXPECT_FALSE(is_aws_region(bad)) << bad;
  }
}

TEST(ConfigValues, ClosestMatchSuggestsOnlyLikelyTypos) {
  constexpr std::array<std::string_view, 4> kKeys = {"kind", "base_url", "api_key", "endpoint"};
  EXPECT_EQ(closest_match("apikey", kKeys), "api_key");
  EXPECT_EQ(closest_match("endpont", kKeys), "endpoint");
  EXPECT_EQ(closest_match("Kind", kKeys), "kind");
  EXPECT_EQ(closest_match("contracts", kKeys), "");
}

TEST(ConfigValues, DecimalsAreExactIntegersOfTheScale) {
  EXPECT_EQ(parse_decimal("1.25", 6), 1'250'000);
  EXPECT_EQ(parse_decimal("10", 6), 10'000'000);
  EXPECT_EQ(parse_decimal("0.000001", 6), 1);
  EXPECT_EQ(parse_decimal("0.1", 6), 100'000);  // exact, not 99'999
  EXPECT_EQ(parse_decimal("12.5", 2), 1'250);
  for (const char* bad :
       {"", ".5", "5.", "-1", "1e3", "1.2345678", " 1", "1,5", "9223372036854775808"}) {
    EXPECT_FALSE(parse_decimal(bad, 6).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tollbooth::config_detail
