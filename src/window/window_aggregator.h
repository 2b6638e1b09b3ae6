#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "common/types.h"
#include "expr/aggregate_call.h"
#include "state/key_encoder.h"
#include "window/window_spec.h"
#include "window/window_state.h"

namespace sluice {

// One output column of an aggregation: a name and an expression over aggregate calls,
// grouping columns and window_start / window_end (e.g. "sum(cost) / sum(views)").
struct AggregateOutput {
  std::string name;
  std::string expression;
  std::string location;  // where it was written ("pipeline.yaml:27"), prefixed to its errors
};

// A compiled windowed aggregation: what to group by, which aggregates to keep, how to
// compute the output columns. Made once at plan time, immutable afterwards.
struct AggregationPlan {
  std::string name;
  WindowSpec window;
  std::vector<std::string> group_by;
  std::vector<int> group_columns;  // indices in the input schema
  std::vector<AggregateCall> calls;
  // Per call: its argument bound to the input schema (+ processing time); unused for
  // count(*). A plain column argument is read directly (argument_columns[i] >= 0).
  std::vector<arrow::compute::Expression> arguments;
  std::vector<int> argument_columns;
  std::vector<std::shared_ptr<arrow::DataType>> argument_types;
  // Output expressions bound to `intermediate_schema` (+ processing time).
  std::vector<arrow::compute::Expression> outputs;
  std::shared_ptr<arrow::Schema> intermediate_schema;  // window_start, window_end, keys, __agg0...
  std::shared_ptr<arrow::Schema> output_schema;        // window_start, window_end, keys, outputs

  // Compiles an aggregation over rows of `input_schema`. Errors name the output
  // column and the problem ("aggregates.avg_value: unknown column 'valu'").
  // `group_by_location` prefixes errors about the grouping columns.
  static arrow::Result<AggregationPlan> Make(std::string name, WindowSpec window,
                                             std::vector<std::string> group_by,
                                             const std::string& group_by_location,
                                             const std::vector<AggregateOutput>& outputs,
                                             const std::shared_ptr<arrow::Schema>& input_schema);
};

// Windowed aggregation over event time (tumbling and sliding windows), append mode:
// each (window, group) is emitted once, when the watermark reaches the window's end.
//
// A record belongs to every window [start, end) with start <= t < end. It is added to
// each of those windows whose end is after its lateness threshold (the watermark that
// judges it; see WatermarkTracker); a record all of whose windows have ended is late.
// Emission order: by window end, then window start, then group first-seen order.
//
// Not thread-safe: one aggregator per pipeline thread.
class WindowAggregator {
 public:
  static arrow::Result<std::unique_ptr<WindowAggregator>> Make(AggregationPlan plan);

  // Adds the rows of `batch` to their windows. event_times[i], thresholds[i] and
  // partitions[i] (the source partition; may be null) belong to row i. Rows late for
  // all their windows are appended to `late_rows`, in row order.
  arrow::Status Consume(const arrow::RecordBatch& batch, const int64_t* event_times,
                        const int64_t* thresholds, const int32_t* partitions, int64_t processing_time,
                        std::vector<int32_t>* late_rows);

  // Finalises and removes every window whose end is at or before `watermark`; the
  // result has plan().output_schema, or is null when no window closed.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Emit(Watermark watermark, int64_t processing_time);

  const AggregationPlan& plan() const { return plan_; }
  // Values that could not be computed (an aggregate's argument for a row, or an output
  // column for a group, e.g. an impossible CAST) and were taken as null.
  int64_t expression_errors() const { return expression_errors_; }
  const WindowState& state() const { return state_; }
  WindowState& mutable_state() { return state_; }

 private:
  WindowAggregator(AggregationPlan plan, KeyEncoder encoder,
                   std::vector<std::unique_ptr<Accumulator>> accumulators);

  AggregationPlan plan_;
  KeyEncoder encoder_;
  WindowState state_;
  // Scratch reused across batches.
  KeyEncoder::EncodedKeys keys_;
  std::vector<int32_t> rows_;
  std::vector<uint32_t> slots_;
  int64_t expression_errors_ = 0;
};

}  // namespace sluice
