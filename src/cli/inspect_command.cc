#include <iostream>

#include <fmt/format.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "cli/commands.h"
#include "cli/parquet_files.h"
#include "cli/pipeline_loader.h"
#include "io/s3_config.h"
#include "sink/text_table.h"

namespace sluice {

int InspectCommand(const GlobalOptions& global, const std::string& path, int64_t rows) {
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 1;
  };
  // s3:// paths are reached as the pipelines reach them: AWS_* variables and .env.
  Environment env;
  if (auto loaded = LoadEnvironment(global, &env); !loaded.ok()) return fail(loaded.message());
  Storage storage(S3ConfigFromEnvironment(env));
  auto location = storage.Locate(path);
  if (!location.ok()) return fail(location.status().message());
  auto files = ListParquetFiles(*location);
  if (!files.ok()) return fail(storage.Explain(files.status(), "cannot read", path).message());
  if (files->empty()) return fail("no .parquet files under '" + path + "'");
  int64_t total_rows = 0, total_bytes = 0, row_groups = 0;
  std::string codec;
  for (const auto& file : *files) {
    auto input = location->filesystem->OpenInputFile(file);
    if (!input.ok()) return fail(storage.Explain(input.status(), "cannot read", path).message());
    std::unique_ptr<parquet::ParquetFileReader> reader;
    try {
      reader = parquet::ParquetFileReader::Open(*input);
    } catch (const std::exception& e) {
      return fail(file.path() + ": not a readable Parquet file: " + e.what());
    }
    auto metadata = reader->metadata();
    total_rows += metadata->num_rows();
    row_groups += metadata->num_row_groups();
    total_bytes += file.size();
    if (codec.empty() && metadata->num_row_groups() > 0 && metadata->num_columns() > 0) {
      codec = arrow::util::Codec::GetCodecAsString(metadata->RowGroup(0)->ColumnChunk(0)->compression());
    }
  }
  auto table = ReadParquetFiles(location->filesystem.get(), *files, rows);
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
