#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "format/json_decoder.h"
#include "format/raw_batch.h"
#include "format/rejection.h"
#include "pipeline/plan.h"

namespace sluice {

// The record-level stages of a pipeline, in order: decoding, metadata columns, derived
// columns, checks, event time (present, within the years 1-9999) and the filter. Each
// record of a batch becomes a valid row, is filtered out, or is rejected once — at its
// first failing stage, with a reason naming the stage, the check and the values it
// read. Rows do not depend on each other: results never depend on batch boundaries.
//
// Not thread-safe (the decoder keeps buffers between batches).
class RecordValidator {
 public:
  static arrow::Result<std::unique_ptr<RecordValidator>> Make(const Plan& plan);

  struct Validated {
    std::shared_ptr<arrow::RecordBatch> batch;  // valid rows that pass the filter (row_schema)
    std::vector<int32_t> record_index;          // each row's record in the RawBatch
    std::vector<int32_t> filtered;              // records valid but filtered out
    std::vector<Rejection> rejections;          // decode rejections first, then the other stages
  };
  // `now`: the processing time now() reads.
  arrow::Result<Validated> Validate(const RawBatch& raw, int64_t now);

 private:
  RecordValidator(const Plan& plan, std::unique_ptr<JsonDecoder> decoder);
  // Appends the plan's metadata columns to a decoded batch.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> AddMetadataColumns(
      std::shared_ptr<arrow::RecordBatch> batch, const RawBatch& raw,
      const std::vector<int32_t>& record_index) const;

  const Plan& plan_;
  std::unique_ptr<JsonDecoder> decoder_;
};

}  // namespace sluice
