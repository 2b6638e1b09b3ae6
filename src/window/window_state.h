#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "state/key_table.h"
#include "window/accumulator.h"

namespace sluice {

// The open windows of one aggregation, as plain data: for each window [start, end) its
// groups (encoded key -> accumulator slot), and the accumulators holding every slot.
// Operator logic lives in WindowAggregator; this class only stores, hands out slots and
// snapshots. Windows are kept ordered by (end, start), the order they close in.
//
// Not thread-safe.
class WindowState {
 public:
  explicit WindowState(std::vector<std::unique_ptr<Accumulator>> accumulators);

  struct Window {
    int64_t start = 0;
    int64_t end = 0;
    KeyTable groups;              // encoded group key -> local id, in first-seen order
    std::vector<uint32_t> slots;  // local id -> accumulator slot
  };

  // The window [start, end), created empty when absent. The pointer stays valid until
  // that window is popped.
  Window* FindOrCreate(int64_t start, int64_t end);

  // The accumulator slot of group `key` in `window`, allocated when the group is new.
  uint32_t SlotFor(Window* window, std::string_view key, uint64_t hash) {
    bool inserted = false;
    uint32_t id = window->groups.FindOrInsert(key, hash, &inserted);
    if (inserted) window->slots.push_back(AllocateSlot());
    return window->slots[id];
  }

  // Source partitions: each (window, group) remembers the source partition of its
  // records, or that it has records of several (kMixedPartitions). With a Kafka topic
  // keyed by a grouping column every group has one partition.
  static constexpr int32_t kNoPartition = -1;
  static constexpr int32_t kMixedPartitions = -2;
  void NotePartition(uint32_t slot, int32_t partition) {
    int32_t& owner = partitions_[slot];
    if (owner == kNoPartition) {
      owner = partition;
    } else if (owner != partition) {
      owner = kMixedPartitions;
    }
  }
  // Removes every (window, group) whose records all come from one of `partitions`
  // (revoked from this process: their new owner rebuilds them). Returns how many were
  // removed; `mixed` (optional) receives how many groups mixing partitions remain.
  int64_t DropPartitions(const std::vector<int32_t>& partitions, int64_t* mixed);

  bool empty() const { return windows_.empty(); }
  // The window that closes first (smallest end). REQUIRES: !empty().
  const Window& front() const { return windows_.begin()->second; }
  // Drops the front window and frees its slots. REQUIRES: !empty().
  void PopFront();

  std::vector<std::unique_ptr<Accumulator>>& accumulators() { return accumulators_; }
  const std::vector<std::unique_ptr<Accumulator>>& accumulators() const { return accumulators_; }

  int64_t num_windows() const { return static_cast<int64_t>(windows_.size()); }
  int64_t num_groups() const { return live_slots_; }
  size_t memory_bytes() const;

  // Checkpoints: every (window, group) as one row of window_start, window_end, key
  // (the encoded group key, binary), then each accumulator's state columns in order.
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Snapshot() const;
  // Adds the rows of a Snapshot() batch to this (empty) state.
  arrow::Status Restore(const arrow::RecordBatch& snapshot);

 private:
  uint32_t AllocateSlot();

  std::vector<std::unique_ptr<Accumulator>> accumulators_;
  std::map<std::pair<int64_t, int64_t>, Window> windows_;  // keyed by (end, start)
  std::vector<uint32_t> free_slots_;
  std::vector<int32_t> partitions_;  // slot -> source partition (kNoPartition, kMixedPartitions)
  uint32_t capacity_ = 0;            // slots addressable in every accumulator
  uint32_t next_slot_ = 0;
  int64_t live_slots_ = 0;
};

}  // namespace sluice
