#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "common/types.h"
#include "operator/operator.h"
#include "state/key_encoder.h"
#include "state/keyed_map.h"
#include "state/partitioned_keys.h"
#include "window/aggregation_plan.h"
#include "window/result_rows.h"
#include "window/slot_pool.h"

namespace sluice {

// Running aggregates: an aggregation without a window keeps one state per group
// (docs/windows.md, "Running aggregates and timeouts"). No record is ever late.
//
// With a timeout the state of a group ends — and, in append mode, its result is
// emitted — once the watermark reaches its last event + after (event time), or once the
// trigger's processing time is `after` past the trigger of its last record (processing
// time). A record for a group whose state has ended by its own lateness threshold (or
// the trigger's processing time) ends that state first and starts a fresh one. Without
// a timeout, append mode emits every group when the input ends (--drain).
//
// update mode: EndTrigger returns the groups that changed since the last trigger; a
// group whose state ends is returned then if it changed since. complete mode: every
// group at every trigger.
//
// State is per source partition; a group fed by several partitions has one partial per
// partition, merged when it is emitted; its state ends when every partial's has.
//
// Not thread-safe: one operator per pipeline thread.
class RunningOperator final : public Operator {
 public:
  // Made by MakeOperator (operators.h).
  RunningOperator(AggregationPlan plan, KeyEncoder encoder,
                  std::vector<std::unique_ptr<Accumulator>> accumulators);
  arrow::Status Process(const OperatorInput& input, std::vector<int32_t>* late_rows) override;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> AdvanceWatermark(Watermark watermark,
                                                                      int64_t processing_time) override;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> EndTrigger(int64_t processing_time) override;
  int64_t ReleaseTime(int64_t event_time) const override;
  std::string LateReason(int64_t event_time, int64_t threshold) const override;

  std::string StateSignature() const override { return plan_.Signature(); }
  arrow::Result<std::vector<PartitionState>> Snapshot() const override;
  arrow::Status Restore(int32_t partition, const arrow::RecordBatch& state) override;
  int64_t DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) override;

  const std::shared_ptr<arrow::Schema>& output_schema() const override { return plan_.output_schema; }
  int64_t open_groups() const override { return groups_; }
  size_t state_bytes() const override;
  int64_t expression_errors() const override { return expression_errors_; }

 private:
  struct Group {
    uint32_t slot = 0;
    int64_t last_event = 0;  // largest event time taken
    int64_t last_seen = 0;   // processing time of the trigger of its last record
    bool dirty = false;      // changed since last returned (update mode)
  };
  using Groups = KeyedMap<Group>;
  // When the partial of (partition, id) may time out (lazily checked).
  struct Deadline {
    int64_t at;
    int32_t partition;
    uint32_t id;
    bool operator>(const Deadline& other) const { return at > other.at; }
  };

  int64_t DeadlineOf(const Group& g) const {
    return (timeout_.event_time ? g.last_event : g.last_seen) + timeout_.after.count();
  }
  // The latest deadline of `key`'s partials over every partition.
  int64_t LatestDeadline(std::string_view key, uint64_t hash) const;
  // Ends the state of `key` in every partition: its partials merged into one slot,
  // queued in ended_ (with whether any changed since last returned).
  void End(std::string_view key, uint64_t hash);
  // The rows of ended_ due in this mode; frees their slots afterwards.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> TakeEnded(int64_t processing_time);
  void RebuildDeadlines();

  AggregationPlan plan_;
  KeyEncoder encoder_;
  SlotPool pool_;
  const StateTimeout timeout_;
  PartitionedKeys<Group> partitions_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;
  int64_t groups_ = 0;  // partials held
  // Groups whose state ended, waiting to be returned: key (owned), slot, changed.
  struct Ended {
    std::string key;
    uint32_t slot;
    bool dirty;
  };
  std::vector<Ended> ended_;
  // Scratch reused across batches.
  KeyEncoder::EncodedKeys keys_;
  std::vector<int32_t> rows_;
  std::vector<uint32_t> slots_;
  std::vector<int64_t> zero_times_;
  int64_t expression_errors_ = 0;
};

}  // namespace sluice
