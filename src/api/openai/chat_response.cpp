#include "api/openai/chat_response.hpp"

#include "json/scratch.hpp"

#include <cstring>
#include <string>

// Reads OpenAI `chat.completion` bodies and `chat.completion.chunk` stream payloads
// (PROTOCOLS.md §1.3, §1.4), including Azure's variants (§4.3). Runs on every streamed event,
// so it parses On-Demand, compares keys raw (upstreams do not escape their keys) and stops as
// soon as the answer is known.

namespace tollbooth::openai {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

simdjson::padded_string_view padded_copy(std::string_view in) {
  thread_local std::string buf;
  return json::padded_copy(buf, in);
}

od::parser& thread_parser(std::size_t doc_size) {
  thread_local od::parser parser;
  return json::reuse(parser, doc_size);
}

// A token count; null or a non-integer counts as zero rather than spoiling the whole usage.
error_code read_count(od::value v, std::int64_t& out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  out = 0;
  if (t != od::json_type::number) return simdjson::SUCCESS;
  std::int64_t n = 0;
  if (v.get_int64().get(n) == simdjson::SUCCESS && n > 0) out = n;
  return simdjson::SUCCESS;
}

// Reads `field_name` out of a `*_tokens_details` object; other shapes are ignored.
error_code read_detail(od::value v, std::string_view field_name, std::int64_t& out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) return simdjson::SUCCESS;
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    if (field.value_unsafe().key() != field_name) continue;
    if (auto ec = read_count(field.value_unsafe().value(), out)) return ec;
  }
  return simdjson::SUCCESS;
}

// OpenAI's `usage` object. prompt_tokens already includes the cached tokens, and
// completion_tokens the reasoning tokens; the details are kept as the subsets they are.
error_code read_usage(od::object obj, Usage& usage) {
  usage = Usage{};
  usage.reported = true;
  for (auto field : obj) {
    if (auto ec = field.error()) return ec;
    od::raw_json_string key = field.value_unsafe().key();
    od::value& v = field.value_unsafe().value();
    error_code ec = simdjson::SUCCESS;
    if (key == "prompt_tokens") {
      ec = read_count(v, usage.input_tokens);
    } else if (key == "completion_tokens") {
      ec = read_count(v, usage.output_tokens);
    } else if (key == "prompt_tokens_details") {
      ec = read_detail(v, "cached_tokens", usage.cached_input_tokens);
    } else if (key == "completion_tokens_details") {
      ec = read_detail(v, "reasoning_tokens", usage.reasoning_tokens);
    }
    if (ec) return ec;
  }
  return simdjson::SUCCESS;
}

// A `usage` value: an object fills `out`; null (every chunk but the last carries
// `"usage":null`) or any other type leaves it empty.
error_code read_usage_value(od::value v, std::optional<Usage>& out) {
  out.reset();
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::object) return simdjson::SUCCESS;
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return ec;
  Usage usage;
  if (auto ec = read_usage(obj, usage)) return ec;
  out = usage;
  return simdjson::SUCCESS;
}

// What classify_chunk learns from the top-level members, in whatever order they come.
struct ChunkScan {
  bool error = false;
  bool saw_choices = false;  // `choices` is an array
  bool has_choices = false;
  bool saw_usage = false;
  std::optional<Usage> usage;
};

error_code scan_member(od::raw_json_string key, od::value& v, ChunkScan& scan) {
  if (key == "choices") {
    scan.saw_choices = false;
    scan.has_choices = false;
    od::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) return simdjson::SUCCESS;
    scan.saw_choices = true;
    bool empty = true;
    if (auto ec = arr.is_empty().get(empty)) return ec;
    scan.has_choices = !empty;
    return simdjson::SUCCESS;
  }
  if (key == "usage") {
    scan.saw_usage = true;
    return read_usage_value(v, scan.usage);
  }
  if (key == "error") {
    bool is_null = false;
    if (auto ec = v.is_null().get(is_null)) return ec;
    scan.error = !is_null;
  }
  return simdjson::SUCCESS;
}

ChunkKind kind_of(const ChunkScan& scan) {
  if (scan.error) return ChunkKind::error;
  if (scan.has_choices) return ChunkKind::content;
  if (scan.usage) return ChunkKind::usage_only;
  if (scan.saw_choices) return ChunkKind::azure_prelude;
  return ChunkKind::other;
}

}  // namespace

std::optional<Usage> usage_from_completion(std::string_view body) {
  od::parser& parser = thread_parser(body.size());
  od::document doc;
  if (parser.iterate(padded_copy(body)).get(doc)) return std::nullopt;
  od::object obj;
  if (doc.get_object().get(obj)) return std::nullopt;
  std::optional<Usage> usage;
  for (auto field : obj) {
    if (field.error()) return std::nullopt;
    if (field.value_unsafe().key() != "usage") continue;
    if (read_usage_value(field.value_unsafe().value(), usage)) return std::nullopt;
  }
  return usage;
}

ChunkInfo classify_chunk(std::string_view data) {
  if (data == "[DONE]") return ChunkInfo{ChunkKind::done, std::nullopt};
  od::parser& parser = thread_parser(data.size());
  od::document doc;
  od::object obj;
  if (parser.iterate(padded_copy(data)).get(doc) || doc.get_object().get(obj)) return {};
  ChunkScan scan;
  for (auto field : obj) {
    if (field.error()) return {};
    if (scan_member(field.value_unsafe().key(), field.value_unsafe().value(), scan)) return {};
    // Nothing later can change the verdict: an in-band error wins, and a content chunk's
    // usage (null, or an object from servers that report it on every chunk) has been read.
    if (scan.error || (scan.has_choices && scan.saw_usage)) break;
  }
  return ChunkInfo{kind_of(scan), std::move(scan.usage)};
}

}  // namespace tollbooth::openai
