#include "config/config_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include "config/config_values.hpp"

namespace tollbooth::config_detail {
namespace {

const char* node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "nothing";
  }
}

std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& options) {
  auto match = closest_match(word, options);
  return match.empty() ? std::string() : fmt::format(" (did you mean {}?)", match);
}

const char* system_env(const char* name) {
  return std::getenv(name);
}

constexpr std::string_view kSizeForm = "expected bytes like 1048576 or 8MiB";
constexpr std::string_view kDurationForm =
    "expected a number and a unit (ms, s or m), like 250ms, 30s or 2m";

}  // namespace

std::string child_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  if (key.starts_with('[')) return fmt::format("{}{}", parent, key);
  return fmt::format("{}.{}", parent, key);
}

std::string quote_value(std::string_view value) {
  constexpr std::size_t kMax = 60;
  if (value.size() <= kMax) return fmt::format("{:?}", value);
  return fmt::format("{:?}...", value.substr(0, kMax));
}

std::string join(const std::vector<std::string_view>& words) {
  return fmt::format("{}", fmt::join(words, ", "));
}

Reader::Reader(std::string file, EnvLookup env, std::filesystem::path base_dir)
    : file_(std::move(file)), env_(env ? env : &system_env), base_dir_(std::move(base_dir)) {}

void Reader::problem_at(const YAML::Mark& mark, std::string message) {
  // yaml-cpp marks are 0-based and -1 when a node has no position.
  int line = mark.line < 0 ? 0 : mark.line + 1;
  int column = line == 0 ? 0 : mark.column + 1;
  problems_.push_back(ConfigProblem{file_, line, column, std::move(message)});
}

void Reader::problem(const Field& at, std::string_view message) {
  problem_at(at.mark,
             at.path.empty() ? std::string(message) : fmt::format("{}: {}", at.path, message));
}

void Reader::problem_at_key(const Field& at, std::string_view message) {
  problem_at(at.key_mark, fmt::format("{}: {}", at.path, message));
}

void Reader::missing(const Field& parent, std::string_view key, std::string_view expected) {
  problem_at(parent.key_mark,
             fmt::format("{}: missing; expected {}", child_path(parent.path, key), expected));
}

std::vector<Field> Reader::entries(const Field& map) {
  if (map.node.IsNull()) return {};
  if (!map.node.IsMap()) {
    problem(map, fmt::format("expected a mapping (key: value lines), got {}", node_kind(map.node)));
    return {};
  }
  std::vector<Field> out;
  std::map<std::string, int, std::less<>> first_lines;
  for (auto it = map.node.begin(); it != map.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      problem_at(key.Mark(),
                 fmt::format("{}: a key must be a plain name, not {}",
                             map.path.empty() ? "top level" : map.path, node_kind(key)));
      continue;
    }
    // A null value has the position of whatever follows it; its key is the useful place.
    Field field{value, key.Scalar(), child_path(map.path, key.Scalar()), key.Mark(),
                value.IsNull() ? key.Mark() : value.Mark()};
    // yaml-cpp keeps both entries of a repeated key; lookups would silently see only one.
    auto [first, inserted] = first_lines.emplace(field.key, key.Mark().line + 1);
    if (!inserted) {
      problem_at_key(
          field, fmt::format("duplicate key (first defined at line {}); keep one", first->second));
      continue;
    }
    out.push_back(std::move(field));
  }
  return out;
}

std::optional<SeenKeys> Reader::read_map(const Field& map, const std::vector<KeyRule>& rules) {
  if (!map.node.IsNull() && !map.node.IsMap()) {
    entries(map);  // reports the wrong type
    return std::nullopt;
  }
  SeenKeys seen;
  for (const Field& field : entries(map)) {
    auto rule = std::find_if(rules.begin(), rules.end(),
                             [&](const KeyRule& r) { return r.key == field.key; });
    if (rule != rules.end()) {
      rule->read(field);
      seen.emplace(field.key, field);
      continue;
    }
    std::vector<std::string_view> known;
    for (const auto& r : rules) known.push_back(r.key);
    if (field.key == "<<") {
      problem_at_key(field, "YAML merge keys (<<) are not supported; write the keys out");
    } else {
      problem_at_key(field, fmt::format("unknown key; expected one of: {}{}", join(known),
                                        did_you_mean(field.key, known)));
    }
  }
  return seen;
}

std::vector<Field> Reader::items(const Field& sequence, std::string_view expected) {
  if (!sequence.node.IsSequence() || sequence.node.size() == 0) {
    const char* got = sequence.node.IsSequence() ? "an empty list" : node_kind(sequence.node);
    problem(sequence, fmt::format("expected {}, got {}", expected, got));
    return {};
  }
  std::vector<Field> out;
  for (std::size_t i = 0; i < sequence.node.size(); ++i) {
    YAML::Node item = sequence.node[i];
    std::string key = fmt::format("[{}]", i);
    YAML::Mark mark = item.IsNull() ? sequence.mark : item.Mark();
    out.push_back(Field{item, key, child_path(sequence.path, key), mark, mark});
  }
  return out;
}

std::optional<std::string> Reader::scalar(const Field& f, std::string_view expected) {
  if (f.node.IsScalar() && !f.node.Scalar().empty()) return f.node.Scalar();
  if (f.node.IsNull() || f.node.IsScalar()) {
    problem(f, fmt::format("missing value; expected {}", expected));
  } else {
    problem(f, fmt::format("expected {}, got {}", expected, node_kind(f.node)));
  }
  return std::nullopt;
}

bool Reader::text(const Field& f, std::string& out, std::string_view expected) {
  auto value = scalar(f, expected);
  if (value) out = std::move(*value);
  return value.has_value();
}

bool Reader::choice(const Field& f, const std::vector<std::string_view>& options,
                    std::size_t& out) {
  auto value = scalar(f, fmt::format("one of: {}", join(options)));
  if (!value) return false;
  auto found = std::find(options.begin(), options.end(), *value);
  if (found == options.end()) {
    problem(f, fmt::format("unknown value {}; expected one of: {}{}", quote_value(*value),
                           join(options), did_you_mean(*value, options)));
    return false;
  }
  out = static_cast<std::size_t>(found - options.begin());
  return true;
}

bool Reader::size(const Field& f, std::size_t& out) {
  auto value = scalar(f, kSizeForm);
  if (!value) return false;
  auto bytes = parse_size(*value);
  if (!bytes) {
    problem(f, fmt::format("{} is not a size; {}", quote_value(*value), kSizeForm));
  } else if (*bytes == 0) {
    problem(f, fmt::format("must be more than 0; {}", kSizeForm));
  } else {
    out = *bytes;
    return true;
  }
  return false;
}

bool Reader::duration(const Field& f, std::chrono::milliseconds& out, bool allow_zero) {
  auto value = scalar(f, kDurationForm);
  if (!value) return false;
  auto parsed = parse_duration(*value);
  if (!parsed) {
    bool bare_number = parse_unsigned(*value).has_value();
    problem(f, fmt::format("{} {}; {}", quote_value(*value),
                           bare_number ? "has no unit" : "is not a duration", kDurationForm));
  } else if (parsed->count() == 0 && !allow_zero) {
    problem(f, fmt::format("must be more than 0; {}", kDurationForm));
  } else {
    out = *parsed;
    return true;
  }
  return false;
}

bool Reader::count(const Field& f, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
  std::string expected = fmt::format("an integer from {} to {}", min, max);
  auto value = scalar(f, expected);
  if (!value) return false;
  auto number = parse_unsigned(*value);
  if (!number || *number < min || *number > max) {
    problem(f, fmt::format("{} is {}; expected {}", quote_value(*value),
                           number ? "out of range" : "not a whole number", expected));
    return false;
  }
  out = *number;
  return true;
}

bool Reader::boolean(const Field& f, bool& out) {
  auto value = scalar(f, "true or false");
  if (!value) return false;
  if (!YAML::convert<bool>::decode(f.node, out)) {
    problem(f, fmt::format("{} is not a boolean; expected true or false", quote_value(*value)));
    return false;
  }
  return true;
}

bool Reader::date(const Field& f, Days& out) {
  constexpr std::string_view kForm = "a date like 2026-12-01 (YYYY-MM-DD, UTC)";
  auto value = scalar(f, kForm);
  if (!value) return false;
  auto days = parse_date(*value);
  if (!days) {
    problem(f, fmt::format("{} is not a date; expected {}", quote_value(*value), kForm));
    return false;
  }
  out = *days;
  return true;
}

bool Reader::decimal(const Field& f, int scale, std::int64_t max, std::int64_t& out,
                     std::string_view expected) {
  auto value = scalar(f, expected);
  if (!value) return false;
  auto number = parse_decimal(*value, scale);
  if (!number || *number > max) {
    bool too_precise = !number && value->find('.') != std::string::npos &&
                       value->size() - value->find('.') - 1 > static_cast<std::size_t>(scale);
    problem(f, fmt::format("{} is {}; expected {}", quote_value(*value),
                           number        ? "out of range"
                           : too_precise ? fmt::format("more precise than {} decimals", scale)
                                         : std::string("not a plain decimal number"),
                           expected));
    return false;
  }
  out = *number;
  return true;
}

bool Reader::capabilities(const Field& f, CapabilitySet& out) {
  std::vector<std::string_view> names;
  for (int i = 0; i < kCapabilityCount; ++i) names.push_back(capability_name(Capability(i)));
  std::string expected =
      fmt::format("a list of capabilities like [vision, tools] (known: {})", join(names));
  if (!f.node.IsSequence()) {
    problem(f, fmt::format("expected {}, got {}", expected, node_kind(f.node)));
    return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < f.node.size(); ++i) {
    YAML::Node item = f.node[i];
    std::string key = fmt::format("[{}]", i);
    Field field{item, key, child_path(f.path, key), item.Mark(), item.Mark()};
    std::string name;
    if (!text(field, name, "a capability name")) {
      ok = false;
      continue;
    }
    auto capability = capability_from_name(name);
    if (!capability) {
      problem(field, fmt::format("unknown capability {}; expected one of: {}{}", quote_value(name),
                                 join(names), did_you_mean(name, names)));
      ok = false;
      continue;
    }
    out.add(*capability);
  }
  return ok;
}

bool Reader::url(const Field& f, std::string& out, std::string_view example) {
  std::string expected = fmt::format("an http(s) URL like {}", example);
  auto value = scalar(f, expected);
  if (!value) return false;
  auto parsed = parse_http_url(*value);
  if (!parsed.error.empty()) {
    // Never echo a URL with userinfo: it may hold a password.
    std::string shown = value->find('@') == std::string::npos ? quote_value(*value) + ": " : "";
    problem(f, fmt::format("{}{}; expected {}", shown, parsed.error, expected));
    return false;
  }
  out = std::move(parsed.url);
  return true;
}

// Messages here never include the value: a literal key or a resolved variable is a secret.
bool Reader::secret(const Field& f, std::string& out, std::string* env_name) {
  constexpr std::string_view kForm = "env:NAME (recommended) or the key itself";
  auto value = scalar(f, kForm);
  if (!value) return false;
  std::string_view text = *value;
  if (text.starts_with('$') || text.starts_with("os.environ/")) {
    problem(f,
            "variables are written env:NAME here ($NAME, ${NAME} and os.environ/NAME are not "
            "expanded); expected env:NAME");
    return false;
  }
  if (!text.starts_with("env:")) {
    out = std::move(*value);
    if (env_name) env_name->clear();
    return true;
  }
  std::string name(text.substr(4));
  if (!is_env_name(name)) {
    problem(f,
            "env: must be followed by a variable name of letters, digits and _; expected "
            "env:NAME like env:OPENAI_API_KEY");
    return false;
  }
  const char* resolved = env_(name.c_str());
  if (resolved == nullptr || *resolved == '\0') {
    problem_at(f.mark, fmt::format("environment variable {} is not set ({}); export it before "
                                   "starting tollbooth",
                                   name, f.path));
    return false;
  }
  out = resolved;
  if (env_name) *env_name = std::move(name);
  return true;
}

bool Reader::readable_file(const Field& f, std::string& out) {
  auto value = scalar(f, "a path to a PEM file");
  if (!value) return false;
  std::filesystem::path path(*value);
  if (path.is_relative()) path = base_dir_ / path;  // relative to the config file, like includes
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec) || !std::ifstream(path).good()) {
    const char* why = std::filesystem::exists(path, ec) ? "cannot be read" : "does not exist";
    problem(f, fmt::format("{} {} (looked at {}); expected a path to a PEM file",
                           quote_value(*value), why, path.string()));
    return false;
  }
  out = path.string();
  return true;
}

bool Reader::path(const Field& f, std::string& out, std::string_view expected) {
  auto value = scalar(f, expected);
  if (!value) return false;
  std::filesystem::path path(*value);
  if (path.is_relative() && !value->starts_with("~/")) path = base_dir_ / path;
  out = path.string();
  return true;
}

std::vector<ConfigProblem> Reader::take_problems() {
  // Sections are read in dependency order, not file order; users read the report top-down.
  std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return std::move(problems_);
}

}  // namespace tollbooth::config_detail
