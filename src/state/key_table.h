#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// A hash table from byte-string keys (KeyEncoder output) to dense ids 0, 1, 2, ... in
// insertion order. Open addressing with linear probing; keys are copied into one
// arena. No deletion: tables belong to one window (or one epoch of keyed state) and are
// dropped whole. Not thread-safe.
class KeyTable {
 public:
  KeyTable();

  // The id of `key` (hash = KeyEncoder::Hash(key)), inserting it if absent; `inserted`
  // tells which.
  uint32_t FindOrInsert(std::string_view key, uint64_t hash, bool* inserted);
  // The id of `key`, or kAbsent.
  static constexpr uint32_t kAbsent = UINT32_MAX;
  uint32_t Find(std::string_view key, uint64_t hash) const;

  uint32_t size() const { return static_cast<uint32_t>(offsets_.size() - 1); }
  std::string_view key(uint32_t id) const {
    return std::string_view(arena_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  // Approximate heap bytes held.
  size_t memory_bytes() const;

 private:
  static constexpr uint32_t kEmpty = kAbsent;
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kEmpty;
  };
  void Grow();

  std::vector<Slot> slots_;  // power-of-two size, at most half full
  std::string arena_;
  std::vector<uint32_t> offsets_;  // key i is arena_[offsets_[i], offsets_[i + 1])
};

}  // namespace sluice
