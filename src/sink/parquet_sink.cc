#include "sink/parquet_sink.h"

#include <cstdio>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/fault.h"

namespace sluice {

arrow::Result<arrow::Compression::type> ParseCompression(const std::string& name) {
  if (name == "zstd") return arrow::Compression::ZSTD;
  if (name == "snappy") return arrow::Compression::SNAPPY;
  if (name == "gzip") return arrow::Compression::GZIP;
  if (name == "lz4") return arrow::Compression::LZ4;
  if (name == "none" || name == "uncompressed") return arrow::Compression::UNCOMPRESSED;
  return arrow::Status::Invalid("unknown compression '", name, "'; use zstd, snappy, gzip, lz4 or none");
}

arrow::Result<std::unique_ptr<ParquetSink>> ParquetSink::Make(
    std::string name, std::shared_ptr<ObjectStore> store, std::string dir,
    std::shared_ptr<arrow::Schema> schema, ParquetSinkOptions options, std::string run_id, Clock* clock) {
  ARROW_ASSIGN_OR_RAISE(Partitioner partitioner, Partitioner::Make(options.partition_by, schema));
  if (options.row_group_rows <= 0) return arrow::Status::Invalid("row_group_rows must be positive");
  return std::unique_ptr<ParquetSink>(new ParquetSink(std::move(name), std::move(store), std::move(dir),
                                                      std::move(schema), std::move(options),
                                                      std::move(run_id), clock, std::move(partitioner)));
}

ParquetSink::ParquetSink(std::string name, std::shared_ptr<ObjectStore> store, std::string dir,
                         std::shared_ptr<arrow::Schema> schema, ParquetSinkOptions options,
                         std::string run_id, Clock* clock, Partitioner partitioner)
    : name_(std::move(name)),
      store_(std::move(store)),
      dir_(std::move(dir)),
      schema_(std::move(schema)),
      options_(std::move(options)),
      run_id_(std::move(run_id)),
      clock_(clock),
      partitioner_(std::move(partitioner)) {
  std::set<std::string> partition_names;
  for (const auto& p : options_.partition_by) partition_names.insert(p.name);
  arrow::FieldVector fields;
  for (int i = 0; i < schema_->num_fields(); ++i) {
    if (partition_names.count(schema_->field(i)->name())) continue;
    file_columns_.push_back(i);
    fields.push_back(schema_->field(i));
  }
  file_schema_ = arrow::schema(fields);
  parquet::WriterProperties::Builder builder;
  builder.compression(options_.compression);
  if (arrow::util::Codec::SupportsCompressionLevel(options_.compression)) {
    builder.compression_level(options_.compression_level);
  }
  builder.max_row_group_length(options_.row_group_rows);
  builder.created_by("sluice (parquet-cpp-arrow)");
  properties_ = builder.build();
  arrow_properties_ = parquet::ArrowWriterProperties::Builder()
                          .store_schema()
                          ->coerce_timestamps(arrow::TimeUnit::MICRO)
                          ->build();
}

ParquetSink::~ParquetSink() {
  // Files not completed by Flush/Close are abandoned; StagedFile removes them.
  for (auto& [partition, file] : open_) {
    if (file.writer) (void)file.writer->Close();
  }
}

arrow::Result<ParquetSink::OpenFile*> ParquetSink::FileFor(const std::string& partition) {
  auto it = open_.find(partition);
  if (it != open_.end()) return &it->second;
  if (options_.max_open_files > 0 && static_cast<int>(open_.size()) >= options_.max_open_files) {
    auto oldest = open_.begin();
    for (auto i = open_.begin(); i != open_.end(); ++i) {
      if (i->second.last_write < oldest->second.last_write) oldest = i;
    }
    ARROW_RETURN_NOT_OK(Complete(oldest->first));
  }
  char file_name[128];
  std::snprintf(file_name, sizeof(file_name), "part-%s-%06lld.parquet", run_id_.c_str(),
                static_cast<long long>(++sequence_));
  std::string path;
  for (const std::string& part : {dir_, partition, std::string(file_name)}) {
    if (part.empty()) continue;
    if (!path.empty()) path += '/';
    path += part;
  }
  OpenFile file;
  file.final_path = path;
  ARROW_ASSIGN_OR_RAISE(file.staged, store_->Create(staged_name_ ? staged_name_(path) : path));
  std::shared_ptr<arrow::io::OutputStream> stream(file.staged->stream(), [](arrow::io::OutputStream*) {});
  ARROW_ASSIGN_OR_RAISE(file.writer,
                        parquet::arrow::FileWriter::Open(*file_schema_, arrow::default_memory_pool(), stream,
                                                         properties_, arrow_properties_));
  file.opened_at = clock_->MonotonicMicros();
  return &open_.emplace(partition, std::move(file)).first->second;
}

arrow::Status ParquetSink::Complete(const std::string& partition) {
  auto it = open_.find(partition);
  if (it == open_.end()) return arrow::Status::OK();
  OpenFile file = std::move(it->second);
  open_.erase(it);
  ARROW_RETURN_NOT_OK(file.writer->Close());
  file.writer.reset();
  Publishing publishing;
  publishing.rows = file.rows;
  publishing.bytes = file.staged->bytes_written();
  publishing.visible = file.staged->Commit();
  if (staged_name_) {
    staged_files_.push_back(
        StagedOutputFile{name_, file.staged->path(), file.final_path, publishing.rows, publishing.bytes});
  }
  publishing.staged = std::move(file.staged);
  publishing_.push_back(std::move(publishing));
  ++completed_;
  if (staged_name_) FaultPoint("staged-file");
  return Reap(/*wait_until=*/0);
}

arrow::Status ParquetSink::Reap(int64_t wait_until) {
  ARROW_RETURN_NOT_OK(failure_);
  while (!publishing_.empty() && (reaped_ < wait_until || publishing_.front().visible.is_finished())) {
    Publishing done = std::move(publishing_.front());
    publishing_.pop_front();
    ++reaped_;
    if (!done.visible.is_finished()) {
      const int64_t start = clock_->MonotonicMicros();
      done.visible.Wait();
      stats_.publish_wait_micros += clock_->MonotonicMicros() - start;
    }
    failure_ = done.visible.status();
    ARROW_RETURN_NOT_OK(failure_);
    stats_.rows += done.rows;
    stats_.files += 1;
    stats_.bytes += done.bytes;
    const std::string path = store_->FullPath(done.staged->path());
    spdlog::debug("{}: wrote {} rows ({} bytes) to {}", name_, done.rows, done.bytes, path);
    if (!staged_name_) {
      visible_.push_back(VisibleFile{path, done.rows, done.bytes});
      if (visible_.size() > kRecentFiles) visible_.pop_front();
    }
  }
  return arrow::Status::OK();
}

std::vector<VisibleFile> ParquetSink::TakeVisible() {
  std::vector<VisibleFile> out(std::make_move_iterator(visible_.begin()),
                               std::make_move_iterator(visible_.end()));
  visible_.clear();
  return out;
}

arrow::Status ParquetSink::Write(const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (batch == nullptr || batch->num_rows() == 0) return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto parts,
                        partitioner_.Split(batch, clock_->NowMicros(), &stats_.expression_errors));
  for (auto& part : parts) {
    std::shared_ptr<arrow::RecordBatch> rows = part.batch;
    if (static_cast<int>(file_columns_.size()) != rows->num_columns()) {
      ARROW_ASSIGN_OR_RAISE(rows, rows->SelectColumns(file_columns_));
    }
    int64_t offset = 0;
    while (offset < rows->num_rows()) {
      ARROW_ASSIGN_OR_RAISE(OpenFile * file, FileFor(part.path));
      int64_t take = rows->num_rows() - offset;
      if (options_.file_max_rows > 0) take = std::min(take, options_.file_max_rows - file->rows);
      ARROW_RETURN_NOT_OK(file->writer->WriteRecordBatch(*rows->Slice(offset, take)));
      file->rows += take;
      file->last_write = ++writes_;
      offset += take;
      bool full_rows = options_.file_max_rows > 0 && file->rows >= options_.file_max_rows;
      bool full_bytes =
          options_.file_max_bytes > 0 && file->staged->bytes_written() >= options_.file_max_bytes;
      if (full_rows || full_bytes) ARROW_RETURN_NOT_OK(Complete(part.path));
    }
  }
  return arrow::Status::OK();
}

arrow::Status ParquetSink::Tick() {
  ARROW_RETURN_NOT_OK(Reap(/*wait_until=*/0));
  if (options_.file_max_age.count() <= 0) return arrow::Status::OK();
  int64_t now = clock_->MonotonicMicros();
  std::vector<std::string> expired;
  for (const auto& [partition, file] : open_) {
    if (now - file.opened_at >= options_.file_max_age.count()) expired.push_back(partition);
  }
  for (const auto& partition : expired) ARROW_RETURN_NOT_OK(Complete(partition));
  return arrow::Status::OK();
}

void ParquetSink::StageUnder(std::function<std::string(const std::string&)> staged_name) {
  staged_name_ = std::move(staged_name);
}

std::vector<StagedOutputFile> ParquetSink::TakeStaged() { return std::exchange(staged_files_, {}); }

arrow::Result<int64_t> ParquetSink::CompleteFiles() {
  while (!open_.empty()) ARROW_RETURN_NOT_OK(Complete(open_.begin()->first));
  return completed_;
}

arrow::Result<bool> ParquetSink::Visible(int64_t mark) {
  ARROW_RETURN_NOT_OK(Reap(/*wait_until=*/0));
  return reaped_ >= mark;
}

arrow::Status ParquetSink::WaitVisible(int64_t mark) { return Reap(/*wait_until=*/mark); }

arrow::Status ParquetSink::Close() { return Flush(); }

std::string DescribeParquet(const std::string& location, const ParquetSinkOptions& options) {
  std::string out = "parquet " + location;
  if (!options.partition_by.empty()) {
    out += " partitioned by ";
    for (size_t i = 0; i < options.partition_by.size(); ++i)
      out += (i ? ", " : "") + options.partition_by[i].name;
  }
  return out + ", " + arrow::util::Codec::GetCodecAsString(options.compression);
}

std::string ParquetSink::Describe() const { return DescribeParquet(store_->FullPath(dir_), options_); }

}  // namespace sluice
