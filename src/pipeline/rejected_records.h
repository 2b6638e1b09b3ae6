#pragma once

#include <memory>
#include <optional>
#include <string>

#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "format/raw_batch.h"
#include "format/rejection.h"

namespace sluice {

// Collects rejected records (dead letters, late records) of one batch as rows of
// RejectedRecordSchema(): the raw bytes with their source position, stage and reason.
// Not thread-safe.
class RejectedRecordBuilder {
 public:
  RejectedRecordBuilder();

  // `output` names the aggregation a late record missed; `watermark` judged it.
  arrow::Status Add(const RawBatch& raw, const Rejection& rejection, const std::string* output,
                    std::optional<int64_t> watermark);

  int64_t size() const { return rows_; }

  // The rows added so far (stamped `processed_at`); resets the builder.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Finish(int64_t processed_at);

 private:
  arrow::BinaryBuilder raw_;
  arrow::StringBuilder source_;
  arrow::Int32Builder partition_;
  arrow::Int64Builder offset_;
  arrow::StringBuilder stage_;
  arrow::StringBuilder reason_;
  arrow::StringBuilder output_;
  arrow::TimestampBuilder event_time_;
  arrow::TimestampBuilder watermark_;
  int64_t rows_ = 0;
};

}  // namespace sluice
