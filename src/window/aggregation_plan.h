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

}  // namespace sluice
