#include "state/key_encoder.h"

#include <cmath>
#include <cstring>
#include <functional>

#include <arrow/builder.h>

namespace sluice {
namespace {

// Width of the value part of a valid fixed-width key column; 0 for strings.
int FixedWidth(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::BOOL:
      return 1;
    case arrow::Type::INT32:
      return 4;
    case arrow::Type::INT64:
    case arrow::Type::DOUBLE:
    case arrow::Type::TIMESTAMP:
      return 8;
    default:
      return 0;
  }
}

}  // namespace

arrow::Result<KeyEncoder> KeyEncoder::Make(std::vector<std::shared_ptr<arrow::DataType>> types) {
  for (const auto& t : types) {
    if (FixedWidth(t->id()) == 0 && t->id() != arrow::Type::STRING) {
      return arrow::Status::Invalid("cannot group by a column of type ", t->ToString());
    }
  }
  KeyEncoder encoder;
  encoder.types_ = std::move(types);
  return encoder;
}

uint64_t KeyEncoder::Hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

arrow::Status KeyEncoder::Encode(const arrow::ArrayVector& columns, int64_t num_rows,
                                 EncodedKeys* out) const {
  const size_t n = static_cast<size_t>(num_rows);
  // Pass 1: sizes.
  out->offsets.assign(n + 1, 0);
  for (size_t c = 0; c < types_.size(); ++c) {
    const arrow::Array& column = *columns[c];
    int width = FixedWidth(types_[c]->id());
    if (width > 0) {
      for (size_t r = 0; r < n; ++r) out->offsets[r + 1] += 1 + (column.IsValid(r) ? width : 0);
    } else {
      const auto& strings = static_cast<const arrow::StringArray&>(column);
      for (size_t r = 0; r < n; ++r) {
        out->offsets[r + 1] += 1 + (strings.IsValid(r) ? 4 + strings.value_length(r) : 0);
      }
    }
  }
  for (size_t r = 0; r < n; ++r) out->offsets[r + 1] += out->offsets[r];
  out->bytes.resize(out->offsets[n]);
  // Pass 2: bytes, column by column, each row's cursor advancing.
  std::vector<uint32_t> cursor(out->offsets.begin(), out->offsets.end() - 1);
  char* data = out->bytes.data();
  for (size_t c = 0; c < types_.size(); ++c) {
    const arrow::Array& column = *columns[c];
    auto id = types_[c]->id();
    for (size_t r = 0; r < n; ++r) {
      char* p = data + cursor[r];
      bool valid = column.IsValid(r);
      *p++ = valid ? 1 : 0;
      if (valid) {
        switch (id) {
          case arrow::Type::BOOL:
            *p++ = static_cast<const arrow::BooleanArray&>(column).Value(r) ? 1 : 0;
            break;
          case arrow::Type::INT32: {
            int32_t v = static_cast<const arrow::Int32Array&>(column).Value(r);
            std::memcpy(p, &v, 4);
            p += 4;
            break;
          }
          case arrow::Type::INT64:
          case arrow::Type::TIMESTAMP: {
            // Both are 64-bit integers in buffer 1 (TimestampArray is not an Int64Array).
            int64_t v = column.data()->GetValues<int64_t>(1)[r];
            std::memcpy(p, &v, 8);
            p += 8;
            break;
          }
          case arrow::Type::DOUBLE: {
            double v = static_cast<const arrow::DoubleArray&>(column).Value(r);
            if (v == 0.0) v = 0.0;                                            // -0.0 groups with 0.0
            if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();  // one NaN
            std::memcpy(p, &v, 8);
            p += 8;
            break;
          }
          default: {
            std::string_view s = static_cast<const arrow::StringArray&>(column).GetView(r);
            uint32_t len = static_cast<uint32_t>(s.size());
            std::memcpy(p, &len, 4);
            std::memcpy(p + 4, s.data(), s.size());
            p += 4 + s.size();
            break;
          }
        }
      }
      cursor[r] = static_cast<uint32_t>(p - data);
    }
  }
  out->hashes.resize(n);
  for (size_t r = 0; r < n; ++r) out->hashes[r] = Hash(out->key(r));
  return arrow::Status::OK();
}

arrow::Result<arrow::ArrayVector> KeyEncoder::Decode(const std::vector<std::string_view>& keys) const {
  std::vector<const char*> cursor;
  cursor.reserve(keys.size());
  for (auto k : keys) cursor.push_back(k.data());
  arrow::ArrayVector out;
  for (const auto& type : types_) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
    ARROW_RETURN_NOT_OK(builder->Reserve(static_cast<int64_t>(keys.size())));
    for (auto& p : cursor) {
      if (*p++ == 0) {
        ARROW_RETURN_NOT_OK(builder->AppendNull());
        continue;
      }
      switch (type->id()) {
        case arrow::Type::BOOL:
          ARROW_RETURN_NOT_OK(static_cast<arrow::BooleanBuilder*>(builder.get())->Append(*p++ != 0));
          break;
        case arrow::Type::INT32: {
          int32_t v;
          std::memcpy(&v, p, 4);
          p += 4;
          ARROW_RETURN_NOT_OK(static_cast<arrow::Int32Builder*>(builder.get())->Append(v));
          break;
        }
        case arrow::Type::INT64: {
          int64_t v;
          std::memcpy(&v, p, 8);
          p += 8;
          ARROW_RETURN_NOT_OK(static_cast<arrow::Int64Builder*>(builder.get())->Append(v));
          break;
        }
        case arrow::Type::TIMESTAMP: {
          int64_t v;
          std::memcpy(&v, p, 8);
          p += 8;
          ARROW_RETURN_NOT_OK(static_cast<arrow::TimestampBuilder*>(builder.get())->Append(v));
          break;
        }
        case arrow::Type::DOUBLE: {
          double v;
          std::memcpy(&v, p, 8);
          p += 8;
          ARROW_RETURN_NOT_OK(static_cast<arrow::DoubleBuilder*>(builder.get())->Append(v));
          break;
        }
        default: {
          uint32_t len;
          std::memcpy(&len, p, 4);
          ARROW_RETURN_NOT_OK(static_cast<arrow::StringBuilder*>(builder.get())->Append(p + 4, len));
          p += 4 + len;
          break;
        }
      }
    }
    std::shared_ptr<arrow::Array> array;
    ARROW_RETURN_NOT_OK(builder->Finish(&array));
    out.push_back(std::move(array));
  }
  return out;
}

}  // namespace sluice
