#pragma once
// Walks a yaml-cpp tree and collects every problem instead of stopping at the first: each read
// either stores a valid value or records "path: what is wrong; expected what" at a position.
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace tollbooth::config_detail {

// One YAML value, the dotted path that names it in messages ("providers.openai.kind") and the
// positions to report: the key's for problems with the key, the value's for problems with it.
struct Field {
  YAML::Node node;
  std::string key;  // the last path element ("kind"); "[0]" for a sequence item
  std::string path;
  YAML::Mark key_mark;
  YAML::Mark mark;
};

// A key a mapping accepts and what to do with its value. The list of rules is also the list of
// known keys printed for a typo, so the two cannot drift apart.
struct KeyRule {
  std::string_view key;
  std::function<void(const Field&)> read;
};

// The first occurrence of each accepted key, for checks that involve several keys.
using SeenKeys = std::map<std::string, Field, std::less<>>;

class Reader {
 public:
  Reader(std::string file, EnvLookup env, std::filesystem::path base_dir);

  // Records "path: message" at the value's position (or the key's, for a missing value).
  void problem(const Field& at, std::string_view message);
  void problem_at_key(const Field& at, std::string_view message);
  void problem_at(const YAML::Mark& mark, std::string message);
  // Records "parent.key: missing; expected ..." at the parent's key.
  void missing(const Field& parent, std::string_view key, std::string_view expected);

  // A mapping's entries in file order, reporting non-scalar and duplicate keys (dropped).
  // A null value (`server:` with nothing under it) reads as an empty mapping.
  std::vector<Field> entries(const Field& map);
  // Like entries(), then runs the rule of each known key and reports unknown ones. nullopt when
  // the value is not a mapping (reported), so callers skip their missing-key checks.
  std::optional<SeenKeys> read_map(const Field& map, const std::vector<KeyRule>& rules);
  // A sequence's items ("path[0]", ...); reports anything that is not a sequence.
  std::vector<Field> items(const Field& sequence, std::string_view expected);

  // Typed reads: on success store into `out` and return true; otherwise record a problem that
  // names the expected form and leave `out` alone.
  bool text(const Field& f, std::string& out, std::string_view expected);
  bool choice(const Field& f, const std::vector<std::string_view>& options, std::size_t& out);
  bool size(const Field& f, std::size_t& out);
  bool duration(const Field& f, std::chrono::milliseconds& out, bool allow_zero = false);
  bool count(const Field& f, std::uint64_t min, std::uint64_t max, std::uint64_t& out);
  bool boolean(const Field& f, bool& out);
  // YYYY-MM-DD, a UTC calendar day.
  bool date(const Field& f, Days& out);
  // A decimal with at most `scale` digits after the point, stored as an exact integer of
  // 10^-scale units, from 0 to `max` (in those units). `expected` names the form for messages.
  bool decimal(const Field& f, int scale, std::int64_t max, std::int64_t& out,
               std::string_view expected);
  // A list of capability names, like [vision, json_schema].
  bool capabilities(const Field& f, CapabilitySet& out);
  bool url(const Field& f, std::string& out, std::string_view example);
  // env:NAME or the value itself; `env_name` (when given) gets NAME, or "" for a value.
  bool secret(const Field& f, std::string& out, std::string* env_name = nullptr);
  bool readable_file(const Field& f, std::string& out);
  // A path that need not exist yet (it is read later); relative paths are taken relative to the
  // config file, "~/..." is kept for the reader to expand.
  bool path(const Field& f, std::string& out, std::string_view expected);

  // The config file's directory: relative paths in it are relative to this.
  const std::filesystem::path& base_dir() const { return base_dir_; }

  bool ok() const { return problems_.empty(); }
  std::vector<ConfigProblem> take_problems();

 private:
  // The scalar text of `f`, or a problem ("missing value" / "expected ..., got a list").
  std::optional<std::string> scalar(const Field& f, std::string_view expected);

  std::string file_;
  EnvLookup env_;
  std::filesystem::path base_dir_;
  std::vector<ConfigProblem> problems_;
};

// "providers" + "openai" -> "providers.openai"; the root has an empty path.
std::string child_path(std::string_view parent, std::string_view key);
// The value echoed in a message: quoted, escaped and cut short.
std::string quote_value(std::string_view value);
// "a, b, c"
std::string join(const std::vector<std::string_view>& words);

}  // namespace tollbooth::config_detail
