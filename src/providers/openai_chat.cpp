#include "providers/openai_chat.hpp"

#include "api/openai/chat_response.hpp"
#include "api/openai/errors.hpp"
#include "config/config.hpp"
#include "core/money.hpp"
#include "providers/openai_wire.hpp"

namespace tollbooth {
namespace {

// The event `raw`, whose data is `data`, with the cost written into its usage object: the
// bytes around the data are kept. Data joined from several `data:` lines is not in `raw` as
// one piece; that event is written again, a `data:` line per line.
void append_priced_event(const openai::SseEvent& ev, const openai::UsageSpot& spot,
                         std::string_view cost, std::string& out) {
  const char* raw = ev.raw.data();
  if (ev.data.data() >= raw && ev.data.data() + ev.data.size() <= raw + ev.raw.size()) {
    const auto at = static_cast<std::size_t>(ev.data.data() - raw);
    out.append(ev.raw.substr(0, at));
    openai::append_with_usage_cost(out, ev.data, spot, cost);
    out.append(ev.raw.substr(at + ev.data.size()));
    return;
  }
  std::string data;
  openai::append_with_usage_cost(data, ev.data, spot, cost);
  if (!ev.type.empty()) out.append("event: ").append(ev.type).append("\n");
  std::string_view rest = data;
  for (;;) {
    const auto nl = rest.find('\n');
    out.append("data: ").append(rest.substr(0, nl)).append("\n");
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  out.append("\n");
}

}  // namespace

Result<Ok> OpenAiWireChat::build(UpstreamRequest& out) {
  build_chat_request(in_.provider, in_.endpoint, in_.route, in_.client_body, in_.facts, out);
  return Ok{};
}

BodyPlan OpenAiWireChat::plan(const ResponseHead& head) const {
  return openai_wire_plan(head, in_.facts.stream);
}

Reply OpenAiWireChat::whole(const ResponseHead& head, std::string_view body) {
  Reply r;
  if (openai_wire_refused(head, r)) return r;
  // Success, or a 4xx that is the client's own fault (bad parameter, content filter): passed
  // through as it is.
  r.status = head.status;
  if (!head.content_type.empty()) r.content_type = head.content_type;
  r.body = body;
  if (head.status == 200) r.usage = openai::usage_from_completion(body);
  return r;
}

void OpenAiWireChat::feed(std::string_view bytes, std::string& out) {
  if (done_) return;
  for (const auto& ev : sse_.feed(bytes)) {
    if (!ev.data.empty()) {
      auto info = openai::classify_chunk(ev.data);
      if (info.usage) usage_ = *info.usage;
      if (info.kind == openai::ChunkKind::azure_prelude) continue;
      if (info.kind == openai::ChunkKind::usage_only && !in_.facts.include_usage) continue;
      // A client that asked for usage gets its cost in the usage object, as OpenRouter sends it.
      if (info.usage && in_.facts.include_usage && in_.pricer &&
          info.kind != openai::ChunkKind::error) {
        if (const std::optional<Money> cost = in_.pricer->charge(*info.usage)) {
          append_priced_event(ev, info.spot, format_dollars(*cost), out);
          continue;
        }
      }
    }
    out.append(ev.raw);
  }
}

void OpenAiWireChat::end(std::string&) {
  done_ = true;
}

void OpenAiWireChat::fail(Error error, std::string& out) {
  if (done_) return;
  out.append(openai::error_event(error));
  error_ = std::move(error);
  done_ = true;
}

}  // namespace tollbooth
