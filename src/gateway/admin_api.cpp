// /admin/v1/...: keys, teams and the audit log. The call itself (validation, the store write,
// the audit entry) is admin/'s, run on the store's thread through the AccessSource; this
// coroutine hands it over and resumes on its own loop with the answer, so the event loop never
// waits on the database.
#include "gateway/access_source.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/gateway.hpp"
#include "gateway/store_call.hpp"
#include "server/client_conn.hpp"
#include "server/request_target.hpp"

namespace tollbooth::gateway {

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
  // Outstanding work (on_store_thread holds the loop): while the store's thread has the call,
  // a drain must not let the loop run out and return, or the reply, and a new key's secret,
  // would be lost.
  AdminResponse response = co_await on_store_thread<AdminResponse>(
      g, [&g, &request](auto done) { g.access_source.admin(std::move(request), std::move(done)); });
  std::string extra;
  if (!response.allow.empty()) extra = "Allow: " + response.allow + "\r\n";
  co_await c.respond(response.status, "application/json", response.body, extra);
}

}  // namespace tollbooth::gateway
