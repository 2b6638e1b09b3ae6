#include "window/window_state.h"

#include <algorithm>

#include <arrow/builder.h>

#include "schema/schema.h"
#include "state/key_encoder.h"

namespace sluice {

WindowState::WindowState(std::vector<std::unique_ptr<Accumulator>> accumulators)
    : pool_(std::move(accumulators)) {}

WindowState::Window* WindowState::FindOrCreate(int64_t start, int64_t end) {
  auto [it, inserted] = windows_.try_emplace({end, start});
  if (inserted) {
    it->second.start = start;
    it->second.end = end;
  }
  return &it->second;
}

WindowState::Part* WindowState::FindPart(Window* window, int32_t partition) {
  for (Part& part : window->parts) {
    if (part.partition == partition) return &part;
  }
  window->parts.emplace_back().partition = partition;
  return &window->parts.back();
}

int64_t WindowState::DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) {
  auto dropped_partition = [&](int32_t partition) {
    return std::find(partitions.begin(), partitions.end(), partition) != partitions.end();
  };
  int64_t dropped = 0, shared_groups = 0;
  for (auto it = windows_.begin(); it != windows_.end();) {
    std::vector<Part>& parts = it->second.parts;
    for (const Part& part : parts) {
      if (!dropped_partition(part.partition)) continue;
      for (uint32_t id = 0; id < part.groups.size(); ++id) {
        const std::string_view key = part.groups.key(id);
        const uint64_t hash = KeyEncoder::Hash(key);
        for (const Part& other : parts) {
          if (!dropped_partition(other.partition) && other.groups.Find(key, hash) != KeyTable::kAbsent) {
            ++shared_groups;
            break;
          }
        }
      }
      for (uint32_t slot : part.slots) pool_.Free(slot);
      dropped += static_cast<int64_t>(part.slots.size());
    }
    std::erase_if(parts, [&](const Part& part) { return dropped_partition(part.partition); });
    it = parts.empty() ? windows_.erase(it) : std::next(it);
  }
  if (shared != nullptr) *shared = shared_groups;
  return dropped;
}

void WindowState::MergeFront(std::vector<std::string_view>* keys, std::vector<uint32_t>* slots) {
  keys->clear();
  slots->clear();
  const Window& window = windows_.begin()->second;
  if (window.parts.size() == 1) {
    const Part& part = window.parts.front();
    for (uint32_t id = 0; id < part.groups.size(); ++id) keys->push_back(part.groups.key(id));
    *slots = part.slots;
    return;
  }
  // Each group's result goes to the slot of its first partial; later partials fold
  // into it.
  KeyTable merged;
  for (const Part& part : window.parts) {
    for (uint32_t id = 0; id < part.groups.size(); ++id) {
      const std::string_view key = part.groups.key(id);
      bool inserted = false;
      const uint32_t index = merged.FindOrInsert(key, KeyEncoder::Hash(key), &inserted);
      if (inserted) {
        keys->push_back(key);
        slots->push_back(part.slots[id]);
        continue;
      }
      pool_.Merge((*slots)[index], part.slots[id]);
    }
  }
}

void WindowState::PopFront() {
  auto it = windows_.begin();
  for (const Part& part : it->second.parts) {
    for (uint32_t slot : part.slots) pool_.Free(slot);
  }
  windows_.erase(it);
}

size_t WindowState::memory_bytes() const {
  size_t bytes = 0;
  for (const auto& [bounds, window] : windows_) {
    for (const Part& part : window.parts) {
      bytes += sizeof(Part) + part.groups.memory_bytes() + part.slots.capacity() * sizeof(uint32_t);
    }
  }
  // Accumulator arrays: a few words per slot per accumulator.
  return bytes + pool_.memory_bytes();
}

std::vector<int32_t> WindowState::Partitions() const {
  std::vector<int32_t> out;
  for (const auto& [bounds, window] : windows_) {
    for (const Part& part : window.parts) out.push_back(part.partition);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::shared_ptr<arrow::Schema> WindowState::SnapshotSchema() const {
  arrow::FieldVector fields = {arrow::field("window_start", TimestampType(), false),
                               arrow::field("window_end", TimestampType(), false),
                               arrow::field("key", arrow::binary(), false)};
  for (auto& field : pool_.StateFields()) fields.push_back(std::move(field));
  return arrow::schema(fields);
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> WindowState::Snapshot(int32_t partition) const {
  arrow::TimestampBuilder starts(TimestampType(), arrow::default_memory_pool());
  arrow::TimestampBuilder ends(TimestampType(), arrow::default_memory_pool());
  arrow::BinaryBuilder keys;
  std::vector<uint32_t> slots;
  for (const auto& [bounds, window] : windows_) {
    for (const Part& part : window.parts) {
      if (part.partition != partition) continue;
      for (uint32_t id = 0; id < part.groups.size(); ++id) {
        ARROW_RETURN_NOT_OK(starts.Append(window.start));
        ARROW_RETURN_NOT_OK(ends.Append(window.end));
        ARROW_RETURN_NOT_OK(keys.Append(part.groups.key(id)));
        slots.push_back(part.slots[id]);
      }
    }
  }
  arrow::ArrayVector columns(3);
  ARROW_RETURN_NOT_OK(starts.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(ends.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(keys.Finish(&columns[2]));
  ARROW_ASSIGN_OR_RAISE(arrow::ArrayVector state, pool_.ExportState(slots));
  for (auto& column : state) columns.push_back(std::move(column));
  return arrow::RecordBatch::Make(SnapshotSchema(), static_cast<int64_t>(slots.size()), columns);
}

arrow::Status WindowState::Restore(int32_t partition, const arrow::RecordBatch& snapshot) {
  if (!snapshot.schema()->Equals(*SnapshotSchema(), /*check_metadata=*/false)) {
    return arrow::Status::Invalid("window state has columns ", snapshot.schema()->ToString(), ", expected ",
                                  SnapshotSchema()->ToString());
  }
  for (const auto& [bounds, window] : windows_) {
    for (const Part& part : window.parts) {
      if (part.partition == partition)
        return arrow::Status::Invalid("partition ", partition, " already holds window state");
    }
  }
  const auto& starts = static_cast<const arrow::TimestampArray&>(*snapshot.column(0));
  const auto& ends = static_cast<const arrow::TimestampArray&>(*snapshot.column(1));
  const auto& keys = static_cast<const arrow::BinaryArray&>(*snapshot.column(2));
  std::vector<uint32_t> slots;
  slots.reserve(snapshot.num_rows());
  for (int64_t r = 0; r < snapshot.num_rows(); ++r) {
    if (starts.Value(r) >= ends.Value(r)) return arrow::Status::Invalid("window state has an empty window");
    Part* part = FindPart(FindOrCreate(starts.Value(r), ends.Value(r)), partition);
    std::string_view key = keys.GetView(r);
    const uint32_t before = part->groups.size();
    slots.push_back(SlotFor(part, key, KeyEncoder::Hash(key)));
    if (part->groups.size() == before) return arrow::Status::Invalid("window state repeats a group");
  }
  return pool_.ImportState(snapshot, 3, slots);
}

}  // namespace sluice
