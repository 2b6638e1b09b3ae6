#pragma once

#include <string>

#include <arrow/record_batch.h>

namespace sluice {

// Renders up to `max_rows` rows of `batch` as a boxed text table (like Spark's console
// sink): timestamps as ISO-8601 UTC, doubles with up to 4 decimals, nulls as "null";
// cells other than timestamps longer than `max_cell` characters are abbreviated (0: never).
// `total_rows` is the size of the data `batch` was cut from; when more rows exist than are
// shown, a footer says so.
std::string FormatTable(const arrow::RecordBatch& batch, int64_t max_rows, int64_t total_rows,
                        size_t max_cell = 48);

}  // namespace sluice
