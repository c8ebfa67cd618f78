#include "config/config.hpp"
#include "config/config_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>

namespace tollbooth {

namespace {

using namespace config_test;
using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

const char* empty_env(const char*) {
  return nullptr;
}

// A valid file the tests below break one line at a time.
constexpr const char* kMinimal = R"(
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: env:OPENAI_API_KEY
models:
  gpt-4o:
    routes:
      - provider: openai
)";

// Appends `extra` (indented as in kMinimal) after the openai provider's keys.
std::string with_openai_keys(const std::string& extra) {
  std::string text = yaml(kMinimal);
  auto at = text.find("models:");
  return text.insert(at, extra);
}

TEST(Config, LoadsFullFileWithEveryValue) {
  auto config = load_ok(yaml(R"(
server:
  listen: "[::1]:4100"
  workers: 3
  max_body_bytes: 1MiB
  max_header_bytes: 8KiB
  read_timeout: 250ms
  idle_timeout: 2m
  drain_timeout: 5s
providers:
  azure-east:
    kind: azure
    endpoint: https://contoso-east.openai.azure.com/
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
    region: eastus
    verify_tls: false
    connect_timeout: 2s
    first_byte_timeout: 90s
    idle_timeout: 45s
    max_idle_connections: 8
  openai:
    kind: openai
    base_url: http://127.0.0.1:4101/openai/v1
    api_key: sk-literal
models:
  gpt-4o:
    owned_by: contoso
    routes:
      - provider: azure-east
        deployment: gpt4o-prod
      - provider: openai
        model: gpt-4o-2024-08-06
)"));
  EXPECT_EQ(config->source_file, "test.yaml");
  EXPECT_EQ(config->server.host, "::1");
  EXPECT_EQ(config->server.port, 4100);
  EXPECT_EQ(config->server.workers, 3u);
  EXPECT_EQ(config->server.max_body_bytes, 1u << 20);
  EXPECT_EQ(config->server.max_header_bytes, 8u << 10);
  EXPECT_EQ(config->server.read_timeout, milliseconds(250));
  EXPECT_EQ(config->server.idle_timeout, milliseconds(120'000));
  EXPECT_EQ(config->server.drain_timeout, milliseconds(5'000));

  const ProviderConfig& azure = config->providers.at("azure-east");
  EXPECT_EQ(azure.name, "azure-east");
  EXPECT_EQ(azure.kind, ProviderKind::azure);
  EXPECT_EQ(azure.base_url, "https://contoso-east.openai.azure.com");  // trailing '/' dropped
  EXPECT_EQ(azure.api_key, "dummy-key");
  EXPECT_EQ(azure.api_version, "2024-10-21");
  EXPECT_EQ(azure.azure_api, AzureApi::deployments);
  EXPECT_EQ(azure.region, "eastus");
  EXPECT_FALSE(azure.verify_tls);
  EXPECT_EQ(azure.connect_timeout, milliseconds(2'000));
  EXPECT_EQ(azure.first_byte_timeout, milliseconds(90'000));
  EXPECT_EQ(azure.idle_timeout, milliseconds(45'000));
  EXPECT_EQ(azure.max_idle_connections, 8u);

  const ProviderConfig& openai = config->providers.at("openai");
  EXPECT_EQ(openai.kind, ProviderKind::openai);
  EXPECT_EQ(openai.base_url, "http://127.0.0.1:4101/openai/v1");
  EXPECT_EQ(openai.api_key, "sk-literal");

  ASSERT_THAT(config->models, SizeIs(1));
  const ModelConfig& model = config->models[0];
  EXPECT_EQ(model.name, "gpt-4o");
  EXPECT_EQ(model.owned_by, "contoso");
  ASSERT_THAT(model.routes, SizeIs(2));
  EXPECT_EQ(model.routes[0].provider, "azure-east");
  EXPECT_EQ(model.routes[0].upstream_model, "gpt4o-prod");
  EXPECT_EQ(model.routes[0].line, 29);
  EXPECT_EQ(model.routes[1].provider, "openai");
  EXPECT_EQ(model.routes[1].upstream_model, "gpt-4o-2024-08-06");
  EXPECT_EQ(model.routes[1].line, 31);
}

TEST(Config, OmittedKeysTakeDocumentedDefaults) {
  auto config = load_ok(yaml(kMinimal));
  const ServerConfig defaults;
  EXPECT_EQ(config->server.host, "127.0.0.1");
  EXPECT_EQ(config->server.port, 4000);
  EXPECT_EQ(config->server.workers, 0u);
  EXPECT_EQ(config->server.max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(config->server.drain_timeout, defaults.drain_timeout);
  const ProviderConfig& openai = config->providers.at("openai");
  EXPECT_TRUE(openai.verify_tls);
  EXPECT_EQ(openai.ca_file, "");
  EXPECT_EQ(openai.max_idle_connections, 64u);
  EXPECT_EQ(config->models[0].owned_by, "tollbooth");
  // An openai route without `model:` sends the public name upstream.
  EXPECT_EQ(config->models[0].routes[0].upstream_model, "gpt-4o");
}

TEST(Config, WorkersAutoMeansZeroAndZeroIsRejected) {
  auto config = load_ok("server: {workers: auto}\n" + yaml(kMinimal));
  EXPECT_EQ(config->server.workers, 0u);
  EXPECT_THAT(problems_in("server: {workers: 0}\n" + yaml(kMinimal)),
              ElementsAre(problem(1, 19,
                                  "server.workers: \"0\" is not a worker count; expected auto or "
                                  "an integer from 1 to 1024")));
}

TEST(Config, ServerLimitsForConnectionsAndBufferedBytes) {
  auto defaults = load_ok(yaml(kMinimal));
  EXPECT_EQ(defaults->server.max_connections, 0u) << "auto";
  EXPECT_EQ(defaults->server.max_response_bytes, 64u << 20);
  EXPECT_EQ(defaults->server.max_buffered_bytes, 512u << 20);
  EXPECT_EQ(defaults->server.max_stream_event_bytes, 1u << 20);
  auto config = load_ok(
      "server:\n  max_connections: 5000\n  max_response_bytes: 8MiB\n"
      "  max_buffered_bytes: 1GiB\n  max_stream_event_bytes: 256KiB\n" +
      yaml(kMinimal));
  EXPECT_EQ(config->server.max_connections, 5000u);
  EXPECT_EQ(config->server.max_response_bytes, 8u << 20);
  EXPECT_EQ(config->server.max_buffered_bytes, 1u << 30);
  EXPECT_EQ(config->server.max_stream_event_bytes, 256u << 10);
  EXPECT_EQ(load_ok("server: {max_connections: auto}\n" + yaml(kMinimal))->server.max_connections,
            0u);
  EXPECT_THAT(problems_in("server: {max_connections: 0}\n" + yaml(kMinimal)),
              ElementsAre(problem(1, 27,
                                  "server.max_connections: \"0\" is not a connection count; "
                                  "expected auto or an integer from 1 to 10000000")));
}

TEST(Config, ListenAcceptsPortZeroAndRejectsOutOfRangePorts) {
  auto config = load_ok("server:\n  listen: 0.0.0.0:0\n" + yaml(kMinimal));
  EXPECT_EQ(config->server.host, "0.0.0.0");
  EXPECT_EQ(config->server.port, 0);
  EXPECT_THAT(problems_in("server:\n  listen: 127.0.0.1:70000\n" + yaml(kMinimal)),
              ElementsAre(problem(2, 11,
                                  "server.listen: \"127.0.0.1:70000\" is not a listen address; "
                                  "port must be from 0 to 65535 (0 picks a free port)")));
}

TEST(Config, BadSizeNamesTheExpectedForm) {
  EXPECT_THAT(problems_in("server:\n  max_body_bytes: 8 megs\n" + yaml(kMinimal)),
              ElementsAre(problem(2, 19,
                                  "server.max_body_bytes: \"8 megs\" is not a size; expected "
                                  "bytes like 1048576 or 8MiB")));
}

TEST(Config, DurationWithoutUnitIsRejected) {
  EXPECT_THAT(problems_in("server:\n  read_timeout: 30\n" + yaml(kMinimal)),
              ElementsAre(problem(2, 17,
                                  "server.read_timeout: \"30\" has no unit; expected a number and "
                                  "a unit (ms, s or m), like 250ms, 30s or 2m")));
  EXPECT_THAT(problems_in("server:\n  idle_timeout: 0s\n" + yaml(kMinimal)),
              ElementsAre(problem_at_line(2, HasSubstr("must be more than 0"))));
  // drain_timeout 0 means "do not wait", which is a real choice.
  EXPECT_EQ(load_ok("server:\n  drain_timeout: 0s\n" + yaml(kMinimal))->server.drain_timeout,
            milliseconds(0));
}

TEST(Config, UnknownKindListsTheKinds) {
  auto problems = problems_in(yaml(R"(
providers:
  azure-east:
    kind: azur
    endpoint: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
models:
  gpt-4o:
    routes:
      - provider: azure-east
        deployment: gpt4o-prod
)"));
  // The route is not also blamed: its provider's kind is unknown, not wrong.
  EXPECT_THAT(problems, ElementsAre(problem(3, 11,
                                            "providers.azure-east.kind: unknown value \"azur\"; "
                                            "expected one of: openai, azure, bedrock (did "
                                            "you mean azure?)")));
}

TEST(Config, UnknownKeyListsTheKnownKeys) {
  auto problems = problems_in(with_openai_keys("    apikey: env:OPENAI_API_KEY\n"));
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].line, 6);
  EXPECT_EQ(problems[0].column, 5);
  EXPECT_THAT(
      problems[0].message,
      AllOf(HasSubstr("providers.openai.apikey: unknown key; expected one of: kind, "
                      "base_url, endpoint, api_key, api_version, api, responses, region, "
                      "residency, access_key_id, secret_access_key, session_token, profile, "
                      "credentials_file, ca_file, verify_tls, connect_timeout, "
                      "first_byte_timeout, idle_timeout, max_idle_connections"),
            HasSubstr("(did you mean api_key?)")));
}

TEST(Config, UnknownTopLevelKeyListsTheKnownOnes) {
  auto problems = problems_in(yaml(kMinimal) + "budgets:\n  research: {}\n");
  EXPECT_THAT(problems, ElementsAre(problem(10, 1,
                                            "budgets: unknown key; expected one of: server, "
                                            "providers, models, contracts, prices, routing, "
                                            "auth, store, limits, teams, keys, billing, metrics")));
}

TEST(Config, RouteToUndeclaredProviderListsDeclaredOnes) {
  auto problems = problems_in(yaml(R"(
providers:
  azure-east:
    kind: azure
    endpoint: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
models:
  gpt-4o:
    routes:
      - provider: openai
      - provider: azur-east
        deployment: gpt4o-prod
)"));
  EXPECT_THAT(problems,
              ElementsAre(problem(14, 19,
                                  "models.gpt-4o.routes[1].provider: \"azur-east\" is not "
                                  "a declared provider (declared: azure-east, openai)")));
}

TEST(Config, WrongNodeTypesAreReported) {
  auto problems = problems_in(yaml(R"(
server: [127.0.0.1:4000]
providers:
  openai:
    kind: openai
    base_url: {url: https://api.openai.com/v1}
models:
  gpt-4o:
    routes: openai
)"));
  EXPECT_THAT(
      problems,
      ElementsAre(problem(1, 9, "server: expected a mapping (key: value lines), got a list"),
                  problem(5, 15,
                          "providers.openai.base_url: expected an http(s) URL like "
                          "https://api.openai.com/v1, got a mapping"),
                  problem(8, 13,
                          "models.gpt-4o.routes: expected a list of routes like - "
                          "provider: openai, got a single value")));
}

TEST(Config, YamlSyntaxErrorHasPosition) {
  auto problems = problems_in("providers:\n  openai: [kind: openai\nmodels: {}\n");
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_GT(problems[0].line, 0);
  EXPECT_GT(problems[0].column, 0);
  EXPECT_THAT(problems[0].message, HasSubstr("YAML syntax error"));

  EXPECT_THAT(problems_in("server:\n  listen: 1\n   workers: 2\n"),
              ElementsAre(problem(3, 11, "YAML syntax error: illegal map value")));
}

TEST(Config, MissingFileIsReportedWithoutPosition) {
  try {
    load_config_file("/nonexistent/tollbooth.yaml", &dummy_env);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.problems(),
                ElementsAre(AllOf(Field(&ConfigProblem::file, "/nonexistent/tollbooth.yaml"),
                                  problem(0, 0,
                                          "cannot open: No such file or directory; expected a "
                                          "readable YAML config file"))));
    EXPECT_EQ(format_problems(e.problems()),
              "/nonexistent/tollbooth.yaml: cannot open: No such file or directory; expected a "
              "readable YAML config file\n");
  }
}

TEST(Config, EmptyFileIsReported) {
  EXPECT_THAT(problems_in("# nothing yet\n"),
              ElementsAre(problem(0, 0,
                                  "the file is empty; expected a mapping with server, providers "
                                  "and models")));
}

TEST(Config, DuplicateKeysAreReported) {
  auto problems = problems_in(yaml(kMinimal) + "  gpt-4o:\n    routes: [{provider: openai}]\n");
  EXPECT_THAT(problems, ElementsAre(problem(10, 3,
                                            "models.gpt-4o: duplicate key (first defined at line "
                                            "7); keep one")));
}

TEST(Config, EveryProblemIsReportedInFileOrder) {
  auto problems = problems_in(yaml(R"(
server:
  listen: localhost
  max_body_bytes: lots
providers:
  openai:
    kind: openai
    base_url: ftp://api.openai.com/v1
    api_key: env:OPENAI_API_KEY
    colour: blue
models:
  gpt-4o:
    routes:
      - provider: azure
budgets: {}
)"),
                              &empty_env);
  std::vector<int> lines;
  for (const auto& p : problems) lines.push_back(p.line);
  EXPECT_THAT(lines, ElementsAre(2, 3, 7, 8, 9, 13, 14)) << format_problems(problems);
}

TEST(Config, EnvSecretsResolveAndLiteralsAreKept) {
  auto env = [](const char* name) -> const char* {
    return std::strcmp(name, "OPENAI_API_KEY") == 0 ? "sk-from-env" : nullptr;
  };
  auto config = load_ok(yaml(kMinimal), env);
  EXPECT_EQ(config->providers.at("openai").api_key, "sk-from-env");

  std::string literal = yaml(kMinimal);
  literal.replace(literal.find("env:OPENAI_API_KEY"), 18, "sk-literal-123");
  EXPECT_EQ(load_ok(literal, &empty_env)->providers.at("openai").api_key, "sk-literal-123");
}

TEST(Config, UnsetEnvSecretIsReportedWithoutLeakingSecrets) {
  // One provider's variable is unset, the other's is empty; a third has a literal key and a
  // mistake next to it. No message may contain any key material.
  auto env = [](const char* name) -> const char* {
    if (std::strcmp(name, "AZURE_KEY") == 0) return "";
    if (std::strcmp(name, "OTHER_KEY") == 0) return "sk-resolved-secret";
    return nullptr;
  };
  auto problems = problems_in(yaml(R"(
providers:
  openai:
    kind: openai
    base_url: https://api.openai.com/v1
    api_key: env:OPENAI_API_KEY
  azure:
    kind: azure
    endpoint: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
  other:
    kind: openai
    base_url: https://other.example.com/v1
    api_key: env:OTHER_KEY
    verify_tls: maybe
  literal:
    kind: openai
    base_url: https://literal.example.com/v1
    api_key: sk-literal-secret
    region: [us]
models:
  gpt-4o:
    routes:
      - provider: openai
)"),
                              env);
  EXPECT_THAT(problems, ElementsAre(problem(5, 14,
                                            "environment variable OPENAI_API_KEY is not set "
                                            "(providers.openai.api_key); export it before starting "
                                            "tollbooth"),
                                    problem(9, 14,
                                            "environment variable AZURE_KEY is not set "
                                            "(providers.azure.api_key); export it before starting "
                                            "tollbooth"),
                                    problem_at_line(15, HasSubstr("verify_tls")),
                                    problem_at_line(20, HasSubstr("region"))));
  for (const auto& p : problems) {
    EXPECT_THAT(p.message,
                AllOf(Not(HasSubstr("sk-resolved-secret")), Not(HasSubstr("sk-literal-secret"))));
  }
}

TEST(Config, ShellStyleVariablesGetTheEnvForm) {
  std::string text = yaml(kMinimal);
  text.replace(text.find("env:OPENAI_API_KEY"), 18, "${OPENAI_API_KEY}");
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem_at_line(5, AllOf(HasSubstr("providers.openai.api_key"),
                                                   HasSubstr("expected env:NAME")))));
}

TEST(Config, AzureDeploymentsNeedApiVersion) {
  auto problems = problems_in(yaml(R"(
providers:
  azure-east:
    kind: azure
    endpoint: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
models:
  gpt-4o:
    routes:
      - provider: azure-east
        deployment: gpt4o-prod
)"));
  EXPECT_THAT(problems,
              ElementsAre(problem(2, 3,
                                  "providers.azure-east.api_version: missing; expected a date "
                                  "like 2024-10-21 (api: deployments, the default, needs it)")));
}

TEST(Config, ResponsesChatIsAnOpenAiProvidersAndOnlyTheirs) {
  const std::string openai = yaml(R"(
providers:
  vllm:
    kind: openai
    base_url: http://127.0.0.1:8000/v1
    responses: chat
models:
  llama:
    routes:
      - provider: vllm
)");
  EXPECT_TRUE(load_ok(openai)->providers.at("vllm").responses_via_chat);
  std::string native = openai;
  native.replace(native.find("responses: chat"), 15, "responses: native");
  EXPECT_FALSE(load_ok(native)->providers.at("vllm").responses_via_chat);
  std::string wrong = openai;
  wrong.replace(wrong.find("responses: chat"), 15, "responses: json");
  EXPECT_THAT(problems_in(wrong),
              ElementsAre(problem_at_line(5, HasSubstr("providers.vllm.responses: "))));
  EXPECT_THAT(problems_in(yaml(R"(
providers:
  azure-east:
    kind: azure
    endpoint: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
    responses: chat
models:
  gpt-4o:
    routes:
      - provider: azure-east
        deployment: gpt4o-prod
)")),
              ElementsAre(problem_at_line(
                  7, HasSubstr("providers.azure-east.responses: is only for kind: openai "
                               "(kind: azure serves the Responses API itself)"))));
}

TEST(Config, AzureV1RejectsApiVersionAndLoadsWithout) {
  std::string v1 = yaml(R"(
providers:
  azure-sweden:
    kind: azure
    api: v1
    endpoint: https://contoso-sweden.openai.azure.com
    api_key: env:AZURE_KEY
models:
  gpt-4o:
    routes:
      - provider: azure-sweden
        deployment: gpt4o-prod
)");
  auto config = load_ok(v1);
  EXPECT_EQ(config->providers.at("azure-sweden").azure_api, AzureApi::v1);
  EXPECT_EQ(config->models[0].routes[0].upstream_model, "gpt4o-prod");

  std::string versioned = v1;
  versioned.insert(versioned.find("models:"), "    api_version: 2024-10-21\n");
  EXPECT_THAT(problems_in(versioned),
              ElementsAre(problem(7, 5,
                                  "providers.azure-sweden.api_version: has no meaning with api: "
                                  "v1 (that API is not versioned); remove it, or use api: "
                                  "deployments")));
}

TEST(Config, BadApiVersionIsRejected) {
  std::string text = yaml(R"(
providers:
  azure:
    kind: azure
    endpoint: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10
models:
  gpt-4o:
    routes: [{provider: azure, deployment: gpt4o}]
)");
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem(6, 18,
                                  "providers.azure.api_version: \"2024-10\" is not an API version; "
                                  "expected a date like 2024-10-21 (or 2025-04-01-preview)")));
}

TEST(Config, AzureRoutesNeedADeploymentAndMayNameTheModelItRuns) {
  constexpr const char* kAzure = R"(
providers:
  azure-east:
    kind: azure
    endpoint: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
models:
  gpt-4o:
    routes:
      - provider: azure-east
        model: gpt-4o-2024-08-06
)";
  EXPECT_THAT(problems_in(yaml(kAzure)),
              ElementsAre(problem(10, 9,
                                  "models.gpt-4o.routes[0].deployment: missing; expected the "
                                  "Azure deployment name (azure-east is kind: azure)")));
  auto config = load_ok(yaml(kAzure) + "        deployment: gpt4o-prod\n");
  const RouteConfig& route = config->models[0].routes[0];
  EXPECT_EQ(route.upstream_model, "gpt4o-prod");
  EXPECT_EQ(route.deployed_model, "gpt-4o-2024-08-06");  // for prices only
}

TEST(Config, OpenAiRoutesRejectDeployment) {
  std::string text = yaml(kMinimal) + "        deployment: gpt4o-prod\n";
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem(10, 9,
                                  "models.gpt-4o.routes[0].deployment: is only for kind: azure "
                                  "providers (openai is kind: openai); name the upstream model "
                                  "with model:")));
}

TEST(Config, KindSpecificProviderKeysAreChecked) {
  auto problems = problems_in(yaml(R"(
providers:
  openai:
    kind: openai
    endpoint: https://api.openai.com/v1
  azure:
    kind: azure
    base_url: https://contoso.openai.azure.com
    api_key: env:AZURE_KEY
    api_version: 2024-10-21
models:
  gpt-4o:
    routes: [{provider: openai}]
)"));
  EXPECT_THAT(problems,
              ElementsAre(problem(2, 3,
                                  "providers.openai.base_url: missing; expected an http(s) URL "
                                  "like https://api.openai.com/v1"),
                          problem(4, 5,
                                  "providers.openai.endpoint: is for kind: azure; kind: openai "
                                  "takes base_url"),
                          problem(5, 3,
                                  "providers.azure.endpoint: missing; expected the resource URL "
                                  "like https://contoso.openai.azure.com"),
                          problem(7, 5,
                                  "providers.azure.base_url: is for kind: openai; kind: azure "
                                  "takes endpoint, like https://contoso.openai.azure.com")));
}

TEST(Config, UrlsMustBeHttpWithHost) {
  std::string text = yaml(kMinimal);
  text.replace(text.find("https://api.openai.com/v1"), 25, "https://user:hunter2@/v1");
  auto problems = problems_in(text);
  ASSERT_THAT(problems, SizeIs(1));
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_THAT(problems[0].message,
              AllOf(HasSubstr("providers.openai.base_url"), HasSubstr("expected an http(s) URL"),
                    Not(HasSubstr("hunter2"))));

  text = yaml(kMinimal);
  text.replace(text.find("/v1"), 3, "/v1/chat/completions");
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem_at_line(4, HasSubstr("ends with /chat/completions"))));
}

TEST(Config, AtLeastOneModelIsRequired) {
  std::string text = yaml(kMinimal);
  text.erase(text.find("models:"));
  EXPECT_THAT(
      problems_in(text + "models: {}\n"),
      ElementsAre(problem_at_line(6, HasSubstr("models: no models; expected at least one"))));
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem(1, 1,
                                  "models: missing; expected a mapping of public model names to "
                                  "routes")));
}

TEST(Config, RoutesMustNotBeEmpty) {
  std::string text = yaml(kMinimal);
  text.erase(text.find("    routes:"));
  EXPECT_THAT(problems_in(text + "    routes: []\n"),
              ElementsAre(problem(8, 13,
                                  "models.gpt-4o.routes: expected a list of routes like - "
                                  "provider: openai, got an empty list")));
}

TEST(Config, CaFileMustExistAndIsRelativeToTheConfigFile) {
  namespace fs = std::filesystem;
  fs::path dir =
      fs::temp_directory_path() / ("tollbooth_config_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ca.pem") << "-----BEGIN CERTIFICATE-----\n";
  std::ofstream(dir / "good.yaml") << with_openai_keys("    ca_file: ca.pem\n");
  std::ofstream(dir / "bad.yaml") << with_openai_keys("    ca_file: missing.pem\n");

  auto config = load_config_file((dir / "good.yaml").string(), &dummy_env);
  EXPECT_EQ(config->providers.at("openai").ca_file, (dir / "ca.pem").string());
  try {
    load_config_file((dir / "bad.yaml").string(), &dummy_env);
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.problems(),
                ElementsAre(problem_at_line(6, AllOf(HasSubstr("providers.openai.ca_file: "
                                                               "\"missing.pem\" does not exist"),
                                                     HasSubstr("expected a path to a PEM file")))));
  }
  fs::remove_all(dir);
}

TEST(Config, FindsModelsAndProvidersByName) {
  auto config = load_ok(yaml(kMinimal));
  ASSERT_NE(config->find_model("gpt-4o"), nullptr);
  EXPECT_EQ(config->find_model("gpt-4o")->name, "gpt-4o");
  EXPECT_EQ(config->find_model("gpt-5"), nullptr);
  ASSERT_NE(config->find_provider("openai"), nullptr);
  EXPECT_EQ(config->find_provider("openai")->kind, ProviderKind::openai);
  EXPECT_EQ(config->find_provider("azure"), nullptr);
}

TEST(Config, FormatProblemsPrintsFileLineAndColumn) {
  std::vector<ConfigProblem> problems = {{"a.yaml", 3, 7, "bad thing; expected good thing"},
                                         {"a.yaml", 0, 0, "cannot open"}};
  EXPECT_EQ(format_problems(problems),
            "a.yaml:3:7: bad thing; expected good thing\na.yaml: cannot open\n");
  EXPECT_THAT(ConfigError(problems).what(), HasSubstr("a.yaml:3:7: bad thing"));
}

// A bedrock provider and route for the tests below to break one line at a time.
constexpr const char* kBedrock = R"(
providers:
  bedrock-us:
    kind: bedrock
    region: us-east-1
models:
  claude:
    routes:
      - provider: bedrock-us
        model_id: us.anthropic.claude-3-5-sonnet-20240620-v1:0
)";

// Appends `extra` (indented as in kBedrock) after the bedrock provider's keys.
std::string with_bedrock_keys(const std::string& extra) {
  std::string text = yaml(kBedrock);
  return text.insert(text.find("models:"), extra);
}

// Appends `extra` (indented as in kBedrock) after the bedrock route's keys.
std::string with_bedrock_route_keys(const std::string& extra) {
  return yaml(kBedrock) + extra;
}

TEST(Config, BedrockProviderAndRouteLoadWithEveryValue) {
  auto env = [](const char* name) -> const char* {
    if (std::strcmp(name, "AWS_KEY_ID") == 0) return "AKIDEXAMPLE";
    if (std::strcmp(name, "AWS_SECRET") == 0) return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    return nullptr;
  };
  auto config = load_ok(yaml(R"(
providers:
  bedrock-eu:
    kind: bedrock
    region: eu-central-1
    endpoint: https://bedrock-runtime-fips.eu-central-1.amazonaws.com/
    access_key_id: env:AWS_KEY_ID
    secret_access_key: env:AWS_SECRET
    session_token: literal-session-token
    verify_tls: false
    connect_timeout: 2s
    first_byte_timeout: 90s
    idle_timeout: 45s
    max_idle_connections: 8
  bedrock-gov:
    kind: bedrock
    region: us-gov-west-1
    api_key: bedrock-api-key-literal
  bedrock-profile:
    kind: bedrock
    region: ap-southeast-2
    profile: prod
    credentials_file: /etc/tollbooth/aws-credentials
models:
  claude:
    routes:
      - provider: bedrock-eu
        model_id: eu.anthropic.claude-3-5-sonnet-20240620-v1:0
        drop_unsupported: true
        fetch_images: true
      - provider: bedrock-gov
        model_id: arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      - provider: bedrock-profile
        model_id: anthropic.claude-3-haiku-20240307-v1:0
)"),
                        env);
  const ProviderConfig& eu = config->providers.at("bedrock-eu");
  EXPECT_EQ(eu.name, "bedrock-eu");
  EXPECT_EQ(eu.kind, ProviderKind::bedrock);
  EXPECT_EQ(eu.region, "eu-central-1");
  EXPECT_EQ(eu.base_url, "https://bedrock-runtime-fips.eu-central-1.amazonaws.com");
  EXPECT_EQ(eu.api_key, "");
  EXPECT_EQ(eu.aws.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(eu.aws.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(eu.aws.session_token, "literal-session-token");
  EXPECT_EQ(eu.aws.bearer_token, "");
  EXPECT_EQ(eu.aws.profile, "");
  EXPECT_EQ(eu.aws.credentials_file, "");
  EXPECT_FALSE(eu.verify_tls);
  EXPECT_EQ(eu.connect_timeout, milliseconds(2'000));
  EXPECT_EQ(eu.first_byte_timeout, milliseconds(90'000));
  EXPECT_EQ(eu.idle_timeout, milliseconds(45'000));
  EXPECT_EQ(eu.max_idle_connections, 8u);

  const ProviderConfig& gov = config->providers.at("bedrock-gov");
  EXPECT_EQ(gov.region, "us-gov-west-1");
  EXPECT_EQ(gov.base_url, "https://bedrock-runtime.us-gov-west-1.amazonaws.com");
  EXPECT_EQ(gov.aws.bearer_token, "bedrock-api-key-literal");
  EXPECT_EQ(gov.api_key, "");  // the Bedrock API key is never sent as an OpenAI api_key

  const ProviderConfig& profile = config->providers.at("bedrock-profile");
  EXPECT_EQ(profile.aws.profile, "prod");
  EXPECT_EQ(profile.aws.credentials_file, "/etc/tollbooth/aws-credentials");
  EXPECT_EQ(profile.aws.access_key_id, "");

  const ModelConfig* claude = config->find_model("claude");
  ASSERT_NE(claude, nullptr);
  ASSERT_THAT(claude->routes, SizeIs(3));
  EXPECT_EQ(claude->routes[0].provider, "bedrock-eu");
  EXPECT_EQ(claude->routes[0].upstream_model, "eu.anthropic.claude-3-5-sonnet-20240620-v1:0");
  EXPECT_TRUE(claude->routes[0].drop_unsupported);
  EXPECT_TRUE(claude->routes[0].fetch_images);
  EXPECT_EQ(claude->routes[0].line, 26);
  EXPECT_EQ(claude->routes[1].upstream_model,
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
            "us.anthropic.claude-3-5-sonnet-20240620-v1:0");
  EXPECT_FALSE(claude->routes[1].drop_unsupported);
  EXPECT_FALSE(claude->routes[1].fetch_images);
  EXPECT_EQ(claude->routes[2].upstream_model, "anthropic.claude-3-haiku-20240307-v1:0");
}

TEST(Config, BedrockDefaultsEndpointFromRegionAndLeavesCredentialsToTheEnvironment) {
  auto config = load_ok(yaml(kBedrock), &empty_env);
  const ProviderConfig& p = config->providers.at("bedrock-us");
  EXPECT_EQ(p.base_url, "https://bedrock-runtime.us-east-1.amazonaws.com");
  EXPECT_EQ(p.region, "us-east-1");
  EXPECT_TRUE(p.verify_tls);
  EXPECT_EQ(p.max_idle_connections, 64u);
  // Nothing set: the gateway resolves AWS_* variables and ~/.aws/credentials at start-up.
  EXPECT_EQ(p.aws.access_key_id, "");
  EXPECT_EQ(p.aws.secret_access_key, "");
  EXPECT_EQ(p.aws.session_token, "");
  EXPECT_EQ(p.aws.bearer_token, "");
  EXPECT_EQ(p.aws.profile, "");
  EXPECT_EQ(p.aws.credentials_file, "");
  EXPECT_FALSE(config->models[0].routes[0].drop_unsupported);
  EXPECT_FALSE(config->models[0].routes[0].fetch_images);
}

TEST(Config, BedrockCredentialsFileIsRelativeToTheConfigFile) {
  auto dir = std::filesystem::temp_directory_path() / "tollbooth_config_bedrock_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bedrock.yaml")
      << with_bedrock_keys("    profile: prod\n    credentials_file: aws/credentials\n");
  auto config = load_config_file((dir / "bedrock.yaml").string(), &dummy_env);
  EXPECT_EQ(config->providers.at("bedrock-us").aws.credentials_file,
            (dir / "aws/credentials").string());
  std::ofstream(dir / "home.yaml") << with_bedrock_keys("    credentials_file: ~/aws-creds\n");
  config = load_config_file((dir / "home.yaml").string(), &dummy_env);
  EXPECT_EQ(config->providers.at("bedrock-us").aws.credentials_file, "~/aws-creds");
  std::filesystem::remove_all(dir);
}

TEST(Config, BedrockNeedsAValidRegion) {
  std::string bad = yaml(kBedrock);
  bad.replace(bad.find("us-east-1"), 9, "eastus");
  EXPECT_THAT(problems_in(bad),
              ElementsAre(problem(4, 13,
                                  "providers.bedrock-us.region: \"eastus\" is not an AWS region; "
                                  "expected an AWS region like us-east-1")));
  std::string missing = yaml(kBedrock);
  missing.erase(missing.find("    region: us-east-1\n"), 22);
  EXPECT_THAT(problems_in(missing),
              ElementsAre(problem(2, 3,
                                  "providers.bedrock-us.region: missing; expected an AWS region "
                                  "like us-east-1 (the region Bedrock is called and signed in)")));
}

TEST(Config, BedrockAccessKeyNeedsItsSecret) {
  EXPECT_THAT(problems_in(with_bedrock_keys("    access_key_id: env:AWS_ACCESS_KEY_ID\n")),
              ElementsAre(problem(5, 5,
                                  "providers.bedrock-us.access_key_id: needs secret_access_key "
                                  "too; expected both, like secret_access_key: "
                                  "env:AWS_SECRET_ACCESS_KEY")));
  EXPECT_THAT(problems_in(with_bedrock_keys("    secret_access_key: env:AWS_SECRET\n")),
              ElementsAre(problem(5, 5,
                                  "providers.bedrock-us.secret_access_key: needs access_key_id "
                                  "too; expected both, like access_key_id: "
                                  "env:AWS_ACCESS_KEY_ID")));
  EXPECT_THAT(problems_in(with_bedrock_keys("    session_token: env:AWS_SESSION_TOKEN\n")),
              ElementsAre(problem_at_line(5, HasSubstr("providers.bedrock-us.session_token: is "
                                                       "only used with access_key_id and "
                                                       "secret_access_key"))));
}

TEST(Config, BedrockApiKeyIsNotUsedWithAccessKeys) {
  EXPECT_THAT(problems_in(with_bedrock_keys("    access_key_id: env:AWS_ACCESS_KEY_ID\n"
                                            "    secret_access_key: env:AWS_SECRET_ACCESS_KEY\n"
                                            "    api_key: env:AWS_BEARER_TOKEN_BEDROCK\n")),
              ElementsAre(problem(7, 5,
                                  "providers.bedrock-us.api_key: is a Bedrock API key (sent as a "
                                  "bearer token) and cannot be used together with "
                                  "access_key_id/secret_access_key; keep one of the two")));
  // A profile would be silently ignored next to explicit credentials.
  EXPECT_THAT(problems_in(with_bedrock_keys("    api_key: env:AWS_BEARER_TOKEN_BEDROCK\n"
                                            "    profile: prod\n")),
              ElementsAre(problem(6, 5,
                                  "providers.bedrock-us.profile: would be ignored because "
                                  "api_key is set; remove one of the two")));
}

TEST(Config, BedrockRejectsOtherKindsKeysAndOthersRejectBedrocks) {
  EXPECT_THAT(problems_in(with_bedrock_keys("    base_url: https://example.com/v1\n"
                                            "    api_version: 2024-10-21\n"
                                            "    api: v1\n")),
              ElementsAre(problem_at_line(5, HasSubstr("providers.bedrock-us.base_url: is for "
                                                       "kind: openai; kind: bedrock takes region")),
                          problem(6, 5,
                                  "providers.bedrock-us.api_version: is only for kind: "
                                  "azure; remove it"),
                          problem(7, 5,
                                  "providers.bedrock-us.api: is only for kind: azure; "
                                  "remove it")));
  EXPECT_THAT(problems_in(with_openai_keys("    access_key_id: AKID\n    profile: prod\n")),
              ElementsAre(problem(6, 5,
                                  "providers.openai.access_key_id: is only for kind: "
                                  "bedrock (openai is kind: openai); remove it"),
                          problem(7, 5,
                                  "providers.openai.profile: is only for kind: bedrock "
                                  "(openai is kind: openai); remove it")));
}

TEST(Config, BedrockRoutesNeedModelIdNotModelOrDeployment) {
  std::string text = yaml(kBedrock);
  text.replace(text.find("model_id: us."), 12, "model: us.");
  EXPECT_THAT(problems_in(text + "        deployment: claude\n"),
              ElementsAre(problem(8, 9,
                                  "models.claude.routes[0].model_id: missing; expected a Bedrock "
                                  "model id, inference profile id or ARN, like "
                                  "us.anthropic.claude-3-5-sonnet-20240620-v1:0 (bedrock-us is "
                                  "kind: bedrock)"),
                          problem(9, 9,
                                  "models.claude.routes[0].model: is not used with bedrock-us "
                                  "(kind: bedrock); name the Bedrock model with model_id:"),
                          problem(10, 9,
                                  "models.claude.routes[0].deployment: is not used with "
                                  "bedrock-us (kind: bedrock); name the Bedrock model with "
                                  "model_id:")));
}

TEST(Config, BedrockModelIdIsOnlyForBedrockRoutes) {
  EXPECT_THAT(problems_in(yaml(kMinimal) + "        model_id: gpt-4o\n"),
              ElementsAre(problem(10, 9,
                                  "models.gpt-4o.routes[0].model_id: is only for kind: bedrock "
                                  "providers (openai is kind: openai); name the upstream model "
                                  "with model:")));
}

TEST(Config, BedrockRouteSettingsAreRejectedOnOpenAiRoutes) {
  EXPECT_THAT(problems_in(yaml(kMinimal) + "        drop_unsupported: true\n" +
                          "        fetch_images: false\n"),
              ElementsAre(problem(10, 9,
                                  "models.gpt-4o.routes[0].drop_unsupported: is only for kind: "
                                  "bedrock providers (openai is kind: openai); remove it"),
                          problem(11, 9,
                                  "models.gpt-4o.routes[0].fetch_images: is only for kind: "
                                  "bedrock providers (openai is kind: openai); remove it")));
  EXPECT_THAT(problems_in(with_bedrock_route_keys("        drop_unsupported: maybe\n")),
              ElementsAre(problem(10, 27,
                                  "models.claude.routes[0].drop_unsupported: \"maybe\" is not a "
                                  "boolean; expected true or false")));
}

TEST(Config, BedrockModelIdMustBeOneToken) {
  std::string text = yaml(kBedrock);
  text.replace(text.find("us.anthropic"), 2, "us anthropic");
  EXPECT_THAT(problems_in(text),
              ElementsAre(problem_at_line(9, HasSubstr("is not a model id (it contains spaces); "
                                                       "expected a Bedrock model id"))));
}

TEST(Config, BedrockEnvSecretsResolveAndUnsetOnesAreReportedWithoutLeaking) {
  auto env = [](const char* name) -> const char* {
    if (std::strcmp(name, "AWS_ACCESS_KEY_ID") == 0) return "AKID-SECRET-VALUE";
    if (std::strcmp(name, "BEDROCK_KEY") == 0) return "bedrock-key-secret-value";
    return nullptr;
  };
  auto config = load_ok(with_bedrock_keys("    api_key: env:BEDROCK_KEY\n"), env);
  EXPECT_EQ(config->providers.at("bedrock-us").aws.bearer_token, "bedrock-key-secret-value");

  auto problems = problems_in(with_bedrock_keys("    access_key_id: env:AWS_ACCESS_KEY_ID\n"
                                                "    secret_access_key: env:AWS_SECRET\n"
                                                "    session_token: env:AWS_TOKEN\n"),
                              env);
  EXPECT_THAT(problems,
              ElementsAre(problem(6, 24,
                                  "environment variable AWS_SECRET is not set "
                                  "(providers.bedrock-us.secret_access_key); export it before "
                                  "starting tollbooth"),
                          problem(7, 20,
                                  "environment variable AWS_TOKEN is not set "
                                  "(providers.bedrock-us.session_token); export it before "
                                  "starting tollbooth")));
  std::string report = format_problems(problems);
  EXPECT_THAT(report, Not(HasSubstr("AKID-SECRET-VALUE")));
  EXPECT_THAT(report, Not(HasSubstr("bedrock-key-secret-value")));
}

TEST(Config, DemoExampleLoads) {
  auto config = load_config_file(TOLLBOOTH_SOURCE_DIR "/examples/demo.yaml", &dummy_env);
  EXPECT_EQ(config->server.port, 4000);
  EXPECT_EQ(config->server.workers, 2u);
  EXPECT_EQ(config->find_provider("azure-east")->base_url, "http://127.0.0.1:4101/azure-east");
  EXPECT_EQ(config->find_provider("openai")->base_url, "http://127.0.0.1:4101/openai/v1");
  const ModelConfig* mini = config->find_model("gpt-4o-mini");
  ASSERT_NE(mini, nullptr);
  ASSERT_THAT(mini->routes, SizeIs(2));
  EXPECT_EQ(mini->routes[0].provider, "azure-west");  // fails in the demo: the fallback
  EXPECT_EQ(mini->routes[1].provider, "openai");
}

TEST(Config, MulticloudExampleLoads) {
  auto config = load_config_file(TOLLBOOTH_SOURCE_DIR "/examples/multicloud.yaml", &dummy_env);
  EXPECT_EQ(config->find_provider("azure-east")->api_version, "2024-10-21");
  EXPECT_EQ(config->find_provider("azure-sweden")->azure_api, AzureApi::v1);
  EXPECT_EQ(config->find_provider("openai")->base_url, "https://api.openai.com/v1");
  for (const char* name : {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3-mini"}) {
    const ModelConfig* model = config->find_model(name);
    ASSERT_NE(model, nullptr) << name;
    EXPECT_THAT(model->routes, Not(IsEmpty())) << name;
    EXPECT_EQ(model->routes.front().provider.rfind("azure", 0), 0u) << name << ": Azure first";
  }
}

}  // namespace
}  // namespace tollbooth
