#include "gateway/frontend.hpp"

#include "api/openai/errors.hpp"
#include "gateway/access_log.hpp"
#include "gateway/metrics.hpp"
#include "gateway/route_table.hpp"
#include "limits/redis_budgets.hpp"
#include "limits/redis_client.hpp"
#include "limits/redis_limiter.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

Frontend::Frontend(Worker& worker, RuntimeSource& runtime, AccessSource& access_source,
                   BatchSink* access_log, LogFormat log_format, LedgerSink* ledger,
                   const std::string& redis_url)
    : services_(worker, access_source, access_log, log_format, redis_url),
      runtime_(runtime),
      access_source_(access_source),
      ledger_(ledger) {
  services_.runtime = &runtime;
  current_ = make(runtime.current());
}

Frontend::~Frontend() {
  // Gateways first: they give their targets' idle connections back to the services' pool.
  retired_.clear();
  current_.gateway.reset();
}

Frontend::Generation Frontend::make(std::shared_ptr<const Runtime> runtime) {
  Generation g;
  g.gateway = std::make_unique<Gateway>(services_, *runtime->routes, access_source_, ledger_,
                                        runtime->metrics.get());
  g.runtime = std::move(runtime);
  return g;
}

void Frontend::refresh() {
  std::shared_ptr<const Runtime> next = runtime_.current();
  if (!next || next == current_.runtime) return;
  Generation old = std::move(current_);
  current_ = make(std::move(next));
  // An old gateway with requests in flight waits for them; an idle one goes now, before its
  // runtime (Generation's members go in reverse order): its destructor reads its routes.
  if (old.gateway->in_flight > 0) retired_.push_back(std::move(old));
}

Awaitable<void> Frontend::handle(ClientConn& c, const HttpRequest& req) {
  if (runtime_.generation() != current_.runtime->generation) refresh();
  Gateway& g = *current_.gateway;  // stays put if a reload retires it meanwhile
  ++g.in_flight;
  c.outcome.config_generation = current_.runtime->generation;
  // Not a coroutine itself: the gateway's is the request's only frame.
  return g.handle(c, req);
}

void Frontend::finished(const RequestOutcome& outcome) noexcept {
  const std::uint64_t generation = outcome.config_generation;
  // 0: refused before the handler ran (no generation taken): the newest gateway observes it.
  if (generation == 0 || generation == current_.runtime->generation) {
    current_.gateway->finished(outcome);
    if (generation != 0) --current_.gateway->in_flight;
    return;
  }
  for (auto it = retired_.begin(); it != retired_.end(); ++it) {
    if (it->runtime->generation != generation) continue;
    it->gateway->finished(outcome);
    if (--it->gateway->in_flight == 0) retired_.erase(it);
    return;
  }
}

std::string Frontend::error_body(const Error& error) const {
  return openai::error_body(error);
}

void Frontend::drain_started() noexcept {
  services_.drain_started();
}

void Frontend::stopped() noexcept {
  services_.stopped();
}

}  // namespace tollbooth::gateway
