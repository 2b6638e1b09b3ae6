#include "state/retained_offsets.h"

#include <algorithm>

namespace sluice {

void RetainedOffsets::HoldSlow(PartitionId partition, int64_t offset, int64_t release_at) {
  const auto index = static_cast<size_t>(partition.value());
  if (index >= partitions_.size()) partitions_.resize(index + 1);
  auto [it, inserted] = partitions_[index].try_emplace(release_at, offset);
  if (!inserted) it->second = std::min(it->second, offset);
  last_partition_ = partition.value();
  last_release_at_ = release_at;
  last_offset_ = it->second;
}

void RetainedOffsets::Release(Watermark watermark) {
  for (auto& held : partitions_) {
    held.erase(held.begin(), held.upper_bound(watermark.value()));
  }
  last_partition_ = -1;
}

std::optional<KafkaOffset> RetainedOffsets::First(PartitionId partition) const {
  const auto index = static_cast<size_t>(partition.value());
  if (index >= partitions_.size() || partitions_[index].empty()) return std::nullopt;
  int64_t first = partitions_[index].begin()->second;
  for (const auto& [release_at, offset] : partitions_[index]) first = std::min(first, offset);
  return KafkaOffset(first);
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
