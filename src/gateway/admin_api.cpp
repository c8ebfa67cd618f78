// /admin/v1/...: keys, teams and the audit log. The call itself (validation, the store write,
// the audit entry) is admin/'s, run on the store's thread through the AccessSource; this
// coroutine hands it over and resumes on its own loop with the answer, so the event loop never
// waits on the database.
#include <boost/asio/post.hpp>

#include "gateway/access_source.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/gateway.hpp"
#include "server/client_conn.hpp"
#include "server/request_target.hpp"
#include "server/worker.hpp"

namespace tollbooth::gateway {

namespace {

// Runs the call on the store's thread; completes on this worker's loop.
template <class Token>
auto async_admin(Gateway& g, AdminRequest request, Token&& token) {
  return asio::async_initiate<Token, void(AdminResponse)>(
      [&g](auto handler, AdminRequest request) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        // Outstanding work: while the store's thread holds the call, the loop must not run out
        // of work and return (a drain), or the reply, and a new key's secret, would be lost.
        auto work =
            std::make_shared<asio::executor_work_guard<Executor>>(g.worker.io.get_executor());
        g.access_source.admin(std::move(request), [shared, work](AdminResponse response) {
          asio::post(work->get_executor(),
                     [shared, work, response = std::move(response)]() mutable {
                       (*shared)(std::move(response));
                       work->reset();
                     });
        });
      },
      token, std::move(request));
}

}  // namespace

Awaitable<void> admin_api(Gateway& g, ClientConn& c, const HttpRequest& req, std::string_view path,
                          Caller& caller) {
  AdminRequest request;
  request.method = std::string(req.method_string());
  request.path = std::string(path.substr(std::string_view("/admin/v1").size()));
  std::string_view target = req.target();
  if (auto q = target.find('?'); q != std::string_view::npos)
    request.query = std::string(target.substr(q + 1));
  request.body = req.body();
  request.actor = caller.actor();
  AdminResponse response =
      co_await async_admin(g, std::move(request), asio::use_awaitable_t<Executor>{});
  std::string extra;
  if (!response.allow.empty()) extra = "Allow: " + response.allow + "\r\n";
  co_await c.respond(response.status, "application/json", response.body, extra);
}

}  // namespace tollbooth::gateway
