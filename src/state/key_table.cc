#include "state/key_table.h"

namespace sluice {

KeyTable::KeyTable() : slots_(16), offsets_{0} {}

uint32_t KeyTable::FindOrInsert(std::string_view key, uint64_t hash, bool* inserted) {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& slot = slots_[i];
    if (slot.id == kEmpty) {
      uint32_t id = size();
      slot.hash = hash;
      slot.id = id;
      arena_.append(key);
      offsets_.push_back(static_cast<uint32_t>(arena_.size()));
      *inserted = true;
      if (2 * (static_cast<size_t>(id) + 1) > slots_.size()) Grow();
      return id;
    }
    if (slot.hash == hash && this->key(slot.id) == key) {
      *inserted = false;
      return slot.id;
    }
  }
}

uint32_t KeyTable::Find(std::string_view key, uint64_t hash) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const Slot& slot = slots_[i];
    if (slot.id == kEmpty) return kAbsent;
    if (slot.hash == hash && this->key(slot.id) == key) return slot.id;
  }
}

void KeyTable::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{});
  size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id == kEmpty) continue;
    size_t i = s.hash & mask;
    while (slots_[i].id != kEmpty) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

size_t KeyTable::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + arena_.capacity() + offsets_.capacity() * sizeof(uint32_t);
}

}  // namespace sluice
