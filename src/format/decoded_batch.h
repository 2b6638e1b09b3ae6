#pragma once

#include <memory>
#include <vector>

#include <arrow/record_batch.h>

#include "format/rejection.h"

namespace sluice {

// What a decoder makes of a RawBatch: the records that match the declared schema as
// one Arrow RecordBatch (in input order), the index of each row's record in the
// RawBatch, and the records that did not match with the reason.
struct DecodedBatch {
  std::shared_ptr<arrow::RecordBatch> batch;
  std::vector<int32_t> record_index;  // batch row -> RawBatch record
  std::vector<Rejection> rejected;
};

}  // namespace sluice
