// The Redis client and the shared limiter against a real Redis: the one scripts/with-redis starts
// (TOLLBOOTH_TEST_REDIS_URL; without it these tests skip), plus, for the tests that stop, pause
// or configure a server, private redis-server processes of their own on free ports. Parsing and
// the decision rules are tested without Redis.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "limits/redis_client.hpp"
#include "limits/redis_limiter.hpp"
#include "limits/redis_test_support.hpp"
#include "limits/redis_url.hpp"

extern char** environ;

namespace tollbooth::limits {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using access::LimitKind;

using test_support::run;
using test_support::test_redis_url;
using test_support::test_url;
using test_support::unique;

std::int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// One gateway worker: an event loop, its connection and its limiter.
struct Worker {
  explicit Worker(RedisUrl url, RedisLimiterOptions limiter_options = {},
                  RedisClientOptions client_options = {})
      : client(io.get_executor(), std::move(url), std::move(client_options)),
        limiter(client, limiter_options) {
    client.start();
  }
  asio::io_context io{1};
  RedisClient client;
  RedisLimiter limiter;

  // Waits until connected (fails the test otherwise).
  void connect() {
    run(io, [this]() -> Awaitable<void> {
      bool ready = co_await client.wait_ready(5s);
      EXPECT_TRUE(ready) << "no connection to " << client.describe();
    });
  }
  Decision admit(std::vector<Subject> subjects, std::int64_t reserve = 0) {
    Decision out;
    run(io, [&]() -> Awaitable<void> { out = co_await limiter.admit(subjects, reserve); });
    return out;
  }
  RedisReply command(RedisCommand cmd) {
    RedisReply out;
    run(io, [&]() -> Awaitable<void> {
      out = co_await client.async_command(std::move(cmd), asio::deferred);
    });
    return out;
  }
  // A counter as Redis holds it (0 when missing). Commands on one connection are answered in
  // order, so this sees every settle() and release() sent before it.
  std::int64_t counter(std::string_view subject, std::string_view kind) {
    std::string key = "tb:{" + std::string(subject) + "}:" + std::string(kind);
    RedisReply r =
        command(kind == "par" ? RedisCommand::of({"ZCARD", key}) : RedisCommand::of({"GET", key}));
    if (r.type == RedisReply::Type::integer) return r.integer;
    return r.type == RedisReply::Type::string ? std::stoll(r.str) : 0;
  }
  void sleep(std::chrono::milliseconds d) {
    run(io, [&]() -> Awaitable<void> {
      Timer t(io.get_executor());
      t.expires_after(d);
      co_await t.async_wait(deferred_nothrow);
    });
  }
};

// A private redis-server on a free port of 127.0.0.1, without persistence, for the tests that
// stop, pause or configure their server. Skips the test when there is no redis-server.
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    char tmpl[] = "/tmp/tollbooth-redis-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
    port_ = free_port();
  }
  ~RedisServer() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static bool available() { return binary() != nullptr; }
  std::uint16_t port() const { return port_; }
  std::string url(std::string_view userinfo = {}, int db = 0) const {
    std::string out = "redis://";
    if (!userinfo.empty()) out += std::string(userinfo) + "@";
    return out + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }

  void start() {
    std::vector<std::string> args = {
        "redis-server", "--port",    std::to_string(port_), "--bind", "127.0.0.1",
        "--save",       "",          "--appendonly",        "no",     "--dir",
        dir_,           "--logfile", dir_ + "/redis.log"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary(), nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start redis-server");
    }
    auto deadline = Clock::now() + 5s;
    while (!accepting()) {
      if (Clock::now() > deadline) throw std::runtime_error("redis-server did not start");
      std::this_thread::sleep_for(10ms);
    }
  }
  void stop() {
    if (pid_ <= 0) return;
    resume();
    kill(pid_, SIGKILL);  // a crash, as far as the clients can tell
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  void pause() {
    if (pid_ > 0) kill(pid_, SIGSTOP);
  }
  void resume() {
    if (pid_ > 0) kill(pid_, SIGCONT);
  }

 private:
  static const char* binary() {
    for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
      if (::access(p, X_OK) == 0) return p;
    }
    return nullptr;
  }
  static std::uint16_t free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      close(fd);
      throw std::runtime_error("no free port");
    }
    close(fd);
    return ntohs(a.sin_port);
  }
  bool accepting() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port_);
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    return ok;
  }

  std::vector<std::string> extra_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

#define REQUIRE_REDIS_SERVER()   \
  REQUIRE_TEST_REDIS();          \
  if (!RedisServer::available()) \
  GTEST_SKIP() << "no redis-server binary (scripts/install-deps installs Debian's)"

Subject subject(const std::string& name, std::int64_t rpm, std::int64_t tpm = 0,
                std::int64_t max_parallel = 0) {
  return Subject{name, access::Limits{rpm, tpm, max_parallel}};
}

// ---- the URL ----

TEST(RedisUrl, ParsesHostPortDbAndCredentials) {
  auto u = parse_redis_url("redis://:s3cr%40t@cache.internal:6380/2");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->host, "cache.internal");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->db, 2);
  EXPECT_EQ(u->username, "");
  EXPECT_EQ(u->password, "s3cr@t");
  EXPECT_EQ(u->describe(), "redis://cache.internal:6380/2");

  auto acl = parse_redis_url("redis://gateway:pw@[::1]");
  ASSERT_TRUE(acl) << acl.error().message;
  EXPECT_EQ(acl->host, "::1");
  EXPECT_EQ(acl->port, 6379);
  EXPECT_EQ(acl->db, 0);
  EXPECT_EQ(acl->username, "gateway");
  EXPECT_EQ(acl->password, "pw");
  EXPECT_EQ(acl->describe(), "redis://gateway@[::1]:6379/0");

  auto bare = parse_redis_url("redis://secret@localhost/");  // as redis-cli reads it
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->password, "secret");
  EXPECT_EQ(bare->username, "");
}

TEST(RedisUrl, RefusesTlsAndMalformedUrlsWithoutQuotingThem) {
  auto tls = parse_redis_url("rediss://:hunter2@cache:6380");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find("TLS is not supported"), std::string::npos)
      << tls.error().message;
  for (const char* bad :
       {"http://:hunter2@cache", "redis://:hunter2@cache/x", "redis://:hunter2@cache/1?timeout=1",
        "redis://:hunter2@", "hunter2", "redis://:hunter2@cache:0"}) {
    auto r = parse_redis_url(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  }
}

// ---- the decision, from a reply (no Redis) ----

RedisReply integers(std::vector<std::int64_t> values) {
  RedisReply r;
  r.type = RedisReply::Type::array;
  for (auto v : values) {
    RedisReply e;
    e.type = RedisReply::Type::integer;
    e.integer = v;
    r.elements.push_back(e);
  }
  return r;
}

TEST(RedisDecision, ReportsTheRefusalWaitingCannotCureElseTheLongestWait) {
  std::string key = "key:k", team = "team:t";
  std::vector<Subject> s = {subject(key, 10, 100, 2), subject(team, 5, 1000)};
  // key: rpm full (30 s left), par full; team: rpm full (50 s left).
  auto d = decide_admission(s, 10,
                            integers({0, 10, 30'000, 20, 30'000, 99, 2,  //
                                      5, 50'000, 0, 0, 0, 0}));
  EXPECT_FALSE(d.admitted);
  EXPECT_FALSE(d.unavailable);
  EXPECT_EQ(d.refused_subject, 1);
  EXPECT_EQ(d.refusal.kind, LimitKind::rpm);
  EXPECT_EQ(d.refusal.retry_after_ms, 50'000);
  EXPECT_EQ(d.refusal.subject, "team:t");
  EXPECT_EQ(d.refusal.limit, 5);
  EXPECT_EQ(d.refusal.used, 5);
  EXPECT_EQ(d.refusal.requested, 1);
  // Headers: the fewest remaining (both 0 for requests: the earlier, the key).
  EXPECT_EQ(d.headers.requests, (access::RateInfo{10, 0, 30'000}));
  EXPECT_EQ(d.headers.tokens, (access::RateInfo{100, 80, 30'000}));

  // A reservation above the key's tpm: never, whatever the waits.
  auto never = decide_admission(s, 101,
                                integers({0, 10, 30'000, 0, 0, 0, 0,  //
                                          5, 50'000, 0, 0, 0, 0}));
  EXPECT_EQ(never.refused_subject, 0);
  EXPECT_EQ(never.refusal.kind, LimitKind::tpm);
  EXPECT_TRUE(never.refusal.never);
  EXPECT_EQ(never.refusal.retry_after_ms, 0);

  auto parallel = decide_admission(s, 1,
                                   integers({0, 1, 100, 1, 100, 7, 2,  //
                                             1, 100, 1, 100, 8, 0}));
  EXPECT_EQ(parallel.refusal.kind, LimitKind::max_parallel);
  EXPECT_EQ(parallel.refusal.retry_after_ms, access::kParallelRetryMs);
  EXPECT_EQ(parallel.refusal.used, 2);
}

TEST(RedisDecision, AdmittedCarriesTheTicketAndTheTighterHeaders) {
  std::vector<Subject> s = {subject("key:a", 0), subject("key:k", 10, 100, 2),
                            subject("team:t", 5, 1000)};
  auto d = decide_admission(s, 10,
                            integers({1, 3, 59'000, 40, 58'000, 123'456, 1,  //
                                      4, 20'000, 500, 20'000, 654'321, 0}));
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(d.headers.requests, (access::RateInfo{5, 1, 20'000}));   // the team: 1 left of 5
  EXPECT_EQ(d.headers.tokens, (access::RateInfo{100, 60, 58'000}));  // the key: 60 left of 100
  EXPECT_EQ(d.ticket.reserved, 10);
  EXPECT_EQ(d.ticket.parallel, 0b010);
  EXPECT_EQ(d.ticket.tokens_window[0], 0);
  EXPECT_EQ(d.ticket.tokens_window[1], 123'456);
  EXPECT_EQ(d.ticket.tokens_window[2], 654'321);

  EXPECT_TRUE(decide_admission(s, 10, integers({1, 2, 3})).unavailable);  // wrong shape
}

// ---- against Redis ----

TEST(RedisLimiter, AdmitsExactlyTheLimitAcrossTwoConnections) {
  REQUIRE_TEST_REDIS();
  // Two event loops on two threads, each with its own connection: two gateways, as far as
  // Redis can tell, racing for one key's 100 requests a minute.
  const std::string key = unique("key");
  constexpr int kPerWorker = 150;
  std::atomic<int> admitted{0}, refused{0}, other{0};
  std::latch both_connected(2);
  auto gateway = [&] {
    Worker w(test_url());
    w.connect();
    both_connected.arrive_and_wait();
    int pending = kPerWorker;
    for (int i = 0; i < kPerWorker; ++i) {
      asio::co_spawn(
          w.io.get_executor(),
          [&]() -> Awaitable<void> {
            Subject s = subject(key, 100);
            Decision d = co_await w.limiter.admit({&s, 1}, 0);
            if (d.admitted) {
              ++admitted;
            } else if (!d.unavailable && d.refusal.kind == LimitKind::rpm &&
                       d.refusal.retry_after_ms > 0 &&
                       d.refusal.retry_after_ms <= access::kWindowMs) {
              ++refused;
            } else {
              ++other;
            }
            if (--pending == 0) w.client.stop();
          },
          asio::detached);
    }
    w.io.restart();
    w.io.run();
  };
  std::thread a(gateway), b(gateway);
  a.join();
  b.join();
  EXPECT_EQ(admitted.load(), 100);
  EXPECT_EQ(refused.load(), 2 * kPerWorker - 100);
  EXPECT_EQ(other.load(), 0);
}

TEST(RedisLimiter, AdmissionIsAtomicAcrossKeyAndTeam) {
  REQUIRE_TEST_REDIS();
  Worker w(test_url());
  w.connect();
  const std::string key = unique("key"), team = unique("team"), other_key = unique("key");
  // The team allows 3 a minute, the key 5: the 4th and 5th are refused by the team, and must
  // not have counted against the key either.
  for (int i = 0; i < 5; ++i) {
    Decision d = w.admit({subject(key, 5), subject(team, 3)});
    EXPECT_FALSE(d.unavailable);
    EXPECT_EQ(d.admitted, i < 3) << i;
    if (i >= 3) {
      EXPECT_EQ(d.refused_subject, 1);
      EXPECT_EQ(d.refusal.kind, LimitKind::rpm);
      EXPECT_EQ(access::describe(d.refusal),
                "team " + team.substr(5) + " is over its limit of 3 requests per minute");
      EXPECT_EQ(d.headers.requests.limit, 3);  // the team is the tighter
      EXPECT_EQ(d.headers.requests.remaining, 0);
    } else {
      EXPECT_EQ(d.headers.requests, (access::RateInfo{3, 2 - i, d.headers.requests.reset_ms}));
      EXPECT_GT(d.headers.requests.reset_ms, 0);
    }
  }
  EXPECT_EQ(w.counter(key, "rpm"), 3);
  EXPECT_EQ(w.counter(team, "rpm"), 3);
  // Another key of the same team is refused by the team, and its own count stays 0.
  Decision d = w.admit({subject(other_key, 5), subject(team, 3)});
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.refused_subject, 1);
  EXPECT_EQ(w.counter(other_key, "rpm"), 0);
  // A subject without limits is not counted at all.
  Decision free = w.admit({subject(unique("key"), 0), subject(unique("team"), 0)});
  EXPECT_TRUE(free.admitted);
}

TEST(RedisLimiter, ReservesTokensAndSettlesWithinTheSameWindow) {
  REQUIRE_TEST_REDIS();
  // Windows of 1 s rather than 60 (the steps below take a few ms; a loaded machine may stretch
  // them to hundreds).
  Worker w(test_url(), RedisLimiterOptions{.window_ms = 1000});
  w.connect();
  const std::string key = unique("key"), team = unique("team");
  std::vector<Subject> s = {subject(key, 0, 1000), subject(team, 0, 5000)};

  Decision first = w.admit(s, 600);
  ASSERT_TRUE(first.admitted);
  EXPECT_EQ(first.headers.tokens, (access::RateInfo{1000, 400, first.headers.tokens.reset_ms}));
  Decision second = w.admit(s, 600);
  EXPECT_FALSE(second.admitted);
  EXPECT_EQ(second.refused_subject, 0);
  EXPECT_EQ(second.refusal.kind, LimitKind::tpm);
  EXPECT_EQ(second.refusal.used, 600);
  EXPECT_GT(second.refusal.retry_after_ms, 0);
  EXPECT_LE(second.refusal.retry_after_ms, 1000);

  // The first used 100 tokens, not 600: both subjects get 500 back.
  w.limiter.settle(s, first.ticket, 100);
  EXPECT_EQ(w.counter(key, "tpm"), 100);
  EXPECT_EQ(w.counter(team, "tpm"), 100);
  Decision third = w.admit(s, 600);
  ASSERT_TRUE(third.admitted);
  EXPECT_EQ(w.counter(key, "tpm"), 700);

  // A correction never takes a count below 0.
  w.command(RedisCommand::of({"SET", "tb:{" + key + "}:tpm", "50", "KEEPTTL"}));
  w.limiter.settle(s, third.ticket, 0);
  EXPECT_EQ(w.counter(key, "tpm"), 0);
  EXPECT_EQ(w.counter(team, "tpm"), 100);

  // A reservation above the limit itself can never pass.
  Decision never = w.admit(s, 1001);
  EXPECT_FALSE(never.admitted);
  EXPECT_TRUE(never.refusal.never);
  EXPECT_EQ(never.refusal.kind, LimitKind::tpm);

  // Once its window has ended, a reservation's correction touches nothing: the next window
  // never saw it.
  Decision old = w.admit(s, 10);
  ASSERT_TRUE(old.admitted);
  w.sleep(1100ms);
  Decision fresh = w.admit(s, 30);
  ASSERT_TRUE(fresh.admitted);
  EXPECT_EQ(fresh.headers.tokens.remaining, 970);  // a new window: only this reservation
  w.limiter.settle(s, old.ticket, 900);
  EXPECT_EQ(w.counter(key, "tpm"), 30);
}

TEST(RedisLimiter, MaxParallelCountsRequestsInFlightUntilReleased) {
  REQUIRE_TEST_REDIS();
  Worker w(test_url(), RedisLimiterOptions{.slot_ttl_ms = 1000});
  w.connect();
  const std::string key = unique("key"), team = unique("team");
  std::vector<Subject> s = {subject(key, 0, 0, 2), subject(team, 100)};
  Decision a = w.admit(s), b = w.admit(s);
  ASSERT_TRUE(a.admitted);
  ASSERT_TRUE(b.admitted);
  EXPECT_NE(a.ticket.slot, b.ticket.slot);
  Decision c = w.admit(s);
  EXPECT_FALSE(c.admitted);
  EXPECT_EQ(c.refused_subject, 0);
  EXPECT_EQ(c.refusal.kind, LimitKind::max_parallel);
  EXPECT_EQ(c.refusal.retry_after_ms, access::kParallelRetryMs);
  EXPECT_EQ(c.refusal.used, 2);
  EXPECT_EQ(w.counter(team, "rpm"), 2);  // the refusal counted nowhere

  w.limiter.release(s, a.ticket);
  EXPECT_EQ(w.counter(key, "par"), 1);
  Decision d = w.admit(s);
  ASSERT_TRUE(d.admitted);
  EXPECT_FALSE(w.admit(s).admitted);

  // Slots never released (a gateway that crashed) lapse by themselves.
  w.sleep(1100ms);
  Decision e = w.admit(s);
  EXPECT_TRUE(e.admitted);
  EXPECT_EQ(w.counter(key, "par"), 1);
}

TEST(RedisLimiter, AWindowEndsAndTheNextStartsAtTheNextAdmission) {
  REQUIRE_TEST_REDIS();
  Worker w(test_url(), RedisLimiterOptions{.window_ms = 1000});
  w.connect();
  const std::string key = unique("key");
  std::vector<Subject> s = {subject(key, 2)};
  ASSERT_TRUE(w.admit(s).admitted);
  Decision second = w.admit(s);
  ASSERT_TRUE(second.admitted);
  EXPECT_EQ(second.headers.requests.remaining, 0);
  EXPECT_GT(second.headers.requests.reset_ms, 0);
  EXPECT_LE(second.headers.requests.reset_ms, 1000);
  Decision third = w.admit(s);
  ASSERT_FALSE(third.admitted);
  EXPECT_GT(third.refusal.retry_after_ms, 0);
  EXPECT_LE(third.refusal.retry_after_ms, 1000);

  w.sleep(std::chrono::milliseconds(third.refusal.retry_after_ms + 20));
  // Nothing is open now; the next admission opens a new, full window of its own.
  auto ttl = w.command(RedisCommand::of({"PTTL", "tb:{" + key + "}:rpm"}));
  EXPECT_EQ(ttl.integer, -2);
  Decision next = w.admit(s);
  ASSERT_TRUE(next.admitted);
  EXPECT_EQ(next.headers.requests, (access::RateInfo{2, 1, 1000}));
}

TEST(RedisLimiter, UnavailableAtOnceWhileRedisIsDownAndBackAfter) {
  REQUIRE_REDIS_SERVER();
  RedisServer server;
  server.start();
  auto url = parse_redis_url(server.url());
  ASSERT_TRUE(url);
  // command_timeout (1 s) is well above what "at once" allows below (500 ms, room for a loaded
  // machine): an admission that waited for a reply would show.
  Worker w(*url, {},
           RedisClientOptions{.name = "test", .command_timeout = 1000ms, .backoff_max = 200ms});
  w.connect();
  const std::string key = unique("key");
  std::vector<Subject> s = {subject(key, 100)};
  ASSERT_TRUE(w.admit(s).admitted);

  // Down (the process killed): answers come at once, without a wait for Redis.
  server.stop();
  for (int i = 0; i < 5; ++i) {
    auto start = Clock::now();
    Decision d = w.admit(s);
    EXPECT_TRUE(d.unavailable);
    EXPECT_FALSE(d.admitted);
    EXPECT_LT(ms_since(start), 500) << "an admission waited for Redis";
    w.sleep(50ms);  // reconnection attempts fail meanwhile
  }
  EXPECT_FALSE(w.client.ready());
  // A subject without limits does not need Redis.
  EXPECT_TRUE(w.admit({subject(key, 0)}).admitted);

  // Back: the client reconnects by itself (the counters went with the old process).
  server.start();
  w.connect();
  Decision back = w.admit(s);
  EXPECT_TRUE(back.admitted);
  EXPECT_EQ(back.headers.requests.remaining, 99);
  EXPECT_GE(w.client.stats().connects, 2u);
  EXPECT_GE(w.client.stats().drops, 1u);

  // Hung (SIGSTOP): the connection answers nothing; after command_timeout it is dropped and
  // the admission is unavailable, rather than waiting for as long as the server sleeps.
  server.pause();
  auto start = Clock::now();
  Decision hung = w.admit(s);
  EXPECT_TRUE(hung.unavailable);
  EXPECT_GE(ms_since(start), 900);
  EXPECT_LT(ms_since(start), 3'000);
  EXPECT_FALSE(w.client.ready());
  server.resume();
  w.connect();
  EXPECT_TRUE(w.admit(s).admitted);

  // The library deleted under the gateway's feet (FUNCTION FLUSH, a failover to a server
  // without it): that admission is unavailable, and the library is loaded again for the next.
  ASSERT_TRUE(w.command(RedisCommand::of({"FUNCTION", "DELETE", std::string(kLibraryName)})).ok());
  EXPECT_TRUE(w.admit(s).unavailable);
  EXPECT_TRUE(w.admit(s).admitted);
}

// Redis stalls (SIGSTOP) until the client gives up on it; the commands it was sent sit in its
// socket and run when it resumes, while the client knows nothing of their outcome.
void stall_until_dropped(RedisServer& server, Worker& w, const std::string& other) {
  server.pause();
  EXPECT_TRUE(w.admit({subject(other, 1000)}).unavailable);  // overdue: the connection drops
  EXPECT_FALSE(w.client.ready());
}

// Waits until every release and settle that waited for Redis has been answered: a command sent
// after them on the same connection is answered after them.
void settled(Worker& w) {
  for (int i = 0; i < 100 && w.limiter.pending() > 0; ++i) w.sleep(10ms);
  EXPECT_EQ(w.limiter.pending(), 0u);
  w.command(RedisCommand::of({"PING"}));
}

TEST(RedisLimiter, ASlotTakenByAnAdmissionWhoseAnswerWasLostIsGivenBack) {
  REQUIRE_REDIS_SERVER();
  RedisServer server;
  server.start();
  auto url = parse_redis_url(server.url());
  ASSERT_TRUE(url);
  Worker w(*url, {},
           RedisClientOptions{.name = "test", .command_timeout = 300ms, .backoff_max = 100ms});
  w.connect();
  const std::string key = unique("key");
  std::vector<Subject> s = {subject(key, 100, 0, 1)};

  // The admission is sent to a Redis that has stalled: after command_timeout the client drops
  // the connection and the admission is unavailable (no slot to release, as far as the caller
  // knows). But Redis runs the call when it resumes, and takes the slot.
  server.pause();
  Decision lost = w.admit(s);
  EXPECT_TRUE(lost.unavailable);
  EXPECT_FALSE(w.client.ready());
  server.resume();
  w.connect();
  settled(w);
  EXPECT_EQ(w.counter(key, "rpm"), 1) << "the stalled admission did run in Redis";
  // Its slot is free again at once, not after kSlotTtlMs.
  EXPECT_EQ(w.counter(key, "par"), 0);
  Decision next = w.admit(s);
  EXPECT_TRUE(next.admitted) << access::describe(next.refusal);
}

TEST(RedisLimiter, ReleasesAndSettlesDuringAnOutageAreSentWhenRedisIsBack) {
  REQUIRE_REDIS_SERVER();
  RedisServer server;
  server.start();
  auto url = parse_redis_url(server.url());
  ASSERT_TRUE(url);
  Worker w(*url, {},
           RedisClientOptions{.name = "test", .command_timeout = 300ms, .backoff_max = 100ms});
  w.connect();
  const std::string key = unique("key"), team = unique("team");
  std::vector<Subject> s = {subject(key, 0, 1000, 2), subject(team, 0, 0, 5)};
  Decision a = w.admit(s, 600), b = w.admit(s, 100);
  ASSERT_TRUE(a.admitted);
  ASSERT_TRUE(b.admitted);
  EXPECT_FALSE(w.admit(s, 0).admitted);  // both slots of the key are taken
  EXPECT_EQ(w.counter(key, "tpm"), 700);

  // Both requests end while Redis is stalled and the connection is down.
  stall_until_dropped(server, w, unique("key"));
  w.limiter.settle(s, a.ticket, 100);
  w.limiter.release(s, a.ticket);
  w.limiter.release(s, b.ticket);
  server.resume();
  w.connect();
  settled(w);
  EXPECT_EQ(w.counter(key, "par"), 0);
  EXPECT_EQ(w.counter(team, "par"), 0);
  EXPECT_EQ(w.counter(key, "tpm"), 200) << "the first request's correction was applied";
  EXPECT_TRUE(w.admit(s, 0).admitted);
  EXPECT_TRUE(w.admit(s, 0).admitted);
}

TEST(RedisLimiter, ReleasesWaitingForRedisAreBoundedTheOldestDroppedFirst) {
  REQUIRE_TEST_REDIS();
  Worker w(test_url(), RedisLimiterOptions{.max_pending = 3});
  w.connect();
  // Five requests in flight, a slot each, as admissions leave them.
  std::vector<std::string> keys;
  std::vector<Ticket> tickets;
  for (int i = 0; i < 5; ++i) {
    keys.push_back(unique("key"));
    Ticket t;
    t.slot = 0xabc0 + i;
    t.parallel = 1;
    tickets.push_back(t);
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(t.slot));
    w.command(RedisCommand::of({"ZADD", "tb:{" + keys[i] + "}:par", "1", text}));
  }
  // They end while the connection is down (a stopped client stands for it): three wait.
  w.client.stop();
  for (int i = 0; i < 5; ++i) {
    Subject s = subject(keys[i], 0, 0, 1);
    w.limiter.release({&s, 1}, tickets[i]);
  }
  EXPECT_EQ(w.limiter.pending(), 3u);
  w.client.start();
  w.connect();
  settled(w);
  EXPECT_EQ(w.counter(keys[0], "par"), 1) << "the oldest were dropped";
  EXPECT_EQ(w.counter(keys[1], "par"), 1);
  for (int i = 2; i < 5; ++i) EXPECT_EQ(w.counter(keys[i], "par"), 0) << i;
}

TEST(RedisLimiter, AuthenticatesAndSelectsTheDatabase) {
  REQUIRE_REDIS_SERVER();
  RedisServer server({"--requirepass", "p@ss word"});
  server.start();
  auto url = parse_redis_url(server.url(":p%40ss%20word", 3));
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->describe().find("p@ss"), std::string::npos);
  Worker w(*url);
  w.connect();
  const std::string key = unique("key");
  ASSERT_TRUE(w.admit({subject(key, 5)}).admitted);
  EXPECT_NE(w.command(RedisCommand::of({"CLIENT", "INFO"})).str.find(" db=3 "), std::string::npos);
  EXPECT_EQ(w.counter(key, "rpm"), 1);
  w.command(RedisCommand::of({"SELECT", "0"}));
  EXPECT_EQ(w.counter(key, "rpm"), 0);

  // A wrong password: never ready, admissions unavailable, the password in no message.
  auto wrong = parse_redis_url(server.url(":nope", 3));
  ASSERT_TRUE(wrong);
  Worker refused(*wrong, {}, RedisClientOptions{.name = "wrong password"});
  bool ready = true;
  run(refused.io, [&]() -> Awaitable<void> { ready = co_await refused.client.wait_ready(500ms); });
  EXPECT_FALSE(ready);
  EXPECT_TRUE(refused.admit({subject(key, 5)}).unavailable);
}

TEST(RedisLimiter, TheFunctionLibraryIsVersioned) {
  REQUIRE_TEST_REDIS();
  Worker w(test_url());
  w.connect();
  // Every name carries the same version.
  std::string_view version = kLibraryName.substr(kLibraryName.rfind('_'));
  ASSERT_EQ(version, "_v1");
  for (std::string_view f : {kAdmitFunction, kSettleFunction, kReleaseFunction}) {
    EXPECT_TRUE(f.ends_with(version)) << f;
  }
  EXPECT_TRUE(library_code().starts_with("#!lua name=" + std::string(kLibraryName) + "\n"));

  // Loaded under that name, with those functions.
  RedisReply list = w.command(
      RedisCommand::of({"FUNCTION", "LIST", "LIBRARYNAME", std::string(kLibraryName), "WITHCODE"}));
  ASSERT_EQ(list.type, RedisReply::Type::array);
  ASSERT_EQ(list.elements.size(), 1u) << "library " << kLibraryName << " not loaded";
  const auto& lib = list.elements[0].elements;  // name, value pairs
  std::vector<std::string> functions;
  std::string code;
  for (std::size_t i = 0; i + 1 < lib.size(); i += 2) {
    if (lib[i].str == "functions") {
      for (const auto& f : lib[i + 1].elements) functions.push_back(f.elements.at(1).str);
    } else if (lib[i].str == "library_code") {
      code = lib[i + 1].str;
    }
  }
  std::sort(functions.begin(), functions.end());
  EXPECT_EQ(functions,
            (std::vector<std::string>{std::string(kAdmitFunction), std::string(kReleaseFunction),
                                      std::string(kSettleFunction)}));
  EXPECT_EQ(code, library_code());

  // The code this version stands for. A change to the Lua source must come with a new version
  // (every _v1 becomes _v2) so gateways of both can share a Redis during an upgrade; then put
  // the new fingerprint here.
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (unsigned char c : library_code()) h = (h ^ c) * 1099511628211ull;
  EXPECT_EQ(h, 3740625984556636981ull)
      << "the Lua library changed: bump its version, then set this fingerprint to " << h;
}

}  // namespace
}  // namespace tollbooth::limits
