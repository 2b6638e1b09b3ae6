#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace sluice {

// Where a record came from: an index into RawBatch::sources() (a file path or a topic),
// the partition within it (Kafka's partition number; 0 for files), the position in that
// partition (Kafka offset, or 1-based line number in a file) and `input`, the
// pipeline-wide id the source gave the (topic, partition) pair: the unit of
// per-partition watermarks and offset commits.
struct RecordPosition {
  int32_t source = 0;
  int32_t partition = 0;
  KafkaOffset offset{0};
  PartitionId input{0};
};

// Kafka message metadata of one record (see RawBatch::AppendMetadata).
struct RecordMetadata {
  std::optional<std::string_view> key;      // absent: the message had no key
  std::optional<int64_t> timestamp;         // microseconds since the epoch, UTC
  std::optional<std::string_view> headers;  // a JSON object {"name": "value", ...}
};

// A batch of raw records (NDJSON lines, Kafka message values) in one contiguous buffer
// followed by kPadding readable bytes, so that a JSON parser needing padding (simdjson)
// can parse every record in place. Sources append records; decoders read them.
// Not thread-safe; a batch is filled by one thread and then handed over.
class RawBatch {
 public:
  static constexpr size_t kPadding = 64;

  RawBatch() { data_.resize(kPadding); }

  void Clear() {
    size_ = 0;
    begins_.clear();
    lengths_.clear();
    positions_.clear();
    sources_.clear();
    metadata_.clear();
    metadata_bytes_.clear();
  }

  // Registers a source name (file path, topic) and returns its index for positions.
  int32_t AddSource(std::string name) {
    if (!sources_.empty() && sources_.back() == name) return static_cast<int32_t>(sources_.size() - 1);
    sources_.push_back(std::move(name));
    return static_cast<int32_t>(sources_.size() - 1);
  }

  // Copies `bytes` in as one record.
  void Append(std::string_view bytes, const RecordPosition& position) {
    size_t begin = size_;
    std::memcpy(Grow(bytes.size()), bytes.data(), bytes.size());
    AddRecord(begin, bytes.size(), position);
  }

  // Appends `n` uninitialised bytes to the buffer and returns where to write them; the
  // caller then declares records inside them with AddRecord. The pointer is valid
  // until the next Grow/Append.
  char* Grow(size_t n) {
    if (size_ + n + kPadding > data_.size()) data_.resize(std::max(data_.size() * 2, size_ + n + kPadding));
    char* out = data_.data() + size_;
    size_ += n;
    return out;
  }

  // Declares a record at [begin, begin + length) of the buffer.
  void AddRecord(size_t begin, size_t length, const RecordPosition& position) {
    begins_.push_back(begin);
    lengths_.push_back(static_cast<uint32_t>(length));
    positions_.push_back(position);
  }

  // Records the metadata of the record appended last. A source either calls this for
  // every record of a batch or for none (has_metadata()).
  void AppendMetadata(const RecordMetadata& metadata) {
    StoredMetadata stored;
    if (metadata.key) stored.key = Store(*metadata.key);
    if (metadata.headers) stored.headers = Store(*metadata.headers);
    stored.timestamp = metadata.timestamp;
    metadata_.push_back(stored);
  }

  // Keeps only the records whose position satisfies `keep` (their bytes stay in the
  // buffer, unreferenced). Sources use it to drop records they must not return.
  template <typename Keep>
  void Retain(Keep keep) {
    const bool with_metadata = has_metadata();
    size_t out = 0;
    for (size_t i = 0; i < begins_.size(); ++i) {
      if (!keep(positions_[i])) continue;
      begins_[out] = begins_[i];
      lengths_[out] = lengths_[i];
      positions_[out] = positions_[i];
      if (with_metadata) metadata_[out] = metadata_[i];
      ++out;
    }
    begins_.resize(out);
    lengths_.resize(out);
    positions_.resize(out);
    if (with_metadata) metadata_.resize(out);
  }

  size_t size() const { return begins_.size(); }
  bool empty() const { return begins_.empty(); }
  size_t byte_size() const { return size_; }

  std::string_view record(size_t i) const { return {data_.data() + begins_[i], lengths_[i]}; }
  // Bytes readable from the start of record i (its length plus at least kPadding).
  size_t readable_from(size_t i) const { return data_.size() - begins_[i]; }
  const RecordPosition& position(size_t i) const { return positions_[i]; }
  const std::vector<std::string>& sources() const { return sources_; }
  const std::string& source_name(size_t i) const { return sources_[positions_[i].source]; }

  bool has_metadata() const { return !begins_.empty() && metadata_.size() == begins_.size(); }
  // REQUIRES: has_metadata().
  RecordMetadata metadata(size_t i) const {
    const StoredMetadata& stored = metadata_[i];
    RecordMetadata out;
    if (stored.key) out.key = Load(*stored.key);
    if (stored.headers) out.headers = Load(*stored.headers);
    out.timestamp = stored.timestamp;
    return out;
  }

 private:
  std::string data_;  // size_ bytes of records, then at least kPadding more
  size_t size_ = 0;
  std::vector<size_t> begins_;
  std::vector<uint32_t> lengths_;
  std::vector<RecordPosition> positions_;
  std::vector<std::string> sources_;

  struct Span {
    size_t begin;
    size_t length;
  };
  struct StoredMetadata {
    std::optional<Span> key;
    std::optional<Span> headers;
    std::optional<int64_t> timestamp;
  };
  Span Store(std::string_view bytes) {
    Span span{metadata_bytes_.size(), bytes.size()};
    metadata_bytes_.append(bytes);
    return span;
  }
  std::string_view Load(const Span& span) const {
    return std::string_view(metadata_bytes_).substr(span.begin, span.length);
  }
  std::vector<StoredMetadata> metadata_;
  std::string metadata_bytes_;  // keys and headers of metadata_
};

}  // namespace sluice
