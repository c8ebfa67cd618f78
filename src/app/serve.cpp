#include "app/serve.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <vector>

#include "app/access_service.hpp"
#include "app/config_runtime.hpp"
#include "app/ledger_store.hpp"
#include "app/ledger_writer.hpp"
#include "app/log_writer.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "gateway/frontend.hpp"
#include "gateway/metrics.hpp"
#include "gateway/route_table.hpp"
#include "limits/redis_url.hpp"
#include "server/server.hpp"
#include "server/worker.hpp"

namespace tollbooth {

int run_serve(std::shared_ptr<const Config> config, LogFormat log_format) {
  // A SIGHUP before the server listens must not end the process (Server::run reloads on it).
  std::signal(SIGHUP, SIG_IGN);
  std::shared_ptr<RouteTable> routes;
  try {
    routes = std::make_shared<RouteTable>(config);
  } catch (const std::exception& e) {
    std::cerr << "tollbooth: " << e.what() << "\n";
    return 1;
  }
  for (const auto& source : routes->credential_sources())
    spdlog::info("AWS credentials for {}", source);

  if (!config->store.redis_url.empty()) {
    auto url = limits::parse_redis_url(config->store.redis_url);
    if (!url) {
      std::cerr << "tollbooth: store.redis: " << url.error().message << "\n";
      return 1;
    }
    spdlog::info(
        "rate-limit counters shared through {} (when unreachable: {})", url.value().describe(),
        config->store.redis_failure == LimitFailure::fail_open ? "fail_open" : "fail_closed");
  }

  SystemClock clock;
  // Declared before the server: they outlive every gateway that uses them.
  std::unique_ptr<AccessService> access;
  try {
    access = std::make_unique<AccessService>(config, clock);
  } catch (const std::exception& e) {
    std::cerr << "tollbooth: " << e.what() << "\n";
    return 1;
  }
  if (auto where = access->store_description(); !where.empty())
    spdlog::info("store: {} ({} keys)", where, access->key_count());
  if (config->auth == AuthMode::none) {
    spdlog::warn("auth: none: every caller may use every model without a key");
  } else if (access->key_count() == 0 && config->server.admin_key.empty()) {
    spdlog::warn(
        "auth: keys, but there is no key and no server.admin_key: every request will get 401; "
        "create a key with `tollbooth keys create -c {}`",
        config->source_file);
  }
  // Counted by each worker in its own shard; summed when GET /metrics is scraped. Each config
  // generation has its own.
  std::shared_ptr<gateway::Metrics> metrics;
  if (config->metrics.enabled)
    metrics = std::make_shared<gateway::Metrics>(routes->catalog(), routes->health());
  // The config in force; SIGHUP and POST /admin/v1/reload load it again.
  const unsigned workers = config->server.workers;
  ConfigRuntime runtime(config, routes, metrics, workers, clock);
  runtime.set_access(access.get());

  // The ledger: with a store, every attempt's usage is priced and written there.
  std::unique_ptr<LedgerStore> ledger_store;
  std::unique_ptr<LedgerWriter> ledger;
  if (!access->store_description().empty()) {
    try {
      // It also feeds strategy commitment_burn the store's burn: at start, after each batch.
      ledger_store = std::make_unique<LedgerStore>(*config, clock, &runtime.burn());
    } catch (const std::exception& e) {
      std::cerr << "tollbooth: the ledger's store: " << e.what() << "\n";
      return 1;
    }
    ledger = std::make_unique<LedgerWriter>(*ledger_store, config->billing.ledger_flush,
                                            config->billing.ledger_queue);
  } else {
    spdlog::warn(
        "no store (auth: none and no store: section): requests are not written to a ledger");
    if (routes->commitment_burn().wants_burn()) {
      spdlog::warn(
          "strategy commitment_burn without a ledger: the burn is unknown, so routes are ordered "
          "by their commitments' pro-rata targets alone");
    }
  }
  LogWriter log_writer(STDERR_FILENO);
  const bool access_log = spdlog::should_log(spdlog::level::info);

  Server server(config->server, clock);
  try {
    server.listen([&](Worker& w) -> std::unique_ptr<RequestHandler> {
      return std::make_unique<gateway::Frontend>(w, runtime, *access,
                                                 access_log ? &log_writer : nullptr, log_format,
                                                 ledger.get(), config->store.redis_url);
    });
  } catch (const std::exception& e) {
    std::cerr << "tollbooth: " << e.what() << "\n";
    return 1;
  }
  runtime.set_workers(server.worker_count());
  server.on_hangup([&runtime] {
    runtime.reload([](gateway::ReloadOutcome) {});  // the reload logs what it came to
  });
  std::cout << "tollbooth listening on " << server.where() << std::endl;

  // Stop accepting, finish what is in flight (cut at drain_timeout): the loops have stopped
  // when run() returns, and each gateway has handed over what its observers buffered. Then
  // the writer writes it and stops.
  server.run();
  runtime.stop();  // a reload under way finishes first
  if (ledger) {
    ledger->stop();  // every row of every answered request is written
    ledger_store->finish();
    spdlog::info("ledger: {} rows written", ledger->rows_written());
  }
  access->stop();  // queued admin calls finish; the rate-limit windows are saved
  log_writer.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace tollbooth
