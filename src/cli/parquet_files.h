#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>
#include <arrow/table.h>

#include "io/storage.h"

namespace sluice {

// The visible Parquet files at `location` (local disk or S3): the file itself, or every
// *.parquet below a directory (names starting with '.' or '_' skipped at any level, as
// Hive and Spark do), sorted by path.
arrow::Result<std::vector<arrow::fs::FileInfo>> ListParquetFiles(const Storage::ReadLocation& location);

// Reads whole files into one table (for inspection and the demo; not for big data).
arrow::Result<std::shared_ptr<arrow::Table>> ReadParquetFiles(arrow::fs::FileSystem* filesystem,
                                                              const std::vector<arrow::fs::FileInfo>& files,
                                                              int64_t max_rows);

}  // namespace sluice
