#include "api/openai/embeddings.hpp"

#include <openssl/evp.h>
#include <bit>
#include <boost/json.hpp>
#include <cstring>

#include "api/openai/chat_inspect.hpp"
#include "json/depth.hpp"
#include "json/scratch.hpp"

namespace tollbooth::openai {
namespace {

namespace json = boost::json;
using inspect::invalid;
using inspect::missing;

std::string kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return "a string";
    case json::kind::object: return "an object";
    case json::kind::array: return "an array";
    case json::kind::bool_: return "a boolean";
    case json::kind::null: return "null";
    default: return "a number";
  }
}

Error wrong(std::string param, std::string_view expected, const json::value& got) {
  std::string msg = "Invalid type for '" + param + "': expected " + std::string(expected) +
                    ", but got " + kind_name(got) + " instead.";
  return invalid(std::move(msg), std::move(param), "invalid_type");
}

}  // namespace

Result<EmbeddingsInspection> inspect_embeddings_request(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = ::tollbooth::json::kMaxDepth;
  json::value doc = json::parse(body, ec, {}, opts);
  if (ec == json::error::too_deep) {
    return invalid("The request nests JSON deeper than " +
                       std::to_string(::tollbooth::json::kMaxDepth) + " levels.",
                   {}, "too_deep");
  }
  if (ec) return inspect::not_json(simdjson::TAPE_ERROR);
  if (!doc.is_object())
    return invalid("The request body must be a JSON object.", {}, "invalid_type");
  const json::object& o = doc.get_object();
  EmbeddingsInspection out;
  // One On-Demand pass over the top level: duplicate keys (Boost.JSON keeps one of them, an
  // upstream might read the other) and the `model` token's place, for the splice.
  {
    thread_local std::string buf;
    thread_local simdjson::ondemand::parser parser;
    auto padded = ::tollbooth::json::padded_copy(buf, body);
    simdjson::ondemand::document d;
    simdjson::ondemand::object obj;
    if (parser.iterate(padded).get(d) || d.get_object().get(obj))
      return inspect::not_json(simdjson::TAPE_ERROR);
    inspect::KeySet keys;
    for (auto field : obj) {
      if (auto e = field.error()) return inspect::not_json(e);
      std::string_view key;
      if (auto e = inspect::key_of(field.value_unsafe(), key)) return inspect::not_json(e);
      if (!keys.insert(key)) {
        return invalid("The request body has the key '" + std::string(key) + "' twice.",
                       std::string(key), "duplicate_key");
      }
      simdjson::ondemand::value v = field.value_unsafe().value();
      if (key == "model") {
        std::string_view token = v.raw_json_token();
        std::size_t len = token.size();
        while (len > 0 && inspect::is_ws(token[len - 1])) --len;
        const auto begin = static_cast<std::size_t>(token.data() - padded.data());
        out.facts.model_value = Span{begin, begin + len};
      }
      if (auto e = inspect::validate(v, 1)) return inspect::not_json(e);
    }
  }
  const json::value* model = o.if_contains("model");
  if (!model) return missing("model");
  if (!model->is_string()) return wrong("model", "a string", *model);
  if (model->get_string().empty())
    return invalid("Invalid 'model': empty string.", "model", "empty_string");
  out.facts.model = std::string(model->get_string());
  out.facts.include_usage = true;
  std::size_t last = body.size();
  while (last > 0 && inspect::is_ws(body[last - 1])) --last;
  out.facts.object_end = last - 1;

  const json::value* input = o.if_contains("input");
  if (!input) return missing("input");
  std::uint64_t bytes = 0;
  if (input->is_string()) {
    if (input->get_string().empty())
      return invalid("Invalid 'input': empty string.", "input", "empty_string");
    out.texts.emplace_back(input->get_string());
    bytes += out.texts.back().size();
    out.input_count = 1;
  } else if (input->is_array()) {
    const auto& a = input->get_array();
    if (a.empty()) return invalid("Invalid 'input': empty array.", "input", "empty_array");
    if (a[0].is_number()) {  // one token array
      out.token_input = true;
      out.input_count = 1;
      bytes += 4 * a.size();
    } else {
      std::size_t i = 0;
      for (const auto& v : a) {
        const std::string param = "input[" + std::to_string(i++) + "]";
        if (v.is_string()) {
          out.texts.emplace_back(v.get_string());
          bytes += v.get_string().size();
        } else if (v.is_array()) {
          out.token_input = true;
          bytes += 4 * v.get_array().size();
        } else {
          return wrong(param, "a string or an array of integers", v);
        }
      }
      out.input_count = a.size();
    }
  } else {
    return wrong("input", "a string or an array", *input);
  }
  if (const auto* f = o.if_contains("encoding_format"); f && !f->is_null()) {
    if (!f->is_string() || (f->get_string() != "float" && f->get_string() != "base64"))
      return invalid("Invalid 'encoding_format': expected 'float' or 'base64'.", "encoding_format",
                     "invalid_value");
    out.base64 = f->get_string() == "base64";
  }
  if (const auto* d = o.if_contains("dimensions"); d && !d->is_null()) {
    if (!d->is_int64() || d->get_int64() < 1)
      return invalid("Invalid 'dimensions': expected a positive integer.", "dimensions",
                     "invalid_value");
    out.dimensions = d->get_int64();
  }
  const std::uint64_t tokens = (bytes + 3) / 4;
  out.facts.estimated_input_tokens =
      tokens > 0xffff'ffffu ? 0xffff'ffffu : static_cast<std::uint32_t>(tokens);
  out.facts.message_count = out.input_count;
  return out;
}

std::optional<Usage> usage_from_embeddings(std::string_view body) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = ::tollbooth::json::kMaxDepth;
  json::value doc = json::parse(body, ec, {}, opts);
  if (ec || !doc.is_object()) return std::nullopt;
  const auto* u = doc.get_object().if_contains("usage");
  if (!u || !u->is_object()) return std::nullopt;
  Usage usage;
  usage.reported = true;
  if (const auto* p = u->get_object().if_contains("prompt_tokens"); p && p->is_int64())
    usage.input_tokens = std::max<std::int64_t>(0, p->get_int64());
  return usage;
}

std::string embeddings_answer(std::span<const double> vector, bool base64, std::string_view model,
                              std::int64_t prompt_tokens) {
  json::object item{{"object", "embedding"}, {"index", 0}};
  if (base64) {
    std::string bytes;
    bytes.resize(vector.size() * 4);
    for (std::size_t i = 0; i < vector.size(); ++i) {
      const float f = static_cast<float>(vector[i]);
      std::uint32_t u = std::bit_cast<std::uint32_t>(f);
      if constexpr (std::endian::native == std::endian::big) u = __builtin_bswap32(u);
      std::memcpy(bytes.data() + 4 * i, &u, 4);
    }
    std::string text(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(n));
    item["embedding"] = std::move(text);
  } else {
    json::array a;
    a.reserve(vector.size());
    for (double d : vector) a.push_back(d);
    item["embedding"] = std::move(a);
  }
  json::object out{
      {"object", "list"},
      {"data", json::array{std::move(item)}},
      {"model", model},
      {"usage", json::object{{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}};
  return json::serialize(out);
}

}  // namespace tollbooth::openai
