#include "mock/mock_recorder.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

#include "mock/mock_json.hpp"

namespace tollbooth::mock {
namespace {

// The raw "name:value\n" lines as (lower-case name, value) pairs, repeated names merged so the
// JSON object has unique keys.
std::vector<std::pair<std::string, std::string>> merged_headers(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!raw.empty()) {
    const auto nl = raw.find('\n');
    const auto line = raw.substr(0, nl);
    raw = nl == std::string_view::npos ? std::string_view{} : raw.substr(nl + 1);
    const auto colon = line.find(':');
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto value =
        colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    auto same =
        std::find_if(out.begin(), out.end(), [&](const auto& h) { return h.first == name; });
    if (same != out.end())
      same->second.append(", ").append(value);
    else
      out.emplace_back(std::move(name), std::string(value));
  }
  return out;
}

void append_record(std::string& out, const RecordedRequest& r) {
  out += '{';
  if (r.seq != 0) {
    out += R"("seq":)";
    append_int(out, static_cast<std::int64_t>(r.seq));
    out += ',';
  }
  out += R"("cloud":)";
  append_json_string(out, r.cloud);
  out += R"(,"method":)";
  append_json_string(out, r.method);
  out += R"(,"target":)";
  append_json_string(out, r.target);
  out += R"(,"headers":{)";
  const auto headers = merged_headers(r.headers);
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_string(out, headers[i].first);
    out.push_back(':');
    append_json_string(out, headers[i].second);
  }
  out += R"(},"body":)";
  append_json_string(out, r.body);
  if (r.body_truncated) out += R"(,"body_truncated":true)";
  out.push_back('}');
}

}  // namespace

void RecordedRequest::add_header(std::string_view name, std::string_view value) {
  headers.append(name).append(1, ':').append(value).append(1, '\n');
}

void RecordedRequest::set_body(std::string_view b) {
  body_truncated = b.size() > RequestLog::kMaxBody;
  body.assign(b.substr(0, RequestLog::kMaxBody));
}

RequestLog::RequestLog() : slots_(kCapacity) {}

void RequestLog::reset(RecordedRequest& slot) {
  slot.seq = 0;
  slot.cloud.clear();
  slot.method.clear();
  slot.target.clear();
  slot.headers.clear();
  slot.body.clear();
  slot.body_truncated = false;
}

std::string RequestLog::to_json(std::string_view cloud) const {
  std::string out = R"({"requests":[)";
  std::lock_guard lock(mutex_);
  const std::size_t count = std::min(next_, kCapacity);
  bool first = true;
  for (std::size_t i = next_ - count; i < next_; ++i) {
    const auto& r = slots_[i % kCapacity];
    if (!cloud.empty() && r.cloud != cloud) continue;
    if (!first) out.push_back(',');
    first = false;
    append_record(out, r);
  }
  out += "]}";
  return out;
}

std::size_t RequestLog::clear() {
  std::lock_guard lock(mutex_);
  const auto held = std::min(next_, kCapacity);
  next_ = 0;
  return held;
}

std::uint64_t UsageLog::add(UsageRecord record) {
  std::lock_guard lock(mutex_);
  if (records_.size() >= kCapacity) {
    ++dropped_;
    return 0;
  }
  records_.push_back(std::move(record));
  return first_ticket_ + records_.size() - 1;
}

void UsageLog::mark_delivered(std::uint64_t ticket) {
  std::lock_guard lock(mutex_);
  if (ticket < first_ticket_ || ticket - first_ticket_ >= records_.size()) return;
  records_[ticket - first_ticket_].delivered = true;
}

std::string UsageLog::to_json(std::string_view cloud) const {
  std::string out = R"({"usage":[)";
  std::lock_guard lock(mutex_);
  bool first = true;
  for (const UsageRecord& r : records_) {
    if (!cloud.empty() && r.cloud != cloud) continue;
    if (!first) out.push_back(',');
    first = false;
    out += R"({"seq":)";
    append_int(out, static_cast<std::int64_t>(r.seq));
    out += R"(,"cloud":)";
    append_json_string(out, r.cloud);
    out += R"(,"kind":)";
    append_json_string(out, r.kind);
    out += R"(,"model":)";
    append_json_string(out, r.model);
    out += R"(,"stream":)";
    out += r.stream ? "true" : "false";
    out += R"(,"reported":)";
    out += r.reported ? "true" : "false";
    out += R"(,"delivered":)";
    out += r.delivered ? "true" : "false";
    out += R"(,"usage":)";
    out += r.usage;
    out.push_back('}');
  }
  out += R"(],"dropped":)";
  append_int(out, static_cast<std::int64_t>(dropped_));
  out.push_back('}');
  return out;
}

std::size_t UsageLog::clear() {
  std::lock_guard lock(mutex_);
  const std::size_t held = records_.size();
  first_ticket_ += held;  // the tickets handed out so far name no record now
  records_.clear();
  dropped_ = 0;
  return held;
}

}  // namespace tollbooth::mock
