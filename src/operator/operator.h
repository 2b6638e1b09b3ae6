#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "common/types.h"

namespace sluice {

// The rows an operator receives: valid rows of the pipeline (after checks, derived
// columns and the filter), in arrival order, with per-row event time, the watermark
// that judges the row (WatermarkTracker) and its source partition.
struct OperatorInput {
  const arrow::RecordBatch& batch;
  const int64_t* event_times;  // per row
  const int64_t* thresholds;   // per row
  const int32_t* partitions;   // per row (PartitionId values); null: every row in partition 0
  int64_t processing_time;     // the trigger's processing time (now() in expressions)
};

// The state an operator holds for one source partition, as one Arrow batch of
// operator-defined columns (a checkpoint section).
struct PartitionState {
  int32_t partition = 0;
  std::shared_ptr<arrow::RecordBatch> state;
};

// A stateful stream operator of one output: window, session and running aggregation
// today; deduplication and joins behind the same interface. The runner
// drives every operator the same way and never calls one by name.
//
// Lifecycle (one pipeline thread, no locking):
//   Restore (per partition, before any Process, or when a partition is assigned)
//   { Process | AdvanceWatermark | EndTrigger | Snapshot | DropPartitions }*
// Implementation rules:
// - Results depend only on the rows, their order within each source partition and the
//   watermarks given, never on how rows were batched.
// - State is kept per source partition, so that one partition's state can be
//   snapshotted, dropped or restored on its own (partitions move between processes);
//   results combine the partitions' partial states when they are emitted.
// - State is plain data (see STYLE.md point 8); Snapshot is consistent with the rows
//   processed so far and costs no more than copying the state.
class Operator {
 public:
  virtual ~Operator() = default;

  // Takes the rows of `input`; appends the indexes of rows it rejects as late, in
  // ascending order.
  virtual arrow::Status Process(const OperatorInput& input, std::vector<int32_t>* late_rows) = 0;
  // The pipeline watermark reached `watermark` (kWatermarkMax: the input ended) at
  // `processing_time`: returns every result that became final (output_schema()) — in
  // update mode only those that changed since they were last returned — or null.
  virtual arrow::Result<std::shared_ptr<arrow::RecordBatch>> AdvanceWatermark(Watermark watermark,
                                                                              int64_t processing_time) = 0;
  // The results due at the end of a trigger at `processing_time`: in update mode those
  // that changed since the last trigger, in complete mode every result held (both with
  // emitted_at); null in append mode or when there are none.
  virtual arrow::Result<std::shared_ptr<arrow::RecordBatch>> EndTrigger(int64_t processing_time) = 0;
  // The watermark at which a row of event time `event_time` taken by Process no longer
  // lives only in this operator's state (its results were emitted).
  virtual int64_t ReleaseTime(int64_t event_time) const = 0;
  // Why a row of `event_time` judged against `threshold` was late, for the late
  // output and the log.
  virtual std::string LateReason(int64_t event_time, int64_t threshold) const = 0;

  // What a checkpointed state must have been made by to be restored here (kind,
  // window, grouping and aggregates); a different signature is an incompatible change.
  virtual std::string StateSignature() const = 0;
  // The state of every partition holding some.
  virtual arrow::Result<std::vector<PartitionState>> Snapshot() const = 0;
  // Adds `state` (from Snapshot) as the state of `partition`, which holds none yet.
  virtual arrow::Status Restore(int32_t partition, const arrow::RecordBatch& state) = 0;
  // Forgets the state of `partitions`; returns how many state entries went and, in
  // `shared`, how many of them belong to results other partitions also feed.
  virtual int64_t DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) = 0;

  virtual const std::shared_ptr<arrow::Schema>& output_schema() const = 0;
  // Open results (e.g. (window, group) partials) and the approximate bytes they hold.
  virtual int64_t open_groups() const = 0;
  virtual size_t state_bytes() const = 0;
  // Values that could not be computed and were taken as null.
  virtual int64_t expression_errors() const = 0;
};

}  // namespace sluice
