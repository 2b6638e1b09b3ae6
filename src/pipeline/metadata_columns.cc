#include "pipeline/metadata_columns.h"

#include <arrow/builder.h>

#include "common/text.h"
#include "schema/schema.h"

namespace sluice {

bool IsMessageMetadata(MetadataField field) {
  return field == MetadataField::kKey || field == MetadataField::kTimestamp ||
         field == MetadataField::kHeaders;
}

arrow::Result<MetadataField> ParseMetadataField(std::string_view name) {
  if (name == "key") return MetadataField::kKey;
  if (name == "topic") return MetadataField::kTopic;
  if (name == "partition") return MetadataField::kPartition;
  if (name == "offset") return MetadataField::kOffset;
  if (name == "timestamp") return MetadataField::kTimestamp;
  if (name == "headers") return MetadataField::kHeaders;
  return arrow::Status::Invalid("unknown Kafka metadata '", name,
                                "'; use key, topic, partition, offset, timestamp or headers");
}

std::shared_ptr<arrow::DataType> MetadataFieldType(MetadataField field) {
  switch (field) {
    case MetadataField::kPartition:
      return arrow::int32();
    case MetadataField::kOffset:
      return arrow::int64();
    case MetadataField::kTimestamp:
      return TimestampType();
    default:
      return arrow::utf8();
  }
}

arrow::Result<std::shared_ptr<arrow::Array>> BuildMetadataColumn(MetadataField field, const RawBatch& raw,
                                                                 const std::vector<int32_t>& record_index) {
  const int64_t n = static_cast<int64_t>(record_index.size());
  const bool has_metadata = raw.has_metadata();
  switch (field) {
    case MetadataField::kPartition: {
      arrow::Int32Builder builder;
      ARROW_RETURN_NOT_OK(builder.Reserve(n));
      for (int32_t r : record_index) builder.UnsafeAppend(raw.position(r).partition);
      return builder.Finish();
    }
    case MetadataField::kOffset: {
      arrow::Int64Builder builder;
      ARROW_RETURN_NOT_OK(builder.Reserve(n));
      for (int32_t r : record_index) builder.UnsafeAppend(raw.position(r).offset.value());
      return builder.Finish();
    }
    case MetadataField::kTimestamp: {
      arrow::TimestampBuilder builder(TimestampType(), arrow::default_memory_pool());
      ARROW_RETURN_NOT_OK(builder.Reserve(n));
      for (int32_t r : record_index) {
        auto timestamp = has_metadata ? raw.metadata(r).timestamp : std::nullopt;
        if (timestamp) {
          builder.UnsafeAppend(*timestamp);
        } else {
          builder.UnsafeAppendNull();
        }
      }
      return builder.Finish();
    }
    case MetadataField::kTopic: {
      arrow::StringBuilder builder;
      ARROW_RETURN_NOT_OK(builder.Reserve(n));
      for (int32_t r : record_index) ARROW_RETURN_NOT_OK(builder.Append(raw.source_name(r)));
      return builder.Finish();
    }
    case MetadataField::kKey:
    case MetadataField::kHeaders: {
      arrow::StringBuilder builder;
      ARROW_RETURN_NOT_OK(builder.Reserve(n));
      std::string text;
      for (int32_t r : record_index) {
        std::optional<std::string_view> value;
        if (has_metadata)
          value = field == MetadataField::kKey ? raw.metadata(r).key : raw.metadata(r).headers;
        if (!value) {
          ARROW_RETURN_NOT_OK(builder.AppendNull());
          continue;
        }
        text.clear();
        AppendValidUtf8(*value, &text);  // headers are JSON already; keys may be any bytes
        ARROW_RETURN_NOT_OK(builder.Append(text));
      }
      return builder.Finish();
    }
  }
  return arrow::Status::Invalid("unknown metadata field");
}

}  // namespace sluice
