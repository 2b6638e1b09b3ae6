#pragma once

#include <optional>

namespace sluice {

// This process's resources, read from /proc/self (Linux), for the process_* metrics
// of the Prometheus conventions.
struct ProcessMetrics {
  double cpu_seconds = 0;     // user + system
  double resident_bytes = 0;  // RSS
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // Unix time
  double open_fds = 0;
  double max_fds = 0;
};

// Absent when /proc cannot be read.
std::optional<ProcessMetrics> ReadProcessMetrics();

}  // namespace sluice
