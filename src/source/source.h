#pragma once

#include <cstdint>
#include <string>

#include <arrow/result.h>
#include <arrow/status.h>

#include "common/types.h"
#include "format/raw_batch.h"

namespace sluice {

struct SourceStats {
  int64_t records = 0;
  int64_t bytes = 0;
};

// Where records come from: Kafka, NDJSON files, the scenario generator.
//
// Lifecycle: Next() repeatedly; Commit() after the outputs of everything returned so far
// are durable (a Kafka source stores its offsets then); Close() at the end.
// Delivery: every record once, in order within its partition; positions travel with
// each record (RecordPosition) for dead letters and checkpoints.
// Not thread-safe: one pipeline thread calls it.
class Source {
 public:
  virtual ~Source() = default;

  // Clears `batch` and fills it with up to `max_records` records, waiting at most
  // `timeout` for the first one. Returns false once a bounded source is exhausted;
  // true with an empty batch means "nothing available yet".
  virtual arrow::Result<bool> Next(int64_t max_records, Duration timeout, RawBatch* batch) = 0;

  virtual arrow::Status Commit() { return arrow::Status::OK(); }
  virtual arrow::Status Close() { return arrow::Status::OK(); }

  virtual const SourceStats& stats() const = 0;
  // One line for plans and logs.
  virtual std::string Describe() const = 0;
};

}  // namespace sluice
