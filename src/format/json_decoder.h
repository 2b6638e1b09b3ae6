#pragma once

#include <memory>

#include <arrow/memory_pool.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "format/decoded_batch.h"
#include "format/raw_batch.h"
#include "schema/schema.h"

namespace sluice {

// Decodes JSON objects (one per record) into Arrow columns of a declared schema, with
// simdjson On-Demand parsing each record in place in the RawBatch buffer.
//
// Per record: declared fields are converted to their column type; undeclared fields
// are skipped (their values are not validated); a field given twice keeps the last
// value; a missing or null optional field is null. A record goes to `rejected`, with a
// reason naming the field and the problem, when it is not valid JSON, not an object,
// not UTF-8, misses a required field or has a value of the wrong type. Rejections never
// abort the batch. Integer columns accept integral decimals (3.0) and reject fractions
// and out-of-range values; double columns accept any number; timestamp columns accept
// ISO-8601 strings and epoch numbers (see EpochUnit); json columns keep the value's
// JSON text.
//
// Not thread-safe: one decoder per pipeline thread (it owns the parser's buffers).
class JsonDecoder {
 public:
  static arrow::Result<std::unique_ptr<JsonDecoder>> Make(
      DeclaredSchema schema, arrow::MemoryPool* pool = arrow::default_memory_pool());
  ~JsonDecoder();

  // Decodes every record of `input`; `out` is overwritten.
  arrow::Status Decode(const RawBatch& input, DecodedBatch* out);

 private:
  class Impl;
  explicit JsonDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
