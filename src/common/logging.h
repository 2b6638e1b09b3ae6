#pragma once

#include <string_view>

#include <arrow/status.h>
#include <spdlog/spdlog.h>

namespace sluice {

// Configures the process-wide logger (spdlog's default logger, writing to stderr).
// `level` is one of trace, debug, info, warn, error, off. `format` is "text" (time,
// level, message; levels coloured on a terminal) or "json" (one object per line:
// {"time": ISO-8601 UTC, "level", "logger", "message"}, for log collectors). Call once
// from main() before other threads start; afterwards spdlog's free functions
// (spdlog::info, ...) are safe from any thread.
arrow::Status InitLogging(std::string_view level, std::string_view format = "text");

// True when stderr is a terminal and logs are text: a status line (a progress bar) can
// be kept below the log lines.
bool StatusLineAvailable();
// Shows `line` as the last line of the terminal, below the logs: log lines written while
// it is shown appear above it. An empty line removes it. Does nothing unless
// StatusLineAvailable(). Thread-safe.
void SetStatusLine(std::string_view line);

}  // namespace sluice
