#include "limits/redis_budgets.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <charconv>
#include <chrono>
#include <deque>
#include <stdexcept>

namespace tollbooth::limits {

namespace {

// Per subject and period, two keys with the subject as hash tag (they share a slot; a key and
// its team do not, so Redis Cluster is not supported, as for the rate limits):
//   tb:{subject}:budget:<period_start>      a hash: spent, reserved (micro-dollars)
//   tb:{subject}:budget:<period_start>:res  reservations in flight: "<id>:<amount>" members
//                                           scored by when each lapses (Redis's clock, ms)
// `spent` is present once the period is seeded (from the store's ledger); a hash without it is
// never made, so "no spent" means "not seeded". Amounts are integers below 2^53 (budgets are
// at most a billion dollars), exact in Lua's numbers.
//
// Any change to this code needs a new version in the library's and the functions' names
// (kBudgetLibraryName and the kBudget*Function constants), and in redis_budgets_test's
// fingerprint.
constexpr std::string_view kLibraryCode = R"lua(#!lua name=tollbooth_budgets_v1
-- tollbooth's shared budgets; src/limits/redis_budgets.hpp says why and how.

-- An integer as Redis reads one: Lua would write 1e+14 for 100000000000000.
local function int(x)
  return string.format('%d', x)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Removes the reservations that lapsed (their request never settled) and gives their amounts
-- back to `reserved`.
local function purge(hash, res, now)
  local lapsed = redis.call('ZRANGEBYSCORE', res, '-inf', int(now))
  if #lapsed == 0 then return end
  local freed = 0
  for _, member in ipairs(lapsed) do
    freed = freed + (tonumber(string.match(member, ':(%d+)$')) or 0)
  end
  redis.call('ZREMRANGEBYSCORE', res, '-inf', int(now))
  if redis.call('HINCRBY', hash, 'reserved', int(-freed)) < 0 then
    redis.call('HSET', hash, 'reserved', 0)
  end
end

-- KEYS: for each subject its hash and its reservations.
-- ARGV: worst, member ("<id>:<worst>"), lapse_ms, then for each subject its limit and when its
--       keys expire (ms; 0: never).
-- Returns {status, then for each subject: seeded (1 or 0), spent, reserved}: status 1 admitted
-- (reserved on every subject; figures after it), 0 refused by a seeded subject, 2 some subject
-- is not seeded (nothing changed: seed it and ask again).
local function admit(keys, args)
  local worst, member, lapse = tonumber(args[1]), args[2], tonumber(args[3])
  local n = #keys / 2
  local now = now_ms()
  local refused, unseeded = false, false
  local state = {}
  for i = 0, n - 1 do
    local hash, res = keys[1 + 2 * i], keys[2 + 2 * i]
    local limit = tonumber(args[4 + 2 * i])
    local s = {seeded = 0, spent = 0, reserved = 0}
    local spent = redis.call('HGET', hash, 'spent')
    if spent then
      purge(hash, res, now)
      s.seeded = 1
      s.spent = tonumber(spent)
      s.reserved = tonumber(redis.call('HGET', hash, 'reserved') or '0')
      local used = s.spent + s.reserved
      if used >= limit or worst > limit - used then refused = true end
    else
      unseeded = true
    end
    state[i + 1] = s
  end
  local status = 1
  if refused then status = 0 elseif unseeded then status = 2 end
  if status == 1 then
    for i = 0, n - 1 do
      local hash, res = keys[1 + 2 * i], keys[2 + 2 * i]
      local s = state[i + 1]
      s.reserved = redis.call('HINCRBY', hash, 'reserved', int(worst))
      redis.call('ZADD', res, int(now + lapse), member)
      local expire_at = tonumber(args[5 + 2 * i])
      if expire_at > 0 then redis.call('PEXPIREAT', res, int(expire_at)) end
    end
  end
  local out = {status}
  for i = 1, n do
    local s = state[i]
    out[#out + 1] = s.seeded
    out[#out + 1] = s.spent
    out[#out + 1] = s.reserved
  end
  return out
end

-- KEYS: for each subject its hash and its reservations.
-- ARGV: member ("<id>:<reserved>"), reserved, charge.
-- Releases the reservation (if it has not lapsed) and adds the charge to spent. Returns for
-- each subject its spent after the charge, or -1 when the period's figures are gone (expired,
-- flushed): the charge is then only in the ledger, which seeds the period if it is used again.
local function settle(keys, args)
  local member, reserved, charge = args[1], tonumber(args[2]), tonumber(args[3])
  local out = {}
  for i = 0, #keys / 2 - 1 do
    local hash, res = keys[1 + 2 * i], keys[2 + 2 * i]
    local removed = redis.call('ZREM', res, member)
    if redis.call('HEXISTS', hash, 'spent') == 1 then
      if removed == 1 and reserved > 0 then
        if redis.call('HINCRBY', hash, 'reserved', int(-reserved)) < 0 then
          redis.call('HSET', hash, 'reserved', 0)
        end
      end
      out[#out + 1] = redis.call('HINCRBY', hash, 'spent', int(charge))
    else
      out[#out + 1] = -1
    end
  end
  return out
end

-- KEYS: a subject's hash. ARGV: spent (from the ledger), when the hash expires (ms; 0: never).
-- Sets spent unless it is set already (another gateway seeded first); returns the spent in
-- force.
local function seed(keys, args)
  redis.call('HSETNX', keys[1], 'spent', args[1])
  local expire_at = tonumber(args[2])
  if expire_at > 0 then redis.call('PEXPIREAT', keys[1], int(expire_at)) end
  return tonumber(redis.call('HGET', keys[1], 'spent'))
end

redis.register_function('tollbooth_budget_admit_v1', admit)
redis.register_function('tollbooth_budget_settle_v1', settle)
redis.register_function('tollbooth_budget_seed_v1', seed)
)lua";

// The reservation's member: "<id>:<amount>".
std::string member(std::uint64_t id, Money amount) {
  char text[16];
  std::string out(hex16(id, text));
  out += ':';
  out += std::to_string(amount);
  return out;
}

bool counted(const access::BudgetSubject& s) noexcept {
  return s.budget.limit_micros > 0;
}

// When a period's keys expire: kBudgetGraceMs after it ends; 0 (never) for `total`.
std::int64_t expire_at(const access::Budget& budget, std::int64_t period_start,
                       std::int64_t grace) noexcept {
  std::int64_t end = access::period_end_ms(budget.per, period_start);
  return end == access::kNoPeriodEnd ? 0 : end + grace;
}

// Commands sent from the queue in one turn of the event loop (one write); the rest follow in
// the next turns, so admissions are not stuck behind a long queue after an outage.
constexpr std::size_t kReplayBatch = 1'000;

}  // namespace

std::string_view budget_library_code() noexcept {
  return kLibraryCode;
}

std::string budget_key(std::string_view subject, std::int64_t period_start_ms) {
  std::string out = "tb:{";
  out += subject;
  out += "}:budget:";
  out += std::to_string(period_start_ms);
  return out;
}

BudgetDecision decide_budget_admission(std::span<const access::BudgetSubject> subjects, Money worst,
                                       std::span<const std::int64_t> period_start,
                                       const RedisReply& reply) {
  BudgetDecision d;
  d.ticket.reserved = worst;
  std::size_t n = 0;
  for (const auto& s : subjects) n += counted(s) ? 1 : 0;
  constexpr std::size_t kPerSubject = 3;
  const auto& e = reply.elements;
  bool shaped = reply.type == RedisReply::Type::array && e.size() == 1 + kPerSubject * n &&
                period_start.size() >= subjects.size() &&
                std::all_of(e.begin(), e.end(), [](const RedisReply& r) {
                  return r.type == RedisReply::Type::integer;
                });
  std::int64_t status = shaped ? e[0].integer : -1;
  if (status < 0 || status > 2) {
    d.unavailable = true;
    return d;
  }
  bool refused = false;
  std::size_t j = 0;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const access::BudgetSubject& s = subjects[i];
    if (!counted(s)) continue;
    const RedisReply* v = &e[1 + kPerSubject * j++];
    bool seeded = v[0].integer == 1;
    Money spent = v[1].integer, reserved = v[2].integer;
    auto bit = static_cast<std::uint8_t>(1u << i);
    if (!seeded) {
      d.unseeded |= bit;
      continue;
    }
    if (status == 1) {
      d.ticket.held |= bit;
      d.ticket.period_start[i] = period_start[i];
      d.ticket.budget[i] = s.budget;
      continue;
    }
    if (status == 0) {
      // The same check as the local book's, on the figures Redis checked.
      auto r = access::check_budget(s, spent, reserved, worst, period_start[i]);
      if (r && (!refused || access::worse(*r, d.refusal))) {
        d.refusal = *r;
        d.refused_subject = static_cast<int>(i);
        refused = true;
      }
    }
  }
  if (status == 1) {
    if (d.unseeded != 0) d.unavailable = true;  // admitted with a subject not seeded: not ours
    d.admitted = !d.unavailable;
  } else if (status == 0 && !refused) {
    d.unavailable = true;  // refused for a reason these budgets do not explain
  } else if (status == 2 && d.unseeded == 0) {
    d.unavailable = true;
  }
  if (status != 2) d.unseeded = 0;  // a refusal stands whatever the others' state
  if (!d.admitted) d.ticket = {};
  return d;
}

// ---- what waits for Redis ----

struct RedisBudgets::Pending : std::enable_shared_from_this<Pending> {
  Pending(RedisClient& c, std::size_t limit) : client(c), max(std::max<std::size_t>(1, limit)) {}

  // What a settle's answer is checked for: the soft thresholds it may cross.
  struct Crossings {
    std::array<std::string, access::kMaxSubjects> names;
    std::array<access::Budget, access::kMaxSubjects> budgets;
    std::array<std::int64_t, access::kMaxSubjects> period_start{};
    std::size_t n = 0;
    Money charge = 0;
    std::int64_t at_ms = 0;
  };
  struct Settle {
    RedisCommand command;
    // A release (charge 0) only removes a reservation: harmless to run twice, so sent again
    // when its answer is lost. A charge is not.
    bool repeatable;
    std::shared_ptr<const Crossings> crossings;  // null: no threshold to watch
  };

  RedisClient& client;
  const std::size_t max;
  std::deque<Settle> queue;
  bool flush_posted = false;
  std::function<void(const access::SoftCrossing&)> crossing_hook;
  std::uint64_t dropped = 0;  // since the last warning
  std::int64_t last_drop_log_ms = 0;
  std::int64_t last_error_log_ms = 0;

  void send(Settle s) {
    flush();  // what waited goes first
    if (!client.ready() || !queue.empty()) {
      enqueue(std::move(s));
      return;
    }
    send_now(std::move(s));
  }

  void send_now(Settle s) {
    // A repeatable command is kept to be sent again; the others are sent as they are.
    RedisCommand command = s.repeatable ? s.command : std::move(s.command);
    client.async_command(std::move(command),
                         [weak = weak_from_this(), s = std::move(s)](RedisReply reply) mutable {
                           if (auto self = weak.lock()) self->answered(std::move(s), reply);
                         });
  }

  void answered(Settle s, const RedisReply& reply) {
    if (reply.type == RedisReply::Type::none) {
      // The connection dropped before the answer: it may or may not have run.
      if (s.repeatable) {
        enqueue(std::move(s));
        if (client.ready()) post_flush();
      }
      return;
    }
    if (reply.type == RedisReply::Type::error) {
      // Not repeated: an error would come back again (the reservation lapses by itself). A
      // library deleted under the gateway is loaded again for the next ones.
      if (function_missing(reply)) client.send(function_load(kLibraryCode));
      if (std::int64_t now = steady_ms(); now - last_error_log_ms >= 10'000) {
        last_error_log_ms = now;
        spdlog::warn("budgets: {} answered a settle with an error: {}", client.describe(),
                     reply.str);
      }
      return;
    }
    if (!s.crossings || !crossing_hook) return;
    const Crossings& c = *s.crossings;
    if (reply.type != RedisReply::Type::array || reply.elements.size() != c.n) return;
    for (std::size_t i = 0; i < c.n; ++i) {
      const RedisReply& v = reply.elements[i];
      if (v.type != RedisReply::Type::integer || v.integer < 0) continue;  // period gone
      Money after = v.integer;
      if (access::crosses_soft(c.budgets[i], after - c.charge, after)) {
        crossing_hook({c.names[i], c.budgets[i], after, c.period_start[i], c.at_ms});
      }
    }
  }

  void enqueue(Settle s) {
    if (queue.size() >= max) {
      queue.pop_front();
      ++dropped;
      if (std::int64_t now = steady_ms(); now - last_drop_log_ms >= 10'000) {
        last_drop_log_ms = now;
        spdlog::warn(
            "budgets: dropped {} settle(s): more than {} were waiting for {} to come back (their "
            "reservations lapse within {} s; their charges are in the ledger)",
            dropped, max, client.describe(), kReservationTtlMs / 1000);
        dropped = 0;
      }
    }
    queue.push_back(std::move(s));
  }

  // Sends what waited, a batch per turn of the loop, when the connection is ready.
  void flush() {
    std::size_t sent = 0;
    while (!queue.empty() && client.ready() && sent < kReplayBatch) {
      Settle s = std::move(queue.front());
      queue.pop_front();
      send_now(std::move(s));
      ++sent;
    }
    if (!queue.empty() && client.ready()) post_flush();
  }

  void post_flush() {
    if (flush_posted) return;
    flush_posted = true;
    asio::post(client.executor(), [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        self->flush_posted = false;
        self->flush();
      }
    });
  }
};

RedisBudgets::RedisBudgets(RedisClient& client, SpentLoader loader, RedisBudgetsOptions options)
    : client_(client),
      loader_(std::move(loader)),
      options_(options),
      ids_(std::random_device{}()),
      pending_(std::make_shared<Pending>(client, options.max_pending)) {
  client_.add_setup_command(function_load(kLibraryCode),
                            "FUNCTION LOAD of " + std::string(kBudgetLibraryName));
}

RedisBudgets::~RedisBudgets() = default;

std::size_t RedisBudgets::pending() const noexcept {
  return pending_->queue.size();
}

void RedisBudgets::on_soft_crossing(std::function<void(const access::SoftCrossing&)> hook) {
  pending_->crossing_hook = std::move(hook);
}

Awaitable<BudgetDecision> RedisBudgets::admit(std::span<const access::BudgetSubject> subjects,
                                              Money worst_case_micros, std::int64_t now_ms) {
  if (subjects.size() > access::kMaxSubjects) {
    throw std::invalid_argument("RedisBudgets::admit: more subjects than kMaxSubjects");
  }
  Money worst = std::max<Money>(0, worst_case_micros);
  BudgetDecision d;
  d.ticket.reserved = worst;
  if (std::none_of(subjects.begin(), subjects.end(), counted)) {
    d.admitted = true;  // nothing to count: no need to ask Redis (nor to be able to)
    co_return d;
  }
  if (!client_.ready()) {
    d.unavailable = true;
    co_return d;
  }
  pending_->flush();  // settles that waited for Redis go first: this admission sees them
  std::uint64_t id = ids_();
  d = co_await admit_once(subjects, worst, now_ms, id);
  if (d.unavailable || d.unseeded == 0) co_return d;
  std::uint8_t unseeded = d.unseeded;
  bool seeded = co_await seed(subjects, unseeded, now_ms);
  if (!seeded) {
    d = {};
    d.unavailable = true;
    co_return d;
  }
  d = co_await admit_once(subjects, worst, now_ms, id);
  if (d.unseeded != 0) {  // flushed again in between: give up for this request
    d = {};
    d.unavailable = true;
  }
  co_return d;
}

Awaitable<BudgetDecision> RedisBudgets::admit_once(std::span<const access::BudgetSubject> subjects,
                                                   Money worst, std::int64_t now_ms,
                                                   std::uint64_t id) {
  std::array<std::int64_t, access::kMaxSubjects> period_start{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (!counted(subjects[i])) continue;
    period_start[i] = access::period_start_ms(subjects[i].budget.per, now_ms);
    ++n;
  }
  std::string reservation = member(id, worst);
  RedisCommand cmd(3 + 2 * n + 3 + 2 * n);
  cmd.arg("FCALL").arg(kBudgetAdmitFunction).arg(static_cast<std::int64_t>(2 * n));
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (!counted(subjects[i])) continue;
    std::string key = budget_key(subjects[i].name, period_start[i]);
    cmd.arg(key);
    cmd.arg_parts({key, ":res"});
  }
  cmd.arg(worst).arg(reservation).arg(options_.reservation_ttl_ms);
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (!counted(subjects[i])) continue;
    cmd.arg(subjects[i].budget.limit_micros)
        .arg(expire_at(subjects[i].budget, period_start[i], options_.grace_ms));
  }

  RedisReply reply = co_await client_.async_command(std::move(cmd), asio::deferred);
  if (reply.type == RedisReply::Type::error) {
    // Someone ran FUNCTION FLUSH, or a failover brought a server without the library: load it
    // again for the next admissions.
    if (function_missing(reply)) client_.send(function_load(kLibraryCode));
    if (std::int64_t now = steady_ms(); now - last_error_log_ms_ >= 10'000) {
      last_error_log_ms_ = now;
      spdlog::warn("budgets: {} answered the admission with an error: {}", client_.describe(),
                   reply.str);
    }
  }
  BudgetDecision d;
  if (reply.ok()) {
    d = decide_budget_admission(subjects, worst, {period_start.data(), subjects.size()}, reply);
    d.ticket.id = id;
    if (!d.unavailable) co_return d;  // admitted (the caller settles), refused or unseeded
  } else {
    d.unavailable = true;
  }
  // No answer to go by: Redis may have made the reservations, and nobody would release them.
  // Release them now (a reservation never made is nothing to remove). A missing function ran
  // nothing.
  if (!function_missing(reply)) {
    RedisBudgetTicket taken;
    taken.id = id;
    taken.reserved = worst;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      if (!counted(subjects[i])) continue;
      taken.held |= static_cast<std::uint8_t>(1u << i);
      taken.period_start[i] = period_start[i];
      taken.budget[i] = subjects[i].budget;
    }
    settle(subjects, taken, 0, now_ms);
  }
  co_return d;
}

Awaitable<bool> RedisBudgets::seed(std::span<const access::BudgetSubject> subjects,
                                   std::uint8_t unseeded, std::int64_t now_ms) {
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    if (((unseeded >> i) & 1u) == 0) continue;
    const access::BudgetSubject& s = subjects[i];
    std::int64_t start = access::period_start_ms(s.budget.per, now_ms);
    std::int64_t end = access::period_end_ms(s.budget.per, now_ms);
    std::optional<Money> spent = Money{0};
    if (loader_) {
      auto loading = loader_(std::string(s.name), start, end);
      spent = co_await std::move(loading);
    }
    if (!spent) {
      spdlog::warn(
          "budgets: the store could not say what {} has spent since {}: its requests "
          "are treated as if Redis were down",
          s.name, start);
      co_return false;
    }
    RedisCommand cmd(6);
    cmd.arg("FCALL").arg(kBudgetSeedFunction).arg(std::int64_t{1});
    cmd.arg(budget_key(s.name, start))
        .arg(std::max<Money>(0, *spent))
        .arg(expire_at(s.budget, start, options_.grace_ms));
    RedisReply reply = co_await client_.async_command(std::move(cmd), asio::deferred);
    if (reply.type != RedisReply::Type::integer) {
      if (function_missing(reply)) client_.send(function_load(kLibraryCode));
      co_return false;
    }
  }
  co_return true;
}

Awaitable<std::optional<Money>> RedisBudgets::used(std::string_view subject,
                                                   std::int64_t period_start_ms) {
  RedisCommand cmd(4);
  cmd.arg("HMGET").arg(budget_key(subject, period_start_ms)).arg("spent").arg("reserved");
  RedisReply reply = co_await client_.async_command(std::move(cmd), asio::deferred);
  if (reply.type != RedisReply::Type::array || reply.elements.size() != 2) co_return std::nullopt;
  if (reply.elements[0].type != RedisReply::Type::string) co_return Money{0};  // not known yet
  Money spent = 0;
  Money reserved = 0;
  const std::string& s = reply.elements[0].str;
  std::from_chars(s.data(), s.data() + s.size(), spent);
  if (reply.elements[1].type == RedisReply::Type::string) {
    const std::string& r = reply.elements[1].str;
    std::from_chars(r.data(), r.data() + r.size(), reserved);
  }
  co_return spent + std::max<Money>(0, reserved);
}

void RedisBudgets::settle(std::span<const access::BudgetSubject> subjects,
                          const RedisBudgetTicket& ticket, Money actual_charge_micros,
                          std::int64_t now_ms) {
  std::size_t n = 0;
  bool watch = false;
  Money charge = std::max<Money>(0, actual_charge_micros);
  for (std::size_t i = 0; i < subjects.size() && i < access::kMaxSubjects; ++i) {
    if (((ticket.held >> i) & 1u) == 0) continue;
    ++n;
    watch = watch || (ticket.budget[i].soft_bp > 0 && charge > 0);
  }
  if (n == 0) return;
  RedisCommand cmd(3 + 2 * n + 3);
  cmd.arg("FCALL").arg(kBudgetSettleFunction).arg(static_cast<std::int64_t>(2 * n));
  std::shared_ptr<Pending::Crossings> crossings;
  if (watch) crossings = std::make_shared<Pending::Crossings>();
  for (std::size_t i = 0; i < subjects.size() && i < access::kMaxSubjects; ++i) {
    if (((ticket.held >> i) & 1u) == 0) continue;
    std::string key = budget_key(subjects[i].name, ticket.period_start[i]);
    cmd.arg(key);
    cmd.arg_parts({key, ":res"});
    if (crossings) {
      std::size_t j = crossings->n++;
      crossings->names[j] = std::string(subjects[i].name);
      crossings->budgets[j] = ticket.budget[i];
      crossings->period_start[j] = ticket.period_start[i];
    }
  }
  cmd.arg(member(ticket.id, ticket.reserved)).arg(ticket.reserved).arg(charge);
  if (crossings) {
    crossings->charge = charge;
    crossings->at_ms = now_ms;
  }
  // The period it names identifies it, so sent late it still counts where it belongs.
  pending_->send({std::move(cmd), charge == 0, std::move(crossings)});
}

}  // namespace tollbooth::limits
