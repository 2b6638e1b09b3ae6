#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/type.h>

namespace sluice {

// The column types a pipeline can declare, and their Arrow representation:
//   string -> utf8, bool -> boolean, int32, int64, double -> float64,
//   timestamp -> timestamp[us, tz=UTC], json -> utf8 holding the value's JSON text.
enum class ColumnType { kString, kBool, kInt32, kInt64, kDouble, kTimestamp, kJson };

// How a JSON number in a timestamp column is read. kAuto picks by magnitude:
// |n| < 1e11 seconds, < 1e14 milliseconds, < 1e17 microseconds, else nanoseconds
// (so seconds are right until the year 5138 and milliseconds after March 1973).
enum class EpochUnit { kAuto, kSeconds, kMillis, kMicros, kNanos };

// Accepts the spellings users write: string/str/text, bool/boolean, int32/int/integer,
// int64/long/bigint, double/float/float64, timestamp, json/object.
arrow::Result<ColumnType> ParseColumnType(std::string_view name);
std::string_view ColumnTypeName(ColumnType type);
arrow::Result<EpochUnit> ParseEpochUnit(std::string_view name);

std::shared_ptr<arrow::DataType> ToArrowType(ColumnType type);

// An Arrow type named as users write types in pipelines and expressions ("string",
// "double", "timestamp", "interval"); Arrow's own name for the others.
std::string ArrowTypeName(const arrow::DataType& type);

// The Arrow type of every timestamp sluice produces.
inline std::shared_ptr<arrow::DataType> TimestampType() {
  return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
}

struct FieldSpec {
  std::string name;
  ColumnType type = ColumnType::kString;
  // A required field that is missing or null sends its record to the dead letter.
  bool required = false;
  EpochUnit epoch_unit = EpochUnit::kAuto;  // timestamp columns only
};

// The declared schema of the records a source carries: immutable once made.
class DeclaredSchema {
 public:
  // Fails on an empty list, duplicate or empty names.
  static arrow::Result<DeclaredSchema> Make(std::vector<FieldSpec> fields);

  const std::vector<FieldSpec>& fields() const { return fields_; }
  const std::shared_ptr<arrow::Schema>& arrow_schema() const { return arrow_schema_; }
  // Index of the field called `name`, or -1.
  int FieldIndex(std::string_view name) const;

 private:
  std::vector<FieldSpec> fields_;
  std::shared_ptr<arrow::Schema> arrow_schema_;
};

// The candidate closest to `word` by edit distance, when it is close enough to be a
// likely typo (used for "did you mean" hints in error messages).
std::optional<std::string> ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" — appended to error messages.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace sluice
