#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "common/types.h"
#include "operator/operator.h"
#include "state/key_encoder.h"
#include "window/aggregation_plan.h"
#include "window/result_rows.h"
#include "window/window_state.h"

namespace sluice {

// Windowed aggregation over event time (tumbling and sliding windows). Append mode:
// each (window, group) is emitted once, when the watermark reaches the window's end.
// Update mode: at the end of every trigger, the (window, group)s that changed since the
// last trigger; a window closing returns its groups that changed since.
//
// A record belongs to every window [start, end) with start <= t < end. It is added to
// each of those windows whose end is after its lateness threshold (the watermark that
// judges it; see WatermarkTracker); a record all of whose windows have ended is late.
// Groups keep one partial per source partition (WindowState), merged at emission.
// Emission order: by window end, then window start, then group first-seen order.
//
// Not thread-safe: one operator per pipeline thread.
class WindowOperator final : public Operator {
 public:
  // Made by MakeOperator (operators.h).
  WindowOperator(AggregationPlan plan, KeyEncoder encoder,
                 std::vector<std::unique_ptr<Accumulator>> accumulators);
  arrow::Status Process(const OperatorInput& input, std::vector<int32_t>* late_rows) override;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> AdvanceWatermark(Watermark watermark,
                                                                      int64_t processing_time) override;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> EndTrigger(int64_t processing_time) override;
  int64_t ReleaseTime(int64_t event_time) const override;
  std::string LateReason(int64_t event_time, int64_t threshold) const override;

  std::string StateSignature() const override;
  arrow::Result<std::vector<PartitionState>> Snapshot() const override;
  arrow::Status Restore(int32_t partition, const arrow::RecordBatch& state) override;
  int64_t DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) override;

  const std::shared_ptr<arrow::Schema>& output_schema() const override { return plan_.output_schema; }
  int64_t open_groups() const override { return state_.num_groups(); }
  size_t state_bytes() const override { return state_.memory_bytes(); }
  int64_t expression_errors() const override { return expression_errors_; }

  const AggregationPlan& plan() const { return plan_; }
  const WindowState& state() const { return state_; }

 private:
  bool Dirty(uint32_t slot) const { return slot < dirty_.size() && dirty_[slot]; }
  // Update mode: the groups of `window` with a partial that changed, each with its
  // partials merged (into a scratch slot when there are several); marks them clean.
  void ChangedGroups(const WindowState::Window& window, ResultRows* rows, std::vector<uint32_t>* scratch);

  AggregationPlan plan_;
  const bool update_;
  std::vector<uint8_t> dirty_;  // update mode: by slot, changed since last returned
  KeyEncoder encoder_;
  WindowState state_;
  // Scratch reused across batches.
  KeyEncoder::EncodedKeys keys_;
  std::vector<int32_t> rows_;
  std::vector<uint32_t> slots_;
  int64_t expression_errors_ = 0;
};

}  // namespace sluice
