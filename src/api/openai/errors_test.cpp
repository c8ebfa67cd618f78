#include "api/openai/errors.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/text.hpp"

namespace tollbooth::openai {
namespace {

boost::json::object parse_error(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  EXPECT_FALSE(ec) << body;
  if (ec || !v.is_object() || !v.as_object().contains("error")) return {};
  return v.as_object().at("error").as_object();
}

TEST(OpenAiErrors, BodyHasTheOpenAiShape) {
  Error e = make_error(ErrorKind::invalid_request, "Missing required parameter: 'model'.", "model",
                       "missing_required_parameter");
  EXPECT_EQ(error_body(e), R"({"error":{"message":"Missing required parameter: 'model'.",)"
                           R"("type":"invalid_request_error","param":"model",)"
                           R"("code":"missing_required_parameter"}})");
}

TEST(OpenAiErrors, EmptyParamAndCodeAreNull) {
  boost::json::object err = parse_error(error_body(make_error(ErrorKind::internal, "boom")));
  ASSERT_EQ(err.size(), 4u);
  EXPECT_TRUE(err.at("param").is_null());
  EXPECT_TRUE(err.at("code").is_null());
  EXPECT_EQ(err.at("type"), "server_error");
}

TEST(OpenAiErrors, TypeFollowsTheKind) {
  EXPECT_EQ(parse_error(error_body(make_error(ErrorKind::unauthorized, "no"))).at("type"),
            "authentication_error");
  EXPECT_EQ(parse_error(error_body(make_error(ErrorKind::rate_limited, "slow"))).at("type"),
            "rate_limit_error");
  EXPECT_EQ(parse_error(error_body(make_error(ErrorKind::not_found, "?"))).at("type"),
            "invalid_request_error");
  EXPECT_EQ(parse_error(error_body(make_error(ErrorKind::unavailable, "later"))).at("type"),
            "service_unavailable_error");
}

TEST(OpenAiErrors, MessageIsEscapedAndRoundTrips) {
  std::string message = "bad \"value\" at C:\\path\nnext line\ttab \x01 caf\xC3\xA9 </script>";
  Error e = make_error(ErrorKind::invalid_request, message, "messages[0].\"role\"", "c\\d");
  std::string body = error_body(e);
  EXPECT_EQ(body.find('\n'), std::string::npos) << "raw newline would break an SSE event";
  boost::json::object err = parse_error(body);
  EXPECT_EQ(err.at("message"), message.c_str());
  EXPECT_EQ(err.at("param"), "messages[0].\"role\"");
  EXPECT_EQ(err.at("code"), "c\\d");
}

TEST(OpenAiErrors, DetailNeverReachesTheClient) {
  Error e = make_error(ErrorKind::bad_gateway, "upstream failed");
  e.detail = "api-key sk-secret rejected by azure";
  std::string body = error_body(e);
  EXPECT_EQ(body.find("sk-secret"), std::string::npos);
  EXPECT_EQ(parse_error(body).at("type"), "upstream_error");
}

TEST(OpenAiErrors, EventIsOneSseDataEvent) {
  Error e = make_error(ErrorKind::bad_gateway, "line one\nline two");
  std::string event = error_event(e);
  ASSERT_TRUE(event.starts_with("data: "));
  ASSERT_TRUE(event.ends_with("\n\n"));
  std::string_view json(event.data() + 6, event.size() - 8);
  EXPECT_EQ(json, error_body(e));
  EXPECT_EQ(json.find('\n'), std::string_view::npos);
  EXPECT_EQ(parse_error(json).at("message"), "line one\nline two");
}

TEST(OpenAiErrors, InvalidUtf8InTheMessageStillGivesValidJson) {
  // A model name straight from the client: overlong '/', surrogate, 0xF5, a lone continuation
  // byte and a truncated euro sign.
  std::string model = "gpt\xC0\xAF\xED\xA0\x80\xF5\x80-4o\xE2\x82";
  Error e = make_error(ErrorKind::not_found, "The model `" + model + "` does not exist", "model",
                       "model_not_found");
  std::string body = error_body(e);
  EXPECT_TRUE(is_valid_utf8(body)) << body;
  boost::json::object err = parse_error(body);
  ASSERT_TRUE(err.contains("message")) << body;
  std::string message(err.at("message").as_string());
  EXPECT_TRUE(message.starts_with("The model `gpt")) << message;
  EXPECT_TRUE(message.ends_with("-4o\xEF\xBF\xBD` does not exist")) << message;
  EXPECT_EQ(err.at("param"), "model");
  EXPECT_EQ(err.at("code"), "model_not_found");
}

TEST(OpenAiErrors, InvalidUtf8InParamAndCodeIsRepaired) {
  Error e = make_error(ErrorKind::invalid_request, "bad field", "tools[0].\xFF", "c\xC3");
  std::string body = error_body(e);
  EXPECT_TRUE(is_valid_utf8(body)) << body;
  boost::json::object err = parse_error(body);
  EXPECT_EQ(err.at("param"), "tools[0].\xEF\xBF\xBD");
  EXPECT_EQ(err.at("code"), "c\xEF\xBF\xBD");
}

TEST(OpenAiErrors, InvalidUtf8InAStreamErrorEventIsRepaired) {
  std::string event = error_event(make_error(ErrorKind::bad_gateway, "upstream said \xFE\xFF"));
  EXPECT_TRUE(is_valid_utf8(event));
  std::string_view json(event.data() + 6, event.size() - 8);
  EXPECT_EQ(parse_error(json).at("message"), "upstream said \xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(OpenAiErrors, HugeMessageIsCutWithItsLength) {
  // A call site that forgot to bound a 1 MB model name still sends a small body.
  std::string message = "The model `" + std::string(1 << 20, 'm') + "` does not exist";
  std::string body = error_body(make_error(ErrorKind::not_found, message));
  EXPECT_LT(body.size(), 4096u + 200u);
  std::string got(parse_error(body).at("message").as_string());
  EXPECT_TRUE(got.starts_with("The model `mmm")) << got.substr(0, 40);
  EXPECT_TRUE(got.ends_with("m\xE2\x80\xA6 (" + std::to_string(message.size()) + " bytes)"))
      << got.substr(got.size() - 40);
}

TEST(OpenAiErrors, LongGatewayMessagesAreKeptWhole) {
  // The gateway's own 502 names every attempt; a few hundred bytes of it must survive intact.
  std::string message = "all routes failed: ";
  for (int i = 0; i < 20; ++i) message += "azure-eastus-" + std::to_string(i) + " timed out; ";
  ASSERT_GT(message.size(), 300u);
  EXPECT_EQ(parse_error(error_body(make_error(ErrorKind::bad_gateway, message))).at("message"),
            message.c_str());
}

}  // namespace
}  // namespace tollbooth::openai
