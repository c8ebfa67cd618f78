#include "providers/bedrock_request.hpp"
#include "testing/test_files.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace tb = tollbooth;
namespace bd = tollbooth::bedrock;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::string_view kClaude = "us.anthropic.claude-3-5-sonnet-20240620-v1:0";
const fs::path kGolden = fs::path(TOLLBOOTH_SOURCE_DIR) / "tests" / "golden" / "bedrock";

using tollbooth::testdata::read_file;

// The chat body around `messages` (and whatever else `extra` adds, as `,"key":value...`).
std::string chat(std::string_view messages, std::string_view extra = {}) {
  return R"({"model":"gpt-5","messages":)" + std::string(messages) + std::string(extra) + "}";
}

const std::string kHi = R"([{"role":"user","content":"hi"}])";

bd::ConverseRequest ok(const std::string& body, const bd::ConverseOptions& options = {},
                       std::string_view model = kClaude) {
  auto r = bd::to_converse(body, model, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().param + ": " + r.error().message);
  return r.ok() ? std::move(r).value() : bd::ConverseRequest{};
}

tb::Error err(const std::string& body, const bd::ConverseOptions& options = {},
              std::string_view model = kClaude) {
  auto r = bd::to_converse(body, model, options);
  EXPECT_FALSE(r.ok()) << "translated to " << (r.ok() ? r->body : "");
  return r.ok() ? tb::Error{} : r.error();
}

// The member `key` of the Converse body, serialised, or "" when absent.
std::string member(const bd::ConverseRequest& r, std::string_view key) {
  auto v = json::parse(r.body);
  auto* found = v.as_object().if_contains(key);
  return found ? json::serialize(*found) : std::string();
}

bd::ConverseOptions dropping() {
  bd::ConverseOptions o;
  o.drop_unsupported = true;
  return o;
}

}  // namespace

// ---- paths ---------------------------------------------------------------------------------

TEST(OpenAiBedrock, EncodesModelIdInPath) {
  EXPECT_EQ(bd::converse_path(kClaude, false),
            "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
  EXPECT_EQ(bd::converse_path("openai.gpt-oss-120b-1:0", true),
            "/model/openai.gpt-oss-120b-1%3A0/converse-stream");
}

TEST(OpenAiBedrock, EncodesInferenceProfileArnInPath) {
  EXPECT_EQ(bd::converse_path("arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
                              "us.anthropic.claude-3-5-sonnet-20240620-v1:0",
                              false),
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus."
            "anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
  EXPECT_EQ(bd::converse_path("a b~_.-%", false), "/model/a%20b~_.-%25/converse");
}

TEST(OpenAiBedrock, UsesConverseStreamPathAndReadsIncludeUsageWhenStreaming) {
  auto r = ok(chat(kHi, R"(,"stream":true,"stream_options":{"include_usage":true})"));
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  EXPECT_EQ(r.path, "/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream");
  auto plain = ok(chat(kHi));
  EXPECT_FALSE(plain.stream);
  EXPECT_FALSE(plain.include_usage);
  EXPECT_TRUE(plain.path.ends_with("/converse"));
}

// ---- the reference body (PROTOCOLS.md §5.3) ---------------------------------------------------

TEST(OpenAiBedrock, TranslatesTheReferenceRequestByteForByte) {
  auto r = ok(chat(
      R"([{"role":"system","content":"You are terse."},)"
      R"({"role":"user","content":[{"type":"text","text":"Weather in Paris? See pic."},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw=="}}]},)"
      R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",)"
      R"("function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},)"
      R"({"role":"tool","tool_call_id":"call_1","content":"18C sunny"}])",
      R"(,"max_tokens":512,"temperature":0.2,"top_p":0.9,"stop":["END"],)"
      R"("tools":[{"type":"function","function":{"name":"get_weather","description":"Get weather",)"
      R"("parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],)"
      R"("tool_choice":"required")"));
  EXPECT_EQ(
      r.body,
      R"({"system":[{"text":"You are terse."}],"messages":[{"role":"user","content":[{"text":"Weather in Paris? See pic."},)"
      R"({"image":{"format":"png","source":{"bytes":"iVBORw=="}}}]},{"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1",)"
      R"("name":"get_weather","input":{"city":"Paris"}}}]},{"role":"user","content":[{"toolResult":{"toolUseId":"call_1",)"
      R"("content":[{"text":"18C sunny"}]}}]}],"inferenceConfig":{"maxTokens":512,"temperature":0.2,"topP":0.9,)"
      R"("stopSequences":["END"]},"toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Get weather",)"
      R"("inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}}],)"
      R"("toolChoice":{"any":{}}}})");
}

// ---- messages ----------------------------------------------------------------------------------

TEST(OpenAiBedrock, MapsSystemAndDeveloperMessagesToSystemInOrder) {
  auto r = ok(chat(R"([{"role":"system","content":"one"},{"role":"user","content":"hi"},)"
                   R"({"role":"developer","content":[{"type":"text","text":"two"}]},)"
                   R"({"role":"system","content":"  "}])"));
  EXPECT_EQ(member(r, "system"), R"([{"text":"one"},{"text":"two"}])");
  EXPECT_EQ(member(r, "messages"), R"([{"role":"user","content":[{"text":"hi"}]}])");
}

TEST(OpenAiBedrock, MapsMultiPartUserContentAndSkipsBlankText) {
  auto r = ok(chat(R"([{"role":"user","name":"ann","content":[{"type":"text","text":"a"},)"
                   R"({"type":"text","text":""},{"type":"text","text":"\n "},)"
                   R"({"type":"text","text":"b \"q\"\n"}]}])"));
  EXPECT_EQ(member(r, "messages"),
            R"([{"role":"user","content":[{"text":"a"},{"text":"b \"q\"\n"}]}])");
}

TEST(OpenAiBedrock, MapsDataUrlImagesToImageBlocks) {
  auto r = ok(chat(
      R"([{"role":"user","content":[)"
      R"({"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/","detail":"low"}},)"
      R"({"type":"image_url","image_url":{"detail":"high","url":"data:image/webp;base64,UklG"}},)"
      R"({"type":"image_url","image_url":{"url":"data:image/gif;base64,R0lG"}}]}])"));
  EXPECT_EQ(member(r, "messages"),
            R"([{"role":"user","content":[{"image":{"format":"jpeg","source":{"bytes":"/9j/"}}},)"
            R"({"image":{"format":"webp","source":{"bytes":"UklG"}}},)"
            R"({"image":{"format":"gif","source":{"bytes":"R0lG"}}}]}])");
}

TEST(OpenAiBedrock, RejectsImageFormatsBedrockCannotRead) {
  auto e = err(chat(R"([{"role":"user","content":[{"type":"image_url",)"
                    R"("image_url":{"url":"data:image/tiff;base64,AAAA"}}]}])"));
  EXPECT_EQ(e.param, "messages[0].content[0].image_url.url");
  EXPECT_NE(e.message.find("png, jpeg, gif and webp"), std::string::npos);
  EXPECT_EQ(err(chat(R"([{"role":"user","content":[{"type":"image_url",)"
                     R"("image_url":{"url":"data:image/png,rawbytes"}}]}])"))
                .param,
            "messages[0].content[0].image_url.url");
}

TEST(OpenAiBedrock, RejectsHttpImageUrlUnlessFetchingIsEnabled) {
  auto body = chat(R"([{"role":"user","content":[{"type":"text","text":"what is it?"},)"
                   R"({"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}])");
  auto e = err(body);
  EXPECT_EQ(e.kind, tb::ErrorKind::invalid_request);
  EXPECT_EQ(e.param, "messages[0].content[1].image_url.url");
  EXPECT_EQ(e.code, "unsupported_value");
  EXPECT_NE(e.message.find("data: URL"), std::string::npos);
  // drop_unsupported does not drop content: the question would lose its subject.
  EXPECT_EQ(err(body, dropping()).param, "messages[0].content[1].image_url.url");
}

TEST(OpenAiBedrock, UsesFetchedImagesWhenFetchingIsEnabled) {
  auto body = chat(R"([{"role":"user","content":[)"
                   R"({"type":"image_url","image_url":{"url":"https://example.com/cat.png"}},)"
                   R"({"type":"image_url","image_url":{"url":"http://example.com/dog.jpg"}},)"
                   R"({"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}])");
  auto urls = bd::remote_image_urls(body);
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(*urls, (std::vector<std::string>{"https://example.com/cat.png",
                                             "http://example.com/dog.jpg"}));
  std::vector<bd::FetchedImage> images{{"https://example.com/cat.png", "png", "Q0FU"},
                                       {"http://example.com/dog.jpg", "jpeg", "RE9H"}};
  bd::ConverseOptions o;
  o.fetch_images = true;
  o.images = images;
  EXPECT_EQ(member(ok(body, o), "messages"),
            R"([{"role":"user","content":[{"image":{"format":"png","source":{"bytes":"Q0FU"}}},)"
            R"({"image":{"format":"jpeg","source":{"bytes":"RE9H"}}},)"
            R"({"image":{"format":"png","source":{"bytes":"Q0FU"}}}]}])");
  o.images = {};
  EXPECT_NE(err(body, o).message.find("could not be fetched"), std::string::npos);
}

TEST(OpenAiBedrock, MapsFilePartsToDocuments) {
  auto r = ok(chat(
      R"([{"role":"user","content":[{"type":"text","text":"summarise"},)"
      R"({"type":"file","file":{"filename":"Q3 report_final.pdf","file_data":"data:application/pdf;base64,JVBERi0="}},)"
      R"({"type":"file","file":{"filename":"notes.md","file_data":"IyBoaQ=="}}]}])"));
  EXPECT_EQ(
      member(r, "messages"),
      R"([{"role":"user","content":[{"text":"summarise"},)"
      R"({"document":{"format":"pdf","name":"Q3 report-final","source":{"bytes":"JVBERi0="}}},)"
      R"({"document":{"format":"md","name":"notes","source":{"bytes":"IyBoaQ=="}}}]}])");
}

TEST(OpenAiBedrock, RejectsFileIdsAudioAndUnknownParts) {
  auto e =
      err(chat(R"([{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}])"));
  EXPECT_EQ(e.param, "messages[0].content[0].file.file_id");
  e = err(chat(
      R"([{"role":"user","content":[{"type":"file","file":{"filename":"a.exe","file_data":"AA=="}}]}])"));
  EXPECT_EQ(e.param, "messages[0].content[0].file");
  e = err(chat(
      R"([{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}])"));
  EXPECT_EQ(e.param, "messages[0].content[0]");
  EXPECT_NE(e.message.find("audio"), std::string::npos);
  e = err(chat(R"([{"role":"user","content":[{"type":"video","video":{}}]}])"));
  EXPECT_EQ(e.param, "messages[0].content[0].type");
  e = err(chat(
      R"([{"role":"system","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]},)"
      R"({"role":"user","content":"hi"}])"));
  EXPECT_EQ(e.param, "messages[0].content");
}

TEST(OpenAiBedrock, MapsAssistantToolCallsToToolUse) {
  auto r = ok(chat(
      R"([{"role":"user","content":"weather?"},)"
      R"({"role":"assistant","content":"Checking.","tool_calls":[)"
      R"({"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"days\": 1.50, \"ref\": 123456789012345678901234567890}"}},)"
      R"({"function":{"arguments":"","name":"get_time"},"id":"toolu_01.x:y-z","type":"function"}]},)"
      R"({"role":"tool","tool_call_id":"call_a","content":"18C"},)"
      R"({"role":"tool","tool_call_id":"toolu_01.x:y-z","content":[{"type":"text","text":"noon"}]}])",
      R"(,"tools":[{"type":"function","function":{"name":"get_weather"}},)"
      R"({"type":"function","function":{"name":"get_time"}}])"));
  // Arguments are copied as written: 1.50 stays 1.50, a 30-digit integer survives, and ""
  // (a call without arguments) becomes {}.
  EXPECT_NE(
      r.body.find(R"({"role":"assistant","content":[{"text":"Checking."},)"
                  R"({"toolUse":{"toolUseId":"call_a","name":"get_weather","input":)"
                  R"({"city": "Paris", "days": 1.50, "ref": 123456789012345678901234567890}}},)"
                  R"({"toolUse":{"toolUseId":"toolu_01.x:y-z","name":"get_time","input":{}}}]})"),
      std::string::npos)
      << r.body;
}

TEST(OpenAiBedrock, MapsToolResultsToConverse) {
  auto r = ok(chat(
      R"([{"role":"user","content":"weather?"},)"
      R"({"role":"assistant","tool_calls":[{"id":"call_a","type":"function","function":{"name":"w","arguments":"{}"}}]},)"
      R"({"role":"tool","tool_call_id":"call_a","content":"18C sunny"}])",
      R"(,"tools":[{"type":"function","function":{"name":"w"}}])"));
  EXPECT_EQ(
      json::serialize(json::parse(r.body).at("messages").at(2)),
      R"({"role":"user","content":[{"toolResult":{"toolUseId":"call_a","content":[{"text":"18C sunny"}]}}]})");
}

TEST(OpenAiBedrock, MergesConsecutiveToolMessagesIntoOneUserTurn) {
  auto r = ok(chat(
      R"([{"role":"user","content":"go"},)"
      R"({"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},)"
      R"({"id":"c2","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"role":"tool","tool_call_id":"c1","content":"one"},)"
      R"({"role":"tool","tool_call_id":"c2","content":""},)"
      R"({"role":"user","content":"and now?"}])",
      R"(,"tools":[{"type":"function","function":{"name":"f"}}])"));
  auto messages = json::parse(r.body).at("messages").as_array();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(
      json::serialize(messages[2]),
      R"({"role":"user","content":[{"toolResult":{"toolUseId":"c1","content":[{"text":"one"}]}},)"
      R"({"toolResult":{"toolUseId":"c2","content":[]}},{"text":"and now?"}]})");
}

TEST(OpenAiBedrock, ReadsMembersInAnyOrder) {
  auto r = ok(
      R"({"tool_choice":"required","tools":[{"function":{"name":"f"},"type":"function"}],)"
      R"("messages":[{"content":"hi","role":"user"},)"
      R"({"tool_calls":[{"function":{"arguments":"{}","name":"f"},"id":"c1"}],"role":"assistant"},)"
      R"({"content":"ok","tool_call_id":"c1","role":"tool"}],"model":"m","temperature":0})");
  EXPECT_EQ(
      r.body,
      R"({"messages":[{"role":"user","content":[{"text":"hi"}]},)"
      R"({"role":"assistant","content":[{"toolUse":{"toolUseId":"c1","name":"f","input":{}}}]},)"
      R"({"role":"user","content":[{"toolResult":{"toolUseId":"c1","content":[{"text":"ok"}]}}]}],)"
      R"("inferenceConfig":{"temperature":0},"toolConfig":{"tools":[{"toolSpec":{"name":"f",)"
      R"("inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"any":{}}}})");
}

TEST(OpenAiBedrock, MergesConsecutiveSameRoleTurnsSoRolesAlternate) {
  auto r = ok(chat(
      R"([{"role":"user","content":"a"},{"role":"user","content":"b"},)"
      R"({"role":"assistant","content":"c"},{"role":"assistant","content":""},)"
      R"({"role":"assistant","content":[{"type":"refusal","refusal":"d"}]},)"
      R"({"role":"system","content":"s"},{"role":"assistant","refusal":"e","content":null}])"));
  EXPECT_EQ(member(r, "messages"),
            R"([{"role":"user","content":[{"text":"a"},{"text":"b"}]},)"
            R"({"role":"assistant","content":[{"text":"c"},{"text":"d"},{"text":"e"}]}])");
}

TEST(OpenAiBedrock, RejectsToolCallArgumentsThatAreNotAJsonObject) {
  for (std::string_view args : {R"({\"a\":)", R"([1,2])", R"({\"a\":1} x)", R"(\"text\")"}) {
    auto e = err(chat(
        R"([{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":")" +
            std::string(args) + R"("}}]}])",
        R"(,"tools":[{"type":"function","function":{"name":"f"}}])"));
    EXPECT_EQ(e.param, "messages[0].tool_calls[0].function.arguments") << args;
  }
}

TEST(OpenAiBedrock, RejectsToolCallIdsAndNamesBedrockCannotTake) {
  auto call = [](std::string_view id, std::string_view name) {
    return chat(R"([{"role":"assistant","tool_calls":[{"id":")" + std::string(id) +
                    R"(","type":"function","function":{"name":")" + std::string(name) +
                    R"(","arguments":"{}"}}]}])",
                R"(,"tools":[{"type":"function","function":{"name":"f"}}])");
  };
  EXPECT_EQ(err(call("call 1", "f")).param, "messages[0].tool_calls[0].id");
  EXPECT_EQ(err(call(std::string(65, 'a'), "f")).param, "messages[0].tool_calls[0].id");
  EXPECT_EQ(err(call("c", "a.b")).param, "messages[0].tool_calls[0].function.name");
  EXPECT_EQ(err(chat(R"([{"role":"tool","tool_call_id":"x/y","content":"r"}])")).param,
            "messages[0].tool_call_id");
  EXPECT_EQ(err(chat(R"([{"role":"tool","content":"r"}])")).code, "missing_required_parameter");
  EXPECT_EQ(err(chat(R"([{"role":"user","content":"hi","tool_calls":[{"id":"c","type":"function",)"
                     R"("function":{"name":"f","arguments":"{}"}}]}])"))
                .param,
            "messages[0].tool_calls");
}

TEST(OpenAiBedrock, RejectsConversationsWithoutUserOrAssistantTurns) {
  auto e = err(chat(R"([{"role":"system","content":"only rules"}])"));
  EXPECT_EQ(e.param, "messages");
  EXPECT_EQ(err(chat(R"([{"role":"function","name":"f","content":"x"}])")).param,
            "messages[0].role");
}

// ---- tools ----------------------------------------------------------------------------------

TEST(OpenAiBedrock, MapsToolsToToolSpecsKeepingTheSchemaAsWritten) {
  auto r = ok(
      chat(kHi, R"(,"tools":[{"function":{"parameters":{"type":"object","properties":)"
                R"({"n":{"type":"number","maximum":1e400,"multipleOf":0.1}}},"strict":true,)"
                R"("name":"calc","description":""},"type":"function"},)"
                R"({"type":"function","function":{"name":"ping","parameters":{}}},)"
                R"({"type":"function","function":{"name":"pong","description":"Pong \"it\""}}])"));
  EXPECT_NE(
      r.body.find(R"({"toolSpec":{"name":"calc","inputSchema":{"json":{"type":"object",)"
                  R"("properties":{"n":{"type":"number","maximum":1e400,"multipleOf":0.1}}}}}})"),
      std::string::npos);
  EXPECT_NE(
      r.body.find(
          R"({"toolSpec":{"name":"ping","inputSchema":{"json":{"type":"object","properties":{}}}}})"),
      std::string::npos);
  EXPECT_NE(r.body.find(R"({"toolSpec":{"name":"pong","description":"Pong \"it\"","inputSchema":)"
                        R"({"json":{"type":"object","properties":{}}}}})"),
            std::string::npos);
  EXPECT_EQ(r.body.find("toolChoice"), std::string::npos);  // auto is Bedrock's default
  EXPECT_EQ(r.body.find("strict"), std::string::npos);
}

TEST(OpenAiBedrock, RejectsToolsBedrockCannotDeclare) {
  EXPECT_EQ(err(chat(kHi, R"(,"tools":[{"type":"custom","custom":{"name":"x"}}])")).param,
            "tools[0].type");
  auto long_name = std::string(65, 'n');
  EXPECT_EQ(
      err(chat(kHi, R"(,"tools":[{"type":"function","function":{"name":")" + long_name + R"("}}])"))
          .param,
      "tools[0].function.name");
  EXPECT_EQ(err(chat(kHi, R"(,"tools":[{"type":"function","function":{"name":"a"}},)"
                          R"({"type":"function","function":{"name":"a"}}])"))
                .param,
            "tools[1].function.name");
}

TEST(OpenAiBedrock, MapsToolChoiceAutoRequiredAndNamed) {
  std::string tools =
      R"(,"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g"}}])";
  EXPECT_EQ(
      member(ok(chat(kHi, tools + R"(,"tool_choice":"auto")")), "toolConfig").find("toolChoice"),
      std::string::npos);
  EXPECT_NE(member(ok(chat(kHi, tools + R"(,"tool_choice":"required")")), "toolConfig")
                .find(R"("toolChoice":{"any":{}})"),
            std::string::npos);
  EXPECT_NE(
      member(ok(chat(kHi, tools + R"(,"tool_choice":{"type":"function","function":{"name":"g"}})")),
             "toolConfig")
          .find(R"("toolChoice":{"tool":{"name":"g"}})"),
      std::string::npos);
  EXPECT_EQ(
      err(chat(kHi, tools + R"(,"tool_choice":{"type":"function","function":{"name":"h"}})")).param,
      "tool_choice.function.name");
  EXPECT_EQ(err(chat(kHi, R"(,"tool_choice":"required")")).param, "tool_choice");
  EXPECT_EQ(err(chat(kHi, tools + R"(,"tool_choice":"sometimes")")).param, "tool_choice");
}

TEST(OpenAiBedrock, ToolChoiceNoneDeclaresNoTools) {
  auto r = ok(
      chat(kHi, R"(,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none")"));
  EXPECT_EQ(member(r, "toolConfig"), "");
}

TEST(OpenAiBedrock, RejectsToolChoiceNoneOnceTheHistoryHasToolCalls) {
  auto body = chat(
      R"([{"role":"user","content":"go"},)"
      R"({"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"role":"tool","tool_call_id":"c1","content":"done"}])",
      R"(,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none")");
  auto e = err(body);
  EXPECT_EQ(e.param, "tool_choice");
  EXPECT_EQ(e.code, "unsupported_parameter");
  auto r = ok(body, dropping());
  EXPECT_EQ(r.dropped, std::vector<std::string>{"tool_choice"});
  EXPECT_EQ(
      member(r, "toolConfig"),
      R"({"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}}]})");
}

TEST(OpenAiBedrock, RequiresToolsWhenTheHistoryHasToolCalls) {
  auto body = chat(
      R"([{"role":"user","content":"go"},)"
      R"({"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}},)"
      R"({"id":"c2","type":"function","function":{"name":"f","arguments":"{}"}}]},)"
      R"({"role":"tool","tool_call_id":"c1","content":"done"},{"role":"tool","tool_call_id":"c2","content":"done"}])");
  EXPECT_EQ(err(body).param, "tools");
  // Dropping: the called tools are declared with an open schema, once each.
  auto r = ok(body, dropping());
  EXPECT_EQ(
      member(r, "toolConfig"),
      R"({"tools":[{"toolSpec":{"name":"f","description":"A tool called earlier in this conversation.",)"
      R"("inputSchema":{"json":{"type":"object","properties":{}}}}}]})");
}

TEST(OpenAiBedrock, RejectsAllowedToolsChoiceUnlessDropping) {
  std::string body = chat(
      kHi, R"(,"tools":[{"type":"function","function":{"name":"f"}}],)"
           R"("tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}})");
  EXPECT_EQ(err(body).param, "tool_choice");
  EXPECT_EQ(member(ok(body, dropping()), "toolConfig").find("toolChoice"), std::string::npos);
}

TEST(OpenAiBedrock, AcceptsParallelToolCallsEitherWay) {
  for (std::string_view v : {"true", "false"}) {
    auto r = ok(chat(
        kHi, R"(,"tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":)" +
                 std::string(v)));
    EXPECT_TRUE(r.dropped.empty());
    EXPECT_EQ(r.body.find("parallel"), std::string::npos);
  }
}

// ---- response_format --------------------------------------------------------------------------

TEST(OpenAiBedrock, ResponseFormatJsonSchemaForcesANamedTool) {
  auto r = ok(chat(
      kHi,
      R"(,"response_format":{"type":"json_schema","json_schema":{"name":"person",)"
      R"("description":"A person","strict":true,"schema":{"type":"object","properties":{"age":{"type":"integer"}}}}})"));
  EXPECT_EQ(r.json_tool, "person");
  EXPECT_EQ(
      member(r, "toolConfig"),
      R"({"tools":[{"toolSpec":{"name":"person","description":"A person","inputSchema":{"json":)"
      R"({"type":"object","properties":{"age":{"type":"integer"}}}}}}],"toolChoice":{"tool":{"name":"person"}}})");
}

TEST(OpenAiBedrock, ResponseFormatJsonObjectForcesAnOpenTool) {
  auto r = ok(chat(kHi, R"(,"response_format":{"type":"json_object"})"));
  EXPECT_EQ(r.json_tool, "json_tool_call");
  EXPECT_EQ(
      member(r, "toolConfig"),
      R"({"tools":[{"toolSpec":{"name":"json_tool_call","description":"Respond with a JSON value that follows the input schema.",)"
      R"("inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"json_tool_call"}}})");
  EXPECT_EQ(ok(chat(kHi, R"(,"response_format":{"type":"text"})")).json_tool, "");
}

TEST(OpenAiBedrock, ResponseFormatBesideToolsLetsTheModelChooseEither) {
  std::string tools =
      R"(,"tools":[{"type":"function","function":{"name":"f"}}],)"
      R"("response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"}}})";
  auto r = ok(chat(kHi, tools));
  EXPECT_EQ(r.json_tool, "out");
  EXPECT_EQ(
      member(r, "toolConfig"),
      R"({"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}},)"
      R"({"toolSpec":{"name":"out","description":"Respond with a JSON value that follows the input schema.",)"
      R"("inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"any":{}}})");
  // A forced tool call is the whole answer: response_format has nothing left to shape.
  auto forced = ok(chat(kHi, tools + R"(,"tool_choice":"required")"));
  EXPECT_EQ(forced.json_tool, "");
  EXPECT_EQ(member(forced, "toolConfig").find("\"out\""), std::string::npos);
  // tool_choice none: the schema tool is forced, the client's tools stay undeclared.
  auto none = ok(chat(kHi, tools + R"(,"tool_choice":"none")"));
  EXPECT_EQ(
      member(none, "toolConfig"),
      R"({"tools":[{"toolSpec":{"name":"out","description":"Respond with a JSON value that follows the input schema.",)"
      R"("inputSchema":{"json":{"type":"object"}}}}],"toolChoice":{"tool":{"name":"out"}}})");
}

TEST(OpenAiBedrock, RejectsResponseFormatNamesBedrockCannotTake) {
  EXPECT_EQ(
      err(chat(kHi, R"(,"response_format":{"type":"json_schema","json_schema":{"name":"a b"}})"))
          .param,
      "response_format.json_schema.name");
  EXPECT_EQ(err(chat(kHi, R"(,"tools":[{"type":"function","function":{"name":"json_tool_call"}}],)"
                          R"("response_format":{"type":"json_object"})"))
                .param,
            "response_format.json_schema.name");
  EXPECT_EQ(err(chat(kHi, R"(,"response_format":{"type":"yaml"})")).param, "response_format.type");
}

// ---- sampling -------------------------------------------------------------------------------

TEST(OpenAiBedrock, MapsSamplingParametersKeepingNumbersAsWritten) {
  auto r =
      ok(chat(kHi, R"(,"temperature":0.2,"top_p":1e-1,"max_completion_tokens":300,"max_tokens":50,)"
                   R"("stop":["a","","b"])"));
  // max_completion_tokens wins over the deprecated max_tokens; empty stop strings are dropped.
  EXPECT_NE(r.body.find(R"("inferenceConfig":{"maxTokens":300,"temperature":0.2,"topP":1e-1,)"
                        R"("stopSequences":["a","b"]})"),
            std::string::npos)
      << r.body;
}

TEST(OpenAiBedrock, RejectsTemperatureAboveOne) {
  auto e = err(chat(kHi, R"(,"temperature":1.5)"));
  EXPECT_EQ(e.kind, tb::ErrorKind::invalid_request);
  EXPECT_EQ(e.param, "temperature");
  EXPECT_EQ(e.message,
            "Invalid 'temperature': must be between 0 and 1 for Bedrock routes; got 1.5.");
  // Out of range is a wrong value, not an unsupported parameter: dropping it would change the
  // sampling the client asked for without telling.
  EXPECT_EQ(err(chat(kHi, R"(,"temperature":1.5)"), dropping()).param, "temperature");
  EXPECT_EQ(err(chat(kHi, R"(,"temperature":-0.1)")).param, "temperature");
  EXPECT_EQ(err(chat(kHi, R"(,"top_p":1.01)")).param, "top_p");
  EXPECT_EQ(err(chat(kHi, R"(,"temperature":"hot")")).code, "invalid_type");
  EXPECT_TRUE(ok(chat(kHi, R"(,"temperature":1,"top_p":0)")).dropped.empty());
}

TEST(OpenAiBedrock, RejectsMaxTokensBelowOne) {
  EXPECT_EQ(err(chat(kHi, R"(,"max_tokens":0)")).param, "max_tokens");
  EXPECT_EQ(err(chat(kHi, R"(,"max_completion_tokens":-5)")).param, "max_completion_tokens");
  EXPECT_EQ(err(chat(kHi, R"(,"max_completion_tokens":2.5)")).code, "invalid_type");
}

TEST(OpenAiBedrock, MapsStopStringAndIgnoresNulls) {
  EXPECT_EQ(member(ok(chat(kHi, R"(,"stop":"END")")), "inferenceConfig"),
            R"({"stopSequences":["END"]})");
  EXPECT_EQ(member(ok(chat(kHi, R"(,"stop":"")")), "inferenceConfig"), "");
  auto r = ok(chat(kHi, R"(,"stop":null,"temperature":null,"max_tokens":null,"tools":null,)"
                        R"("tool_choice":null,"response_format":null,"n":null,"seed":null)"));
  EXPECT_EQ(r.body, R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})");
  EXPECT_EQ(err(chat(kHi, R"(,"stop":[1])")).param, "stop");
}

// ---- parameters Bedrock cannot honour -----------------------------------------------------------

TEST(OpenAiBedrock, RejectsNAboveOne) {
  auto e = err(chat(kHi, R"(,"n":2)"));
  EXPECT_EQ(e.param, "n");
  EXPECT_EQ(e.code, "unsupported_parameter");
  EXPECT_EQ(e.message,
            "Unsupported parameter 'n': Bedrock serves one choice per request; n must be 1.");
}

TEST(OpenAiBedrock, RejectsEachUnsupportedParameterByName) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"logprobs", "true"},
      {"top_logprobs", "3"},
      {"logit_bias", R"({"50256":-100})"},
      {"seed", "42"},
      {"presence_penalty", "0.5"},
      {"frequency_penalty", "-1"},
      {"modalities", R"(["text","audio"])"},
      {"audio", R"({"voice":"alloy","format":"wav"})"},
      {"prediction", R"({"type":"content","content":"x"})"},
      {"web_search_options", "{}"},
      {"verbosity", R"("low")"},
      {"functions", R"([{"name":"f"}])"},
      {"function_call", R"("auto")"},
      {"service_tier", R"("flex")"},
      {"reasoning_effort", R"("high")"},
      {"top_k", "40"},  // not an OpenAI parameter at all
  };
  for (const auto& [key, value] : cases) {
    auto e = err(chat(kHi, ",\"" + key + "\":" + value));
    EXPECT_EQ(e.param, key);
    EXPECT_EQ(e.code, "unsupported_parameter") << key;
    EXPECT_EQ(e.kind, tb::ErrorKind::invalid_request);
  }
}

TEST(OpenAiBedrock, DropsUnsupportedWhenAllowed) {
  auto r = ok(
      chat(kHi,
           R"(,"n":3,"seed":7,"logprobs":true,"presence_penalty":1,"top_k":5,"temperature":0.5)"),
      dropping());
  EXPECT_EQ(r.dropped,
            (std::vector<std::string>{"n", "seed", "logprobs", "presence_penalty", "top_k"}));
  EXPECT_EQ(
      r.body,
      R"({"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"temperature":0.5}})");
}

TEST(OpenAiBedrock, AcceptsNeutralValuesOfUnsupportedParameters) {
  auto r = ok(chat(
      kHi,
      R"(,"n":1,"logprobs":false,"top_logprobs":0,"logit_bias":{ },"presence_penalty":0,)"
      R"("frequency_penalty":0.0,"modalities":[ "text" ],"audio":null,"service_tier":"auto")"));
  EXPECT_TRUE(r.dropped.empty());
  EXPECT_EQ(r.body, R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})");
}

TEST(OpenAiBedrock, IgnoresHarmlessFields) {
  auto r = ok(chat(
      kHi,
      R"(,"user":"u-1","metadata":{"k":"v"},"store":false,"stream_options":{"include_usage":true,)"
      R"("include_obfuscation":true},"service_tier":"default","prompt_cache_key":"p",)"
      R"("safety_identifier":"s","parallel_tool_calls":true)"));
  EXPECT_TRUE(r.dropped.empty());
  EXPECT_EQ(r.body, R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})");
}

TEST(OpenAiBedrock, SendsReasoningEffortToOpenAiModelsAsAModelField) {
  auto r = ok(chat(kHi, R"(,"reasoning_effort":"low")"), {}, "openai.gpt-oss-120b-1:0");
  EXPECT_EQ(member(r, "additionalModelRequestFields"), R"({"reasoning_effort":"low"})");
  auto dropped = ok(chat(kHi, R"(,"reasoning_effort":"low")"), dropping());
  EXPECT_EQ(dropped.dropped, std::vector<std::string>{"reasoning_effort"});
  EXPECT_EQ(member(dropped, "additionalModelRequestFields"), "");
}

TEST(OpenAiBedrock, RejectsBodiesThatAreNotJsonObjects) {
  EXPECT_EQ(err("[1]").kind, tb::ErrorKind::invalid_request);
  EXPECT_EQ(err(R"({"model":"m"})").param, "messages");
}

TEST(OpenAiBedrock, EscapesEveryControlCharacterQuoteAndBackslash) {
  // Every ASCII byte at every offset of a 19-byte string, so both the 8-byte word scan and the
  // byte-by-byte tail see it; the result must parse back to the input.
  for (int c = 0; c < 128; ++c) {
    for (std::size_t at = 0; at < 19; ++at) {
      std::string text(19, 'x');
      text[at] = static_cast<char>(c);
      std::string out;
      bd::detail::append_json_string(out, text);
      auto back = json::parse(out);
      ASSERT_EQ(std::string_view(back.as_string()), text) << "byte " << c << " at " << at;
    }
  }
  std::string out;
  bd::detail::append_json_string(out, "caf\xc3\xa9 \"q\" \\ \x01\n");
  EXPECT_EQ(out, "\"caf\xc3\xa9 \\\"q\\\" \\\\ \\u0001\\n\"");
}

// ---- golden pairs ----------------------------------------------------------------------------

TEST(OpenAiBedrock, TranslatesGoldenRequests) {
  struct Case {
    std::string name;
    std::string model_id;
    bool drop;
  };
  const Case cases[] = {
      {"request-agent-turn", "us.anthropic.claude-3-5-sonnet-20240620-v1:0", false},
      {"request-json-schema", "openai.gpt-oss-120b-1:0", false},
      {"request-dropped-params",
       "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/abc123", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string input = read_file(kGolden / (c.name + ".openai.json"));
    auto expected = json::parse(read_file(kGolden / (c.name + ".converse.json")));
    bd::ConverseOptions o;
    o.drop_unsupported = c.drop;
    auto r = ok(input, o, c.model_id);
    json::object got;
    got["path"] = r.path;
    got["stream"] = r.stream;
    got["json_tool"] = r.json_tool;
    json::array dropped;
    for (const auto& d : r.dropped) dropped.emplace_back(d);
    got["dropped"] = std::move(dropped);
    got["body"] = json::parse(r.body);
    EXPECT_EQ(json::value(got), expected) << json::serialize(got);
  }
}
