// The access checks on the request path: authenticating a bearer secret against a snapshot of
// 10,000 keys (hit, unknown secret, malformed header), the SHA-256 alone, the authorisation
// helpers, and the local limiter's admit + release, alone and from several threads at once
// (each thread its own key; all keys in one team, or each in its own). The budget for
// authenticate is well under a microsecond.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "access/limiter.hpp"
#include "access/secret.hpp"
#include "access/snapshot.hpp"

namespace ta = tollbooth::access;

namespace {

constexpr int kKeys = 10'000;
constexpr std::int64_t kNow = 1'750'000'000'000;

struct World {
  std::vector<std::string> secrets;
  ta::Snapshot snapshot;
};

const World& world() {
  static const World w = [] {
    World out;
    std::vector<ta::Key> keys;
    std::vector<ta::Team> teams(10);
    for (int t = 0; t < 10; ++t) {
      teams[t].id = "team-" + std::to_string(t);
      teams[t].models = {"gpt-4o*", "claude-*"};
      teams[t].regions = {"us-*"};
    }
    for (int i = 0; i < kKeys; ++i) {
      std::string secret = ta::generate_secret();
      ta::Key k;
      k.id = ta::new_key_id();
      k.team = teams[i % 10].id;
      k.models = {"gpt-4o-mini", "claude-*"};
      k.regions = {"us-east-*"};
      k.limits.rpm = 1000;
      k.secrets.push_back({ta::hash_secret(secret), ta::last4(secret), kNow, 0});
      keys.push_back(std::move(k));
      out.secrets.push_back(std::move(secret));
    }
    out.snapshot = ta::Snapshot(std::move(keys), std::move(teams));
    return out;
  }();
  return w;
}

void BM_AccessAuthenticateHit(benchmark::State& state) {
  const World& w = world();
  std::size_t i = 0;
  for (auto _ : state) {
    ta::AuthResult r = w.snapshot.authenticate(w.secrets[i++ % w.secrets.size()], kNow);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AccessAuthenticateHit);

void BM_AccessAuthenticateUnknown(benchmark::State& state) {
  const World& w = world();
  std::vector<std::string> strangers;
  for (int i = 0; i < 1000; ++i) strangers.push_back(ta::generate_secret());
  std::size_t i = 0;
  for (auto _ : state) {
    ta::AuthResult r = w.snapshot.authenticate(strangers[i++ % strangers.size()], kNow);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AccessAuthenticateUnknown);

void BM_AccessAuthenticateMalformed(benchmark::State& state) {
  const World& w = world();
  std::string garbage = "sk-proj-0123456789abcdefghijklmnopqrstuvwxyz0123";
  for (auto _ : state) {
    ta::AuthResult r = w.snapshot.authenticate(garbage, kNow);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AccessAuthenticateMalformed);

void BM_AccessSecretDigest(benchmark::State& state) {
  std::string secret = ta::generate_secret();
  for (auto _ : state) {
    ta::SecretDigest d = ta::secret_digest(secret);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_AccessSecretDigest);

// Scope, model (globs on both sides) and regions, as the gateway asks them per request.
void BM_AccessAuthorise(benchmark::State& state) {
  const World& w = world();
  ta::Principal p = w.snapshot.authenticate(w.secrets[0], kNow).principal();
  for (auto _ : state) {
    bool ok = p.may_use_scope(ta::Scope::chat) && p.may_use_model("claude-sonnet-4") &&
              !p.allowed_regions().empty();
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_AccessAuthorise);

ta::Limiter& shared_limiter() {
  static ta::Limiter limiter;
  return limiter;
}

// admit + release of a key (rpm, tpm, max_parallel) and its team (tpm), with the limits high
// enough never to refuse. Arg 1: every thread's key in one team (the team's shard is shared);
// arg 0: a team per thread.
void BM_AccessLimiterAdmit(benchmark::State& state) {
  ta::Limiter& limiter = shared_limiter();
  std::string key = "key:bench-" + std::to_string(state.thread_index());
  std::string team =
      state.range(0) ? "team:shared" : "team:t" + std::to_string(state.thread_index());
  ta::LimitSubject subjects[] = {{key, {1'000'000'000, 1'000'000'000'000, 1'000'000}},
                                 {team, {0, 1'000'000'000'000, 0}}};
  std::int64_t now = kNow;
  for (auto _ : state) {
    ta::Admission a = limiter.admit(subjects, 100, now);
    benchmark::DoNotOptimize(a.admitted);
    a.ticket.settle(80, now);
  }  // the ticket releases at the end of each iteration
}
BENCHMARK(BM_AccessLimiterAdmit)->Arg(0)->Arg(1)->ThreadRange(1, 8)->UseRealTime();

}  // namespace
