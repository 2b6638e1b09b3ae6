#include "schema/schema.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <arrow/status.h>

namespace sluice {

arrow::Result<ColumnType> ParseColumnType(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  if (n == "string" || n == "str" || n == "text" || n == "utf8") return ColumnType::kString;
  if (n == "bool" || n == "boolean") return ColumnType::kBool;
  if (n == "int32" || n == "int" || n == "integer") return ColumnType::kInt32;
  if (n == "int64" || n == "long" || n == "bigint") return ColumnType::kInt64;
  if (n == "double" || n == "float" || n == "float64") return ColumnType::kDouble;
  if (n == "timestamp") return ColumnType::kTimestamp;
  if (n == "json" || n == "object") return ColumnType::kJson;
  return arrow::Status::Invalid(
      "unknown type '", name, "'",
      DidYouMean(n, {"string", "bool", "int32", "int64", "double", "timestamp", "json"}),
      "; types are string, bool, int32, int64, double, timestamp, json");
}

std::string_view ColumnTypeName(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
      return "string";
    case ColumnType::kBool:
      return "bool";
    case ColumnType::kInt32:
      return "int32";
    case ColumnType::kInt64:
      return "int64";
    case ColumnType::kDouble:
      return "double";
    case ColumnType::kTimestamp:
      return "timestamp";
    case ColumnType::kJson:
      return "json";
  }
  return "?";
}

std::string ArrowTypeName(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING:
      return "string";
    case arrow::Type::BOOL:
      return "bool";
    case arrow::Type::DOUBLE:
      return "double";
    case arrow::Type::TIMESTAMP:
      return "timestamp";
    case arrow::Type::DURATION:
      return "interval";
    case arrow::Type::NA:
      return "null";
    default:
      return type.ToString();
  }
}

arrow::Result<EpochUnit> ParseEpochUnit(std::string_view name) {
  if (name == "auto") return EpochUnit::kAuto;
  if (name == "s" || name == "seconds") return EpochUnit::kSeconds;
  if (name == "ms" || name == "milliseconds") return EpochUnit::kMillis;
  if (name == "us" || name == "microseconds") return EpochUnit::kMicros;
  if (name == "ns" || name == "nanoseconds") return EpochUnit::kNanos;
  return arrow::Status::Invalid("unknown epoch unit '", name, "'; use auto, s, ms, us or ns");
}

std::shared_ptr<arrow::DataType> ToArrowType(ColumnType type) {
  switch (type) {
    case ColumnType::kString:
    case ColumnType::kJson:
      return arrow::utf8();
    case ColumnType::kBool:
      return arrow::boolean();
    case ColumnType::kInt32:
      return arrow::int32();
    case ColumnType::kInt64:
      return arrow::int64();
    case ColumnType::kDouble:
      return arrow::float64();
    case ColumnType::kTimestamp:
      return TimestampType();
  }
  return arrow::null();
}

arrow::Result<DeclaredSchema> DeclaredSchema::Make(std::vector<FieldSpec> fields) {
  if (fields.empty()) return arrow::Status::Invalid("the schema declares no fields");
  std::set<std::string> seen;
  arrow::FieldVector arrow_fields;
  for (const auto& f : fields) {
    if (f.name.empty()) return arrow::Status::Invalid("a schema field has an empty name");
    if (!seen.insert(f.name).second) {
      return arrow::Status::Invalid("field '", f.name, "' is declared twice");
    }
    arrow_fields.push_back(arrow::field(f.name, ToArrowType(f.type), /*nullable=*/!f.required));
  }
  DeclaredSchema schema;
  schema.fields_ = std::move(fields);
  schema.arrow_schema_ = arrow::schema(std::move(arrow_fields));
  return schema;
}

int DeclaredSchema::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t subst = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::optional<std::string> ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  auto match = ClosestMatch(word, candidates);
  return match ? " (did you mean '" + *match + "'?)" : "";
}

}  // namespace sluice
