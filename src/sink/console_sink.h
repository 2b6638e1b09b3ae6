#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <arrow/record_batch.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "sink/sink.h"

namespace sluice {

struct ConsoleSinkOptions {
  int64_t rows = 20;     // rows shown per trigger; the rest are counted
  bool truncate = true;  // cells cut to 20 characters, as Spark's console sink does
};

// "console (20 rows a trigger, cells truncated)": a console sink in plans and logs.
std::string DescribeConsole(const ConsoleSinkOptions& options);

// Prints each trigger's rows as a table under a "Batch: N" header, like Spark's console
// sink: the rows written during a trigger are shown when it ends (CompleteFiles), at
// most `rows` of them. For watching a pipeline, not for keeping data: a trigger replayed
// after a crash prints again. Writes to `out` (standard output by default).
class ConsoleSink final : public Sink {
 public:
  ConsoleSink(std::string name, ConsoleSinkOptions options, std::FILE* out = stdout)
      : name_(std::move(name)), options_(options), out_(out) {}

  arrow::Status Write(const std::shared_ptr<arrow::RecordBatch>& batch) override;
  arrow::Status Tick() override { return arrow::Status::OK(); }
  // Prints the trigger's rows (nothing when it had none); the batch number counts
  // triggers from 0.
  arrow::Result<int64_t> CompleteFiles() override;
  arrow::Result<bool> Visible(int64_t /*mark*/) override { return true; }
  arrow::Status WaitVisible(int64_t /*mark*/) override { return arrow::Status::OK(); }
  arrow::Status Close() override { return arrow::Status::OK(); }

  const SinkStats& stats() const override { return stats_; }
  std::string Describe() const override;

 private:
  std::string name_;
  ConsoleSinkOptions options_;
  std::FILE* out_;
  arrow::RecordBatchVector shown_;  // the first `rows` rows of the trigger
  int64_t shown_rows_ = 0;
  int64_t trigger_rows_ = 0;
  int64_t batch_ = 0;
  SinkStats stats_;
};

}  // namespace sluice
