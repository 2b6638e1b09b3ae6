#include "ops/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice {
namespace {

// Seconds since the Unix epoch at boot ("btime" of /proc/stat).
std::optional<double> BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessMetrics> ReadProcessMetrics() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: fields after it
  // start past the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  std::string f[22];  // fields 3..24
  for (auto& field : f) {
    if (!(fields >> field)) return std::nullopt;
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  ProcessMetrics m;
  m.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;  // utime, stime (fields 14, 15)
  m.virtual_bytes = std::stod(f[20]);                             // vsize (field 23)
  m.resident_bytes = std::stod(f[21]) * page;                     // rss pages (field 24)
  if (auto boot = BootTime()) m.start_time_seconds = *boot + std::stod(f[19]) / ticks;  // starttime (22)
  std::error_code error;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    m.open_fds += 1;
  }
  if (m.open_fds > 0) m.open_fds -= 1;  // the directory being listed
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) m.max_fds = static_cast<double>(limit.rlim_cur);
  return m;
}

}  // namespace sluice
