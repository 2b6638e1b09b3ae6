#include "common/logging.h"

#include <string>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace sluice {

arrow::Status InitLogging(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return arrow::Status::Invalid("unknown log level '", level,
                                  "'; use trace, debug, info, warn, error or off");
  }
  auto logger = spdlog::get("sluice");
  if (!logger) logger = spdlog::stderr_color_mt("sluice");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return arrow::Status::OK();
}

}  // namespace sluice
