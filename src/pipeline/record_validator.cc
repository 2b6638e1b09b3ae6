#include "pipeline/record_validator.h"

#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include "common/text.h"
#include "expr/evaluator.h"

namespace sluice {
namespace {

// Event times sluice accepts: years 0001 to 9999 (window arithmetic stays in range).
constexpr int64_t kMinEventTime = -62135596800LL * 1'000'000;
constexpr int64_t kMaxEventTime = 253402300799LL * 1'000'000 + 999'999;

// "battery_level=150, signal_strength=null" for the columns a check reads.
std::string DescribeValues(const arrow::RecordBatch& batch, int64_t row,
                           const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& name : columns) {
    auto column = batch.GetColumnByName(name);
    if (!column) continue;
    auto scalar = column->GetScalar(row);
    std::string value = scalar.ok() ? Abbreviate((*scalar)->ToString(), 40) : "?";
    out += (out.empty() ? "" : ", ") + name + "=" + value;
  }
  return out;
}

}  // namespace

arrow::Result<std::unique_ptr<RecordValidator>> RecordValidator::Make(const Plan& plan) {
  ARROW_ASSIGN_OR_RAISE(auto decoder, JsonDecoder::Make(plan.input_schema));
  return std::unique_ptr<RecordValidator>(new RecordValidator(plan, std::move(decoder)));
}

RecordValidator::RecordValidator(const Plan& plan, std::unique_ptr<JsonDecoder> decoder)
    : plan_(plan), decoder_(std::move(decoder)) {}

arrow::Result<RecordValidator::Validated> RecordValidator::Validate(const RawBatch& raw, int64_t now) {
  Validated out;
  DecodedBatch decoded;
  ARROW_RETURN_NOT_OK(decoder_->Decode(raw, &decoded));
  out.rejections = std::move(decoded.rejected);

  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::RecordBatch> batch,
                        AddMetadataColumns(decoded.batch, raw, decoded.record_index));
  const int64_t n = batch->num_rows();
  std::vector<uint8_t> rejected(n, 0);
  auto reject_row = [&](int64_t row, Stage stage, std::string reason, const std::string& rule = {}) {
    if (rejected[row]) return;
    rejected[row] = 1;
    out.rejections.push_back(Rejection{decoded.record_index[row], stage, std::move(reason), {}, rule});
  };

  // Derived columns, each seeing the ones before it.
  for (const auto& column : plan_.columns) {
    std::vector<RowError> errors;
    ARROW_ASSIGN_OR_RAISE(auto values, EvaluateIsolatingErrors(column.expr, *batch, now, &errors));
    for (const auto& e : errors)
      reject_row(e.row, Stage::kColumn, "column '" + column.name + "': " + e.message, column.name);
    ARROW_ASSIGN_OR_RAISE(
        batch, batch->AddColumn(batch->num_columns(), arrow::field(column.name, values->type()), values));
  }
  // Checks: a row fails when a check is false (null passes: "when present").
  for (const auto& check : plan_.checks) {
    std::vector<RowError> errors;
    ARROW_ASSIGN_OR_RAISE(auto values, EvaluateIsolatingErrors(check.expr, *batch, now, &errors));
    for (const auto& e : errors)
      reject_row(e.row, Stage::kCheck, "check '" + check.name + "': " + e.message, check.name);
    const auto& result = static_cast<const arrow::BooleanArray&>(*values);
    for (int64_t row = 0; row < n; ++row) {
      if (result.IsValid(row) && !result.Value(row) && !rejected[row]) {
        reject_row(row, Stage::kCheck,
                   "check '" + check.name + "' failed: " + check.text + " (" +
                       DescribeValues(*batch, row, check.columns) + ")",
                   check.name);
      }
    }
  }
  // Event time must be present and within years 1..9999.
  if (plan_.event_time_column >= 0) {
    const auto& column = static_cast<const arrow::TimestampArray&>(*batch->column(plan_.event_time_column));
    const std::string& name = plan_.row_schema->field(plan_.event_time_column)->name();
    const int64_t* times = column.raw_values();
    for (int64_t row = 0; row < n; ++row) {
      if (column.IsNull(row)) {
        reject_row(row, Stage::kEventTime, "event time '" + name + "' is null", name);
      } else if (times[row] < kMinEventTime || times[row] > kMaxEventTime) {
        reject_row(row, Stage::kEventTime, "event time '" + name + "' is outside the years 1-9999", name);
      }
    }
  }
  std::shared_ptr<arrow::BooleanArray> passes_filter;
  if (plan_.filter) {
    std::vector<RowError> errors;
    ARROW_ASSIGN_OR_RAISE(auto values, EvaluateIsolatingErrors(plan_.filter->expr, *batch, now, &errors));
    for (const auto& e : errors) reject_row(e.row, Stage::kFilter, "filter: " + e.message);
    passes_filter = std::static_pointer_cast<arrow::BooleanArray>(values);
  }

  // Keep valid rows that pass the filter.
  arrow::BooleanBuilder keep_builder;
  ARROW_RETURN_NOT_OK(keep_builder.Reserve(n));
  out.record_index.reserve(n);
  for (int64_t row = 0; row < n; ++row) {
    bool keep = !rejected[row];
    if (keep && passes_filter && !(passes_filter->IsValid(row) && passes_filter->Value(row))) {
      keep = false;
      out.filtered.push_back(decoded.record_index[row]);
    }
    keep_builder.UnsafeAppend(keep);
    if (keep) out.record_index.push_back(decoded.record_index[row]);
  }
  out.batch = batch;
  if (static_cast<int64_t>(out.record_index.size()) != n) {
    ARROW_ASSIGN_OR_RAISE(auto keep, keep_builder.Finish());
    ARROW_ASSIGN_OR_RAISE(arrow::Datum filtered, arrow::compute::Filter(batch, keep));
    out.batch = filtered.record_batch();
  }
  return out;
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> RecordValidator::AddMetadataColumns(
    std::shared_ptr<arrow::RecordBatch> batch, const RawBatch& raw,
    const std::vector<int32_t>& record_index) const {
  for (const auto& column : plan_.metadata_columns) {
    ARROW_ASSIGN_OR_RAISE(auto values, BuildMetadataColumn(column.field, raw, record_index));
    ARROW_ASSIGN_OR_RAISE(
        batch, batch->AddColumn(batch->num_columns(),
                                arrow::field(column.name, MetadataFieldType(column.field)), values));
  }
  return batch;
}

}  // namespace sluice
