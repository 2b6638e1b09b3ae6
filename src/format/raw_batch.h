#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace sluice {

// Where a record came from: an index into RawBatch::sources() (a file path or a topic),
// the partition (0 for files) and the position in it (Kafka offset, or 1-based line
// number in a file).
struct RecordPosition {
  int32_t source = 0;
  PartitionId partition{0};
  KafkaOffset offset{0};
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

  size_t size() const { return begins_.size(); }
  bool empty() const { return begins_.empty(); }
  size_t byte_size() const { return size_; }

  std::string_view record(size_t i) const { return {data_.data() + begins_[i], lengths_[i]}; }
  // Bytes readable from the start of record i (its length plus at least kPadding).
  size_t readable_from(size_t i) const { return data_.size() - begins_[i]; }
  const RecordPosition& position(size_t i) const { return positions_[i]; }
  const std::vector<std::string>& sources() const { return sources_; }
  const std::string& source_name(size_t i) const { return sources_[positions_[i].source]; }

 private:
  std::string data_;  // size_ bytes of records, then at least kPadding more
  size_t size_ = 0;
  std::vector<size_t> begins_;
  std::vector<uint32_t> lengths_;
  std::vector<RecordPosition> positions_;
  std::vector<std::string> sources_;
};

}  // namespace sluice
