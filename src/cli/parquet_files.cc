#include "cli/parquet_files.h"

#include <algorithm>

#include <parquet/arrow/reader.h>

namespace sluice {
namespace {

// Whether `path`, below `base`, has a component starting with '.' or '_'.
bool Hidden(const std::string& path, const std::string& base) {
  for (size_t at = base.size(); at < path.size(); ++at) {
    if (path[at] == '/' && at + 1 < path.size() && (path[at + 1] == '.' || path[at + 1] == '_')) return true;
  }
  return false;
}

}  // namespace

arrow::Result<std::vector<arrow::fs::FileInfo>> ListParquetFiles(const Storage::ReadLocation& location) {
  ARROW_ASSIGN_OR_RAISE(arrow::fs::FileInfo info, location.filesystem->GetFileInfo(location.path));
  if (info.type() == arrow::fs::FileType::NotFound) return arrow::Status::IOError("it does not exist");
  if (info.IsFile()) return std::vector<arrow::fs::FileInfo>{info};
  arrow::fs::FileSelector selector;
  selector.base_dir = location.path;
  selector.recursive = true;
  ARROW_ASSIGN_OR_RAISE(auto found, location.filesystem->GetFileInfo(selector));
  std::vector<arrow::fs::FileInfo> files;
  for (auto& file : found) {
    if (file.IsFile() && file.extension() == "parquet" && !Hidden(file.path(), location.path)) {
      files.push_back(std::move(file));
    }
  }
  std::sort(files.begin(), files.end(),
            [](const arrow::fs::FileInfo& a, const arrow::fs::FileInfo& b) { return a.path() < b.path(); });
  return files;
}

arrow::Result<std::shared_ptr<arrow::Table>> ReadParquetFiles(arrow::fs::FileSystem* filesystem,
                                                              const std::vector<arrow::fs::FileInfo>& files,
                                                              int64_t max_rows) {
  std::vector<std::shared_ptr<arrow::Table>> tables;
  int64_t rows = 0;
  for (const auto& file : files) {
    if (rows >= max_rows) break;
    ARROW_ASSIGN_OR_RAISE(auto input, filesystem->OpenInputFile(file));
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
