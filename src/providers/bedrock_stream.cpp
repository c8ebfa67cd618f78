#include "providers/bedrock_stream.hpp"

#include "json/scratch.hpp"

#include <cstring>

#include "api/openai/errors.hpp"
#include "core/money.hpp"
#include "providers/bedrock_request.hpp"
#include "providers/translator.hpp"

// ConverseStream → chat.completion.chunk (PROTOCOLS.md §5.6, §5.8). Each event payload is a
// small JSON object parsed On-Demand; text and tool-input fragments are copied into the chunk
// as the raw JSON string tokens Bedrock sent (already escaped), so a delta costs one parse and
// one copy. Unknown members (the random "p" padding) and unknown event types are skipped.

namespace tollbooth::bedrock {

using namespace std::string_view_literals;

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

error_code open_event(std::string_view text, od::document& doc, od::object& root) {
  thread_local std::string buf;
  thread_local od::parser parser;
  if (auto ec = json::reuse(parser, text.size()).iterate(json::padded_copy(buf, text)).get(doc))
    return ec;
  return doc.get_object().get(root);
}

// A JSON string member's raw token, quotes and escapes included, ready to copy into a chunk.
error_code raw_string(od::value& v, std::string_view& out) {
  od::json_type t;
  if (auto ec = v.type().get(t)) return ec;
  if (t != od::json_type::string) return simdjson::INCORRECT_TYPE;
  out = detail::trim_json(v.raw_json_token());
  return SUCCESS;
}

enum class DeltaKind { none, text, tool_input, reasoning };

struct Delta {
  std::int64_t block = -1;
  DeltaKind kind = DeltaKind::none;
  std::string_view fragment;  // raw JSON string
};

// delta: {"text":..} | {"toolUse":{"input":..}} | {"reasoningContent":{"text":..}} | others.
error_code read_delta(od::value& v, Delta& d) {
  od::object o;
  if (auto ec = v.get_object().get(o)) return ec;
  for (auto field : o) {
    std::string_view key;
    if (auto ec = field.unescaped_key().get(key)) return ec;
    od::value& fv = field.value_unsafe().value();
    if (key == "text") {
      d.kind = DeltaKind::text;
      if (auto ec = raw_string(fv, d.fragment)) return ec;
      continue;
    }
    std::string_view inner = key == "toolUse" ? "input" : key == "reasoningContent" ? "text" : "";
    if (inner.empty()) continue;  // citations, signatures, redacted reasoning: not shown
    od::object nested;
    if (auto ec = fv.get_object().get(nested)) return ec;
    for (auto member : nested) {
      std::string_view k;
      if (auto ec = member.unescaped_key().get(k)) return ec;
      if (k != inner) continue;
      d.kind = key == "toolUse" ? DeltaKind::tool_input : DeltaKind::reasoning;
      if (auto ec = raw_string(member.value_unsafe().value(), d.fragment)) return ec;
    }
  }
  return SUCCESS;
}

error_code read_block_index(od::value& v, std::int64_t& block) {
  return v.get_int64().get(block);
}

}  // namespace

ConverseStreamTranslator::ConverseStreamTranslator(const ReplyOptions& options)
    : json_tool_(options.json_tool),
      include_usage_(options.include_usage),
      pricer_(options.pricer) {
  head_ = R"(data: {"id":)";
  detail::append_json_string(head_, options.response_id);
  head_ += R"(,"object":"chat.completion.chunk","created":)"sv;
  detail::append_int(head_, options.created);
  head_ += R"(,"model":)"sv;
  detail::append_json_string(head_, options.client_model);
}

void ConverseStreamTranslator::open_chunk(std::string& out) const {
  out += head_;
  out += R"(,"choices":[{"index":0,"delta":)"sv;
}

// OpenAI puts "usage":null on every chunk but the usage chunk when include_usage is on.
void ConverseStreamTranslator::close_chunk(std::string& out, std::string_view finish_reason) const {
  out += R"(,"logprobs":null,"finish_reason":)"sv;
  if (finish_reason.empty()) {
    out += "null"sv;
  } else {
    out += '"';
    out += finish_reason;
    out += '"';
  }
  out += include_usage_ ? "}],\"usage\":null}\n\n" : "}]}\n\n";
}

void ConverseStreamTranslator::role_chunk(std::string& out) {
  if (started_) return;
  started_ = true;
  open_chunk(out);
  out += R"({"role":"assistant","content":""})"sv;
  close_chunk(out, {});
}

void ConverseStreamTranslator::on_event(std::string_view event_type, std::string_view payload,
                                        std::string& out) {
  if (done_) return;
  if (event_type == "messageStart")
    role_chunk(out);
  else if (event_type == "contentBlockStart")
    block_start(payload, out);
  else if (event_type == "contentBlockDelta")
    block_delta(payload, out);
  else if (event_type == "contentBlockStop")
    block_stop(payload, out);
  else if (event_type == "messageStop")
    message_stop(payload, out);
  else if (event_type == "metadata")
    metadata(payload, out);
  // Other event types are newer than this code and carry nothing a chat client needs.
}

ConverseStreamTranslator::ToolBlock* ConverseStreamTranslator::tool_block(std::int64_t block) {
  for (auto& t : tools_)
    if (t.block == block) return &t;
  return nullptr;
}

// {"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"...","name":"..."}}}
void ConverseStreamTranslator::block_start(std::string_view payload, std::string& out) {
  od::document doc;
  od::object root;
  std::int64_t block = -1;
  std::string_view id, name;
  bool tool_use = false;
  auto read = [&]() -> error_code {
    if (auto ec = open_event(payload, doc, root)) return ec;
    for (auto field : root) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return ec;
      od::value& v = field.value_unsafe().value();
      if (key == "contentBlockIndex") {
        if (auto ec = read_block_index(v, block)) return ec;
      } else if (key == "start") {
        od::object start, use;
        if (auto ec = v.get_object().get(start)) return ec;
        for (auto member : start) {
          std::string_view k;
          if (auto ec = member.unescaped_key().get(k)) return ec;
          if (k != "toolUse") continue;
          tool_use = true;
          if (auto ec = member.value_unsafe().value().get_object().get(use)) return ec;
          for (auto f : use) {
            std::string_view uk;
            if (auto ec = f.unescaped_key().get(uk)) return ec;
            if (uk == "toolUseId" && f.value_unsafe().value().get_string().get(id))
              return simdjson::INCORRECT_TYPE;
            if (uk == "name" && f.value_unsafe().value().get_string().get(name))
              return simdjson::INCORRECT_TYPE;
          }
        }
      }
    }
    return SUCCESS;
  };
  if (read()) return malformed("contentBlockStart", out);
  if (!tool_use) return;  // text, image or toolResult blocks: their deltas say it all
  role_chunk(out);
  if (!json_tool_.empty() && name == json_tool_) {
    // Whatever the model wrote before it answered is not the answer: the content must be the
    // JSON alone, as in the non-streamed translation. A second call is ignored because the
    // first one's JSON is already out.
    tools_.push_back({block, answered_ ? kIgnoredTool : kResponseTool, false});
    answered_ = true;
    held_.clear();
    return;
  }
  int index = tool_count_++;
  tools_.push_back({block, index, false});
  open_chunk(out);
  out += R"({"tool_calls":[{"index":)"sv;
  detail::append_int(out, index);
  out += R"(,"id":)"sv;
  detail::append_json_string(out, id);
  out += R"(,"type":"function","function":{"name":)"sv;
  detail::append_json_string(out, name);
  out += R"(,"arguments":""}}]})"sv;
  close_chunk(out, {});
}

void ConverseStreamTranslator::block_delta(std::string_view payload, std::string& out) {
  od::document doc;
  od::object root;
  Delta d;
  auto read = [&]() -> error_code {
    if (auto ec = open_event(payload, doc, root)) return ec;
    for (auto field : root) {
      std::string_view key;
      if (auto ec = field.unescaped_key().get(key)) return ec;
      od::value& v = field.value_unsafe().value();
      if (key == "contentBlockIndex") {
        if (auto ec = read_block_index(v, d.block)) return ec;
      } else if (key == "delta") {
        if (auto ec = read_delta(v, d)) return ec;
      }
    }
    return SUCCESS;
  };
  if (read()) return malformed("contentBlockDelta", out);
  if (d.kind == DeltaKind::none || d.fragment == "\"\"") return;
  if (d.kind == DeltaKind::text && !json_tool_.empty()) return hold_text(d.fragment);
  ToolBlock* tool = nullptr;
  if (d.kind == DeltaKind::tool_input) {
    tool = tool_block(d.block);
    if (!tool) return malformed("contentBlockDelta", out);  // input for a call never started
    tool->got_input = true;
    if (tool->index == kIgnoredTool) return;
  }
  role_chunk(out);
  open_chunk(out);
  if (d.kind == DeltaKind::reasoning) {
    out += R"({"reasoning_content":)"sv;
  } else if (d.kind == DeltaKind::text || tool->index == kResponseTool) {
    out += R"({"content":)"sv;  // text, or the response_format tool's JSON
  } else {
    out += R"({"tool_calls":[{"index":)"sv;
    detail::append_int(out, tool->index);
    out += R"(,"function":{"arguments":)"sv;
  }
  out += d.fragment;
  out += d.kind == DeltaKind::tool_input && tool->index >= 0 ? "}}]}" : "}";
  close_chunk(out, {});
}

// While the response_format tool may still come, text cannot be streamed: if the tool comes,
// the content must be its JSON alone. `fragment` is a raw JSON string token: it is kept escaped,
// without its quotes, so the held fragments join into one valid JSON string.
void ConverseStreamTranslator::hold_text(std::string_view fragment) {
  if (answered_ || held_cut_) return;  // after the JSON, or past the cap: dropped
  std::string_view inner = fragment.substr(1, fragment.size() - 2);
  if (held_.size() + inner.size() > kMaxHeldText) {
    held_cut_ = true;  // whole fragments only, so no escape sequence is split
    return;
  }
  held_ += inner;
}

// A tool block with no input at all still owes the client a parseable argument string.
void ConverseStreamTranslator::block_stop(std::string_view payload, std::string& out) {
  od::document doc;
  od::object root;
  std::int64_t block = -1;
  if (open_event(payload, doc, root)) return malformed("contentBlockStop", out);
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return malformed("contentBlockStop", out);
    if (key == "contentBlockIndex" && read_block_index(field.value_unsafe().value(), block))
      return malformed("contentBlockStop", out);
  }
  ToolBlock* tool = tool_block(block);
  if (!tool || tool->got_input || tool->index == kIgnoredTool) return;
  tool->got_input = true;
  open_chunk(out);
  if (tool->index == kResponseTool) {
    out += R"({"content":"{}"})"sv;
  } else {
    out += R"({"tool_calls":[{"index":)"sv;
    detail::append_int(out, tool->index);
    out += R"(,"function":{"arguments":"{}"}}]})"sv;
  }
  close_chunk(out, {});
}

void ConverseStreamTranslator::message_stop(std::string_view payload, std::string& out) {
  od::document doc;
  od::object root;
  std::string_view stop;
  if (open_event(payload, doc, root)) return malformed("messageStop", out);
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return malformed("messageStop", out);
    if (key == "stopReason" && field.value_unsafe().value().get_string().get(stop))
      return malformed("messageStop", out);
  }
  finish_reason_ = finish_reason_from_stop(stop);
  // The response_format tool is our device, not a call the client made.
  if (finish_reason_ == "tool_calls" && tool_count_ == 0) finish_reason_ = "stop";
  role_chunk(out);
  if (!answered_) {
    // The answer ended without the response tool: the model answered in text, and the client
    // gets that text, as the non-streamed translation gives it.
    if (!held_.empty()) {
      open_chunk(out);
      out += R"({"content":")"sv;
      out += held_;
      out += R"("})"sv;
      close_chunk(out, {});
    }
    // Text past the cap was dropped: the content is cut, which is what "length" says.
    if (held_cut_ && finish_reason_ == "stop") finish_reason_ = "length";
  }
  open_chunk(out);
  out += "{}"sv;
  close_chunk(out, finish_reason_);
  stopped_ = true;
  if (metadata_) complete(out);
}

void ConverseStreamTranslator::metadata(std::string_view payload, std::string& out) {
  if (!detail::usage_from_payload(payload, usage_)) return malformed("metadata", out);
  metadata_ = true;
  if (stopped_) complete(out);
}

void ConverseStreamTranslator::complete(std::string& out) {
  if (include_usage_ && usage_.reported) {
    // A client that asked for usage gets its cost in the usage object, as OpenRouter sends it.
    std::string cost;
    if (pricer_) {
      if (const std::optional<Money> charge = pricer_->charge(usage_))
        cost = format_dollars(*charge);
    }
    out += head_;
    out += R"(,"choices":[],"usage":)"sv;
    detail::append_usage(out, usage_, cost);
    out += "}\n\n"sv;
  }
  out += "data: [DONE]\n\n"sv;
  done_ = true;
}

void ConverseStreamTranslator::on_exception(std::string_view exception_type,
                                            std::string_view payload, std::string& out) {
  if (done_) return;
  abort(error_from_stream_exception(exception_type, payload), out);
}

void ConverseStreamTranslator::finish(std::string& out) {
  if (done_) return;
  Error e = make_error(ErrorKind::bad_gateway,
                       "The Bedrock stream ended before the answer was complete.");
  e.detail = stopped_ ? "bedrock stream: no metadata event" : "bedrock stream: no messageStop";
  e.retryable = true;
  abort(std::move(e), out);
}

void ConverseStreamTranslator::malformed(std::string_view event_type, std::string& out) {
  Error e =
      make_error(ErrorKind::bad_gateway, "Bedrock sent a stream event that could not be read.");
  e.detail = "bedrock stream: unreadable " + std::string(event_type) + " event";
  e.retryable = true;
  abort(std::move(e), out);
}

void ConverseStreamTranslator::abort(Error error, std::string& out) {
  if (done_) return;
  out += openai::error_event(error);
  error_ = std::move(error);
  done_ = true;
}

}  // namespace tollbooth::bedrock
