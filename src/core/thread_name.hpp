#pragma once
// Names the calling thread as `top -H`, `ps -L`, perf and /proc/<pid>/task/*/comm show it
// ("tb-worker-0", "tb-ledger", ...): at most 15 bytes, longer names are cut.
#include <pthread.h>

#include <cstring>
#include <string_view>

namespace tollbooth {

inline void name_this_thread(std::string_view name) noexcept {
  char buf[16];
  const std::size_t n = name.size() < sizeof buf ? name.size() : sizeof buf - 1;
  std::memcpy(buf, name.data(), n);
  buf[n] = '\0';
  ::pthread_setname_np(::pthread_self(), buf);
}

}  // namespace tollbooth
