// The billing section: what a route without a price does, how a client's abort is billed, the
// price file that replaces the bundled one, and the ledger writer's batching.
#include <fmt/format.h>

#include <filesystem>
#include <system_error>
#include <type_traits>

#include "config/config_sections.hpp"

namespace tollbooth::config_detail {
namespace {

const std::vector<std::string_view> kUnpriced = {"refuse", "allow"};        // Unpriced order
const std::vector<std::string_view> kOnClientAbort = {"finish", "cancel"};  // OnClientAbort order
constexpr std::uint64_t kMaxQueueRows = 100'000'000;
constexpr std::string_view kPriceFileForm = "a path to a price file (see prices/README.md)";

// The file is read when the routes are built; a path that names nothing is caught here so that
// `tollbooth check` says so. "~/..." is expanded by the reader, so it is not looked at here.
void read_price_catalog(Reader& r, const Field& f, std::string& out) {
  std::string path;
  if (!r.path(f, path, kPriceFileForm)) return;
  if (!path.starts_with("~/")) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      const char* why = std::filesystem::exists(path, ec) ? "is not a file" : "does not exist";
      r.problem(f, fmt::format("{} {} (looked at {}); expected {}", quote_value(f.node.Scalar()),
                               why, path, kPriceFileForm));
      return;
    }
  }
  out = std::move(path);
}

void read_ledger(Reader& r, const Field& f, BillingConfig& billing) {
  r.read_map(f,
             {
                 {"flush_interval", [&](const Field& v) { r.duration(v, billing.ledger_flush); }},
                 {"queue_rows",
                  [&](const Field& v) {
                    std::uint64_t n = 0;
                    if (r.count(v, 1, kMaxQueueRows, n)) billing.ledger_queue = n;
                  }},
             });
}

}  // namespace

void read_billing(Reader& r, const Field& f, BillingConfig& billing) {
  auto choice = [&](const std::vector<std::string_view>& options, auto& out) {
    return [&r, &options, &out](const Field& v) {
      std::size_t i = 0;
      if (r.choice(v, options, i)) out = static_cast<std::remove_reference_t<decltype(out)>>(i);
    };
  };
  r.read_map(f,
             {
                 {"unpriced", choice(kUnpriced, billing.unpriced)},
                 {"on_client_abort", choice(kOnClientAbort, billing.on_client_abort)},
                 {"abort_timeout", [&](const Field& v) { r.duration(v, billing.abort_timeout); }},
                 {"price_catalog",
                  [&](const Field& v) { read_price_catalog(r, v, billing.price_catalog); }},
                 {"ledger", [&](const Field& v) { read_ledger(r, v, billing); }},
             });
}

}  // namespace tollbooth::config_detail
