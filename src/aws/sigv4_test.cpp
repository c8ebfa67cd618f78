#include "aws/sigv4.hpp"
#include "testing/test_files.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace aws = tollbooth::aws;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path kVectors = TOLLBOOTH_SOURCE_DIR "/tests/vectors/sigv4";
const fs::path kSuite = kVectors / "aws-c-auth-v4";

using tollbooth::testdata::read_file;

// "2015-08-30T12:36:00Z" (fractional seconds ignored) → Unix seconds.
std::int64_t parse_timestamp(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return -1;
  using namespace std::chrono;
  auto day = sys_days{year{y} / month{static_cast<unsigned>(mo)} / static_cast<unsigned>(d)};
  return day.time_since_epoch().count() * 86400 + h * 3600 + mi * 60 + s;
}

// An HTTP/1.1 request as the suite writes it: the target may hold a raw space (get-space-*),
// header lines may continue on indented lines (obs-fold), names may repeat.
struct ParsedRequest {
  std::string method, path, query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string head;  // request line and header lines exactly as in the file
  std::string body;
};

ParsedRequest parse_request(const std::string& text) {
  ParsedRequest req;
  std::size_t eol = text.find('\n');
  std::string line = text.substr(0, eol);
  std::string target = line.substr(line.find(' ') + 1);
  target = target.substr(0, target.rfind(' '));
  req.method = line.substr(0, line.find(' '));
  std::size_t q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) req.query = target.substr(q + 1);
  req.head = line + "\n";
  for (std::size_t at = eol + 1; at < text.size();) {
    eol = std::min(text.find('\n', at), text.size());
    line = text.substr(at, eol - at);
    at = eol + 1;
    if (line.empty()) {
      if (at < text.size()) req.body = text.substr(at);
      break;
    }
    req.head += line + "\n";
    if (line[0] == ' ' || line[0] == '\t') {
      req.headers.back().second += " " + line;  // unfolded, as RFC 7230 §3.2.4 asks
    } else {
      std::size_t colon = line.find(':');
      req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
  }
  return req;
}

std::vector<aws::HeaderRef> header_refs(const ParsedRequest& req) {
  std::vector<aws::HeaderRef> refs;
  for (const auto& [name, value] : req.headers) refs.push_back({name, value});
  return refs;
}

std::string trim_newline(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Listed while tests register, so a missing vectors folder must not throw: it leaves the list
// empty, and SigV4Vectors.HasAllThirtyEightCases says so.
std::vector<std::string> suite_cases() {
  std::vector<std::string> names;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(kSuite, error)) {
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

const aws::Credentials kSuiteCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                         ""};
constexpr std::int64_t kSuiteTime = 1440938160;  // 2015-08-30T12:36:00Z

}  // namespace

// ---- The official AWS suite (awslabs/aws-c-auth tests/aws-signing-test-suite/v4) -------------

class AwsCAuthV4 : public ::testing::TestWithParam<std::string> {};

TEST_P(AwsCAuthV4, ReproducesHeaderFiles) {
  const fs::path dir = kSuite / GetParam();
  json::object context = json::parse(read_file(dir / "context.json")).as_object();
  const json::object& creds = context.at("credentials").as_object();
  aws::Credentials credentials{
      json::value_to<std::string>(creds.at("access_key_id")),
      json::value_to<std::string>(creds.at("secret_access_key")),
      creds.contains("token") ? json::value_to<std::string>(creds.at("token")) : std::string()};
  std::string region = json::value_to<std::string>(context.at("region"));
  std::string service = json::value_to<std::string>(context.at("service"));
  aws::SigningParams params;
  params.region = region;
  params.service = service;
  params.unix_time = parse_timestamp(json::value_to<std::string>(context.at("timestamp")));
  params.normalize_path = context.at("normalize").as_bool();
  params.add_content_sha256 = context.at("sign_body").as_bool();
  params.sign_session_token =
      !(context.contains("omit_session_token") && context.at("omit_session_token").as_bool());

  ParsedRequest parsed = parse_request(read_file(dir / "request.txt"));
  std::vector<aws::HeaderRef> headers = header_refs(parsed);
  aws::SigningRequest request{parsed.method, parsed.path, parsed.query, headers, parsed.body, {}};

  aws::Signer signer;
  auto signed_headers = signer.sign(request, credentials, params);
  ASSERT_TRUE(signed_headers.ok()) << signed_headers.error().detail;
  EXPECT_EQ(signer.canonical_request(),
            trim_newline(read_file(dir / "header-canonical-request.txt")));
  EXPECT_EQ(signer.string_to_sign(), trim_newline(read_file(dir / "header-string-to-sign.txt")));
  EXPECT_EQ(signed_headers->signature(), trim_newline(read_file(dir / "header-signature.txt")));

  // The signed request: the original head, the added headers in order, a blank line, the body.
  std::string signed_request = parsed.head;
  signed_headers->for_each([&](std::string_view name, std::string_view value) {
    signed_request.append(name).append(":").append(value).append("\n");
  });
  signed_request += "\n" + parsed.body;
  EXPECT_EQ(signed_request, read_file(dir / "header-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(SigV4, AwsCAuthV4, ::testing::ValuesIn(suite_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AwsCAuthV4);

TEST(SigV4Vectors, HasAllThirtyEightCases) {
  EXPECT_EQ(suite_cases().size(), 38u) << "vectors expected in " << kSuite;
}

// ---- Bedrock ----------------------------------------------------------------------------------

namespace {

constexpr std::string_view kConverseBody =
    R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}],"inferenceConfig":{"maxTokens":256}})";
constexpr std::string_view kConversePath =
    "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse";

aws::SigningRequest converse_request(const std::vector<aws::HeaderRef>& headers) {
  return {"POST", kConversePath, "", headers, kConverseBody, {}};
}

const std::vector<aws::HeaderRef> kConverseHeaders = {
    {"Host", "bedrock-runtime.us-east-1.amazonaws.com"},
    {"Content-Type", "application/json"},
};

aws::SigningParams bedrock_params(std::int64_t unix_time = kSuiteTime) {
  aws::SigningParams params;
  params.region = "us-east-1";
  params.service = "bedrock";
  params.unix_time = unix_time;
  return params;
}

}  // namespace

// PROTOCOLS.md §7.2; botocore 1.43.11 produced the same signature.
TEST(SigV4Bedrock, WorkedConverseExample) {
  aws::Signer signer;
  auto out = signer.sign(converse_request(kConverseHeaders), kSuiteCredentials, bedrock_params());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(signer.canonical_request(),
            "POST\n"
            "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n"
            "\n"
            "content-type:application/json\n"
            "host:bedrock-runtime.us-east-1.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n"
            "\n"
            "content-type;host;x-amz-date\n"
            "d8695502972bd4d482308b656a524b7a7efcebba591a06801fadba6b39700dd1");
  EXPECT_EQ(signer.string_to_sign(),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/bedrock/aws4_request\n"
            "4444107e41c11beb2cd414cf87322ee592b3c31f5a40c5b743bd5ce34dc6e32f");
  EXPECT_EQ(out->authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date, "
            "Signature=35744ce60b79a21d4a559122fb4073b7b6a3f5899287b232d99b54254872c450");
  EXPECT_EQ(out->amz_date, "20150830T123600Z");
  EXPECT_TRUE(out->security_token.empty());
  EXPECT_TRUE(out->content_sha256.empty());
}

// The caller's own x-amz-date (and authorization) are replaced, not signed twice.
TEST(SigV4Bedrock, IgnoresHeadersTheSignerOwns) {
  std::vector<aws::HeaderRef> headers = kConverseHeaders;
  headers.push_back({"X-Amz-Date", "20150830T123600Z"});
  headers.push_back({"Authorization", "Bearer stale"});
  headers.push_back({"User-Agent", "tollbooth"});
  aws::Signer signer;
  auto out = signer.sign(converse_request(headers), kSuiteCredentials, bedrock_params());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->signature(), "35744ce60b79a21d4a559122fb4073b7b6a3f5899287b232d99b54254872c450");
}

TEST(SigV4Bedrock, PrecomputedPayloadHashGivesTheSameSignature) {
  aws::SigningRequest request = converse_request(kConverseHeaders);
  std::string hash = aws::sha256_hex(kConverseBody);
  EXPECT_EQ(hash, "d8695502972bd4d482308b656a524b7a7efcebba591a06801fadba6b39700dd1");
  request.payload = {};
  request.payload_hash = hash;
  aws::Signer signer;
  auto out = signer.sign(request, kSuiteCredentials, bedrock_params());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->signature(), "35744ce60b79a21d4a559122fb4073b7b6a3f5899287b232d99b54254872c450");
}

// An ARN model id is encoded once on the wire (%3A, %2F) and twice in the canonical URI.
TEST(SigV4Bedrock, ArnModelIdIsDoubleEncoded) {
  std::vector<aws::HeaderRef> headers = kConverseHeaders;
  aws::SigningRequest request = converse_request(headers);
  request.path =
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic."
      "claude-3-5-sonnet-20240620-v1%3A0/converse";
  aws::Signer signer;
  ASSERT_TRUE(signer.sign(request, kSuiteCredentials, bedrock_params()).ok());
  EXPECT_NE(signer.canonical_request().find(
                "\n/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A123456789012%253Ainference-"
                "profile%252Fus.anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n"),
            std::string_view::npos);
}

// PROTOCOLS.md §7.3: the session token is signed (post-sts-header-before) and returned.
TEST(SigV4Bedrock, SessionTokenIsSignedAndReturned) {
  aws::Credentials credentials = kSuiteCredentials;
  credentials.session_token = "session-token-value";
  aws::Signer signer;
  auto out = signer.sign(converse_request(kConverseHeaders), credentials, bedrock_params());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->security_token, "session-token-value");
  EXPECT_NE(out->authorization.find("SignedHeaders=content-type;host;x-amz-date;"
                                    "x-amz-security-token,"),
            std::string::npos);
  EXPECT_NE(signer.canonical_request().find("\nx-amz-security-token:session-token-value\n"),
            std::string_view::npos);
  std::vector<std::string> names;
  out->for_each([&](std::string_view name, std::string_view) { names.emplace_back(name); });
  EXPECT_EQ(names,
            (std::vector<std::string>{"X-Amz-Security-Token", "X-Amz-Date", "Authorization"}));
}

// openai-node's tests/fixtures/bedrock/v1/sigv4.json: bedrock-mantle, session token, signed
// x-amz-content-sha256.
TEST(SigV4Bedrock, OpenAiNodeMantleFixture) {
  json::object fixture =
      json::parse(read_file(kVectors / "openai-node-bedrock-mantle-fixture.json")).as_object();
  const json::object& creds = fixture.at("credentials").as_object();
  const json::object& req = fixture.at("request").as_object();
  const json::object& expected = fixture.at("expected").as_object();
  aws::Credentials credentials{json::value_to<std::string>(creds.at("accessKeyId")),
                               json::value_to<std::string>(creds.at("secretAccessKey")),
                               json::value_to<std::string>(creds.at("sessionToken"))};
  std::string body = json::value_to<std::string>(req.at("body"));
  std::string content_type = json::value_to<std::string>(req.at("contentType"));
  EXPECT_EQ(json::value_to<std::string>(req.at("url")),
            "https://bedrock-mantle.us-east-1.api.aws/openai/v1/responses");
  std::vector<aws::HeaderRef> headers = {{"host", "bedrock-mantle.us-east-1.api.aws"},
                                         {"content-type", content_type}};
  std::string region = json::value_to<std::string>(fixture.at("region"));
  std::string service = json::value_to<std::string>(fixture.at("service"));
  aws::SigningParams params;
  params.region = region;
  params.service = service;
  params.unix_time = parse_timestamp(json::value_to<std::string>(fixture.at("signingDate")));
  params.add_content_sha256 = true;

  aws::Signer signer;
  auto out =
      signer.sign({"POST", "/openai/v1/responses", "", headers, body, {}}, credentials, params);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->amz_date, json::value_to<std::string>(expected.at("date")));
  EXPECT_EQ(out->content_sha256, json::value_to<std::string>(expected.at("payloadHash")));
  EXPECT_EQ(aws::sha256_hex(signer.canonical_request()),
            json::value_to<std::string>(expected.at("canonicalRequestHash")));
  EXPECT_EQ(out->authorization, json::value_to<std::string>(expected.at("authorization")));
  EXPECT_EQ(out->security_token, "fixture-session-token");
}

// ---- Signing-key cache -------------------------------------------------------------------------

TEST(SigV4Signer, CachesTheSigningKeyPerDayRegionServiceAndSecret) {
  aws::Signer signer;
  auto request = converse_request(kConverseHeaders);
  auto params = bedrock_params();
  ASSERT_TRUE(signer.sign(request, kSuiteCredentials, params).ok());
  params.unix_time += 3600;  // same day
  ASSERT_TRUE(signer.sign(request, kSuiteCredentials, params).ok());
  EXPECT_EQ(signer.keys_derived(), 1u);

  params.unix_time += 86400;  // next day
  ASSERT_TRUE(signer.sign(request, kSuiteCredentials, params).ok());
  params.region = "us-west-2";
  ASSERT_TRUE(signer.sign(request, kSuiteCredentials, params).ok());
  params.service = "bedrock-mantle";
  ASSERT_TRUE(signer.sign(request, kSuiteCredentials, params).ok());
  aws::Credentials rotated = kSuiteCredentials;
  rotated.secret_access_key = "another-secret";
  ASSERT_TRUE(signer.sign(request, rotated, params).ok());
  EXPECT_EQ(signer.keys_derived(), 5u);
  ASSERT_TRUE(signer.sign(request, kSuiteCredentials, bedrock_params()).ok());
  EXPECT_EQ(signer.keys_derived(), 6u);  // four slots: the first key was evicted
}

TEST(SigV4Signer, CachedAndFreshKeysSignAlike) {
  aws::Signer warm;
  auto request = converse_request(kConverseHeaders);
  for (int i = 0; i < 3; ++i) {
    auto out = warm.sign(request, kSuiteCredentials, bedrock_params());
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->signature(), "35744ce60b79a21d4a559122fb4073b7b6a3f5899287b232d99b54254872c450");
  }
  EXPECT_EQ(warm.keys_derived(), 1u);
}

// ---- Details ----------------------------------------------------------------------------------

TEST(SigV4Signer, FormatsAmzDate) {
  EXPECT_EQ(aws::amz_date(0), "19700101T000000Z");
  EXPECT_EQ(aws::amz_date(kSuiteTime), "20150830T123600Z");
  EXPECT_EQ(aws::amz_date(951782400), "20000229T000000Z");  // leap day
  EXPECT_EQ(aws::amz_date(1735787045), "20250102T030405Z");
  EXPECT_EQ(aws::amz_date(253402300799), "99991231T235959Z");
  EXPECT_EQ(aws::amz_date(-1), "");
  EXPECT_EQ(aws::amz_date(253402300800), "");
}

TEST(SigV4Signer, UnnormalizedSingleEncodedPathIsUsedAsIs) {  // S3's rules
  std::vector<aws::HeaderRef> headers = {{"Host", "bucket.s3.amazonaws.com"}};
  aws::SigningParams params = bedrock_params();
  params.service = "s3";
  params.normalize_path = false;
  params.double_encode_path = false;
  aws::Signer signer;
  ASSERT_TRUE(
      signer.sign({"GET", "/a//b/../c%3A", "", headers, "", {}}, kSuiteCredentials, params).ok());
  EXPECT_TRUE(signer.canonical_request().starts_with("GET\n/a//b/../c%3A\n\n"));
}

TEST(SigV4Signer, CanonicalQueryDecodesSortsAndReencodes) {
  std::vector<aws::HeaderRef> headers = {{"Host", "example.amazonaws.com"}};
  aws::Signer signer;
  ASSERT_TRUE(signer
                  .sign({"GET", "/", "b=2&a=x%2fy&a=%20&&flag&c=a+b&bad=%zz", headers, "", {}},
                        kSuiteCredentials, bedrock_params())
                  .ok());
  EXPECT_TRUE(signer.canonical_request().starts_with(
      "GET\n/\na=%20&a=x%2Fy&b=2&bad=%25zz&c=a%2Bb&flag=\n"));
}

TEST(SigV4Signer, SkipsHopByHopAndProxyHeaders) {
  std::vector<aws::HeaderRef> headers = {
      {"Host", "example.amazonaws.com"}, {"Connection", "keep-alive"},
      {"Transfer-Encoding", "chunked"},  {"Proxy-Authorization", "x"},
      {"X-Amzn-Trace-Id", "Root=1"},     {"Content-Type", "  application/json  "}};
  aws::Signer signer;
  auto out = signer.sign({"POST", "/", "", headers, "{}", {}}, kSuiteCredentials, bedrock_params());
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->authorization.find("SignedHeaders=content-type;host;x-amz-date,"),
            std::string::npos);
  EXPECT_NE(signer.canonical_request().find("\ncontent-type:application/json\n"),
            std::string_view::npos);
}

TEST(SigV4Signer, CallerContentSha256IsThePayloadHash) {  // e.g. UNSIGNED-PAYLOAD
  std::vector<aws::HeaderRef> headers = {{"Host", "example.amazonaws.com"},
                                         {"X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}};
  aws::Signer signer;
  auto out =
      signer.sign({"PUT", "/", "", headers, "body", {}}, kSuiteCredentials, bedrock_params());
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(signer.canonical_request().ends_with(
      "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20150830T123600Z\n\n"
      "host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"));
  EXPECT_TRUE(out->content_sha256.empty());  // already on the request
}

TEST(SigV4Signer, RejectsWhatItCannotSign) {
  aws::Signer signer;
  std::vector<aws::HeaderRef> no_host = {{"Content-Type", "application/json"}};
  auto missing_host = signer.sign(converse_request(no_host), kSuiteCredentials, bedrock_params());
  ASSERT_FALSE(missing_host.ok());
  EXPECT_NE(missing_host.error().detail.find("Host"), std::string::npos);
  EXPECT_EQ(missing_host.error().kind, tollbooth::ErrorKind::internal);

  EXPECT_FALSE(signer.sign(converse_request(kConverseHeaders), {}, bedrock_params()).ok());
  EXPECT_FALSE(
      signer.sign(converse_request(kConverseHeaders), kSuiteCredentials, bedrock_params(-5)).ok());
  aws::SigningParams no_region = bedrock_params();
  no_region.region = {};
  EXPECT_FALSE(signer.sign(converse_request(kConverseHeaders), kSuiteCredentials, no_region).ok());
}

TEST(SigV4Signer, ErrorsNeverCarryTheSecret) {
  aws::Signer signer;
  std::vector<aws::HeaderRef> no_host;
  auto out = signer.sign(converse_request(no_host), kSuiteCredentials, bedrock_params());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message.find(kSuiteCredentials.secret_access_key), std::string::npos);
  EXPECT_EQ(out.error().detail.find(kSuiteCredentials.secret_access_key), std::string::npos);
}
