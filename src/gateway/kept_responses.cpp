// GET /v1/responses/{id}, GET /v1/responses/{id}/input_items and DELETE /v1/responses/{id}:
// the responses the gateway keeps (responses.cpp keeps them; docs/responses.md, "State"),
// read and deleted on the store's thread for the caller's key only; a DELETE also reaches the
// OpenAI or Azure provider that keeps the response. Another key's response,
// like one that never was or has expired, is "not found": the answer says nothing of it.
#include <optional>
#include <string>

#include "api/openai/errors.hpp"
#include "api/openai/responses_state.hpp"
#include "config/config.hpp"
#include "core/buffer_budget.hpp"
#include "core/text.hpp"
#include "gateway/access_source.hpp"
#include "gateway/caller.hpp"
#include "gateway/endpoints.hpp"
#include "gateway/gateway.hpp"
#include "gateway/relay.hpp"
#include "gateway/route_table.hpp"
#include "gateway/store_call.hpp"
#include "providers/openai_responses.hpp"
#include "providers/upstream_request.hpp"
#include "server/client_conn.hpp"
#include "server/worker.hpp"

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

// The response `id` of `key` (copies: the strings are the caller's to keep), or nullopt once
// the client has been answered why not (404, or 503 when the store cannot be read).
Awaitable<std::optional<StoredResponse>> find_kept(Gateway& g, ClientConn& c, std::string key,
                                                   std::string id) {
  const std::string shown = id;
  auto find = [&g, &key, &id](auto done) {
    g.access_source.find_response(std::move(key), std::move(id), 0, std::move(done));
  };
  ResponseLookup found = co_await on_store_thread<ResponseLookup>(g, find);
  if (found.status == ResponseLookup::Status::store_failed) {
    co_await c.respond_error(store_failed());
    co_return std::nullopt;
  }
  if (found.status != ResponseLookup::Status::found || found.chain.empty()) {
    co_await c.respond_error(not_found(shown));
    co_return std::nullopt;
  }
  co_return std::move(found.chain.front());
}

// Deletes the response `id` of `key`: at the provider first when one keeps it (a passed-through
// OpenAI or Azure route answered it), then the gateway's record. When the provider cannot
// delete it (it fails, or cannot be reached), nothing is deleted and the client hears why, so
// a retry can finish the job; a provider that no longer has it (404) counts as deleted.
Awaitable<void> delete_kept(Gateway& g, ClientConn& c, std::string& key, std::string& id) {
  std::optional<StoredResponse> kept = co_await find_kept(g, c, key, id);
  if (!kept) co_return;
  const std::string& provider = kept->provider;
  const ResolvedRoute* r = provider.empty() ? nullptr : g.routes.any_route_of(provider);
  if (r &&
      (r->provider->kind == ProviderKind::openai || r->provider->kind == ProviderKind::azure)) {
    UpstreamRequest ureq;
    build_responses_delete(*r->provider, r->target->endpoint, id, ureq);
    std::unique_ptr<UpstreamConn> conn;
    const auto timeout = g.routes.catalog().route(r->id).first_byte_timeout;
    Attempt head = co_await exchange_head(g, c, *r->target, ureq, conn, timeout);
    int status = 0;
    if (conn) {
      BufferCharge charge(g.worker.buffers);
      Attempt body = co_await read_body(g, c, *conn, *r->target, charge, 64 * 1024);
      status = head.upstream_status;
      if (body.end == AttemptEnd::served)
        give_back(g, *r->target, std::move(conn));
      else
        status = 0;  // its answer did not arrive whole: not known to be deleted
    }
    if (c.aborted() != Abort::none) co_return;
    if (!(status >= 200 && status < 300) && status != 404) {
      // Named pieces, no conditional expression of strings: GCC 12 destroys such temporaries
      // wrongly in a coroutine.
      std::string why = "no answer";
      if (status)
        why = "HTTP " + std::to_string(status);
      else if (!head.error().message.empty())
        why = head.error().message;
      Error e = make_error(ErrorKind::bad_gateway,
                           "provider " + provider + " could not delete response '" +
                               excerpt_client_text(id, 80) + "' (" + why +
                               "); nothing was deleted: try again",
                           {}, "upstream_delete_failed");
      co_await c.respond_error(e);
      co_return;
    }
  }
  auto remove = [&g, &key, &id](auto done) {
    g.access_source.delete_response(std::move(key), std::move(id), std::move(done));
  };
  std::optional<bool> deleted = co_await on_store_thread<std::optional<bool>>(g, remove);
  if (!deleted) {
    co_await c.respond_error(store_failed());
  } else if (!*deleted) {
    co_await c.respond_error(not_found(kept->id));
  } else {
    const std::string body = openai::response_deleted_body(kept->id);
    co_await c.respond(200, kJson, body);
  }
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
    co_await delete_kept(g, c, key, wanted);
    co_return;
  }
  std::optional<StoredResponse> kept = co_await find_kept(g, c, key, wanted);
  if (!kept) co_return;
  const StoredResponse& r = *kept;
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
