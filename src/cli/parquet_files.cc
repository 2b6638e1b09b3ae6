#include "cli/parquet_files.h"

#include <algorithm>
#include <filesystem>

#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>

namespace sluice {

arrow::Result<std::vector<std::string>> ListParquetFiles(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) return arrow::Status::IOError("'", path, "' does not exist");
  std::vector<std::string> files;
  if (fs::is_regular_file(path, ec)) return std::vector<std::string>{path};
  for (auto it = fs::recursive_directory_iterator(path, ec); it != fs::recursive_directory_iterator(); ++it) {
    std::string name = it->path().filename().string();
    if (name.empty() || name[0] == '.' || name[0] == '_') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && it->path().extension() == ".parquet") files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

arrow::Result<std::shared_ptr<arrow::Table>> ReadParquetFiles(const std::vector<std::string>& files,
                                                              int64_t max_rows) {
  std::vector<std::shared_ptr<arrow::Table>> tables;
  int64_t rows = 0;
  for (const auto& file : files) {
    if (rows >= max_rows) break;
    ARROW_ASSIGN_OR_RAISE(auto input, arrow::io::ReadableFile::Open(file));
    ARROW_ASSIGN_OR_RAISE(auto reader, parquet::arrow::OpenFile(input, arrow::default_memory_pool()));
    ARROW_ASSIGN_OR_RAISE(auto table, reader->ReadTable());
    rows += table->num_rows();
    tables.push_back(std::move(table));
  }
  if (tables.empty()) return arrow::Status::Invalid("no Parquet files to read");
  ARROW_ASSIGN_OR_RAISE(auto table, arrow::ConcatenateTables(tables));
  return table->Slice(0, std::min(max_rows, table->num_rows()));
}

}  // namespace sluice
