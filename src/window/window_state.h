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
#include "window/slot_pool.h"

namespace sluice {

// The open windows of one aggregation, as plain data, kept per source partition: for
// each window [start, end) and each source partition that sent it records, the
// partition's groups (encoded key -> accumulator slot). A group fed by several
// partitions has one partial result per partition; MergeFront combines them when the
// window is emitted (every accumulator merges). Keeping partitions apart is what lets
// a partition's state be checkpointed, dropped or moved to another process on its own.
// Operator logic lives in WindowOperator; this class only stores, hands out slots,
// merges and snapshots. Windows are kept ordered by (end, start), the order they close
// in.
//
// Not thread-safe.
class WindowState {
 public:
  explicit WindowState(std::vector<std::unique_ptr<Accumulator>> accumulators);

  // The groups of one source partition in one window.
  struct Part {
    int32_t partition = 0;
    KeyTable groups;              // encoded group key -> local id, in first-seen order
    std::vector<uint32_t> slots;  // local id -> accumulator slot
  };
  struct Window {
    int64_t start = 0;
    int64_t end = 0;
    std::vector<Part> parts;  // in the order partitions first sent records
  };

  // The window [start, end), created empty when absent. The pointer stays valid until
  // that window is popped.
  Window* FindOrCreate(int64_t start, int64_t end);
  // The part of `partition` in `window`, created empty when absent. The pointer stays
  // valid until the window changes (FindPart, DropPartitions, PopFront).
  Part* FindPart(Window* window, int32_t partition);

  // The accumulator slot of group `key` in `part`, allocated when the group is new.
  uint32_t SlotFor(Part* part, std::string_view key, uint64_t hash) {
    bool inserted = false;
    uint32_t id = part->groups.FindOrInsert(key, hash, &inserted);
    if (inserted) part->slots.push_back(pool_.Allocate());
    return part->slots[id];
  }

  // Removes the state of `partitions` (revoked from this process). Returns how many
  // (window, group) partials were removed; `shared` (optional) receives how many of
  // them belong to a group that other partitions also feed (such groups are then
  // emitted in parts by each process holding one; see docs/kafka.md).
  int64_t DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared);

  bool empty() const { return windows_.empty(); }
  // The window that closes first (smallest end). REQUIRES: !empty().
  const Window& front() const { return windows_.begin()->second; }
  // The groups of the front window with the partials of every partition merged: keys
  // (views into the window, valid until PopFront) and the slot holding each result, in
  // first-seen order (partition by partition). REQUIRES: !empty().
  void MergeFront(std::vector<std::string_view>* keys, std::vector<uint32_t>* slots);
  // Drops the front window and frees its slots. REQUIRES: !empty().
  void PopFront();

  // Every open window, in closing order (reading the state for update-mode results).
  const std::map<std::pair<int64_t, int64_t>, Window>& windows() const { return windows_; }
  // Slots and accumulators (scratch slots for merged partials).
  SlotPool& pool() { return pool_; }

  std::vector<std::unique_ptr<Accumulator>>& accumulators() { return pool_.accumulators(); }
  const std::vector<std::unique_ptr<Accumulator>>& accumulators() const { return pool_.accumulators(); }

  int64_t num_windows() const { return static_cast<int64_t>(windows_.size()); }
  // (window, group) partials held, over every partition.
  int64_t num_groups() const { return pool_.live(); }
  size_t memory_bytes() const;

  // Checkpoints, per partition: every (window, group) of `partition` as one row of
  // window_start, window_end, key (the encoded group key, binary), then each
  // accumulator's state columns in order (SnapshotSchema()).
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> Snapshot(int32_t partition) const;
  std::shared_ptr<arrow::Schema> SnapshotSchema() const;
  // The partitions holding state, in ascending order.
  std::vector<int32_t> Partitions() const;
  // Adds the rows of a Snapshot() batch as the state of `partition`, which must hold
  // none yet.
  arrow::Status Restore(int32_t partition, const arrow::RecordBatch& snapshot);

 private:
  SlotPool pool_;
  std::map<std::pair<int64_t, int64_t>, Window> windows_;  // keyed by (end, start)
};

}  // namespace sluice
