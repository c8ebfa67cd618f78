#pragma once
// The mock clouds' request handling, free of sockets: routes a request to a cloud by path
// prefix, checks the key the way that cloud does, applies faults, validates the body and
// builds the deterministic answer. Thread-safe: the config is read-only, counters are atomic.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "aws/sigv4.hpp"

#include "mock/mock_config.hpp"
#include "mock/mock_reply.hpp"

namespace tollbooth::mock {

struct MockRequest {
  std::string_view method;
  std::string_view target;         // path and query, as received
  std::string_view authorization;  // header values; empty when absent
  std::string_view api_key;
  std::optional<std::string_view> fault;  // x-mock-fault, when present (empty = no fault)
  std::string_view body;
  // Every header as received (Bedrock's SigV4 check needs them); may be empty for other clouds.
  std::span<const aws::HeaderRef> headers;
};

class MockHandler {
 public:
  explicit MockHandler(MockConfig config);

  // Fills `reply` (which the caller has cleared).
  void handle(const MockRequest& request, Reply& reply);
  // Restarts every cloud's fail_first count (DELETE /_mock/requests does this).
  void reset_counters() noexcept;
  const MockConfig& config() const noexcept { return config_; }

 private:
  struct Route;
  std::optional<Route> route(std::string_view path) const;
  void chat(const Route& route, const MockRequest& request, std::uint64_t n, Reply& reply);
  void models(const Route& route, Reply& reply) const;
  void converse(const Route& route, const MockRequest& request, Reply& reply);
  bool authorized(const Route& route, const MockRequest& request, Reply& reply) const;
  bool apply_fault(std::size_t cloud, const MockRequest& request, Reply& reply);

  MockConfig config_;  // clouds ordered by prefix length, longest first
  std::unique_ptr<std::atomic<std::uint64_t>[]> fail_counts_;  // per cloud
  std::atomic<std::uint64_t> next_id_{0};
};

}  // namespace tollbooth::mock
