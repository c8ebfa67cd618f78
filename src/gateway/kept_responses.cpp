// GET /v1/responses/{id}, GET /v1/responses/{id}/input_items and DELETE /v1/responses/{id}:
// the responses the gateway keeps (responses.cpp keeps them; docs/responses.md, "State"),
// read and deleted on the store's thread for the caller's key only. Another key's response,
// like one that never was or has expired, is "not found": the answer says nothing of it.
#include <optional>
#include <string>

#include "api/openai/errors.hpp"
#include "api/openai/responses_state.hpp"
#include "core/text.hpp"
#include "gateway/access_source.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/gateway.hpp"
#include "gateway/store_call.hpp"
#include "server/client_conn.hpp"

namespace tollbooth::gateway {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kPrefix = "/v1/responses/";
constexpr std::string_view kItems = "/input_items";

Error not_found(std::string_view id) {
  return make_error(ErrorKind::not_found,
                    "Response with id '" + excerpt_client_text(id, 80) + "' not found.", {},
                    "response_not_found");
}

Error store_failed() {
  return make_error(ErrorKind::unavailable,
                    "the gateway's store cannot be read right now; retry shortly", {},
                    "store_unavailable");
}

}  // namespace

Awaitable<void> kept_response(Gateway& g, ClientConn& c, const HttpRequest& req,
                              std::string_view path, Caller& caller) {
  std::string_view id = path.substr(kPrefix.size());
  const bool items = id.ends_with(kItems);
  if (items) id.remove_suffix(kItems.size());
  if (id.empty() || id.size() > 256 || id.find('/') != std::string_view::npos) {
    co_await c.respond_error(
        make_error(ErrorKind::not_found,
                   "no such endpoint: " + excerpt_client_text(path, kClientPathExcerptBytes), {},
                   "unknown_url"));
    co_return;
  }
  const bool remove = req.method() == beast::http::verb::delete_;
  if (remove && items) {
    co_await c.respond_error(make_error(ErrorKind::method_not_allowed, "this endpoint accepts GET"),
                             "Allow: GET\r\n");
    co_return;
  }
  if (!g.access_source.keeps_responses()) {
    Error e = not_found(id);
    e.message += " This gateway keeps no responses: it has no store (store: in its config).";
    co_await c.respond_error(e);
    co_return;
  }
  std::string key(caller.key_id());
  std::string wanted(id);
  if (remove) {
    std::optional<bool> deleted =
        co_await on_store_thread<std::optional<bool>>(g, [&g, &key, &wanted](auto done) {
          g.access_source.delete_response(std::move(key), std::move(wanted), std::move(done));
        });
    if (!deleted) {
      co_await c.respond_error(store_failed());
    } else if (!*deleted) {
      co_await c.respond_error(not_found(id));
    } else {
      const std::string body = openai::response_deleted_body(id);
      co_await c.respond(200, kJson, body);
    }
    co_return;
  }
  ResponseLookup found =
      co_await on_store_thread<ResponseLookup>(g, [&g, &key, &wanted](auto done) {
        g.access_source.find_response(std::move(key), std::move(wanted), 0, std::move(done));
      });
  if (found.status == ResponseLookup::Status::store_failed) {
    co_await c.respond_error(store_failed());
    co_return;
  }
  if (found.status != ResponseLookup::Status::found || found.chain.empty()) {
    co_await c.respond_error(not_found(id));
    co_return;
  }
  const StoredResponse& r = found.chain.front();
  if (!items) {
    co_await c.respond(200, kJson, r.response);
    co_return;
  }
  std::string_view target = req.target();
  const std::size_t q = target.find('?');
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  auto page = openai::input_items_page(r.input_items, r.id, query);
  if (!page) {
    co_await c.respond_error(page.error());
    co_return;
  }
  co_await c.respond(200, kJson, page.value());
}

}  // namespace tollbooth::gateway
