#include "sink/partitioner.h"

#include <cstdio>
#include <unordered_map>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>

#include "expr/compiler.h"
#include "expr/evaluator.h"

namespace sluice {

namespace cp = arrow::compute;

arrow::Result<Partitioner> Partitioner::Make(std::vector<PartitionColumn> columns,
                                             const std::shared_ptr<arrow::Schema>& schema) {
  Partitioner partitioner;
  ExprCompiler compiler(WithProcessingTime(schema));
  for (const auto& column : columns) {
    auto prefix =
        (column.location.empty() ? "" : column.location + ": ") + "partition_by." + column.name + ": ";
    if (column.name.empty() || column.name.find_first_of("/=") != std::string::npos) {
      return arrow::Status::Invalid(prefix,
                                    "a partition name must be non-empty and contain neither '/' nor '='");
    }
    auto compiled = compiler.CompileText(column.expression, /*want_boolean=*/false);
    if (!compiled.ok()) return arrow::Status::Invalid(prefix, compiled.status().message());
    auto type = compiled->type()->id();
    if (type != arrow::Type::STRING) {
      // Render non-strings as text with a cast (integers in decimal, booleans as true/false).
      auto as_text = cp::call("cast", {*compiled}, cp::CastOptions::Safe(arrow::utf8()))
                         .Bind(*WithProcessingTime(schema));
      if (!as_text.ok()) {
        return arrow::Status::Invalid(prefix, "cannot turn ", compiled->type()->ToString(),
                                      " values into path text; use date_format() or CAST(... AS string)");
      }
      compiled = std::move(as_text);
    }
    partitioner.expressions_.push_back(std::move(*compiled));
  }
  partitioner.columns_ = std::move(columns);
  return partitioner;
}

std::string Partitioner::EscapeValue(std::string_view value) {
  if (value.empty()) return "__HIVE_DEFAULT_PARTITION__";
  static constexpr std::string_view kEscaped = "\"#%'*/:=?\\\x7f{[]^";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || kEscaped.find(c) != std::string_view::npos) {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

arrow::Result<std::vector<Partitioner::Part>> Partitioner::Split(
    const std::shared_ptr<arrow::RecordBatch>& batch, int64_t processing_time,
    int64_t* expression_errors) const {
  if (expressions_.empty() || batch->num_rows() == 0) return std::vector<Part>{{"", batch}};
  std::vector<std::shared_ptr<arrow::StringArray>> values;
  std::vector<RowError> errors;
  for (const auto& expr : expressions_) {
    errors.clear();
    ARROW_ASSIGN_OR_RAISE(auto array, EvaluateIsolatingErrors(expr, *batch, processing_time, &errors));
    *expression_errors += static_cast<int64_t>(errors.size());
    values.push_back(std::static_pointer_cast<arrow::StringArray>(array));
  }
  // Rows usually arrive in runs of one partition: compare with the previous row before
  // building a path.
  std::unordered_map<std::string, size_t> group_of_path;
  std::vector<std::string> paths;
  std::vector<std::vector<int64_t>> rows_of_group;
  size_t current = 0;
  const int64_t n = batch->num_rows();
  for (int64_t r = 0; r < n; ++r) {
    bool same = r > 0;
    for (size_t c = 0; same && c < values.size(); ++c) {
      same = values[c]->IsNull(r) == values[c]->IsNull(r - 1) &&
             values[c]->GetView(r) == values[c]->GetView(r - 1);
    }
    if (!same) {
      std::string path;
      for (size_t c = 0; c < values.size(); ++c) {
        if (c) path += '/';
        path += columns_[c].name;
        path += '=';
        path += EscapeValue(values[c]->IsNull(r) ? std::string_view() : values[c]->GetView(r));
      }
      auto [it, inserted] = group_of_path.try_emplace(path, paths.size());
      if (inserted) {
        paths.push_back(path);
        rows_of_group.emplace_back();
      }
      current = it->second;
    }
    rows_of_group[current].push_back(r);
  }
  std::vector<Part> parts;
  if (paths.size() == 1) return std::vector<Part>{{paths[0], batch}};
  // Rows of one partition usually form one contiguous run: slice (zero copy) then.
  bool contiguous = true;
  for (const auto& rows : rows_of_group) {
    contiguous &= rows.back() - rows.front() + 1 == static_cast<int64_t>(rows.size());
  }
  if (contiguous) {
    for (size_t g = 0; g < paths.size(); ++g) {
      const auto& rows = rows_of_group[g];
      parts.push_back({paths[g], batch->Slice(rows.front(), static_cast<int64_t>(rows.size()))});
    }
    return parts;
  }
  for (size_t g = 0; g < paths.size(); ++g) {
    arrow::Int64Builder indices;
    ARROW_RETURN_NOT_OK(indices.AppendValues(rows_of_group[g]));
    ARROW_ASSIGN_OR_RAISE(auto index_array, indices.Finish());
    ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(batch, index_array));
    parts.push_back({paths[g], taken.record_batch()});
  }
  return parts;
}

}  // namespace sluice
