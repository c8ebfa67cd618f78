#include "api/openai/chat_inspect.hpp"

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include <random>

namespace tollbooth::openai::inspect {

const char* type_name(od::json_type t) noexcept {
  switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "a value";
}

Error invalid(std::string message, std::string param, std::string code) {
  return make_error(ErrorKind::invalid_request, std::move(message), std::move(param),
                    std::move(code));
}

Error not_json(error_code ec) {
  Error e =
      invalid("We could not parse the JSON body of your request: it is not valid JSON.", {}, {});
  e.detail = simdjson::error_message(ec);
  return e;
}

Error wrong_type(std::string param, const char* expected, od::json_type got) {
  std::string msg = "Invalid type for '" + param + "': expected " + expected + ", but got " +
                    type_name(got) + " instead.";
  return invalid(std::move(msg), std::move(param), "invalid_type");
}

Error missing(std::string param) {
  std::string msg = "Missing required parameter: '" + param + "'.";
  return invalid(std::move(msg), std::move(param), "missing_required_parameter");
}

namespace {

// A random seed per process: with a fixed hash (std::hash is unseeded), a client could send
// keys that all land in one bucket.
std::size_t process_seed() {
  static const std::size_t seed = [] {
    std::random_device random;
    return (std::size_t{random()} << 32) ^ random();
  }();
  return seed;
}

struct SeededHash {
  std::size_t seed = process_seed();
  std::size_t operator()(std::string_view key) const noexcept {
    std::size_t h = seed;
    boost::hash_range(h, key.begin(), key.end());
    return h;
  }
};

}  // namespace

struct KeySet::Spill {
  boost::unordered_flat_set<std::string_view, SeededHash> keys;
};

bool KeySet::contains(std::string_view key) const {
  for (std::size_t i = 0; i < size_; ++i) {
    if (std::string_view(data_[i], size_of_[i]) == key) return true;
  }
  return spilled_ != nullptr && spilled_->keys.contains(key);
}

void KeySet::spill(std::string_view key) {
  if (spilled_ == nullptr) spilled_ = new Spill;
  spilled_->keys.insert(key);
}

void KeySet::destroy(Spill* spill) noexcept {
  delete spill;
}

void note_duplicate(std::optional<Error>& slot, std::string path) {
  if (slot) return;
  std::string msg = "Duplicate key `" + path + "` in the request body: send each field once.";
  slot = invalid(std::move(msg), std::move(path), "duplicate_key");
}

error_code validate(od::value v, int depth) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (depth > kMaxValidatedDepth) return SUCCESS;
  switch (t) {
    case od::json_type::object: {
      od::object obj;
      if (auto ec = v.get_object().get(obj)) return ec;
      for (auto field : obj) {
        if (auto ec = field.error()) return ec;
        if (auto ec = validate(field.value_unsafe().value(), depth + 1)) return ec;
      }
      return SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto ec = v.get_array().get(arr)) return ec;
      for (auto element : arr) {
        if (auto ec = element.error()) return ec;
        if (auto ec = validate(element.value_unsafe(), depth + 1)) return ec;
      }
      return SUCCESS;
    }
    case od::json_type::string: return v.get_raw_json_string().error();
    case od::json_type::boolean: return v.get_bool().error();
    case od::json_type::null: {
      bool is_null = false;
      if (auto ec = v.is_null().get(is_null)) return ec;
      return is_null ? SUCCESS : simdjson::INCORRECT_TYPE;
    }
    // As a double, so integers beyond 64 bits (valid JSON) pass; only numbers outside the
    // double range (1e400) are refused.
    case od::json_type::number: return v.get_double().error();
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace tollbooth::openai::inspect
