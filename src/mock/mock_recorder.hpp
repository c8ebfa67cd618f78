#pragma once
// The last requests the mock clouds received, for tests to assert exactly what the gateway sent
// upstream (GET /_mock/requests). A bounded ring behind a mutex: recording is a few string
// copies into reused slots, small next to the socket work of a request.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace tollbooth::mock {

struct RecordedRequest {
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

}  // namespace tollbooth::mock
