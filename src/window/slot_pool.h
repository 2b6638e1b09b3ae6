#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "window/accumulator.h"

namespace sluice {

// The accumulators of one aggregation and the slots they hold state in: hands out slot
// numbers (reusing freed ones), grows every accumulator together, and resets a slot
// when it is freed. Operators own slot numbers only; this class owns the storage.
//
// Not thread-safe.
class SlotPool {
 public:
  explicit SlotPool(std::vector<std::unique_ptr<Accumulator>> accumulators)
      : accumulators_(std::move(accumulators)) {}

  // A slot in the empty state, addressable in every accumulator.
  uint32_t Allocate();
  // Returns `slot` to the pool (reset to the empty state).
  void Free(uint32_t slot);
  // Folds row rows[k] of each call's `values` (null for count(*)) into slot slots[k] of
  // every accumulator, then clears `rows` and `slots`.
  void Update(const arrow::ArrayVector& values, const int64_t* event_times, std::vector<int32_t>* rows,
              std::vector<uint32_t>* slots);
  // Folds slot `src` into `dst` in every accumulator.
  void Merge(uint32_t dst, uint32_t src) {
    for (auto& acc : accumulators_) acc->Merge(dst, src);
  }

  std::vector<std::unique_ptr<Accumulator>>& accumulators() { return accumulators_; }
  const std::vector<std::unique_ptr<Accumulator>>& accumulators() const { return accumulators_; }

  // Checkpoints: each accumulator's state columns, in order, named acc<i>_<field>; the
  // state of `slots` as those columns; and the reverse, from `batch`'s columns starting
  // at `first_column` into `slots` (allocated, one per row).
  arrow::FieldVector StateFields() const;
  arrow::Result<arrow::ArrayVector> ExportState(const std::vector<uint32_t>& slots) const;
  arrow::Status ImportState(const arrow::RecordBatch& batch, int first_column,
                            const std::vector<uint32_t>& slots);

  // Slots in use.
  int64_t live() const { return live_; }
  // Approximate bytes of accumulator storage: a few words per slot per accumulator.
  size_t memory_bytes() const { return static_cast<size_t>(capacity_) * accumulators_.size() * 24; }

 private:
  std::vector<std::unique_ptr<Accumulator>> accumulators_;
  std::vector<uint32_t> free_;
  uint32_t capacity_ = 0;  // slots addressable in every accumulator
  uint32_t next_ = 0;
  int64_t live_ = 0;
};

}  // namespace sluice
