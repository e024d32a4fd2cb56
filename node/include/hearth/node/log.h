// log.h: one line per event worth knowing, to stderr: "<utc time> <level> <message>", where
// the message carries key=value fields (height=, peer=, reason=). `--log-level` sets the floor.
// Thread-safety: Log may be called from any thread (lines never interleave).
#pragma once

#include <string>
#include <string_view>

#include "hearth/base/status.h"

namespace hearth::node {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

Result<LogLevel> ParseLogLevel(std::string_view name);
void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view message);

}  // namespace hearth::node
