#include "limits/redis_limiter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <deque>
#include <stdexcept>

namespace tollbooth::limits {

namespace {

// The counters live in Redis, and so does their clock. A window is the life of its key (set
// with PX window_ms at the first admission, never extended), so its start, end and time left
// are all measured by the Redis server's clock; a max_parallel slot's deadline is Redis's TIME
// plus the slot's lifetime. No gateway's clock is involved, so gateways whose clocks disagree
// still agree on every window, and a window cannot be stretched or cut short by one of them.
// (Passing now_ms from each gateway would make every window depend on whichever gateway opened
// it, and slots on whichever took them.)
//
// Per subject, three keys with the subject as hash tag (its keys share a slot). A request's key
// and team have different tags: Redis Cluster would refuse the call (CROSSSLOT), and it is not
// a goal: one Redis address holds every counter.
//
// Any change to this code needs a new version in the library's and the functions' names
// (kLibraryName and the k*Function constants), and in redis_limiter_test's fingerprint.
constexpr std::string_view kLibraryCode = R"lua(#!lua name=tollbooth_v1
-- tollbooth's shared rate-limit counters; src/limits/redis_limiter.cpp says why and how.
-- Per subject ("key:<id>", "team:<id>"):
--   tb:{subject}:rpm  requests admitted in the open window (a counter that expires with it)
--   tb:{subject}:tpm  tokens reserved in the open window (idem)
--   tb:{subject}:par  requests in flight: slot ids scored by the time (ms) each slot lapses
-- A window is the life of its key: it starts at the first admission after the previous key
-- expired and ends window_ms later (PX when created, never extended). Its end (PEXPIRETIME)
-- identifies it for settle.

-- An integer as Redis reads one: Lua would write 1e+14 for 100000000000000.
local function int(x)
  return string.format('%d', x)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The count in a window key and the window's time left; 0, 0 when no window is open (a key
-- without an expiry is not one of ours: it is started afresh).
local function open_window(key)
  local ttl = redis.call('PTTL', key)
  if ttl <= 0 then return 0, 0 end
  return tonumber(redis.call('GET', key)), ttl
end

-- KEYS: for each subject its rpm, tpm and par keys.
-- ARGV: window_ms, reserve, slot_ttl_ms, slot, then for each subject its rpm, tpm and
--       max_parallel limits (0: not limited; that key is not touched).
-- Returns {admitted (1 or 0), then for each subject: requests counted, their window's time
-- left, tokens counted, their window's time left, the tokens window's end (ms), requests in
-- flight}: after the admission when admitted, as they stand when refused.
local function admit(keys, args)
  local window_ms, reserve = tonumber(args[1]), tonumber(args[2])
  local slot_ttl, slot = tonumber(args[3]), args[4]
  local n = #keys / 3
  local now = nil
  local ok = true
  local state = {}
  for i = 0, n - 1 do
    local s = {rpm = tonumber(args[5 + 3 * i]), tpm = tonumber(args[6 + 3 * i]),
               par = tonumber(args[7 + 3 * i]), rused = 0, rttl = 0, tused = 0, tttl = 0,
               tend = 0, inflight = 0}
    if s.rpm > 0 then
      s.rused, s.rttl = open_window(keys[1 + 3 * i])
      if s.rused + 1 > s.rpm then ok = false end
    end
    if s.tpm > 0 then
      s.tused, s.tttl = open_window(keys[2 + 3 * i])
      if s.tttl > 0 then s.tend = redis.call('PEXPIRETIME', keys[2 + 3 * i]) end
      if reserve > s.tpm or s.tused >= s.tpm or s.tused + reserve > s.tpm then ok = false end
    end
    if s.par > 0 then
      now = now or now_ms()
      redis.call('ZREMRANGEBYSCORE', keys[3 + 3 * i], '-inf', int(now))
      s.inflight = redis.call('ZCARD', keys[3 + 3 * i])
      if s.inflight + 1 > s.par then ok = false end
    end
    state[i + 1] = s
  end
  local out = {ok and 1 or 0}
  for i = 0, n - 1 do
    local s = state[i + 1]
    if ok then
      if s.rpm > 0 then
        if s.rttl > 0 then
          s.rused = redis.call('INCR', keys[1 + 3 * i])
        else
          redis.call('SET', keys[1 + 3 * i], 1, 'PX', int(window_ms))
          s.rused, s.rttl = 1, window_ms
        end
      end
      if s.tpm > 0 then
        if s.tttl > 0 then
          s.tused = redis.call('INCRBY', keys[2 + 3 * i], int(reserve))
        else
          redis.call('SET', keys[2 + 3 * i], int(reserve), 'PX', int(window_ms))
          s.tused, s.tttl = reserve, window_ms
          s.tend = redis.call('PEXPIRETIME', keys[2 + 3 * i])
        end
      end
      if s.par > 0 then
        redis.call('ZADD', keys[3 + 3 * i], int(now + slot_ttl), slot)
        redis.call('PEXPIRE', keys[3 + 3 * i], int(slot_ttl))
        s.inflight = s.inflight + 1
      end
    end
    for _, v in ipairs({s.rused, s.rttl, s.tused, s.tttl, s.tend, s.inflight}) do
      out[#out + 1] = v
    end
  end
  return out
end

-- KEYS: the tpm keys of the subjects whose tokens the request reserved.
-- ARGV: the correction (actual - reserved), then for each key the end of the window the
--       reservation went into. Only that window, if still open, is corrected; never below 0.
local function settle(keys, args)
  local delta = tonumber(args[1])
  local corrected = 0
  for i = 1, #keys do
    if redis.call('PEXPIRETIME', keys[i]) == tonumber(args[i + 1]) then
      if redis.call('INCRBY', keys[i], int(delta)) < 0 then
        redis.call('SET', keys[i], 0, 'KEEPTTL')
      end
      corrected = corrected + 1
    end
  end
  return corrected
end

-- KEYS: the par keys of the subjects the request holds a slot of. ARGV: the slot id.
local function release(keys, args)
  local freed = 0
  for i = 1, #keys do
    freed = freed + redis.call('ZREM', keys[i], args[1])
  end
  return freed
end

redis.register_function('tollbooth_admit_v1', admit)
redis.register_function('tollbooth_settle_v1', settle)
redis.register_function('tollbooth_release_v1', release)
)lua";

bool limited(const access::Limits& l) noexcept {
  return l.rpm > 0 || l.tpm > 0 || l.max_parallel > 0;
}

void tighter(access::RateInfo& info, std::int64_t limit, std::int64_t used,
             std::int64_t ttl) noexcept {
  if (limit <= 0) return;
  std::int64_t remaining = std::max<std::int64_t>(0, limit - used);
  if (info.limit != 0 && remaining >= info.remaining) return;  // ties: the earlier subject
  info = {limit, remaining, std::max<std::int64_t>(0, ttl)};
}

// Commands sent from the queue in one turn of the event loop (one write); the rest follow in
// the next turns, so admissions are not stuck behind a long queue after an outage.
constexpr std::size_t kReplayBatch = 1'000;

}  // namespace

std::string_view library_code() noexcept {
  return kLibraryCode;
}

Decision decide_admission(std::span<const Subject> subjects, std::int64_t reserve,
                          const RedisReply& reply) {
  Decision d;
  d.ticket.reserved = reserve;
  std::size_t n = 0;
  for (const Subject& s : subjects) n += limited(s.limits) ? 1 : 0;
  constexpr std::size_t kPerSubject = 6;
  const auto& e = reply.elements;
  bool shaped = reply.type == RedisReply::Type::array && e.size() == 1 + kPerSubject * n &&
                std::all_of(e.begin(), e.end(), [](const RedisReply& r) {
                  return r.type == RedisReply::Type::integer;
                });
  if (!shaped) {
    d.unavailable = true;
    return d;
  }
  bool admitted = e[0].integer == 1;
  bool refused = false;
  // The local limiter's choice: one that waiting cannot cure, else the longest wait (a client
  // that waits for a shorter one would only be refused again), else the earlier.
  auto consider = [&](int index, access::LimitRefusal r) {
    const access::LimitRefusal& cur = d.refusal;
    bool worse = r.never != cur.never ? r.never : r.retry_after_ms > cur.retry_after_ms;
    if (refused && !worse) return;
    refused = true;
    d.refused_subject = index;
    d.refusal = r;
  };

  std::size_t j = 0;
  for (std::size_t i = 0; i < subjects.size(); ++i) {
    const Subject& s = subjects[i];
    const access::Limits& lim = s.limits;
    if (!limited(lim)) continue;
    const RedisReply* v = &e[1 + kPerSubject * j++];
    std::int64_t rused = v[0].integer, rttl = std::max<std::int64_t>(0, v[1].integer);
    std::int64_t tused = v[2].integer, tttl = std::max<std::int64_t>(0, v[3].integer);
    std::int64_t tend = v[4].integer, inflight = v[5].integer;
    int at = static_cast<int>(i);
    if (admitted) {
      if (lim.tpm > 0) d.ticket.tokens_window[i] = tend;
      if (lim.max_parallel > 0) d.ticket.parallel |= static_cast<std::uint8_t>(1u << i);
    } else {
      using access::LimitKind;
      if (lim.rpm > 0 && rused + 1 > lim.rpm) {
        consider(at, {s.name, LimitKind::rpm, lim.rpm, rused, 1, rttl, false});
      }
      if (lim.tpm > 0) {
        if (reserve > lim.tpm) {
          consider(at, {s.name, LimitKind::tpm, lim.tpm, tused, reserve, 0, true});
        } else if (tused >= lim.tpm || tused + reserve > lim.tpm) {
          consider(at, {s.name, LimitKind::tpm, lim.tpm, tused, reserve, tttl, false});
        }
      }
      if (lim.max_parallel > 0 && inflight + 1 > lim.max_parallel) {
        consider(at, {s.name, LimitKind::max_parallel, lim.max_parallel, inflight, 1,
                      access::kParallelRetryMs, false});
      }
    }
    tighter(d.headers.requests, lim.rpm, rused, rttl);
    tighter(d.headers.tokens, lim.tpm, tused, tttl);
  }
  if (admitted) {
    d.admitted = true;
  } else if (!refused) {
    d.unavailable = true;  // Redis refused for a reason these limits do not explain
  }
  return d;
}

// ---- what waits for Redis ----

struct RedisLimiter::Pending : std::enable_shared_from_this<Pending> {
  Pending(RedisClient& c, std::size_t limit) : client(c), max(std::max<std::size_t>(1, limit)) {}

  struct Command {
    RedisCommand command;
    // Harmless to run twice (a release: ZREM of one slot id), so sent again when its answer is
    // lost; a settle is not (it adds a correction).
    bool repeatable;
  };

  RedisClient& client;
  const std::size_t max;
  std::deque<Command> queue;
  bool flush_posted = false;
  std::uint64_t dropped = 0;  // since the last warning
  std::int64_t last_drop_log_ms = 0;
  std::int64_t last_error_log_ms = 0;

  // Sends now when the client is ready, else queues for when it is.
  void send(RedisCommand command, bool repeatable) {
    if (!client.ready()) {
      enqueue(std::move(command), repeatable);
      return;
    }
    send_now(std::move(command), repeatable);
  }

  void send_now(RedisCommand command, bool repeatable) {
    if (!repeatable) {
      client.send(std::move(command));
      return;
    }
    RedisCommand copy = command;
    client.async_command(std::move(copy), [weak = weak_from_this(),
                                           command = std::move(command)](RedisReply reply) mutable {
      if (auto self = weak.lock()) self->answered(std::move(command), reply);
    });
  }

  void answered(RedisCommand command, const RedisReply& reply) {
    if (reply.type == RedisReply::Type::none) {
      // The connection dropped before the answer: it may or may not have run. Again, later.
      enqueue(std::move(command), true);
      if (client.ready()) post_flush();
      return;
    }
    if (reply.type != RedisReply::Type::error) return;
    // Not repeated: an error would come back again (the slot lapses by itself). A library
    // deleted under the gateway is loaded again for the next ones.
    if (function_missing(reply)) client.send(function_load(kLibraryCode));
    if (std::int64_t now = steady_ms(); now - last_error_log_ms >= 10'000) {
      last_error_log_ms = now;
      spdlog::warn("rate limits: {} answered a release of max_parallel slots with an error: {}",
                   client.describe(), reply.str);
    }
  }

  void enqueue(RedisCommand command, bool repeatable) {
    if (queue.size() >= max) {
      queue.pop_front();
      ++dropped;
      if (std::int64_t now = steady_ms(); now - last_drop_log_ms >= 10'000) {
        last_drop_log_ms = now;
        spdlog::warn(
            "rate limits: dropped {} release(s) of max_parallel slots or token corrections: more "
            "than {} were waiting for {} to come back (the slots lapse by themselves within {} "
            "s, the reservations with their windows)",
            dropped, max, client.describe(), kSlotTtlMs / 1000);
        dropped = 0;
      }
    }
    queue.push_back({std::move(command), repeatable});
  }

  // The connection is ready (again): sends what waited, a batch per turn of the loop.
  void flush() {
    flush_posted = false;
    std::size_t sent = 0;
    while (!queue.empty() && client.ready() && sent < kReplayBatch) {
      Command c = std::move(queue.front());
      queue.pop_front();
      send_now(std::move(c.command), c.repeatable);
      ++sent;
    }
    if (!queue.empty() && client.ready()) post_flush();
  }

  void post_flush() {
    if (flush_posted) return;
    flush_posted = true;
    asio::post(client.executor(), [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->flush();
    });
  }
};

RedisLimiter::RedisLimiter(RedisClient& client, RedisLimiterOptions options)
    : client_(client),
      options_(options),
      slot_ids_(std::random_device{}()),
      pending_(std::make_shared<Pending>(client, options.max_pending)) {
  client_.add_setup_command(function_load(kLibraryCode),
                            "FUNCTION LOAD of " + std::string(kLibraryName));
  client_.on_ready([weak = std::weak_ptr<Pending>(pending_)] {
    auto pending = weak.lock();
    if (!pending) return;
    if (pending->dropped > 0) {  // held back by the warning's rate limit
      spdlog::warn(
          "rate limits: {} more release(s) or token correction(s) were dropped while {} "
          "was away",
          pending->dropped, pending->client.describe());
      pending->dropped = 0;
    }
    if (pending->queue.empty()) return;
    spdlog::info("rate limits: sending {} release(s) and token correction(s) that waited for {}",
                 pending->queue.size(), pending->client.describe());
    pending->flush();
  });
}

RedisLimiter::~RedisLimiter() {
  client_.on_ready(nullptr);
}

std::size_t RedisLimiter::pending() const noexcept {
  return pending_->queue.size();
}

void RedisLimiter::reload_library() {
  client_.send(function_load(kLibraryCode));
}

Awaitable<Decision> RedisLimiter::admit(std::span<const Subject> subjects,
                                        std::int64_t reserve_tokens) {
  if (subjects.size() > access::kMaxSubjects) {
    throw std::invalid_argument("RedisLimiter::admit: more subjects than kMaxSubjects");
  }
  std::int64_t reserve = std::max<std::int64_t>(0, reserve_tokens);
  std::size_t n = 0;
  bool any_parallel = false;
  for (const Subject& s : subjects) {
    n += limited(s.limits) ? 1 : 0;
    any_parallel = any_parallel || s.limits.max_parallel > 0;
  }
  Decision d;
  d.ticket.reserved = reserve;
  if (n == 0) {  // nothing to count: no need to ask Redis (nor to be able to)
    d.admitted = true;
    co_return d;
  }
  if (!client_.ready()) {
    d.unavailable = true;
    co_return d;
  }

  std::uint64_t slot = any_parallel ? slot_ids_() : 0;
  char slot_text[16];
  RedisCommand cmd(3 + 3 * n + 4 + 3 * n);
  cmd.arg("FCALL").arg(kAdmitFunction).arg(static_cast<std::int64_t>(3 * n));
  for (const Subject& s : subjects) {
    if (!limited(s.limits)) continue;
    cmd.arg_parts({"tb:{", s.name, "}:rpm"});
    cmd.arg_parts({"tb:{", s.name, "}:tpm"});
    cmd.arg_parts({"tb:{", s.name, "}:par"});
  }
  cmd.arg(options_.window_ms).arg(reserve).arg(options_.slot_ttl_ms).arg(hex16(slot, slot_text));
  for (const Subject& s : subjects) {
    if (!limited(s.limits)) continue;
    cmd.arg(s.limits.rpm).arg(s.limits.tpm).arg(s.limits.max_parallel);
  }

  RedisReply reply = co_await client_.async_command(std::move(cmd), asio::deferred);
  if (reply.type == RedisReply::Type::error) {
    // Someone ran FUNCTION FLUSH, or a failover brought a server without the library: load it
    // again for the next admissions.
    if (function_missing(reply)) reload_library();
    if (std::int64_t now = steady_ms(); now - last_error_log_ms_ >= 10'000) {
      last_error_log_ms_ = now;
      spdlog::warn("rate limits: {} answered the admission with an error: {}", client_.describe(),
                   reply.str);
    }
  }
  if (reply.ok()) {
    d = decide_admission(subjects, reserve, reply);
    d.ticket.slot = slot;
    if (!d.unavailable) co_return d;  // admitted (the caller releases) or refused (no slot)
  } else {
    d.unavailable = true;
  }
  // No answer to go by: the connection dropped with the call sent (Redis may have run it
  // before it stalled or after), or the answer is not one this code wrote. The slot may have
  // been taken, and nobody would release it: release it now (a slot id that was never added
  // is nothing to remove). A missing function ran nothing.
  if (any_parallel && !function_missing(reply)) {
    Ticket taken;
    taken.slot = slot;
    for (std::size_t i = 0; i < subjects.size(); ++i) {
      if (limited(subjects[i].limits) && subjects[i].limits.max_parallel > 0) {
        taken.parallel |= static_cast<std::uint8_t>(1u << i);
      }
    }
    release(subjects, taken);
  }
  co_return d;
}

void RedisLimiter::settle(std::span<const Subject> subjects, const Ticket& ticket,
                          std::int64_t actual_tokens) {
  std::int64_t delta = std::max<std::int64_t>(0, actual_tokens) - ticket.reserved;
  std::size_t n = 0;
  for (std::size_t i = 0; i < subjects.size() && i < access::kMaxSubjects; ++i) {
    n += ticket.tokens_window[i] > 0 ? 1 : 0;
  }
  if (delta == 0 || n == 0) return;
  RedisCommand cmd(3 + n + 1 + n);
  cmd.arg("FCALL").arg(kSettleFunction).arg(static_cast<std::int64_t>(n));
  for (std::size_t i = 0; i < subjects.size() && i < access::kMaxSubjects; ++i) {
    if (ticket.tokens_window[i] > 0) cmd.arg_parts({"tb:{", subjects[i].name, "}:tpm"});
  }
  cmd.arg(delta);
  for (std::size_t i = 0; i < subjects.size() && i < access::kMaxSubjects; ++i) {
    if (ticket.tokens_window[i] > 0) cmd.arg(ticket.tokens_window[i]);
  }
  // The window it names identifies it, so sent late it corrects that window if still open and
  // nothing otherwise. Never sent twice: a correction must count once.
  pending_->send(std::move(cmd), false);
}

void RedisLimiter::release(std::span<const Subject> subjects, const Ticket& ticket) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < subjects.size() && i < access::kMaxSubjects; ++i) {
    n += (ticket.parallel >> i) & 1u;
  }
  if (n == 0) return;
  char slot_text[16];
  RedisCommand cmd(3 + n + 1);
  cmd.arg("FCALL").arg(kReleaseFunction).arg(static_cast<std::int64_t>(n));
  for (std::size_t i = 0; i < subjects.size() && i < access::kMaxSubjects; ++i) {
    if ((ticket.parallel >> i) & 1u) cmd.arg_parts({"tb:{", subjects[i].name, "}:par"});
  }
  cmd.arg(hex16(ticket.slot, slot_text));
  pending_->send(std::move(cmd), true);
}

}  // namespace tollbooth::limits
