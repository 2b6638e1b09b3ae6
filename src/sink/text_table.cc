#include "sink/text_table.h"

#include <algorithm>
#include <vector>

#include <arrow/array.h>
#include <arrow/scalar.h>
#include <fmt/format.h>

#include "common/text.h"
#include "common/time_util.h"

namespace sluice {
namespace {

std::string Cell(const arrow::Array& array, int64_t row) {
  if (array.IsNull(row)) return "null";
  switch (array.type_id()) {
    case arrow::Type::TIMESTAMP:
      return FormatTimestamp(static_cast<const arrow::TimestampArray&>(array).Value(row));
    case arrow::Type::DOUBLE: {
      std::string text = fmt::format("{:.4f}", static_cast<const arrow::DoubleArray&>(array).Value(row));
      while (text.back() == '0') text.pop_back();
      if (text.back() == '.') text.pop_back();
      return text;
    }
    case arrow::Type::STRING:
      return std::string(static_cast<const arrow::StringArray&>(array).GetView(row));
    default: {
      auto scalar = array.GetScalar(row);
      return scalar.ok() ? (*scalar)->ToString() : "?";
    }
  }
}

}  // namespace

std::string FormatTable(const arrow::RecordBatch& batch, int64_t max_rows, int64_t total_rows,
                        size_t max_cell) {
  const int64_t rows = std::min(max_rows, batch.num_rows());
  const int columns = batch.num_columns();
  std::vector<std::vector<std::string>> cells(columns);
  std::vector<size_t> width(columns);
  for (int c = 0; c < columns; ++c) {
    width[c] = batch.schema()->field(c)->name().size();
    for (int64_t r = 0; r < rows; ++r) {
      std::string cell = Cell(*batch.column(c), r);
      // Timestamps are shown whole (a cut one is useless).
      if (max_cell > 0 && batch.column(c)->type_id() != arrow::Type::TIMESTAMP)
        cell = Abbreviate(cell, max_cell);
      width[c] = std::max(width[c], cell.size());
      cells[c].push_back(std::move(cell));
    }
  }
  std::string rule = "+";
  for (int c = 0; c < columns; ++c) rule += std::string(width[c] + 2, '-') + "+";
  std::string out = rule + "\n|";
  for (int c = 0; c < columns; ++c)
    out += fmt::format(" {:<{}} |", batch.schema()->field(c)->name(), width[c]);
  out += "\n" + rule + "\n";
  for (int64_t r = 0; r < rows; ++r) {
    out += "|";
    for (int c = 0; c < columns; ++c) out += fmt::format(" {:<{}} |", cells[c][r], width[c]);
    out += "\n";
  }
  out += rule + "\n";
  if (total_rows > rows) out += fmt::format("only showing the first {} of {} rows\n", rows, total_rows);
  return out;
}

}  // namespace sluice
