#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <arrow/record_batch.h>
#include <arrow/status.h>

namespace sluice {

struct SinkStats {
  int64_t rows = 0;               // rows in completed, visible files
  int64_t files = 0;              // files completed and visible
  int64_t bytes = 0;              // bytes of completed files
  int64_t expression_errors = 0;  // values (e.g. partition paths) that failed to compute
};

// A destination for record batches of one schema.
//
// Lifecycle: Write any number of times; Flush at the end of every trigger (and before
// shutdown) makes everything written so far visible and durable; Close ends the sink.
// Nothing written is visible before the Flush (or roll) that completes it.
// Not thread-safe: called from the pipeline thread only.
class Sink {
 public:
  virtual ~Sink() = default;

  virtual arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) = 0;
  // Processing-time housekeeping, e.g. completing files older than a limit; called
  // often (after every batch), so it must be cheap when there is nothing to do.
  virtual arrow::Status Tick() = 0;
  virtual arrow::Status Flush() = 0;
  virtual arrow::Status Close() = 0;

  virtual const SinkStats& stats() const = 0;
  // One line for plans and logs, e.g. "parquet ./lake/raw partitioned by year, month".
  virtual std::string Describe() const = 0;
};

}  // namespace sluice
