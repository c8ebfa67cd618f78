// Reading a price file: YAML text -> checked entries, every problem reported as file:line:col
// with the config reader's forms and messages (exact decimals, dates, unknown keys).
#include "prices/price_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "config/config_reader.hpp"

namespace tollbooth::prices {
namespace {

using config_detail::Field;
using config_detail::Reader;

constexpr int kMicrosDigits = 6;  // Money is micro-dollars
// A million dollars per million tokens: far above any list price, far below overflow.
constexpr std::int64_t kMaxPerMtok = 1'000'000 * kMicrosPerDollar;
constexpr std::string_view kUsdForm = "USD per million tokens like 1.25";
const std::vector<std::string_view> kKinds = {"openai", "azure", "bedrock"};  // ProviderKind order
constexpr std::string_view kEntriesForm =
    "a list of {kind, model, effective_from, input_per_mtok, output_per_mtok, source}";

std::string_view kind_name(ProviderKind kind) {
  return kKinds[static_cast<std::size_t>(kind)];
}

void read_regions(Reader& r, const Field& f, std::vector<std::string>& out) {
  if (!f.node.IsSequence()) {
    std::string region;
    if (r.text(f, region, "a region like us-east-1, or a list of them")) out.push_back(region);
    return;
  }
  for (const Field& item : r.items(f, "a list of regions like [us-east-1, us-west-2]")) {
    std::string region;
    if (r.text(item, region, "a region like us-east-1")) out.push_back(std::move(region));
  }
}

// One entry of the file; one PriceEntry per region it lists (none: one without a region).
std::vector<PriceEntry> read_entry(Reader& r, const Field& f) {
  PriceEntry e;
  e.line = f.mark.line + 1;
  std::vector<std::string> regions;
  TokenPrices& p = e.price.prices;
  auto usd = [&](Money& out) {
    return [&r, &out](const Field& v) { r.decimal(v, kMicrosDigits, kMaxPerMtok, out, kUsdForm); };
  };
  auto kind = [&](const Field& v) {
    std::size_t i = 0;
    if (r.choice(v, kKinds, i)) e.kind = static_cast<ProviderKind>(i);
  };
  Money cached = 0;
  Money cache_write = 0;
  auto seen = r.read_map(
      f, {
             {"kind", kind},
             {"model", [&](const Field& v) { r.text(v, e.model, "the upstream's model id"); }},
             {"region", [&](const Field& v) { read_regions(r, v, regions); }},
             {"effective_from", [&](const Field& v) { r.date(v, e.price.from); }},
             {"input_per_mtok", usd(p.input_per_mtok)},
             {"cached_input_per_mtok", usd(cached)},
             {"cache_write_per_mtok", usd(cache_write)},
             {"output_per_mtok", usd(p.output_per_mtok)},
             {"source",
              [&](const Field& v) {
                r.text(v, e.price.source, "where the figures come from and when they were read");
              }},
         });
  if (!seen) return {};
  bool complete = true;
  auto require = [&](std::string_view key, std::string_view expected) {
    if (seen->contains(key)) return;
    r.missing(f, key, expected);
    complete = false;
  };
  require("kind", "one of: openai, azure, bedrock");
  require("model", "the upstream's model id");
  require("effective_from", "the day the price took effect, like 2025-08-07");
  require("input_per_mtok", kUsdForm);
  require("output_per_mtok", kUsdForm);
  require("source", "where the figures come from and when they were read");
  if (!complete) return {};
  if (seen->contains("cached_input_per_mtok")) p.cached_input_per_mtok = cached;
  if (seen->contains("cache_write_per_mtok")) p.cache_write_per_mtok = cache_write;
  if (regions.empty()) return {e};
  std::vector<PriceEntry> out;
  for (auto& region : regions) {
    out.push_back(e);
    out.back().region = std::move(region);
  }
  return out;
}

void read_file(Reader& r, const Field& root, PriceFile& file) {
  auto entries = [&](const Field& v) {
    // (kind, model, region, from) -> line: one price a day per history.
    std::map<std::tuple<ProviderKind, std::string, std::string, Days>, int> first_lines;
    for (const Field& item : r.items(v, kEntriesForm)) {
      for (PriceEntry& e : read_entry(r, item)) {
        auto [first, inserted] =
            first_lines.emplace(std::tuple(e.kind, e.model, e.region, e.price.from), e.line);
        if (!inserted) {
          r.problem(item, fmt::format("a second price for {} {}{} from {} (the first is at line "
                                      "{}); keep one",
                                      kind_name(e.kind), e.model,
                                      e.region.empty() ? "" : " in " + e.region,
                                      format_date(e.price.from), first->second));
          continue;
        }
        file.entries.push_back(std::move(e));
      }
    }
  };
  auto seen = r.read_map(root, {
                                   {"version", [&](const Field& v) { r.date(v, file.version); }},
                                   {"prices", entries},
                               });
  if (!seen) return;
  if (!seen->contains("version")) r.missing(root, "version", "the file's date, like 2026-12-01");
  if (!seen->contains("prices")) r.missing(root, "prices", kEntriesForm);
}

}  // namespace

PriceFile parse_price_file(std::string_view yaml, const std::string& name) {
  Reader r(name, nullptr, {});
  PriceFile file;
  file.name = name;
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    r.problem_at(e.mark, "YAML syntax error: " + e.msg);
    throw ConfigError(r.take_problems());
  }
  if (documents.empty() || !documents[0].IsMap()) {
    r.problem_at(documents.empty() ? YAML::Mark::null_mark() : documents[0].Mark(),
                 "expected a mapping with version and prices at the top level");
  } else {
    const YAML::Node& root = documents[0];
    read_file(r, Field{root, "", "", root.Mark(), root.Mark()}, file);
  }
  if (documents.size() > 1) {
    r.problem_at(documents[1].Mark(),
                 "a second YAML document (after ---) would be ignored; "
                 "expected one document per file");
  }
  if (!r.ok()) throw ConfigError(r.take_problems());
  std::sort(file.entries.begin(), file.entries.end(), [](const auto& a, const auto& b) {
    return std::tie(a.kind, a.model, a.region, a.price.from) <
           std::tie(b.kind, b.model, b.region, b.price.from);
  });
  return file;
}

PriceFile read_price_file(const std::string& path) {
  std::string resolved = path;
  if (path.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    if (home && *home) resolved = std::string(home) + path.substr(1);
  }
  std::ifstream in(resolved, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    throw ConfigError(
        {ConfigProblem{path, 0, 0,
                       fmt::format("cannot read: {}; expected a price file (see prices/README.md)",
                                   std::strerror(errno))}});
  }
  return parse_price_file(text.str(), path);
}

std::shared_ptr<const PriceFile> bundled_price_file() {
  // Parsed on first use; a unit test parses it, so a broken bundled file fails the build's
  // tests rather than a start-up.
  static const std::shared_ptr<const PriceFile> file = std::make_shared<const PriceFile>(
      parse_price_file(bundled_price_text(), std::string(kBundledName)));
  return file;
}

}  // namespace tollbooth::prices
