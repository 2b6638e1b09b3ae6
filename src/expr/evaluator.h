#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

namespace sluice {

// `schema` plus the processing-time column (kProcessingTimeColumn) at the end: the
// schema expressions are compiled against, so that now() is available everywhere.
std::shared_ptr<arrow::Schema> WithProcessingTime(const std::shared_ptr<arrow::Schema>& schema);

// A row whose expression could not be computed (e.g. an impossible CAST).
struct RowError {
  int64_t row;
  std::string message;
};

// Evaluates `expr`, bound to WithProcessingTime(batch.schema()), over `batch` with
// now() = `processing_time` (microseconds since the epoch). Always returns an array of
// batch.num_rows() values (constants are broadcast).
arrow::Result<std::shared_ptr<arrow::Array>> Evaluate(const arrow::compute::Expression& expr,
                                                      const arrow::RecordBatch& batch,
                                                      int64_t processing_time);

// As Evaluate, but a row that fails does not fail the batch: its value is null and it
// is listed in `errors` (row numbers relative to `batch`, ascending). Batches without
// failing rows cost one evaluation; otherwise failing rows are isolated by bisection.
arrow::Result<std::shared_ptr<arrow::Array>> EvaluateIsolatingErrors(const arrow::compute::Expression& expr,
                                                                     const arrow::RecordBatch& batch,
                                                                     int64_t processing_time,
                                                                     std::vector<RowError>* errors);

}  // namespace sluice
