#include "state/retained_offsets.h"

#include <algorithm>

namespace sluice {

void RetainedOffsets::HoldSlow(PartitionId partition, int64_t offset, int64_t release_at,
                               int64_t max_before) {
  const auto index = static_cast<size_t>(partition.value());
  if (index >= partitions_.size()) partitions_.resize(index + 1);
  auto [it, inserted] = partitions_[index].try_emplace(release_at, Entry{offset, max_before});
  if (!inserted && offset < it->second.offset) it->second = Entry{offset, max_before};
  last_partition_ = partition.value();
  last_release_at_ = release_at;
  last_offset_ = it->second.offset;
}

void RetainedOffsets::Release(Watermark watermark) {
  for (auto& held : partitions_) {
    held.erase(held.begin(), held.upper_bound(watermark.value()));
  }
  last_partition_ = -1;
}

std::optional<RetainedOffsets::Retained> RetainedOffsets::First(PartitionId partition) const {
  const auto index = static_cast<size_t>(partition.value());
  if (index >= partitions_.size() || partitions_[index].empty()) return std::nullopt;
  const Entry* first = &partitions_[index].begin()->second;
  for (const auto& [release_at, entry] : partitions_[index]) {
    if (entry.offset < first->offset) first = &entry;
  }
  return Retained{KafkaOffset(first->offset), first->max_before};
}

void RetainedOffsets::Forget(PartitionId partition) {
  const auto index = static_cast<size_t>(partition.value());
  if (index < partitions_.size()) partitions_[index].clear();
  last_partition_ = -1;
}

size_t RetainedOffsets::size() const {
  size_t n = 0;
  for (const auto& held : partitions_) n += held.size();
  return n;
}

}  // namespace sluice
