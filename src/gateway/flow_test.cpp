// The request flow beside the code: the real server session, gateway, flow, relay and
// translators in one process and one event loop, against a scripted fake upstream, with the
// injected FakeClock setting the date. Each test sends what a client sends and checks what the
// client got, what the upstream received, and the request's outcome as an observer saw it.
#include <gtest/gtest.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <map>
#include <string>
#include <vector>

#include "access/secret.hpp"
#include "access/snapshot.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/date.hpp"
#include "core/outcome.hpp"
#include "gateway/access_source.hpp"
#include "gateway/frontend.hpp"
#include "gateway/gateway.hpp"
#include "gateway/route_table.hpp"
#include "net/asio.hpp"
#include "server/session.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {
namespace {

namespace http = beast::http;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;

// --- the fake upstream ---------------------------------------------------------------------

// What it does with a request is the first segment of the request's path (a provider's
// base_url is "{upstream}/<behaviour>/v1"):
//   ok               200 chat.completion echoing the last message, usage 11 in / 7 out; with
//                    "stream": true SSE chunks, a usage chunk when include_usage, [DONE]
//   status-N         that status, an OpenAI-shaped error body
//   status-N-ra-S    ... with Retry-After: S
//   stall-body       a 200 head with Content-Length and half the body, then silence
struct Seen {
  std::string behaviour;
  std::string body;
};

std::string completion(const std::string& content) {
  return R"({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[)"
         R"({"index":0,"message":{"role":"assistant","content":")" +
         content +
         R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,)"
         R"("total_tokens":18}})";
}

std::string chunk(const std::string& delta) {
  return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
         "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
         delta + "\"},\"finish_reason\":null}],\"usage\":null}\n\n";
}

std::string http_chunk(const std::string& data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

class FakeUpstream {
 public:
  // Takes a socket already listening (bound before the gateway's config, which names its port,
  // and before the gateway's loop existed).
  FakeUpstream(asio::io_context& io, Acceptor::native_handle_type listening)
      : acceptor_(io.get_executor(), tcp::v4(), listening) {
    asio::co_spawn(io.get_executor(), accept_loop(), asio::detached);
  }
  void stop() {
    beast::error_code ec;
    acceptor_.close(ec);
    for (auto* s : open_) s->close(ec);
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::size_t count(const std::string& behaviour) const {
    std::size_t n = 0;
    for (const auto& s : seen) n += s.behaviour == behaviour;
    return n;
  }
  std::vector<Seen> seen;

 private:
  Awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_nothrow);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }

  Awaitable<void> serve(Socket socket) {
    open_.push_back(&socket);
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(socket, buffer, req, use_nothrow);
      if (ec) break;
      std::string target(req.target());
      std::string behaviour = target.substr(1, target.find('/', 1) - 1);
      seen.push_back(Seen{behaviour, req.body()});
      std::string answer = respond(behaviour, req.body());
      if (answer.empty()) {  // stall: hold the connection until the test ends
        Timer forever(socket.get_executor(), std::chrono::hours(1));
        co_await forever.async_wait(use_nothrow);
        break;
      }
      auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(answer), use_nothrow);
      if (wec) break;
    }
    std::erase(open_, &socket);
  }

  static std::string respond(const std::string& behaviour, const std::string& body) {
    const bool stream = body.find("\"stream\":true") != std::string::npos;
    const bool include_usage = body.find("\"include_usage\":true") != std::string::npos;
    const auto last = body.rfind("\"content\":\"");
    std::string said = last == std::string::npos
                           ? ""
                           : body.substr(last + 11, body.find('"', last + 11) - last - 11);
    if (behaviour == "ok" && !stream) {
      std::string json = completion("echo:" + said);
      return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(json.size()) + "\r\n\r\n" + json;
    }
    if (behaviour == "ok") {
      std::string out =
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
          "chunked\r\n\r\n";
      out += http_chunk(chunk("echo:")) + http_chunk(chunk(said));
      if (include_usage)
        out += http_chunk(
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],"
            "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}\n\n");
      out += http_chunk("data: [DONE]\n\n") + "0\r\n\r\n";
      return out;
    }
    if (behaviour.starts_with("status-")) {
      const int status = std::stoi(behaviour.substr(7, 3));
      std::string extra;
      if (auto ra = behaviour.find("-ra-"); ra != std::string::npos)
        extra = "Retry-After: " + behaviour.substr(ra + 4) + "\r\n";
      std::string json = R"({"error":{"message":"fake upstream says )" + std::to_string(status) +
                         R"(","type":"x","param":null,"code":null}})";
      return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n" +
             extra + "Content-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json;
    }
    if (behaviour == "stall-body") {
      std::string json = completion("never finished");
      return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(json.size()) + "\r\n\r\n" + json.substr(0, json.size() / 2);
    }
    return {};
  }

  Acceptor acceptor_;
  std::vector<Socket*> open_;
};

// --- the gateway, and a client -------------------------------------------------------------

struct Answer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
};

class OutcomeLog final : public OutcomeObserver {
 public:
  struct Entry {
    int status = 0;
    std::string route;
    std::string model;
    Usage usage;
    std::vector<AttemptEnd> ends;
    std::vector<std::string> routes;
  };
  void on_outcome(const RequestOutcome& o) noexcept override {
    Entry e{o.status, std::string(o.route), o.model, o.usage, {}, {}};
    for (const auto& a : o.attempts) {
      e.ends.push_back(a.end);
      e.routes.emplace_back(a.provider);
    }
    entries.push_back(std::move(e));
  }
  std::vector<Entry> entries;
};

// Keys and teams from the config alone (no store), as the gateway reads them.
class ConfigAccess final : public AccessSource {
 public:
  explicit ConfigAccess(const Config& config) {
    std::vector<access::Key> keys;
    for (const DeclaredKey& d : config.keys) {
      keys.push_back(d.key);
      keys.back().secrets = {
          access::KeySecret{access::hash_secret(d.secret), access::last4(d.secret), 0, 0}};
    }
    snapshot_ = std::make_shared<const access::Snapshot>(std::move(keys), config.teams);
  }
  std::uint64_t generation() const noexcept override { return 1; }
  std::shared_ptr<const access::Snapshot> snapshot() const override { return snapshot_; }
  access::Limiter& limiter() noexcept override { return limiter_; }
  access::BudgetBook& budgets() noexcept override { return budgets_; }
  void charge_since(bool, std::string, std::int64_t,
                    std::function<void(std::optional<std::int64_t>)> done) override {
    done(0);
  }
  void admin(AdminRequest, std::function<void(AdminResponse)> done) override {
    done(AdminResponse{503, "{}", {}});
  }

 private:
  std::shared_ptr<const access::Snapshot> snapshot_;
  access::Limiter limiter_;
  access::BudgetBook budgets_;
};

// One config generation, never reloaded.
class FixedRuntime final : public RuntimeSource {
 public:
  explicit FixedRuntime(std::shared_ptr<const RouteTable> routes) {
    auto r = std::make_shared<Runtime>();
    r->generation = 1;
    r->routes = std::move(routes);
    runtime_ = std::move(r);
  }
  std::uint64_t generation() const noexcept override { return 1; }
  std::shared_ptr<const Runtime> current() const override { return runtime_; }
  void reload(std::function<void(ReloadOutcome)> done) override { done(ReloadOutcome{}); }
  std::uint64_t reloads_applied() const noexcept override { return 0; }
  std::uint64_t reloads_refused() const noexcept override { return 0; }

 private:
  std::shared_ptr<const Runtime> runtime_;
};

// 2027-01-15 00:00 UTC.
constexpr std::int64_t kJan15 = 1'799'971'200'000;

// A listening socket on 127.0.0.1 with a free port, made on a throwaway loop.
std::pair<Acceptor::native_handle_type, std::uint16_t> listen_somewhere() {
  asio::io_context io;
  tcp::acceptor a(io);
  a.open(tcp::v4());
  a.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  a.listen();
  const auto port = a.local_endpoint().port();
  return {a.release(), port};
}

class Harness {
 public:
  Harness(const std::string& yaml_template, std::int64_t now_ms) : clock(now_ms) {
    auto [listening, port] = listen_somewhere();
    std::string yaml = yaml_template;
    for (auto at = yaml.find("{upstream}"); at != std::string::npos; at = yaml.find("{upstream}"))
      yaml.replace(at, 10, "http://127.0.0.1:" + std::to_string(port));
    // The flow's own tests run without keys (auth has its tests); a template may set its own.
    if (yaml.find("\nauth:") == std::string::npos) yaml += "\nauth: none\n";
    config_ = load_config_string(yaml, "flow_test.yaml",
                                 [](const char*) -> const char* { return "key"; });
    routes_ = std::make_shared<RouteTable>(config_);
    runtime_ = std::make_unique<FixedRuntime>(routes_);
    shared_ = std::make_unique<ServerShared>(config_->server, clock, 64);
    // The worker's loop is the test's own: the upstream, the session and the client share it.
    worker_ = std::make_unique<Worker>(*shared_, 0, kJan15 / 1000);
    access_ = std::make_unique<ConfigAccess>(*config_);
    auto frontend = std::make_unique<Frontend>(*worker_, *runtime_, *access_, nullptr,
                                               LogFormat::text, nullptr, std::string());
    frontend->gateway().add_observer(outcomes);
    worker_->handler = std::move(frontend);
    upstream_ = std::make_unique<FakeUpstream>(worker_->io, listening);
  }

  ~Harness() {
    upstream_->stop();
    worker_->io.run_for(std::chrono::milliseconds(100));
  }

  FakeUpstream& upstream() { return *upstream_; }

  // One request on a new connection through the real session; runs the loop until answered.
  Answer post(const std::string& path, const std::string& body,
              const std::string& extra_headers = {}) {
    Answer answer;
    bool done = false;
    asio::co_spawn(worker_->io, client(path, body, extra_headers, answer, done), asio::detached);
    for (int i = 0; i < 400 && !done; ++i) worker_->io.run_for(std::chrono::milliseconds(25));
    EXPECT_TRUE(done) << "no answer within 10 s";
    return answer;
  }

  FakeClock clock;

 private:
  Awaitable<void> client(std::string path, std::string body, std::string extra, Answer& answer,
                         bool& done) {
    // Runs on the worker's own loop: the test process is both the client and the gateway.
    Acceptor listener(worker_->io.get_executor());
    listener.open(tcp::v4());
    listener.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    listener.listen();
    Socket client(worker_->io.get_executor());
    auto [cec] = co_await client.async_connect(listener.local_endpoint(), use_nothrow);
    auto [aec, server_side] = co_await listener.async_accept(use_nothrow);
    if (cec || aec) {
      done = true;
      co_return;
    }
    asio::co_spawn(worker_->io.get_executor(), run_session(*worker_, std::move(server_side)),
                   asio::detached);
    std::string request =
        "POST " + path + " HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n" + extra +
        "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    co_await asio::async_write(client, asio::buffer(request), use_nothrow);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(client, buffer, res, use_nothrow);
    answer.status = rec ? 0 : static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      answer.headers[name] = std::string(f.value());
    }
    answer.body = res.body();
    done = true;
  }

 public:
  OutcomeLog outcomes;

 private:
  std::shared_ptr<const Config> config_;
  std::shared_ptr<RouteTable> routes_;
  std::unique_ptr<FixedRuntime> runtime_;
  std::unique_ptr<ConfigAccess> access_;
  std::unique_ptr<ServerShared> shared_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<FakeUpstream> upstream_;
};

const std::string kConfig = R"(
server: { listen: "127.0.0.1:0", workers: 1 }
billing: { unpriced: allow }  # the flow's tests are not about prices
providers:
  ok-cloud: { kind: openai, base_url: "{upstream}/ok/v1", api_key: env:KEY }
  down-cloud: { kind: openai, base_url: "{upstream}/status-503/v1", api_key: env:KEY }
  busy-cloud: { kind: openai, base_url: "{upstream}/status-429-ra-30/v1", api_key: env:KEY }
  picky-cloud: { kind: openai, base_url: "{upstream}/status-400/v1", api_key: env:KEY }
  stalling-cloud:
    kind: openai
    base_url: "{upstream}/stall-body/v1"
    api_key: env:KEY
    idle_timeout: 200ms
  later-cloud: { kind: openai, base_url: "{upstream}/ok/v1", api_key: env:KEY }
routing:
  breaker: { failures: 1000, min_requests: 1000 }
  max_backoff: 2s
models:
  plain:
    routes: [{ provider: ok-cloud }]
  fallback:
    routes: [{ provider: down-cloud }, { provider: ok-cloud }]
  picky:
    routes: [{ provider: picky-cloud }, { provider: ok-cloud }]
  stalls:
    routes: [{ provider: stalling-cloud }, { provider: ok-cloud }]
  busy:
    routes: [{ provider: busy-cloud }]
  dated:
    routes:
      - { provider: later-cloud, available_from: 2027-02-01 }
      - { provider: ok-cloud }
)";

std::string ask(const std::string& model, const std::string& text, bool stream = false) {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":")" + text + R"("}])" +
         (stream ? R"(,"stream":true)" : "") + "}";
}

TEST(Flow, ServesFromTheRouteAndHandsTheOutcomeToObservers) {
  Harness h(kConfig, kJan15);
  Answer a = h.post("/v1/chat/completions", ask("plain", "hello"));
  EXPECT_EQ(a.status, 200);
  EXPECT_NE(a.body.find("echo:hello"), std::string::npos) << a.body;
  EXPECT_EQ(a.headers["x-tollbooth-route"], "ok-cloud");
  ASSERT_EQ(h.outcomes.entries.size(), 1u);
  const auto& o = h.outcomes.entries[0];
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.route, "ok-cloud");
  EXPECT_EQ(o.model, "plain");
  EXPECT_EQ(o.usage.input_tokens, 11);
  EXPECT_EQ(o.usage.output_tokens, 7);
  EXPECT_EQ(o.ends, std::vector<AttemptEnd>{AttemptEnd::served});
}

TEST(Flow, A503FallsBackAndBothAttemptsAreRecorded) {
  Harness h(kConfig, kJan15);
  Answer a = h.post("/v1/chat/completions", ask("fallback", "again"));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.headers["x-tollbooth-route"], "ok-cloud");
  EXPECT_EQ(h.upstream().count("status-503"), 1u);
  ASSERT_EQ(h.outcomes.entries.size(), 1u);
  const auto& o = h.outcomes.entries[0];
  EXPECT_EQ(o.ends, (std::vector<AttemptEnd>{AttemptEnd::failed, AttemptEnd::served}));
  EXPECT_EQ(o.routes, (std::vector<std::string>{"down-cloud", "ok-cloud"}));
}

TEST(Flow, TheClientsOwnErrorIsPassedThroughWithoutFallback) {
  Harness h(kConfig, kJan15);
  Answer a = h.post("/v1/chat/completions", ask("picky", "x"));
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("fake upstream says 400"), std::string::npos);
  EXPECT_EQ(h.upstream().count("ok"), 0u) << "a 400 is the client's: no other route tries";
}

TEST(Flow, AnAnswerThatStallsAfterItsHeadIsA504AndNeverSentAgain) {
  Harness h(kConfig, kJan15);
  Answer a = h.post("/v1/chat/completions", ask("stalls", "x"));
  EXPECT_EQ(a.status, 504);
  EXPECT_NE(a.body.find("stalling-cloud: the upstream stalled"), std::string::npos) << a.body;
  EXPECT_EQ(h.upstream().count("stall-body"), 1u);
  EXPECT_EQ(h.upstream().count("ok"), 0u);
  ASSERT_EQ(h.outcomes.entries.size(), 1u);
  EXPECT_EQ(h.outcomes.entries[0].ends, std::vector<AttemptEnd>{AttemptEnd::failed_final});
}

TEST(Flow, ARetryAfterLongerThanMaxBackoffIsHandedToTheClient) {
  Harness h(kConfig, kJan15);
  Answer a = h.post("/v1/chat/completions", ask("busy", "x"));
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.headers["retry-after"], "30");
  EXPECT_EQ(h.upstream().count("status-429-ra-30"), 1u) << "not retried: the wait is the client's";
}

TEST(Flow, ARouteWindowFollowsTheInjectedClock) {
  Harness before(kConfig, kJan15);  // later-cloud serves from 2027-02-01
  Answer a = before.post("/v1/chat/completions", ask("dated", "x"));
  EXPECT_EQ(a.headers["x-tollbooth-route"], "ok-cloud");

  Harness after(kConfig, kJan15 + 20ll * 86'400'000);  // 2027-02-04
  Answer b = after.post("/v1/chat/completions", ask("dated", "x"));
  EXPECT_EQ(b.headers["x-tollbooth-route"], "later-cloud");
}

TEST(Flow, AStreamIsRelayedAndTheUsageChunkTheGatewayAskedForIsHidden) {
  Harness h(kConfig, kJan15);
  Answer a = h.post("/v1/chat/completions", ask("plain", "streamed", true));
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.headers["content-type"], "text/event-stream");
  EXPECT_NE(a.body.find("\"streamed\""), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("data: [DONE]"), std::string::npos);
  EXPECT_EQ(a.body.find("\"prompt_tokens\""), std::string::npos)
      << "the client did not ask for usage";
  ASSERT_EQ(h.upstream().seen.size(), 1u);
  EXPECT_NE(h.upstream().seen[0].body.find("\"include_usage\":true"), std::string::npos)
      << "the gateway asks the upstream for usage so the stream is metered";
  ASSERT_EQ(h.outcomes.entries.size(), 1u);
  EXPECT_EQ(h.outcomes.entries[0].usage.output_tokens, 7);
}

}  // namespace
}  // namespace tollbooth::gateway
