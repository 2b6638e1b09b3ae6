#include "window/result_rows.h"

#include <algorithm>
#include <numeric>

#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/scalar.h>

#include "expr/evaluator.h"
#include "schema/schema.h"

namespace sluice {

void ResultRows::Clear() {
  starts.clear();
  ends.clear();
  keys.clear();
  slots.clear();
}

void ResultRows::Sort() {
  std::vector<size_t> order(size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (ends[a] != ends[b]) return ends[a] < ends[b];
    if (starts[a] != starts[b]) return starts[a] < starts[b];
    return keys[a] < keys[b];
  });
  ResultRows sorted;
  for (size_t i : order) sorted.Add(starts[i], ends[i], keys[i], slots[i]);
  *this = std::move(sorted);
}

namespace {

arrow::Result<std::shared_ptr<arrow::Array>> Timestamps(const std::vector<int64_t>& values) {
  arrow::TimestampBuilder builder(TimestampType(), arrow::default_memory_pool());
  ARROW_RETURN_NOT_OK(builder.AppendValues(values));
  return builder.Finish();
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::RecordBatch>> BuildResults(
    const AggregationPlan& plan, const KeyEncoder& encoder,
    const std::vector<std::unique_ptr<Accumulator>>& accumulators, const ResultRows& rows,
    int64_t processing_time, int64_t* expression_errors) {
  if (rows.empty()) return nullptr;
  const int64_t n = static_cast<int64_t>(rows.size());
  arrow::ArrayVector columns;
  if (plan.window.has_bounds()) {
    ARROW_ASSIGN_OR_RAISE(auto starts, Timestamps(rows.starts));
    ARROW_ASSIGN_OR_RAISE(auto ends, Timestamps(rows.ends));
    columns.push_back(std::move(starts));
    columns.push_back(std::move(ends));
  }
  ARROW_ASSIGN_OR_RAISE(auto key_arrays, encoder.Decode(rows.keys));
  for (auto& k : key_arrays) columns.push_back(std::move(k));
  const size_t key_end = columns.size();
  for (const auto& acc : accumulators) {
    ARROW_ASSIGN_OR_RAISE(auto result, acc->Finalize(rows.slots.data(), n));
    columns.push_back(std::move(result));
  }
  auto intermediate = arrow::RecordBatch::Make(plan.intermediate_schema, n, columns);
  arrow::ArrayVector output(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(key_end));
  for (const auto& expr : plan.outputs) {
    std::vector<RowError> errors;
    ARROW_ASSIGN_OR_RAISE(auto values,
                          EvaluateIsolatingErrors(expr, *intermediate, processing_time, &errors));
    *expression_errors += static_cast<int64_t>(errors.size());
    output.push_back(std::move(values));
  }
  if (plan.has_emitted_at()) {
    ARROW_ASSIGN_OR_RAISE(auto emitted, arrow::MakeArrayFromScalar(
                                            arrow::TimestampScalar(processing_time, TimestampType()), n));
    output.push_back(std::move(emitted));
  }
  return arrow::RecordBatch::Make(plan.output_schema, n, std::move(output));
}

arrow::Status EncodeGroupKeys(const AggregationPlan& plan, const KeyEncoder& encoder,
                              const arrow::RecordBatch& batch, KeyEncoder::EncodedKeys* keys) {
  arrow::ArrayVector key_columns;
  for (int c : plan.group_columns) key_columns.push_back(batch.column(c));
  return encoder.Encode(key_columns, batch.num_rows(), keys);
}

arrow::Result<KeyEncoder> MakeKeyEncoder(const AggregationPlan& plan) {
  std::vector<std::shared_ptr<arrow::DataType>> key_types;
  for (size_t k = 0; k < plan.group_columns.size(); ++k) key_types.push_back(plan.key_type(k));
  return KeyEncoder::Make(std::move(key_types));
}

arrow::Result<std::vector<std::unique_ptr<Accumulator>>> MakeAccumulators(const AggregationPlan& plan) {
  std::vector<std::unique_ptr<Accumulator>> accumulators;
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    ARROW_ASSIGN_OR_RAISE(auto acc, MakeAccumulator(plan.calls[c].kind, plan.argument_types[c]));
    accumulators.push_back(std::move(acc));
  }
  return accumulators;
}

}  // namespace sluice
