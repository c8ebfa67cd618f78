#pragma once
// How the process writes its log lines, the access log's included (TOLLBOOTH_LOG_FORMAT;
// app/log_format.cpp decides): one JSON object a line, for log shippers, or a readable line.
#include <cstdint>

namespace tollbooth {

enum class LogFormat : std::uint8_t { text, json };

}  // namespace tollbooth
