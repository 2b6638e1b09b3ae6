#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/writer.h>

#include "common/clock.h"
#include "common/types.h"
#include "io/object_store.h"
#include "sink/partitioner.h"
#include "sink/sink.h"

namespace sluice {

struct ParquetSinkOptions {
  std::vector<PartitionColumn> partition_by;
  arrow::Compression::type compression = arrow::Compression::ZSTD;
  int compression_level = 3;  // zstd's default; ignored by codecs without levels
  int64_t row_group_rows = 128 * 1024;
  int64_t file_max_rows = 0;             // 0 = no limit
  int64_t file_max_bytes = 256LL << 20;  // checked after each row group; 0 = no limit
  Duration file_max_age{0};              // 0 = until the next Flush
  int max_open_files = 64;               // past this, the least recently written file completes
};

// "parquet <location> partitioned by a, b, zstd": one line for plans and logs.
std::string DescribeParquet(const std::string& location, const ParquetSinkOptions& options);

// Writes batches as Parquet files under one directory of an ObjectStore:
//   <dir>/<partition path>/part-<run id>-<sequence>.parquet
// with parquet::arrow (timestamps as TIMESTAMP(MICROS, isAdjustedToUTC), the Arrow
// schema stored for exact read-back). One open file per partition; a file completes
// (footer written, then atomically visible) when it reaches file_max_rows or
// file_max_bytes, when it is older than file_max_age, when too many files are open,
// and at CompleteFiles. Completed files are published by the store, on S3 in the
// background, and counted in stats() once visible. Partition columns are computed by expressions; a batch
// column with the same name as a partition column is kept only in the path (as Spark does). File names never
// repeat within a run (a sequence number) nor across runs (the run id), so files of concurrent or earlier
// runs are never overwritten.
//
// Not thread-safe (see Sink).
class ParquetSink final : public Sink {
 public:
  static arrow::Result<std::unique_ptr<ParquetSink>> Make(std::string name,
                                                          std::shared_ptr<ObjectStore> store, std::string dir,
                                                          std::shared_ptr<arrow::Schema> schema,
                                                          ParquetSinkOptions options, std::string run_id,
                                                          Clock* clock);
  ~ParquetSink() override;

  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) override;
  arrow::Status Tick() override;
  arrow::Result<int64_t> CompleteFiles() override;
  arrow::Result<bool> Visible(int64_t mark) override;
  arrow::Status WaitVisible(int64_t mark) override;
  arrow::Status Close() override;
  const SinkStats& stats() const override { return stats_; }
  std::string Describe() const override;
  const std::string& name() const { return name_; }

  // Checkpointed runs: from now on, files are written under `staged_name(final path)`
  // (paths relative to the store) and listed by TakeStaged instead of appearing under
  // their final names; the checkpoint coordinator moves them once their epoch commits.
  // REQUIRES: no open file (call right after CompleteFiles, or before any Write).
  void StageUnder(std::function<std::string(const std::string&)> staged_name);
  // The files completed under staged names since the last call, in completion order.
  std::vector<StagedOutputFile> TakeStaged();

  // The newest files (at most kRecentFiles) that became visible under their final names
  // since the last call (runs without staging; staged files become visible when the
  // checkpoint coordinator publishes them).
  static constexpr size_t kRecentFiles = 32;
  std::vector<VisibleFile> TakeVisible();
  // The full path or URI of a path relative to the sink's location.
  std::string FullPath(const std::string& relative) const { return store_->FullPath(relative); }

  // Schema of the files (the input schema minus partition-named columns).
  const std::shared_ptr<arrow::Schema>& file_schema() const { return file_schema_; }

 private:
  // A completed file on its way to being visible.
  struct Publishing {
    arrow::Future<> visible;
    std::unique_ptr<StagedFile> staged;
    int64_t rows = 0;
    int64_t bytes = 0;
  };
  struct OpenFile {
    std::string final_path;  // where the file ends up (== staged->path() unless staging)
    std::unique_ptr<StagedFile> staged;
    std::unique_ptr<parquet::arrow::FileWriter> writer;
    int64_t rows = 0;
    int64_t opened_at = 0;
    uint64_t last_write = 0;
  };

  ParquetSink(std::string name, std::shared_ptr<ObjectStore> store, std::string dir,
              std::shared_ptr<arrow::Schema> schema, ParquetSinkOptions options, std::string run_id,
              Clock* clock, Partitioner partitioner);
  arrow::Result<OpenFile*> FileFor(const std::string& partition);
  arrow::Status Complete(const std::string& partition);
  // Counts the completed files that became visible, in completion order; waits for
  // those before `wait_until`. Returns the first publishing failure.
  arrow::Status Reap(int64_t wait_until);

  std::string name_;
  std::shared_ptr<ObjectStore> store_;
  std::string dir_;
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<arrow::Schema> file_schema_;
  std::vector<int> file_columns_;  // indices of schema_ columns kept in files
  ParquetSinkOptions options_;
  std::string run_id_;
  Clock* clock_;
  Partitioner partitioner_;
  std::shared_ptr<parquet::WriterProperties> properties_;
  std::shared_ptr<parquet::ArrowWriterProperties> arrow_properties_;
  std::function<std::string(const std::string&)> staged_name_;
  std::vector<StagedOutputFile> staged_files_;
  std::deque<VisibleFile> visible_;  // newest last, at most kRecentFiles
  std::map<std::string, OpenFile> open_;
  std::deque<Publishing> publishing_;  // in completion order
  int64_t completed_ = 0;              // files completed (the marks of CompleteFiles)
  int64_t reaped_ = 0;                 // ... of which visible and counted
  arrow::Status failure_;              // the first file that could not be published
  int64_t sequence_ = 0;
  uint64_t writes_ = 0;
  SinkStats stats_;
};

// "zstd", "snappy", "gzip", "lz4", "none" -> codec.
arrow::Result<arrow::Compression::type> ParseCompression(const std::string& name);

}  // namespace sluice
