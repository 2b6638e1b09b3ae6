#include "expr/evaluator.h"

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/exec.h>
#include <arrow/scalar.h>

#include "expr/compiler.h"
#include "schema/schema.h"

namespace sluice {

namespace cp = arrow::compute;

std::shared_ptr<arrow::Schema> WithProcessingTime(const std::shared_ptr<arrow::Schema>& schema) {
  auto fields = schema->fields();
  fields.push_back(arrow::field(kProcessingTimeColumn, TimestampType(), /*nullable=*/false));
  return arrow::schema(std::move(fields));
}

arrow::Result<std::shared_ptr<arrow::Array>> Evaluate(const cp::Expression& expr,
                                                      const arrow::RecordBatch& batch,
                                                      int64_t processing_time) {
  std::vector<arrow::Datum> values;
  values.reserve(batch.num_columns() + 1);
  for (const auto& column : batch.columns()) values.emplace_back(column);
  values.emplace_back(std::make_shared<arrow::TimestampScalar>(processing_time, TimestampType()));
  cp::ExecBatch exec_batch(std::move(values), batch.num_rows());
  ARROW_ASSIGN_OR_RAISE(arrow::Datum result, cp::ExecuteScalarExpression(expr, exec_batch));
  if (result.is_array()) return result.make_array();
  if (result.is_scalar()) return arrow::MakeArrayFromScalar(*result.scalar(), batch.num_rows());
  return arrow::Status::Invalid("expression produced neither an array nor a scalar");
}

namespace {

arrow::Status EvaluateRange(const cp::Expression& expr, const arrow::RecordBatch& batch, int64_t offset,
                            int64_t length, int64_t processing_time, arrow::ArrayVector* pieces,
                            std::vector<RowError>* errors) {
  auto slice = batch.Slice(offset, length);
  auto result = Evaluate(expr, *slice, processing_time);
  if (result.ok()) {
    pieces->push_back(std::move(*result));
    return arrow::Status::OK();
  }
  if (length == 1) {
    errors->push_back(RowError{offset, result.status().message()});
    ARROW_ASSIGN_OR_RAISE(auto null_value, arrow::MakeArrayOfNull(expr.type()->GetSharedPtr(), 1));
    pieces->push_back(std::move(null_value));
    return arrow::Status::OK();
  }
  int64_t half = length / 2;
  ARROW_RETURN_NOT_OK(EvaluateRange(expr, batch, offset, half, processing_time, pieces, errors));
  return EvaluateRange(expr, batch, offset + half, length - half, processing_time, pieces, errors);
}

}  // namespace

arrow::Result<std::shared_ptr<arrow::Array>> EvaluateIsolatingErrors(const cp::Expression& expr,
                                                                     const arrow::RecordBatch& batch,
                                                                     int64_t processing_time,
                                                                     std::vector<RowError>* errors) {
  auto whole = Evaluate(expr, batch, processing_time);
  if (whole.ok() || batch.num_rows() <= 1) {
    if (!whole.ok()) {
      errors->push_back(RowError{0, whole.status().message()});
      return arrow::MakeArrayOfNull(expr.type()->GetSharedPtr(), 1);
    }
    return whole;
  }
  arrow::ArrayVector pieces;
  ARROW_RETURN_NOT_OK(EvaluateRange(expr, batch, 0, batch.num_rows(), processing_time, &pieces, errors));
  return arrow::Concatenate(pieces);
}

}  // namespace sluice
