#include "app/log_format.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "core/text.hpp"

namespace tollbooth {
namespace {

// spdlog's %* in the JSON pattern: the message as a JSON string's contents. spdlog has no
// escaping of its own.
class JsonMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string quoted;
    append_json_string(quoted, std::string_view(msg.payload.data(), msg.payload.size()));
    // Without the quotes: the pattern has them, around the level's and time's fields too.
    dest.append(quoted.data() + 1, quoted.data() + quoted.size() - 1);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessage>();
  }
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view value) noexcept {
  if (value == "json") return LogFormat::json;
  if (value == "text") return LogFormat::text;
  return std::nullopt;
}

LogFormat log_format_from_env() {
  const LogFormat fallback = ::isatty(STDERR_FILENO) ? LogFormat::text : LogFormat::json;
  const char* value = std::getenv("TOLLBOOTH_LOG_FORMAT");
  if (!value || !*value) return fallback;
  if (auto format = parse_log_format(value)) return *format;
  spdlog::warn("TOLLBOOTH_LOG_FORMAT={}: expected json or text; using {}",
               excerpt_client_text(value, 32), fallback == LogFormat::json ? "json" : "text");
  return fallback;
}

void use_log_format(LogFormat format) {
  if (format == LogFormat::text) return;  // spdlog's own readable pattern
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<JsonMessage>('*').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
  spdlog::set_formatter(std::move(formatter));
}

}  // namespace tollbooth
