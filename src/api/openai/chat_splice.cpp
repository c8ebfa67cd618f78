#include "api/openai/chat_request.hpp"

#include <array>
#include <optional>
#include <string>

// Rewrites an OpenAI Chat Completions request body for the same-wire fast path (OpenAI →
// OpenAI/Azure): only `model` and `stream_options.include_usage` change, by splicing at the
// spans inspect_chat_request found; every other byte reaches the upstream as the client sent it.

namespace tollbooth::openai {
namespace {

bool is_ws(char c) noexcept {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

bool needs_escape(char c) noexcept {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

// Appends `s` as a JSON string literal, copying runs of plain bytes at once. Bytes >= 0x80
// pass through: model names come from our own config as UTF-8.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!needs_escape(s[i])) continue;
    out.append(s.substr(run, i - run));
    auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20) {
      const char hex[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xF]};
      out.append(hex, sizeof hex);
    } else {
      const char pair[] = {'\\', s[i]};
      out.append(pair, sizeof pair);
    }
    run = i + 1;
  }
  out.append(s.substr(run));
  out.push_back('"');
}

// One replacement of body[begin, end); an insertion when begin == end.
struct Edit {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::string_view text;  // ignored when is_model
  bool is_model = false;
};

constexpr std::string_view kUsageMember = R"(,"stream_options":{"include_usage":true})";
constexpr std::string_view kUsageObject = R"({"include_usage":true})";

// The edit that makes stream_options.include_usage true, if one is needed.
std::optional<Edit> include_usage_edit(std::string_view body, const ChatInspection& facts) {
  const Span& options = facts.stream_options_value;
  if (options.empty()) return Edit{facts.object_end, facts.object_end, kUsageMember};
  if (body[options.begin] == 'n') return Edit{options.begin, options.end, kUsageObject};
  if (!facts.include_usage_value.empty()) {
    if (facts.include_usage) return std::nullopt;
    return Edit{facts.include_usage_value.begin, facts.include_usage_value.end, "true"};
  }
  std::size_t first = options.begin + 1;
  while (first < options.end && is_ws(body[first])) ++first;
  bool empty_object = body[first] == '}';
  std::size_t at = options.begin + 1;
  return Edit{at, at, empty_object ? R"("include_usage":true)" : R"("include_usage":true,)"};
}

// Facts taken from another body would make us cut at random offsets.
bool spans_fit(std::string_view body, const ChatInspection& facts) noexcept {
  auto fits = [&](const Span& s) { return s.begin <= s.end && s.end <= body.size(); };
  const Span& options = facts.stream_options_value;
  return !facts.model_value.empty() && fits(facts.model_value) &&
         body[facts.model_value.begin] == '"' && fits(options) &&
         (options.empty() || body[options.begin] == '{' || body[options.begin] == 'n') &&
         fits(facts.include_usage_value) && facts.object_end < body.size() &&
         body[facts.object_end] == '}';
}

}  // namespace

std::string splice_chat_request(std::string_view body, const ChatInspection& facts,
                                std::string_view upstream_model, bool force_include_usage) {
  if (!spans_fit(body, facts)) return std::string(body);
  std::array<Edit, 2> edits;
  std::size_t count = 0;
  edits[count++] = Edit{facts.model_value.begin, facts.model_value.end, {}, true};
  if (force_include_usage) {
    if (auto edit = include_usage_edit(body, facts)) edits[count++] = *edit;
  }
  if (count == 2 && edits[1].begin < edits[0].begin) std::swap(edits[0], edits[1]);

  std::string out;
  out.reserve(body.size() + upstream_model.size() + kUsageMember.size() + 8);
  std::size_t pos = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const Edit& edit = edits[i];
    out.append(body.substr(pos, edit.begin - pos));
    if (edit.is_model) {
      append_json_string(out, upstream_model);
    } else {
      out.append(edit.text);
    }
    pos = edit.end;
  }
  out.append(body.substr(pos));
  return out;
}

}  // namespace tollbooth::openai
