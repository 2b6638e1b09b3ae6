#pragma once

#include <string_view>

#include <arrow/status.h>
#include <spdlog/spdlog.h>

namespace sluice {

// Configures the process-wide logger (spdlog's default logger, writing to stderr, one
// line per event: time, level, message). `level` is one of trace, debug, info, warn,
// error, off. Call once from main() before other threads start; afterwards spdlog's
// free functions (spdlog::info, ...) are safe from any thread.
arrow::Status InitLogging(std::string_view level);

}  // namespace sluice
