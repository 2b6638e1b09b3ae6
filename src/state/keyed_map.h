#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "state/key_encoder.h"
#include "state/key_table.h"

namespace sluice {

// Keyed state: encoded key (KeyEncoder) -> a value of type V, with deletion. Ids are
// dense and stable until Compact(), which drops deleted entries once they outnumber the
// live ones and renumbers the rest (the owner rebuilds whatever refers to ids). An
// erased key that comes back gets its old id again. Built on KeyTable (one arena of
// keys, open addressing). Not thread-safe.
template <typename V>
class KeyedMap {
 public:
  static constexpr uint32_t kAbsent = KeyTable::kAbsent;

  // The id of `key` (hash = KeyEncoder::Hash(key)), with a fresh V when it was absent or
  // erased; `inserted` tells which.
  uint32_t FindOrInsert(std::string_view key, uint64_t hash, bool* inserted) {
    const uint32_t id = table_.FindOrInsert(key, hash, inserted);
    if (*inserted) {
      values_.emplace_back();
      live_.push_back(true);
      ++size_;
    } else if (!live_[id]) {
      live_[id] = true;
      ++size_;
      *inserted = true;
    }
    return id;
  }
  // The id of live `key`, or kAbsent.
  uint32_t Find(std::string_view key, uint64_t hash) const {
    const uint32_t id = table_.Find(key, hash);
    return id != kAbsent && live_[id] ? id : kAbsent;
  }
  void Erase(uint32_t id) {
    if (!live_[id]) return;
    live_[id] = false;
    values_[id] = V{};
    --size_;
  }

  bool live(uint32_t id) const { return id < live_.size() && live_[id]; }
  V& value(uint32_t id) { return values_[id]; }
  const V& value(uint32_t id) const { return values_[id]; }
  std::string_view key(uint32_t id) const { return table_.key(id); }
  // Ids handed out so far (live or not): iterate [0, id_limit()) and test live().
  uint32_t id_limit() const { return static_cast<uint32_t>(values_.size()); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Drops erased entries when they are more than the live ones (and more than a few);
  // returns whether ids changed.
  bool MaybeCompact() {
    const size_t dead = values_.size() - size_;
    if (dead < 1024 || dead <= size_) return false;
    KeyTable table;
    std::vector<V> values;
    values.reserve(size_);
    for (uint32_t id = 0; id < values_.size(); ++id) {
      if (!live_[id]) continue;
      bool inserted = false;
      const std::string_view k = table_.key(id);
      table.FindOrInsert(k, KeyEncoder::Hash(k), &inserted);
      values.push_back(std::move(values_[id]));
    }
    table_ = std::move(table);
    values_ = std::move(values);
    live_.assign(values_.size(), true);
    return true;
  }

  // Approximate heap bytes of keys, the table and the values themselves (not what the
  // values point to).
  size_t memory_bytes() const {
    return table_.memory_bytes() + values_.capacity() * sizeof(V) + live_.capacity() / 8;
  }

 private:
  KeyTable table_;
  std::vector<V> values_;   // by id
  std::vector<bool> live_;  // by id
  size_t size_ = 0;
};

}  // namespace sluice
