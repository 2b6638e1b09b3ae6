#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "common/types.h"
#include "expr/aggregate_call.h"
#include "window/window_spec.h"

namespace sluice {

// One output column of an aggregation: a name and an expression over aggregate calls,
// grouping columns and window_start / window_end (e.g. "sum(cost) / sum(views)").
struct AggregateOutput {
  std::string name;
  std::string expression;
  std::string location;  // where it was written ("pipeline.yaml:27"), prefixed to its errors
};

// When an aggregation's results are written (docs/windows.md, "Output modes").
//   append:   each result once, when final (its window closed, its group timed out)
//   update:   at the end of every trigger, the results that changed, with emitted_at
//   complete: at the end of every trigger, every result held, with emitted_at
enum class OutputMode { kAppend, kUpdate, kComplete };
const char* OutputModeName(OutputMode mode);

// When a running aggregate's group leaves state: once the watermark passes its last
// event + after (event_time), or after no record for it for `after` of processing time.
struct StateTimeout {
  Duration after{0};  // 0: never
  bool event_time = true;
  bool enabled() const { return after.count() > 0; }
  std::string ToString() const;
};

struct AggregationOptions {
  OutputMode mode = OutputMode::kAppend;
  StateTimeout timeout;  // global windows only
};

// A compiled aggregation: what to group by, which aggregates to keep, how to
// compute the output columns. Made once at plan time, immutable afterwards.
struct AggregationPlan {
  std::string name;
  WindowSpec window;
  AggregationOptions options;
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
  // [window_start, window_end,] keys, __agg0...  (bounds unless the window is global)
  std::shared_ptr<arrow::Schema> intermediate_schema;
  // [window_start, window_end,] keys, outputs[, emitted_at]  (emitted_at: update, complete)
  std::shared_ptr<arrow::Schema> output_schema;

  // Index of the first grouping column in intermediate_schema and output_schema.
  int key_offset() const { return window.has_bounds() ? 2 : 0; }
  const std::shared_ptr<arrow::DataType>& key_type(size_t k) const {
    return intermediate_schema->field(key_offset() + static_cast<int>(k))->type();
  }
  // Whether rows carry emitted_at (update and complete modes).
  bool has_emitted_at() const { return options.mode != OutputMode::kAppend; }
  // Each call's argument values over `batch` (null for count(*)); values that cannot be
  // computed are null and counted in `expression_errors`.
  arrow::Result<arrow::ArrayVector> EvaluateArguments(const arrow::RecordBatch& batch,
                                                      int64_t processing_time,
                                                      int64_t* expression_errors) const;
  // "window <kind> group_by ... aggregates ...": what a checkpointed state must match.
  std::string Signature() const;

  // Compiles an aggregation over rows of `input_schema`. Errors name the output
  // column and the problem ("aggregates.avg_value: unknown column 'valu'").
  // `group_by_location` prefixes errors about the grouping columns.
  static arrow::Result<AggregationPlan> Make(std::string name, WindowSpec window,
                                             std::vector<std::string> group_by,
                                             const std::string& group_by_location,
                                             const std::vector<AggregateOutput>& outputs,
                                             const std::shared_ptr<arrow::Schema>& input_schema,
                                             AggregationOptions options = {});
};

}  // namespace sluice
