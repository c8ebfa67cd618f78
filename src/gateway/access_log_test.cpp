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

// An access log writing into `sink`, at the clock's time.
struct Logged {
  explicit Logged(std::int64_t now_ms = 0) : clock(now_ms), log(sink, io.get_executor(), clock) {}
  asio::io_context io;
  FakeClock clock;
  Collect sink;
  AccessLog log;
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
  Logged l(1'799'971'200'123);  // 2027-01-15 00:00:00.123 UTC
  l.log.on_outcome(served_request());
  l.log.flush();
  EXPECT_EQ(l.sink.written,
            "[2027-01-15 00:00:00.123] [tollbooth] [info] req_1_0_1 POST /v1/chat/completions 200 "
            "model=gpt-4o route=azure-east stream=false in=12 out=34 us=250\n");
}

TEST(AccessLog, FailedAttemptsAndThePlanFollowTheLine) {
  Logged l;
  RequestOutcome o = served_request();
  o.attempts.push_back(AttemptRecord{
      0, "down", AttemptEnd::failed, 503, ErrorKind::bad_gateway, "HTTP 503", 0, 0, {}});
  o.attempts.push_back(
      AttemptRecord{1, "azure-east", AttemptEnd::served, 200, ErrorKind::internal, {}, 0, 0, {}});
  o.plan = "needs=none plan=down=ordered;azure-east=ordered";
  l.log.on_outcome(o);
  l.log.flush();
  EXPECT_NE(l.sink.written.find(" us=250 failed=down(HTTP 503) needs=none plan=down=ordered;"),
            std::string::npos)
      << l.sink.written;
}

TEST(AccessLog, ClientTextCannotForgeALineOrFloodIt) {
  Logged l;
  RequestOutcome o = served_request();
  o.model = "nope\n[info] forged";
  std::string long_target(100'000, 'x');
  o.target = long_target;
  l.log.on_outcome(o);
  l.log.flush();
  EXPECT_EQ(std::count(l.sink.written.begin(), l.sink.written.end(), '\n'), 1);
  EXPECT_NE(l.sink.written.find("model=nope\\n[info] forged"), std::string::npos);
  EXPECT_LT(l.sink.written.size(), 1000u) << "a 100 KB target is cut";
}

TEST(AccessLog, NothingIsWrittenUntilTheBatchIsHandedOver) {
  Logged l;
  l.log.on_outcome(served_request());
  EXPECT_TRUE(l.sink.written.empty()) << "lines wait in the worker's buffer, off the request path";
  l.io.run_for(std::chrono::milliseconds(50));  // the batch timer hands them over
  EXPECT_FALSE(l.sink.written.empty());
}

TEST(AccessLog, JsonLinesNameEveryFieldAndEscapeWhatTheClientSent) {
  asio::io_context io;
  FakeClock clock(1'799'971'200'123);  // 2027-01-15 00:00:00.123 UTC
  Collect sink;
  AccessLog log(sink, io.get_executor(), clock, LogFormat::json);
  RequestOutcome o = served_request();
  o.model = "gpt\"4o\\";
  o.key_id = "app";
  o.client_request_id = "trace-7";
  o.attempts.push_back(AttemptRecord{
      0, "down", AttemptEnd::failed, 503, ErrorKind::bad_gateway, "HTTP 503", 0, 0, {}});
  o.attempts.push_back(
      AttemptRecord{1, "azure-east", AttemptEnd::served, 200, ErrorKind::internal, {}, 900, 0, {}});
  log.on_outcome(o);
  log.flush();
  EXPECT_EQ(sink.written,
            R"({"time":"2027-01-15T00:00:00.123Z","level":"info","msg":"request",)"
            R"("request_id":"req_1_0_1","client_request_id":"trace-7",)"
            R"("method":"POST","path":"/v1/chat/completions",)"
            R"("status":200,"key":"app","team":null,"model":"gpt\"4o\\","route":"azure-east",)"
            R"("stream":false,"input_tokens":12,"cached_input_tokens":0,"output_tokens":34,)"
            R"("reasoning_tokens":0,"charge_micros":null,"duration_us":250,)"
            R"("upstream_ttfb_us":900,"attempts":2,)"
            R"("failed":[{"provider":"down","error":"HTTP 503"}],"plan":null})"
            "\n");
}

}  // namespace
}  // namespace tollbooth::gateway
