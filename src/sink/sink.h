#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

namespace sluice {

struct SinkStats {
  int64_t rows = 0;                 // rows in completed, visible files
  int64_t files = 0;                // files completed and visible
  int64_t bytes = 0;                // bytes of completed files
  int64_t expression_errors = 0;    // values (e.g. partition paths) that failed to compute
  int64_t publish_wait_micros = 0;  // time Flush waited for completed files to become visible
};

// A completed file that became visible to readers under its final name.
struct VisibleFile {
  std::string path;  // full path or URI
  int64_t rows = 0;
  int64_t bytes = 0;
};

// An output file written under a staged name (checkpointed runs): invisible to readers
// until the epoch that wrote it is committed and the file is moved to its final name.
struct StagedOutputFile {
  std::string output;  // the sink's name
  std::string staged;  // path relative to the sink's location
  std::string final;   // same
  int64_t rows = 0;
  int64_t bytes = 0;
};

// A destination for record batches of one schema.
//
// Lifecycle: Write any number of times; at the end of every trigger CompleteFiles ends
// every open file and returns a mark: once Visible(mark), everything written before it
// is visible and durable (files may become visible in the background, e.g. uploads);
// Close ends the sink. Nothing written is visible before the file holding it completes
// (at a roll or at CompleteFiles).
// Not thread-safe: called from the pipeline thread only.
class Sink {
 public:
  virtual ~Sink() = default;

  virtual arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  // Processing-time housekeeping, e.g. completing files older than a limit; called
  // often (after every batch), so it must be cheap when there is nothing to do.
  virtual arrow::Status Tick() = 0;
  // Completes every open file; returns the mark Visible and WaitVisible take.
  virtual arrow::Result<int64_t> CompleteFiles() = 0;
  // Whether every file completed before `mark` is visible; fails when one of them
  // could not be published (nothing of it is visible then).
  virtual arrow::Result<bool> Visible(int64_t mark) = 0;
  // Waits until Visible(mark).
  virtual arrow::Status WaitVisible(int64_t mark) = 0;
  virtual arrow::Status Close() = 0;

  // Completes every open file and waits until all of them are visible.
  arrow::Status Flush() {
    ARROW_ASSIGN_OR_RAISE(int64_t mark, CompleteFiles());
    return WaitVisible(mark);
  }

  virtual const SinkStats& stats() const = 0;
  // One line for plans and logs, e.g. "parquet ./lake/raw partitioned by year, month".
  virtual std::string Describe() const = 0;
};

}  // namespace sluice
