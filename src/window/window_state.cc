#include "window/window_state.h"

#include <algorithm>

#include <arrow/builder.h>

#include "schema/schema.h"
#include "state/key_encoder.h"

namespace sluice {

WindowState::WindowState(std::vector<std::unique_ptr<Accumulator>> accumulators)
    : accumulators_(std::move(accumulators)) {}

WindowState::Window* WindowState::FindOrCreate(int64_t start, int64_t end) {
  auto [it, inserted] = windows_.try_emplace({end, start});
  if (inserted) {
    it->second.start = start;
    it->second.end = end;
  }
  return &it->second;
}

uint32_t WindowState::AllocateSlot() {
  ++live_slots_;
  if (!free_slots_.empty()) {
    uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    partitions_[slot] = kNoPartition;
    return slot;
  }
  if (next_slot_ == capacity_) {
    capacity_ = capacity_ == 0 ? 1024 : capacity_ * 2;
    for (auto& acc : accumulators_) acc->Resize(capacity_);
    partitions_.resize(capacity_, kNoPartition);
  }
  return next_slot_++;
}

int64_t WindowState::DropPartitions(const std::vector<int32_t>& partitions, int64_t* mixed) {
  auto dropped_partition = [&](uint32_t slot) {
    return std::find(partitions.begin(), partitions.end(), partitions_[slot]) != partitions.end();
  };
  int64_t dropped = 0, mixed_groups = 0;
  for (auto it = windows_.begin(); it != windows_.end();) {
    Window& window = it->second;
    bool affected = false;
    for (uint32_t slot : window.slots) {
      affected |= dropped_partition(slot);
      mixed_groups += partitions_[slot] == kMixedPartitions;
    }
    if (!affected) {
      ++it;
      continue;
    }
    // KeyTable has no deletion: rebuild the window with the groups that stay.
    Window kept;
    kept.start = window.start;
    kept.end = window.end;
    for (uint32_t id = 0; id < window.groups.size(); ++id) {
      const uint32_t slot = window.slots[id];
      if (dropped_partition(slot)) {
        for (auto& acc : accumulators_) acc->Reset(slot);
        free_slots_.push_back(slot);
        --live_slots_;
        ++dropped;
        continue;
      }
      bool inserted = false;
      const std::string_view key = window.groups.key(id);
      kept.groups.FindOrInsert(key, KeyEncoder::Hash(key), &inserted);
      kept.slots.push_back(slot);
    }
    if (kept.slots.empty()) {
      it = windows_.erase(it);
    } else {
      window = std::move(kept);
      ++it;
    }
  }
  if (mixed != nullptr) *mixed = mixed_groups;
  return dropped;
}

void WindowState::PopFront() {
  auto it = windows_.begin();
  for (uint32_t slot : it->second.slots) {
    for (auto& acc : accumulators_) acc->Reset(slot);
    free_slots_.push_back(slot);
  }
  live_slots_ -= static_cast<int64_t>(it->second.slots.size());
  windows_.erase(it);
}

size_t WindowState::memory_bytes() const {
  size_t bytes = 0;
  for (const auto& [bounds, window] : windows_) {
    bytes += window.groups.memory_bytes() + window.slots.capacity() * sizeof(uint32_t);
  }
  // Accumulator arrays: a few words per slot per accumulator.
  return bytes + static_cast<size_t>(capacity_) * accumulators_.size() * 24;
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> WindowState::Snapshot() const {
  arrow::TimestampBuilder starts(TimestampType(), arrow::default_memory_pool());
  arrow::TimestampBuilder ends(TimestampType(), arrow::default_memory_pool());
  arrow::BinaryBuilder keys;
  std::vector<uint32_t> slots;
  for (const auto& [bounds, window] : windows_) {
    for (uint32_t id = 0; id < window.groups.size(); ++id) {
      ARROW_RETURN_NOT_OK(starts.Append(window.start));
      ARROW_RETURN_NOT_OK(ends.Append(window.end));
      ARROW_RETURN_NOT_OK(keys.Append(window.groups.key(id)));
      slots.push_back(window.slots[id]);
    }
  }
  arrow::FieldVector fields = {arrow::field("window_start", TimestampType()),
                               arrow::field("window_end", TimestampType()),
                               arrow::field("key", arrow::binary())};
  arrow::ArrayVector columns(3);
  ARROW_RETURN_NOT_OK(starts.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(ends.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(keys.Finish(&columns[2]));
  for (size_t a = 0; a < accumulators_.size(); ++a) {
    ARROW_ASSIGN_OR_RAISE(auto state,
                          accumulators_[a]->ExportState(slots.data(), static_cast<int64_t>(slots.size())));
    auto state_fields = accumulators_[a]->state_fields();
    for (size_t c = 0; c < state.size(); ++c) {
      fields.push_back(
          arrow::field("acc" + std::to_string(a) + "_" + state_fields[c]->name(), state_fields[c]->type()));
      columns.push_back(std::move(state[c]));
    }
  }
  return arrow::RecordBatch::Make(arrow::schema(fields), static_cast<int64_t>(slots.size()), columns);
}

arrow::Status WindowState::Restore(const arrow::RecordBatch& snapshot) {
  const auto& starts = static_cast<const arrow::TimestampArray&>(*snapshot.column(0));
  const auto& ends = static_cast<const arrow::TimestampArray&>(*snapshot.column(1));
  const auto& keys = static_cast<const arrow::BinaryArray&>(*snapshot.column(2));
  std::vector<uint32_t> slots;
  slots.reserve(snapshot.num_rows());
  for (int64_t r = 0; r < snapshot.num_rows(); ++r) {
    Window* window = FindOrCreate(starts.Value(r), ends.Value(r));
    std::string_view key = keys.GetView(r);
    slots.push_back(SlotFor(window, key, KeyEncoder::Hash(key)));
  }
  int column = 3;
  for (auto& acc : accumulators_) {
    size_t width = acc->state_fields().size();
    arrow::ArrayVector state;
    for (size_t c = 0; c < width; ++c) {
      if (column >= snapshot.num_columns())
        return arrow::Status::Invalid("window snapshot has too few columns");
      state.push_back(snapshot.column(column++));
    }
    ARROW_RETURN_NOT_OK(acc->ImportState(state, slots.data()));
  }
  return arrow::Status::OK();
}

}  // namespace sluice
