#pragma once
// Where batches of log lines go: a writer that takes whole batches and writes them away from
// the request path (app/log_writer). One interface so the observers that produce lines know
// nothing of threads or files.
#include <string>

namespace tollbooth {

class BatchSink {
 public:
  virtual ~BatchSink() = default;
  // Takes `batch` (whole lines, each ending in '\n'); may swap in an empty buffer with capacity.
  virtual void write_batch(std::string& batch) noexcept = 0;
};

}  // namespace tollbooth
