#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/table.h>

namespace sluice {

// The visible Parquet files at `path`: the file itself, or every *.parquet below a
// directory (names starting with '.' or '_' skipped, as Hive and Spark do), sorted.
arrow::Result<std::vector<std::string>> ListParquetFiles(const std::string& path);

// Reads whole files into one table (for inspection and the demo; not for big data).
arrow::Result<std::shared_ptr<arrow::Table>> ReadParquetFiles(const std::vector<std::string>& files,
                                                              int64_t max_rows);

}  // namespace sluice
