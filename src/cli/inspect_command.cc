#include <iostream>

#include <arrow/io/file.h>
#include <fmt/format.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "cli/commands.h"
#include "cli/parquet_files.h"
#include "cli/table.h"

namespace sluice {

int InspectCommand(const std::string& path, int64_t rows) {
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 1;
  };
  auto files = ListParquetFiles(path);
  if (!files.ok()) return fail(files.status().message());
  if (files->empty()) return fail("no .parquet files under '" + path + "'");
  int64_t total_rows = 0, total_bytes = 0, row_groups = 0;
  std::string codec;
  for (const auto& file : *files) {
    auto input = arrow::io::ReadableFile::Open(file);
    if (!input.ok()) return fail(input.status().message());
    std::unique_ptr<parquet::ParquetFileReader> reader;
    try {
      reader = parquet::ParquetFileReader::Open(*input);
    } catch (const std::exception& e) {
      return fail(file + ": not a readable Parquet file: " + e.what());
    }
    auto metadata = reader->metadata();
    total_rows += metadata->num_rows();
    row_groups += metadata->num_row_groups();
    total_bytes += (*input)->GetSize().ValueOr(0);
    if (codec.empty() && metadata->num_row_groups() > 0 && metadata->num_columns() > 0) {
      codec = arrow::util::Codec::GetCodecAsString(metadata->RowGroup(0)->ColumnChunk(0)->compression());
    }
  }
  auto table = ReadParquetFiles(*files, rows);
  if (!table.ok()) return fail(table.status().message());
  std::cout << fmt::format("{}: {} file{}, {} rows, {} row groups, {} bytes, {}\n", path, files->size(),
                           files->size() == 1 ? "" : "s", total_rows, row_groups, total_bytes, codec);
  std::cout << "schema:\n";
  for (const auto& field : (*table)->schema()->fields()) {
    std::cout << fmt::format("  {:<24} {}{}\n", field->name(), field->type()->ToString(),
                             field->nullable() ? "" : " not null");
  }
  auto batch = (*table)->CombineChunksToBatch();
  if (!batch.ok()) return fail(batch.status().message());
  std::cout << FormatTable(**batch, rows, total_rows);
  return 0;
}

}  // namespace sluice
