#pragma once
// The log's format (docs/operations.md, "Logs"): TOLLBOOTH_LOG_FORMAT=json or text; without it,
// JSON when stderr is not a terminal (a service, a container, a pipe to a shipper) and the
// readable line on a terminal. use_log_format() makes spdlog's lines follow it: in JSON, each
// is {"time","level","msg"} with the message escaped.
#include <optional>
#include <string_view>

#include "core/log_format.hpp"

namespace tollbooth {

// nullopt for a value that is neither json nor text (the caller says so and uses the default).
std::optional<LogFormat> parse_log_format(std::string_view value) noexcept;
// TOLLBOOTH_LOG_FORMAT, else the default for where stderr goes.
LogFormat log_format_from_env();
void use_log_format(LogFormat format);

}  // namespace tollbooth
