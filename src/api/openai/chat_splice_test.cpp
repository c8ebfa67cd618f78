#include "api/openai/chat_request.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

// splice_chat_request: each case parses the spliced body back with Boost.JSON and checks that
// only `model` and `stream_options` changed.

namespace tollbooth::openai {
namespace {

constexpr std::string_view kTypical =
    R"({"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},)"
    R"({"role":"user","content":"Hi"}],"stream":true,"temperature":0.2})";

ChatInspection inspect_ok(std::string_view body) {
  auto result = inspect_chat_request(body);
  EXPECT_TRUE(result.ok()) << body << "\n  -> " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : ChatInspection{};
}

boost::json::object parse_object(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << "spliced body is not JSON: " << text;
  return v.is_object() ? v.as_object() : boost::json::object{};
}

// Splices, parses both bodies, and checks every member other than model and stream_options
// survived unchanged. Returns the parsed result.
boost::json::object splice_round_trip(std::string_view body, std::string_view upstream_model,
                                      bool force_include_usage,
                                      std::string* spliced_out = nullptr) {
  ChatInspection facts = inspect_ok(body);
  std::string spliced = splice_chat_request(body, facts, upstream_model, force_include_usage);
  if (spliced_out) *spliced_out = spliced;
  boost::json::object before = parse_object(body);
  boost::json::object after = parse_object(spliced);
  EXPECT_EQ(after.at("model").as_string(), upstream_model);
  for (const auto& member : before) {
    if (member.key() == "model" || member.key() == "stream_options") continue;
    EXPECT_EQ(after.at(member.key()), member.value()) << member.key();
  }
  for (const auto& member : after)
    EXPECT_TRUE(member.key() == "stream_options" || before.contains(member.key())) << member.key();
  return after;
}

TEST(OpenAiChatSplice, ReplacesOnlyTheModelWhenUsageIsNotForced) {
  std::string body = std::string(kTypical);
  std::string spliced;
  auto after = splice_round_trip(body, "gpt-4o-2024-08-06", false, &spliced);
  EXPECT_FALSE(after.contains("stream_options"));
  std::string expected = body;
  expected.replace(body.find("\"gpt-4o\""), 8, "\"gpt-4o-2024-08-06\"");
  EXPECT_EQ(spliced, expected);
}

TEST(OpenAiChatSplice, InsertsStreamOptionsBeforeTheClosingBrace) {
  std::string spliced;
  auto after = splice_round_trip(kTypical, "dep-1", true, &spliced);
  EXPECT_EQ(after.at("stream_options"), boost::json::parse(R"({"include_usage":true})"));
  std::string expected = std::string(kTypical);
  expected.replace(expected.find("\"gpt-4o\""), 8, "\"dep-1\"");
  expected.insert(expected.size() - 1, R"(,"stream_options":{"include_usage":true})");
  EXPECT_EQ(spliced, expected);
}

TEST(OpenAiChatSplice, AddsIncludeUsageToExistingStreamOptions) {
  std::string body = R"({"model":"m","stream":true,"stream_options":{"include_obfuscation":false},)"
                     R"("messages":[{"role":"user","content":"x"}]})";
  auto after = splice_round_trip(body, "up", true);
  EXPECT_EQ(after.at("stream_options"),
            boost::json::parse(R"({"include_usage":true,"include_obfuscation":false})"));
}

TEST(OpenAiChatSplice, FillsAnEmptyStreamOptionsObject) {
  std::string body =
      R"({"model":"m","stream":true,"stream_options":{ },"messages":[{"role":"user"}]})";
  auto after = splice_round_trip(body, "up", true);
  EXPECT_EQ(after.at("stream_options"), boost::json::parse(R"({"include_usage":true})"));
}

TEST(OpenAiChatSplice, TurnsIncludeUsageFalseIntoTrue) {
  std::string body = R"({"model":"m","stream":true,"stream_options":{"include_usage":false,"x":1},)"
                     R"("messages":[{"role":"user"}]})";
  std::string spliced;
  auto after = splice_round_trip(body, "up", true, &spliced);
  EXPECT_EQ(after.at("stream_options"), boost::json::parse(R"({"include_usage":true,"x":1})"));
  EXPECT_EQ(spliced.size(), body.size());  // "m"→"up" adds a byte, false→true removes one
}

TEST(OpenAiChatSplice, LeavesIncludeUsageTrueAlone) {
  std::string body = R"({"model":"m","stream":true,"stream_options":{"include_usage":true},)"
                     R"("messages":[{"role":"user"}]})";
  std::string spliced;
  splice_round_trip(body, "m", true, &spliced);
  EXPECT_EQ(spliced, body);
}

TEST(OpenAiChatSplice, ReplacesNullStreamOptions) {
  std::string body =
      R"({"model":"m","stream":true,"stream_options":null,"messages":[{"role":"user"}]})";
  auto after = splice_round_trip(body, "up", true);
  EXPECT_EQ(after.at("stream_options"), boost::json::parse(R"({"include_usage":true})"));
}

TEST(OpenAiChatSplice, HandlesOddWhitespace) {
  std::string body =
      "\n{\n\t\"stream_options\" :\r\n{ \"include_usage\" : false }\t,\n"
      "  \"model\" :  \"m\"  ,\"stream\":true,\n\"messages\":[{\"role\":\"user\"}]  \n}\n  ";
  auto after = splice_round_trip(body, "up", true);
  EXPECT_EQ(after.at("stream_options"), boost::json::parse(R"({"include_usage":true})"));
  std::string body2 = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]\n\n}\r\n";
  auto after2 = splice_round_trip(body2, "up", true);
  EXPECT_EQ(after2.at("stream_options"), boost::json::parse(R"({"include_usage":true})"));
}

TEST(OpenAiChatSplice, EscapesTheUpstreamModel) {
  std::string weird = "dep\"quoted\"\\back\nline\x01\tend-\xC3\xA9";
  std::string spliced;
  splice_round_trip(kTypical, weird, false, &spliced);
  EXPECT_NE(spliced.find(R"("dep\"quoted\"\\back\u000aline\u0001\u0009end-)"), std::string::npos)
      << spliced;
}

TEST(OpenAiChatSplice, KeepsOtherBytesIdentical) {
  // Raw escapes and non-ASCII text must reach the upstream exactly as the client wrote them.
  std::string body =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"h\xC3\xA9llo \xF0\x9F\x8C\x8D "
      "\\u00e9\\ud83c\\udf0d \\\"q\\\"\"}],\"model\":\"m\",\"metadata\":{\"k\":\"\xE2\x9C\x93\"}}";
  std::string spliced;
  splice_round_trip(body, "upstream", true, &spliced);
  std::string expected = body;
  expected.replace(expected.find("\"m\""), 3, "\"upstream\"");
  expected.insert(expected.size() - 1, R"(,"stream_options":{"include_usage":true})");
  EXPECT_EQ(spliced, expected);
}

TEST(OpenAiChatSplice, WorksWhenStreamOptionsPrecedesModel) {
  std::string body =
      R"({"stream_options":{"include_usage":false},"stream":true,"messages":[{"role":"user"}],)"
      R"("model":"a-much-longer-public-model-name"})";
  auto after = splice_round_trip(body, "x", true);
  EXPECT_EQ(after.at("stream_options").at("include_usage"), true);
}

TEST(OpenAiChatSplice, WithFactsFromAnotherBodyForwardsUnchanged) {
  ChatInspection facts = inspect_ok(kTypical);
  std::string other = R"({"model":"m"})";
  EXPECT_EQ(splice_chat_request(other, facts, "up", true), other);
}

}  // namespace
}  // namespace tollbooth::openai
