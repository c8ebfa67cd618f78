#pragma once
// Fault injection for the mock clouds. A fault spec is a `;`-separated list of items, given per
// request in the `x-mock-fault` header or per cloud in the mock config (docs/mock.md):
//   status=503        answer that status with the cloud's error body (429 adds retry-after: 1)
//   retry_after=2     send `retry-after: 2`
//   latency_ms=200    wait before sending the response head
//   stall_ms=5000     stream: send the head and the first event, then go silent that long
//   drop_after=3      stream: close the connection after 3 events, no terminating chunk
//   close             close the connection without any response
//   exception=throttlingException
//                     Bedrock stream: an exception frame after the first event, then the end
//   fail_first=2      only the first 2 fault-carrying requests to the cloud get the fault
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace tollbooth::mock {

struct FaultSpec {
  int status = 0;          // 0: answer normally
  int retry_after_s = -1;  // -1: no retry-after header (429 defaults to 1)
  int latency_ms = 0;
  int stall_ms = 0;
  int drop_after = -1;  // -1: never drop
  bool close = false;
  int fail_first = -1;    // -1: every request gets the fault
  std::string exception;  // Bedrock stream exception member name; empty: none

  // True when the spec changes nothing about the answer.
  bool none() const noexcept {
    return status == 0 && retry_after_s < 0 && latency_ms == 0 && stall_ms == 0 && drop_after < 0 &&
           !close && exception.empty();
  }
  friend bool operator==(const FaultSpec&, const FaultSpec&) = default;
};

// Parses a spec; whitespace around items is ignored and an empty spec means no fault. Unknown
// items and out-of-range numbers are errors (kind invalid_request, message says which item).
Result<FaultSpec> parse_fault_spec(std::string_view spec);

// Canonical text of a spec (items in the order above), e.g. "status=503;retry_after=2".
std::string to_string(const FaultSpec& spec);

}  // namespace tollbooth::mock
