#pragma once
// The last requests the mock clouds received, for tests to assert exactly what the gateway sent
// upstream (GET /_mock/requests). A bounded ring behind a mutex: recording is a few string
// copies into reused slots, small next to the socket work of a request.
// And the usage every answer reported (GET /_mock/usage), kept whole rather than in a ring, so
// a test can recompute a ledger from the clouds' side.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth::mock {

struct RecordedRequest {
  std::uint64_t seq = 0;  // the cloud request's number N (req-mock-N); 0 when it had none
  std::string cloud;
  std::string method;
  std::string target;
  // "name:value\n" per header as received; lower-cased and merged only when rendered, so
  // recording is one append into a reused string.
  std::string headers;
  std::string body;  // at most RequestLog::kMaxBody bytes
  bool body_truncated = false;

  // Adds a header (names are lower-cased and repeats joined with ", " when rendered).
  void add_header(std::string_view name, std::string_view value);
  // Stores the body, cut to kMaxBody.
  void set_body(std::string_view body);
};

class RequestLog {
 public:
  static constexpr std::size_t kCapacity = 100;
  static constexpr std::size_t kMaxBody = 64 * 1024;

  RequestLog();

  // Calls fill(RecordedRequest&) on the next slot (already cleared) under the lock. Filling in
  // place reuses the slot's string capacity.
  template <class Fill>
  void record(Fill&& fill) {
    std::lock_guard lock(mutex_);
    auto& slot = slots_[next_ % kCapacity];
    reset(slot);
    fill(slot);
    ++next_;
  }

  // {"requests":[...]} oldest first; `cloud` non-empty keeps only that cloud's requests.
  std::string to_json(std::string_view cloud = {}) const;
  // Forgets everything; returns how many requests were held.
  std::size_t clear();

 private:
  static void reset(RecordedRequest& slot);

  mutable std::mutex mutex_;
  std::vector<RecordedRequest> slots_;
  std::size_t next_ = 0;  // total recorded since the last clear
};

// The usage of one answer, in the cloud's own shape.
struct UsageRecord {
  std::uint64_t seq = 0;  // the cloud request's number N (req-mock-N, chatcmpl-mock-N)
  std::string cloud;      // its name
  std::string_view kind;  // openai, azure or bedrock
  std::string model;      // as the request named it: body model, deployment or modelId
  bool stream = false;
  bool reported = true;    // the answer carries it (not an OpenAI stream without include_usage)
  bool delivered = false;  // the bytes carrying it were written to the connection
  std::string usage;       // the usage object (JSON) as the answer carries or would carry it
};

class UsageLog {
 public:
  // Records beyond this are counted as dropped, not kept.
  static constexpr std::size_t kCapacity = 100'000;

  // Adds a record; returns its ticket for mark_delivered (0 when it was dropped).
  std::uint64_t add(UsageRecord record);
  // The answer's usage went out whole. A ticket from before the last clear is ignored.
  void mark_delivered(std::uint64_t ticket);
  // {"usage":[...],"dropped":N} oldest first; `cloud` non-empty keeps only that cloud's.
  std::string to_json(std::string_view cloud = {}) const;
  // Forgets everything; returns how many records were held.
  std::size_t clear();

 private:
  mutable std::mutex mutex_;
  std::vector<UsageRecord> records_;
  std::uint64_t first_ticket_ = 1;  // the ticket of records_[0]
  std::uint64_t dropped_ = 0;
};

}  // namespace tollbooth::mock
