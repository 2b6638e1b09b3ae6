#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/s3_connection.h"

namespace sluice {

// What a run did, for the summary, --stats JSON and progress lines.
struct OutputStats {
  std::string name;
  bool aggregation = false;
  int64_t rows = 0;  // raw rows, or windows (one row per window and group)
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t late = 0;  // records late for this aggregation
};

struct RunStats {
  int64_t records_read = 0;
  int64_t bytes_read = 0;
  // Records read again after a restart or rebalance only to rebuild open windows (their
  // rows, dead letters and late records were written by an earlier run); the other
  // records_read are valid + invalid.
  int64_t replayed = 0;
  int64_t valid = 0;     // passed decoding, columns, checks and event time
  int64_t invalid = 0;   // sent to the dead letter
  int64_t filtered = 0;  // valid but not matching the filter
  int64_t late = 0;      // late records, summed over aggregations
  int64_t raw_rows_written = 0;
  int64_t windows_written = 0;
  int64_t files_written = 0;
  int64_t bytes_written = 0;
  int64_t open_windows = 0;  // (window, group) pairs not emitted at the end of the run
  int64_t expression_errors = 0;
  int64_t triggers = 0;
  std::map<std::string, int64_t> invalid_by_stage;
  std::optional<int64_t> watermark;  // microseconds; unset before any event
  double elapsed_seconds = 0;
  double cpu_seconds = 0;
  std::vector<OutputStats> outputs;
  std::optional<S3Stats> s3;  // set when an output is on S3
  // Time the ends of triggers waited for completed files to become visible (uploads).
  double publish_wait_seconds = 0;

  std::string ToJson() const;
  // The end-of-run block printed to the terminal.
  std::string Summary(const std::string& pipeline_name) const;
};

}  // namespace sluice
