#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/array.h>
#include <arrow/result.h>
#include <arrow/type.h>

#include "format/raw_batch.h"

namespace sluice {

// Where a record came from, as columns next to its decoded fields (Spark's Kafka
// source columns). For records read from NDJSON files (--input), topic is the file
// path, partition 0, offset the line number, and key, timestamp and headers are null.
enum class MetadataField {
  kKey,        // string: the message key (bytes that are not UTF-8 become U+FFFD); null without a key
  kTopic,      // string
  kPartition,  // int32
  kOffset,     // int64
  kTimestamp,  // timestamp (UTC): the message's create or log-append time
  kHeaders,    // string: a JSON object {"name": "value", ...}; null without headers
};

struct MetadataColumn {
  std::string name;
  MetadataField field;
};

// Whether the field comes from the message itself (key, timestamp, headers) rather than
// from the record's position (topic, partition, offset).
bool IsMessageMetadata(MetadataField field);

// "key" -> kKey, ...; fails naming the allowed fields.
arrow::Result<MetadataField> ParseMetadataField(std::string_view name);
std::shared_ptr<arrow::DataType> MetadataFieldType(MetadataField field);

// The values of `field` for records raw.record(record_index[i]), in that order.
arrow::Result<std::shared_ptr<arrow::Array>> BuildMetadataColumn(MetadataField field, const RawBatch& raw,
                                                                 const std::vector<int32_t>& record_index);

}  // namespace sluice
