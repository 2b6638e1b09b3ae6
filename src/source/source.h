#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "common/types.h"
#include "format/raw_batch.h"

namespace sluice {

struct SourceStats {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t commits = 0;         // offset commits that succeeded
  int64_t commit_retries = 0;  // commits that failed transiently and were retried later
};

// What the pipeline tells a source about partitions it owns (Kafka consumer-group
// rebalances). Called on the pipeline thread, from within Source::Next or Close.
class PartitionListener {
 public:
  virtual ~PartitionListener() = default;

  // The source starts reading these partitions.
  virtual void OnAssigned(const std::vector<PartitionId>& partitions) = 0;
  // The source is about to give these partitions up in an orderly way: make every
  // output durable now. The source then commits (bounded by FirstRetained) and calls
  // OnRevoked.
  virtual arrow::Status OnRevoking(const std::vector<PartitionId>& partitions) = 0;
  // The partitions are gone: forget their state. `lost` means they were taken away
  // without a chance to commit (another consumer may already read them).
  virtual void OnRevoked(const std::vector<PartitionId>& partitions, bool lost) = 0;
  // The first offset of `partition` whose record is not yet durable in every output
  // (it is held in open window state), or nullopt when everything returned so far is
  // durable. A source never commits past it.
  virtual std::optional<KafkaOffset> FirstRetained(PartitionId partition) const = 0;
};

// Where records come from: Kafka, NDJSON files, the scenario generator.
//
// Lifecycle: SetListener (optional) before the first Next; Next repeatedly; Commit
// after the outputs of everything returned so far are durable (a Kafka source commits
// its offsets then, never past the listener's FirstRetained); Close at the end.
// Delivery: every record at least once, in order within its partition; positions travel
// with each record (RecordPosition) for dead letters and commits.
// Not thread-safe: one pipeline thread calls it.
class Source {
 public:
  virtual ~Source() = default;

  // `listener` must outlive the source. Sources without partitions ignore it.
  virtual void SetListener(PartitionListener* listener) { (void)listener; }

  // Clears `batch` and fills it with up to `max_records` records, waiting at most
  // `timeout` for the first one. Returns false once a bounded source is exhausted;
  // true with an empty batch means "nothing available yet".
  virtual arrow::Result<bool> Next(int64_t max_records, Duration timeout, RawBatch* batch) = 0;

  virtual arrow::Status Commit() { return arrow::Status::OK(); }
  virtual arrow::Status Close() { return arrow::Status::OK(); }

  virtual const SourceStats& stats() const = 0;
  // One line for plans and logs.
  virtual std::string Describe() const = 0;
  // A partition's name for logs ("iot-events[2]"); files have the single partition 0.
  virtual std::string PartitionName(PartitionId partition) const { return std::to_string(partition.value()); }
};

}  // namespace sluice
