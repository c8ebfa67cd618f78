#include "gateway/access_log.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tollbooth::gateway {
namespace {

class Collect final : public BatchSink {
 public:
  void write_batch(std::string& batch) noexcept override {
    written += batch;
    batch.clear();
  }
  std::string written;
};

RequestOutcome served_request() {
  RequestOutcome o;
  o.request_id = "req_1_0_1";
  o.method = "POST";
  o.target = "/v1/chat/completions";
  o.status = 200;
  o.model = "gpt-4o";
  o.route = "azure-east";
  o.usage.input_tokens = 12;
  o.usage.output_tokens = 34;
  o.received = std::chrono::steady_clock::time_point(std::chrono::microseconds(1000));
  o.done = std::chrono::steady_clock::time_point(std::chrono::microseconds(1250));
  return o;
}

TEST(AccessLog, OneLinePerRequestWithTheClocksTimeAndTheOutcome) {
  asio::io_context io;
  FakeClock clock(1'799'971'200'123);  // 2027-01-15 00:00:00.123 UTC
  Collect sink;
  AccessLog log(sink, io.get_executor(), clock);
  RequestOutcome o = served_request();
  log.on_outcome(o);
  log.flush();
  EXPECT_EQ(sink.written,
            "[2027-01-15 00:00:00.123] [tollbooth] [info] req_1_0_1 POST /v1/chat/completions 200 "
            "model=gpt-4o route=azure-east stream=false in=12 out=34 us=250\n");
}

TEST(AccessLog, FailedAttemptsAndThePlanFollowTheLine) {
  asio::io_context io;
  FakeClock clock(0);
  Collect sink;
  AccessLog log(sink, io.get_executor(), clock);
  RequestOutcome o = served_request();
  o.attempts.push_back(
      AttemptRecord{0, "down", AttemptEnd::failed, 503, ErrorKind::bad_gateway, "HTTP 503", 0, {}});
  o.attempts.push_back(
      AttemptRecord{1, "azure-east", AttemptEnd::served, 200, ErrorKind::internal, {}, 0, {}});
  o.plan = "needs=none plan=down=ordered;azure-east=ordered";
  log.on_outcome(o);
  log.flush();
  EXPECT_NE(sink.written.find(" us=250 failed=down(HTTP 503) needs=none plan=down=ordered;"),
            std::string::npos)
      << sink.written;
}

TEST(AccessLog, ClientTextCannotForgeALineOrFloodIt) {
  asio::io_context io;
  FakeClock clock(0);
  Collect sink;
  AccessLog log(sink, io.get_executor(), clock);
  RequestOutcome o = served_request();
  o.model = "nope\n[info] forged";
  std::string long_target(100'000, 'x');
  o.target = long_target;
  log.on_outcome(o);
  log.flush();
  EXPECT_EQ(std::count(sink.written.begin(), sink.written.end(), '\n'), 1);
  EXPECT_NE(sink.written.find("model=nope\\n[info] forged"), std::string::npos);
  EXPECT_LT(sink.written.size(), 1000u) << "a 100 KB target is cut";
}

TEST(AccessLog, NothingIsWrittenUntilTheBatchIsHandedOver) {
  asio::io_context io;
  FakeClock clock(0);
  Collect sink;
  AccessLog log(sink, io.get_executor(), clock);
  RequestOutcome o = served_request();
  log.on_outcome(o);
  EXPECT_TRUE(sink.written.empty()) << "lines wait in the worker's buffer, off the request path";
  io.run_for(std::chrono::milliseconds(50));  // the batch timer hands them over
  EXPECT_FALSE(sink.written.empty());
}

}  // namespace
}  // namespace tollbooth::gateway
