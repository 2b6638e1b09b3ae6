#include "common/logging.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include "common/text.h"

namespace sluice {
namespace {

// {"time": "...Z", "level": "info", "logger": "sluice", "message": "..."}
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t t = seconds.count();
    std::tm utc{};
    gmtime_r(&t, &utc);
    char time[32];
    const size_t n = std::strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &utc);
    std::string out = "{\"time\": \"";
    out.append(time, n);
    out += fmt::format(".{:03d}Z\", \"level\": \"", millis);
    const auto level = spdlog::level::to_string_view(msg.level);
    out.append(level.data(), level.size());
    out += "\", \"logger\": ";
    AppendJsonString(std::string_view(msg.logger_name.data(), msg.logger_name.size()), &out);
    out += ", \"message\": ";
    AppendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), &out);
    out += "}\n";
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// stderr, levels coloured on a terminal, with an optional status line kept below the
// log lines.
class TerminalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit TerminalSink(bool terminal) : terminal_(terminal) {}

  bool terminal() const { return terminal_; }

  void SetStatusLine(std::string_view line) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (line.empty() && status_.empty()) return;
    // One row: a wrapped line could not be cleared by "\r\033[K".
    winsize size{};
    const size_t columns =
        ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 ? size.ws_col - 1 : 79;
    status_ = line.substr(0, columns);
    std::string out = "\r\033[K" + status_;
    if (status_.empty()) out = "\r\033[K";
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string out;
    if (!status_.empty()) out += "\r\033[K";
    const std::string_view text(formatted.data(), formatted.size());
    if (terminal_ && msg.color_range_end > msg.color_range_start) {
      out += text.substr(0, msg.color_range_start);
      out += Colour(msg.level);
      out += text.substr(msg.color_range_start, msg.color_range_end - msg.color_range_start);
      out += "\033[0m";
      out += text.substr(msg.color_range_end);
    } else {
      out += text;
    }
    out += status_;
    std::fwrite(out.data(), 1, out.size(), stderr);
    std::fflush(stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  static const char* Colour(spdlog::level::level_enum level) {
    switch (level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        return "\033[36m";
      case spdlog::level::info:
        return "\033[32m";
      case spdlog::level::warn:
        return "\033[33m\033[1m";
      case spdlog::level::err:
      case spdlog::level::critical:
        return "\033[31m\033[1m";
      default:
        return "";
    }
  }

  const bool terminal_;
  std::string status_;
};

std::shared_ptr<TerminalSink> terminal_sink;  // set by InitLogging for text logs
bool json_logs = false;

}  // namespace

arrow::Status InitLogging(std::string_view level, std::string_view format) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") {
    return arrow::Status::Invalid("unknown log level '", level,
                                  "'; use trace, debug, info, warn, error or off");
  }
  if (format != "text" && format != "json") {
    return arrow::Status::Invalid("unknown log format '", format, "'; use text or json");
  }
  json_logs = format == "json";
  terminal_sink = std::make_shared<TerminalSink>(!json_logs && isatty(STDERR_FILENO) == 1);
  auto logger = std::make_shared<spdlog::logger>("sluice", terminal_sink);
  if (json_logs) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return arrow::Status::OK();
}

bool StatusLineAvailable() { return terminal_sink != nullptr && terminal_sink->terminal(); }

void SetStatusLine(std::string_view line) {
  if (StatusLineAvailable()) terminal_sink->SetStatusLine(line);
}

}  // namespace sluice
