#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

namespace sluice {

// One Hive partition column: its name in the path and the expression computing it.
struct PartitionColumn {
  std::string name;
  std::string expression;
  std::string location;  // where it was written, prefixed to its errors
};

// Splits batches into Hive-style partitions: "name=value/name=value" directories,
// with each value computed by an expression per row. Values are the expression's
// text (strings as-is, numbers in decimal); null and "" become
// __HIVE_DEFAULT_PARTITION__, and so does a value whose expression fails for that row
// (an impossible CAST): the row is kept, the failure counted. Characters Hive escapes (/ = : % # ? * ' " \ [
// ] { } ^ and control characters) are written as %XX. Immutable after Make; thread-safe.
class Partitioner {
 public:
  static arrow::Result<Partitioner> Make(std::vector<PartitionColumn> columns,
                                         const std::shared_ptr<arrow::Schema>& schema);

  struct Part {
    std::string path;  // "" when there are no partition columns
    std::shared_ptr<arrow::RecordBatch> batch;
  };

  // The rows of `batch` grouped by partition path, each group keeping input order;
  // groups in order of first appearance. Adds the number of (row, column) values that
  // failed to compute to `*expression_errors`.
  arrow::Result<std::vector<Part>> Split(const std::shared_ptr<arrow::RecordBatch>& batch,
                                         int64_t processing_time, int64_t* expression_errors) const;

  const std::vector<PartitionColumn>& columns() const { return columns_; }

  static std::string EscapeValue(std::string_view value);

 private:
  std::vector<PartitionColumn> columns_;
  std::vector<arrow::compute::Expression> expressions_;
};

}  // namespace sluice
