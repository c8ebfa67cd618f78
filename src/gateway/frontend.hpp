#pragma once
// A worker's request handler across config reloads. It keeps the worker's services (upstream
// pool, signer, Redis, access log) and a Gateway per config generation: each new request goes
// to the newest generation's Gateway (one atomic load tells whether a reload happened), and
// each request finishes on the Gateway it started on, so a reload never changes the config
// under a request in flight. An older Gateway is dropped when its last request has finished.
// I/O header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/batch_sink.hpp"
#include "core/ledger.hpp"
#include "core/log_format.hpp"
#include "gateway/gateway.hpp"
#include "gateway/runtime.hpp"
#include "server/handler.hpp"

namespace tollbooth::gateway {

class Frontend final : public RequestHandler {
 public:
  // `runtime`, `access_source` and `ledger` outlive the frontend. `access_log`: where the
  // worker's access-log lines go (null: none). `redis_url`: store.redis, empty for none.
  Frontend(Worker& worker, RuntimeSource& runtime, AccessSource& access_source,
           BatchSink* access_log, LogFormat log_format, LedgerSink* ledger,
           const std::string& redis_url);
  ~Frontend() override;

  Awaitable<void> handle(ClientConn& c, const HttpRequest& req) override;
  void finished(const RequestOutcome& outcome) noexcept override;
  std::string error_body(const Error& error) const override;
  void drain_started() noexcept override;
  void stopped() noexcept override;

  // The newest generation's gateway (tests add observers to it).
  Gateway& gateway() noexcept { return *current_.gateway; }
  // Gateways of older generations still finishing requests.
  std::size_t retired() const noexcept { return retired_.size(); }

 private:
  // A gateway always goes before its runtime: its destructor reads the runtime's routes.
  // Members go in reverse order when destroyed; a move-assignment (the vector's erase shifts
  // elements with it) replaces the gateway first too.
  struct Generation {
    std::shared_ptr<const Runtime> runtime;
    std::unique_ptr<Gateway> gateway;

    Generation() = default;
    Generation(Generation&&) noexcept = default;
    Generation& operator=(Generation&& other) noexcept {
      gateway = std::move(other.gateway);
      runtime = std::move(other.runtime);
      return *this;
    }
  };
  Generation make(std::shared_ptr<const Runtime> runtime);
  void refresh();

  WorkerServices services_;
  RuntimeSource& runtime_;
  AccessSource& access_source_;
  LedgerSink* ledger_;
  Generation current_;
  std::vector<Generation> retired_;
};

}  // namespace tollbooth::gateway
