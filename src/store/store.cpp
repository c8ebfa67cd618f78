#include "store/store.hpp"

#include "store/sql_store.hpp"

namespace tollbooth {

std::string_view spend_group_name(SpendGroup g) noexcept {
  switch (g) {
    case SpendGroup::key: return "key";
    case SpendGroup::team: return "team";
    case SpendGroup::model: return "model";
    case SpendGroup::provider: return "provider";
    case SpendGroup::contract: return "contract";
    case SpendGroup::route: return "route";
    case SpendGroup::day: return "day";
  }
  return "key";
}

std::optional<SpendGroup> parse_spend_group(std::string_view name) noexcept {
  for (auto g : {SpendGroup::key, SpendGroup::team, SpendGroup::model, SpendGroup::provider,
                 SpendGroup::contract, SpendGroup::route, SpendGroup::day})
    if (name == spend_group_name(g)) return g;
  return std::nullopt;
}

std::string_view spend_bucket_name(SpendBucket b) noexcept {
  switch (b) {
    case SpendBucket::none: return "";
    case SpendBucket::hour: return "hour";
    case SpendBucket::day: return "day";
  }
  return "";
}

std::optional<SpendBucket> parse_spend_bucket(std::string_view name) noexcept {
  if (name == "hour") return SpendBucket::hour;
  if (name == "day") return SpendBucket::day;
  return std::nullopt;
}

KeptConversation find_conversation(Store& store, const std::string& key, const std::string& id,
                                   std::int64_t now_ms, std::size_t conversation_bytes) {
  using Status = KeptConversation::Status;
  constexpr std::size_t kMaxTurns = 10'000;
  KeptConversation out;
  auto first = store.find_response(key, id, now_ms);
  if (!first) return out;  // not_found
  std::size_t bytes = first->input_items.size() + first->response.size();
  std::string previous = first->provider.empty() ? first->previous_id : std::string();
  out.chain.push_back(std::move(*first));
  auto refuse = [&out](Status status) {
    out.status = status;
    out.chain.clear();
    return std::move(out);
  };
  while (conversation_bytes > 0 && !previous.empty()) {
    if (bytes > conversation_bytes || out.chain.size() >= kMaxTurns)
      return refuse(Status::too_long);
    auto turn = store.find_response(key, previous, now_ms);
    if (!turn) {
      out.missing = previous;
      return refuse(Status::broken);
    }
    bytes += turn->input_items.size() + turn->response.size();
    previous = turn->provider.empty() ? turn->previous_id : std::string();
    out.chain.push_back(std::move(*turn));
  }
  if (conversation_bytes > 0 && bytes > conversation_bytes) return refuse(Status::too_long);
  out.status = Status::found;
  return out;
}

std::unique_ptr<Store> open_store(const StoreConfig& config) {
  const bool sqlite = !config.sqlite_path.empty();
  const bool postgres = !config.postgres_url.empty();
  if (sqlite == postgres) {
    // The URL is not quoted: it may hold a password.
    throw StoreError(sqlite ? "store: both a SQLite file and a PostgreSQL URL are configured; "
                              "name one"
                            : "store: neither a SQLite file nor a PostgreSQL URL is configured");
  }
  auto db = sqlite ? store_detail::open_sqlite_db(config.sqlite_path)
                   : store_detail::open_postgres_db(config.postgres_url);
  return store_detail::make_sql_store(std::move(db));
}

}  // namespace tollbooth
