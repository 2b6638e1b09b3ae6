#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/array.h>
#include <arrow/result.h>
#include <arrow/type.h>

namespace sluice {

// Row-wise binary encoding of grouping keys (several columns of one row as one byte
// string), so that keys of any types can be hashed and compared as bytes.
//
// Layout per column: one byte (0 = null, 1 = valid) then, when valid, the value:
// fixed-width types as their native bytes (doubles normalised so that -0.0 == 0.0 and
// every NaN is one NaN), strings as a 4-byte length and the bytes. Two rows encode to
// the same bytes exactly when SQL GROUP BY puts them in the same group (nulls group
// together). Supported: string, bool, int32, int64, double, timestamp.
//
// Immutable after Make; Encode/Decode are const and thread-safe.
class KeyEncoder {
 public:
  static arrow::Result<KeyEncoder> Make(std::vector<std::shared_ptr<arrow::DataType>> types);

  struct EncodedKeys {
    std::string bytes;
    std::vector<uint32_t> offsets;  // row i is bytes[offsets[i], offsets[i + 1])
    std::vector<uint64_t> hashes;
    std::string_view key(size_t row) const {
      return std::string_view(bytes).substr(offsets[row], offsets[row + 1] - offsets[row]);
    }
  };

  // Encodes rows [0, num_rows) of `columns` (one per type, same length).
  arrow::Status Encode(const arrow::ArrayVector& columns, int64_t num_rows, EncodedKeys* out) const;

  // Decodes `keys` back into one array per column.
  arrow::Result<arrow::ArrayVector> Decode(const std::vector<std::string_view>& keys) const;

  const std::vector<std::shared_ptr<arrow::DataType>>& types() const { return types_; }

  static uint64_t Hash(std::string_view key);

 private:
  std::vector<std::shared_ptr<arrow::DataType>> types_;
};

}  // namespace sluice
