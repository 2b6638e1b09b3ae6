#pragma once

#include <string>

#include <arrow/record_batch.h>

namespace sluice {

// Renders up to `max_rows` rows of `batch` as a boxed text table (like Spark's console
// sink): timestamps as ISO-8601 UTC, doubles with up to 4 decimals, nulls as "null".
std::string FormatTable(const arrow::RecordBatch& batch, int64_t max_rows);

}  // namespace sluice
