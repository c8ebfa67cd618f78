#pragma once
// Awaiting a call on the store's thread (AccessSource: budgets' spend, kept responses) from a
// worker's event loop: the loop keeps running meanwhile, and the coroutine resumes on it with
// the call's value. I/O header: include only from gateway .cpp files.
#include <memory>
#include <utility>

#include "gateway/gateway.hpp"
#include "net/asio.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

// `start(done)` hands the work to the store's thread, which calls done(value) exactly once
// (AccessSource's calls promise it); the awaiting coroutine resumes on g's loop with the value.
template <class T, class Start>
Awaitable<T> on_store_thread(Worker& w, Start start) {
  return asio::async_initiate<const asio::use_awaitable_t<Executor>, void(T)>(
      [&w, start = std::move(start)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto work = std::make_shared<asio::executor_work_guard<Executor>>(w.io.get_executor());
        start([shared, work](T value) {
          asio::post(work->get_executor(), [shared, work, value = std::move(value)]() mutable {
            (*shared)(std::move(value));
            work->reset();
          });
        });
      },
      asio::use_awaitable_t<Executor>{});
}

template <class T, class Start>
Awaitable<T> on_store_thread(Gateway& g, Start start) {
  return on_store_thread<T>(g.worker, std::move(start));
}

}  // namespace tollbooth::gateway
