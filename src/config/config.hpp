#pragma once
// The validated, immutable configuration snapshot (see docs/config.md for the YAML shape).
// Loading throws ConfigError only at start-up; the request path reads a const Config.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "access/records.hpp"
#include "core/capability.hpp"
#include "core/date.hpp"
#include "core/money.hpp"

namespace tollbooth {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;                        // 0 = pick a free port (tests)
  unsigned workers = 0;                             // 0 = one per core ("auto")
  std::size_t max_body_bytes = 8u << 20;            // request bodies above this get 413
  std::size_t max_header_bytes = 16u << 10;         // request heads above this get 431
  std::chrono::milliseconds read_timeout{30'000};   // to receive one whole request
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive idle between requests
  std::chrono::milliseconds drain_timeout{30'000};  // max wait for in-flight work on SIGTERM
  // Open client connections, all workers together; above it new connections wait in the
  // kernel's backlog until one closes. 0 = auto: half the file descriptors (the other half is
  // for upstream connections).
  std::size_t max_connections = 0;
  // A non-streamed upstream answer larger than this is refused with a 502 (it is held whole
  // before relaying, so a failure can still fall back).
  std::size_t max_response_bytes = 64u << 20;
  // All request bodies and non-streamed answers held in memory at once, all workers together;
  // a request that would go past it gets a 503 instead of growing the process.
  std::size_t max_buffered_bytes = 512u << 20;
  // One event of an upstream stream (an SSE event, an event-stream frame); streams themselves
  // have no total limit.
  std::size_t max_stream_event_bytes = 1u << 20;
  // Secret; the bootstrap credential: a caller presenting it holds every scope (admin, and
  // routing:explain for the plan header and catalog facts) and no rate limit. Empty: none.
  std::string admin_key;
};

// Whether callers must present a key (`auth:`).
enum class AuthMode { keys, none };

// What the gateway does with a request when the shared limit counters (Redis) cannot be reached.
enum class LimitFailure { fail_closed, fail_open };

// `store:`: where keys, teams and the audit log live, and the shared counters.
struct StoreSettings {
  bool declared = false;     // the file has a store: section
  std::string sqlite_path;   // default: tollbooth.db beside the config file
  std::string postgres_url;  // secret; when set, PostgreSQL instead of SQLite
  std::string postgres_env;  // the variable postgres_url came from (env:NAME); "" when inline
  std::string redis_url;     // secret; when set, rate-limit counters are shared through Redis
  // How often this instance looks for changes other processes made to keys and teams.
  std::chrono::milliseconds refresh{1'000};
  // How long a kept Responses API response (and its input items) stays readable and
  // continuable; OpenAI keeps its own 30 days.
  std::chrono::milliseconds responses_retention{30LL * 86'400'000};
  LimitFailure redis_failure = LimitFailure::fail_closed;
};

// `metrics:`: GET /metrics (docs/operations.md, "Metrics").
struct MetricsConfig {
  bool enabled = true;  // false: nothing is counted, and GET /metrics answers 404
};

// `limits:`: rate-limit settings that are not per key or team.
struct LimitsConfig {
  // Output tokens reserved against tpm for a request that names no max_tokens.
  std::uint32_t default_output_tokens = 4'096;
};

// `billing:`: how requests are priced and billed.
enum class Unpriced : std::uint8_t {
  refuse,  // a route with no price in force is not used (the request hears why)
  allow,   // served, its ledger rows marked unpriced (never a silent $0)
};
enum class OnClientAbort : std::uint8_t {
  finish,  // keep reading the upstream to its usage (within abort_timeout) and bill that
  cancel,  // stop the upstream at once; bill what was delivered, marked estimated
};
struct BillingConfig {
  Unpriced unpriced = Unpriced::refuse;
  OnClientAbort on_client_abort = OnClientAbort::finish;
  std::chrono::milliseconds abort_timeout{30'000};
  std::string price_catalog;  // a price file replacing the bundled one; empty: the bundled one
  std::chrono::milliseconds ledger_flush{100};  // the ledger writer's batch interval
  std::size_t ledger_queue = 100'000;           // rows waiting to be written, at most
};

// A key declared in the config file (`keys:`), read-only at run time.
struct DeclaredKey {
  access::Key key;     // id = the entry's name; secrets filled in from `secret` at start
  std::string secret;  // resolved secret; never logged
  int line = 0;
};

enum class ProviderKind { openai, azure, bedrock };

// How an Azure provider addresses models.
enum class AzureApi {
  deployments,  // {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...
  v1,           // {endpoint}/openai/v1/chat/completions, model = deployment name
};

// Where a bedrock provider's credentials come from, as the config file says (env:NAME already
// resolved). Mirrors aws::AuthConfig, which the gateway builds from it; empty strings mean "not
// set". When nothing is set, credentials are resolved at start-up from AWS_BEARER_TOKEN_BEDROCK,
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then ~/.aws/credentials.
struct AwsAuthConfig {
  std::string access_key_id;      // secret; set together with secret_access_key
  std::string secret_access_key;  // secret
  std::string session_token;      // secret; only with the two above
  std::string bearer_token;       // secret: a Bedrock API key (`api_key:`); not with access keys
  std::string profile;            // empty: AWS_PROFILE, then "default"
  std::string credentials_file;   // empty: AWS_SHARED_CREDENTIALS_FILE, then ~/.aws/credentials
};

struct ProviderConfig {
  std::string name;
  ProviderKind kind = ProviderKind::openai;
  // openai: base_url such as https://api.openai.com/v1 (path prefix kept);
  // azure: endpoint such as https://contoso.openai.azure.com (a path prefix, such as a mock's
  // /azure-east, is kept); bedrock: `endpoint:`, by default
  // https://bedrock-runtime.{region}.amazonaws.com. Never ends with '/'.
  std::string base_url;
  std::string api_key;      // openai/azure: resolved secret (from env:NAME); never logged
  std::string api_version;  // azure deployments form only; required there
  AzureApi azure_api = AzureApi::deployments;
  // openai (`responses: chat`): the server has Chat Completions but no Responses API, so the
  // gateway bridges Responses requests to chat (docs/responses.md).
  bool responses_via_chat = false;
  std::string region;     // bedrock: the AWS region (SigV4 scope); other kinds: a label
  std::string residency;  // data-residency label (us, eu, ...); empty = not declared
  AwsAuthConfig aws;      // bedrock only
  std::string ca_file;    // extra CA bundle for https upstreams; empty = system store
  bool verify_tls = true;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds first_byte_timeout{60'000};  // request sent → response head
  std::chrono::milliseconds idle_timeout{60'000};        // between body reads
  std::size_t max_idle_connections = 64;                 // per worker, per host
};

struct RouteConfig {
  std::string provider;  // key into Config::providers
  // openai: `model:` (default = public name); azure: `deployment:`; bedrock: `model_id:` (a
  // model id, inference profile id or ARN, not yet URL-encoded).
  std::string upstream_model;
  int line = 0;  // YAML line of this route, for messages
  // bedrock only: parameters Bedrock cannot honour are dropped instead of answered with a 400.
  bool drop_unsupported = false;
  // bedrock only: http(s) image URLs are downloaded by the gateway (Bedrock takes only bytes);
  // without it such an image is a 400 asking for a data: URL.
  bool fetch_images = false;
  CapabilitySet lacks{};               // capabilities of the model this route cannot serve
  std::uint32_t weight = 1;            // for strategy: weighted; 1 and up
  Days available_from = kNoStartDate;  // inclusive, UTC
  Days until = kNoEndDate;             // inclusive, UTC
  // First-byte timeout for this route; overrides the provider's first_byte_timeout.
  std::optional<std::chrono::milliseconds>
      timeout{};  // azure only: `model:`, the OpenAI model the deployment runs (prices are looked
                  // up by it);
  // empty: the public model name.
  std::string deployed_model;
};

// How a model orders the routes that remain after the rules (docs/routing.md).
enum class Strategy { ordered, weighted, least_cost, least_latency, commitment_burn };
inline constexpr std::size_t kMaxRoutesPerModel = 16;  // the planner uses fixed arrays

struct ModelConfig {
  std::string name;  // public name clients send
  std::string owned_by = "tollbooth";
  std::vector<RouteConfig> routes;   // in file order (the order of strategy: ordered)
  std::uint32_t context_window = 0;  // tokens; 0 = not declared (no long_context check)
  // nullopt = the model declares no capabilities, and requests are not checked against them.
  std::optional<CapabilitySet> capabilities{};
  Strategy strategy = Strategy::ordered;
};

// Percentages are integer basis points (1% = 100) so "12.5" is stored exactly.
using BasisPoints = std::int32_t;
inline constexpr BasisPoints kWholePercent = 10'000;

struct CommitmentConfig {
  Money usd = 0;
  Days from = 0;
  Days to = 0;
};

// The name a commitment's period has in the ledger and the reports: "2026-01-01..2026-12-31"
// (the ledger's burn is kept per period, so a renewed commitment starts from 0).
std::string commitment_period(const CommitmentConfig& c);

enum class ShareBase { charge, cost };

struct RevenueShareConfig {
  BasisPoints percent = 0;
  ShareBase of = ShareBase::charge;
  std::optional<Money> cap_usd;
  Days until = kNoEndDate;
};

struct ContractConfig {
  std::string name;
  std::vector<std::string> providers;  // each declared, each in at most one contract
  bool first_refusal = false;
  CapabilitySet declines;                    // capabilities it chooses not to serve
  std::vector<std::string> declined_models;  // public model names it chooses not to serve
  Days available_from = kNoStartDate;        // inclusive, UTC
  Days until = kNoEndDate;
  Days license_until = kNoEndDate;
  BasisPoints discount = 0;                         // off the price of its routes, 0..10000
  std::optional<CommitmentConfig> commitment;       // burn: the ledger; strategy commitment_burn
  std::optional<RevenueShareConfig> revenue_share;  // stored for a later issue
};

// USD per million tokens as integer micro-dollars (1.25 -> 1'250'000). Several entries for one
// (provider, model) pair, each from a different day, are its price history.
struct PriceConfig {
  std::string provider;
  std::string model;  // public model name
  Money input_per_mtok = 0;
  Money output_per_mtok = 0;
  std::optional<Money> cached_input_per_mtok;
  std::optional<Money> cache_write_per_mtok;
  Days effective_from = kNoStartDate;  // kNoStartDate: in force from the beginning
  int line = 0;                        // YAML line of the entry, for messages and sources
};

struct BreakerConfig {
  std::uint32_t failures = 5;        // consecutive failures that open the breaker
  std::uint32_t error_percent = 50;  // or this share of failures ...
  std::uint32_t min_requests = 10;   // ... once the window has seen this many requests
  std::chrono::milliseconds window{30'000};
  std::chrono::milliseconds cooldown{30'000};  // open this long, then one half-open probe
};

struct RoutingConfig {
  std::uint32_t attempts = 4;  // total upstream attempts per request, all routes together
  std::chrono::milliseconds backoff{100};
  std::chrono::milliseconds max_backoff{2'000};
  std::chrono::milliseconds deadline{120'000};  // per request, from arrival to response head
  BreakerConfig breaker;
};

struct Config {
  std::string source_file;
  ServerConfig server;
  std::map<std::string, ProviderConfig> providers;
  std::vector<ModelConfig> models;  // in file order (that is also the /v1/models order)
  std::map<std::string, ContractConfig> contracts;
  std::vector<PriceConfig> prices;
  RoutingConfig routing;
  AuthMode auth = AuthMode::keys;
  StoreSettings store;
  LimitsConfig limits;
  MetricsConfig metrics;
  BillingConfig billing;
  std::vector<access::Team> teams;  // declared in the file (from_config), in file order
  std::vector<DeclaredKey> keys;    // declared in the file, in file order

  const ModelConfig* find_model(std::string_view name) const;
  const ProviderConfig* find_provider(std::string_view name) const;
  // The contract that lists `provider`, or nullptr.
  const ContractConfig* contract_of(std::string_view provider) const;
};

// One problem found in a config file: where it is and what was expected there.
struct ConfigProblem {
  std::string file;
  int line = 0;  // 1-based; 0 when the problem has no position (e.g. file missing)
  int column = 0;
  std::string message;
};

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<ConfigProblem> problems);
  const std::vector<ConfigProblem>& problems() const noexcept { return problems_; }

 private:
  std::vector<ConfigProblem> problems_;
};

// Reads a function that resolves environment variables; injected so tests need no real env.
using EnvLookup = const char* (*)(const char*);
// What an EnvLookup returns for every variable when the command needs no secret (`route`,
// `models`): declared keys' secrets are then not checked for their form.
inline constexpr const char* kSecretNotRead = "(not read)";
// An EnvLookup for commands that need one secret or two but not all of them (`keys`, `teams`,
// `audit`, `route --key`: the store's address): a variable's value when it is set, else
// kSecretNotRead, so a provider's api_key need not be exported where the CLI runs. A command
// using a value must check it is not kSecretNotRead (StoreSettings::postgres_env names the
// store's variable for the message).
const char* env_or_not_read(const char* name);

// Parses and validates; collects every problem and throws ConfigError listing all of them.
std::shared_ptr<const Config> load_config_file(const std::string& path, EnvLookup env = nullptr);
std::shared_ptr<const Config> load_config_string(const std::string& yaml,
                                                 const std::string& name_for_messages,
                                                 EnvLookup env = nullptr);

// "file:line:col: message" lines, one per problem.
std::string format_problems(const std::vector<ConfigProblem>& problems);

}  // namespace tollbooth
