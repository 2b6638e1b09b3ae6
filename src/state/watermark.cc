#include "state/watermark.h"

#include <algorithm>
#include <limits>

namespace sluice {

WatermarkTracker::PartitionState* WatermarkTracker::Find(int32_t id) {
  if (last_ != nullptr && last_->id == id) return last_;
  for (auto& p : partitions_) {
    if (p.id == id) return last_ = &p;
  }
  partitions_.push_back(PartitionState{id});
  return last_ = &partitions_.back();
}

void WatermarkTracker::AddPartition(PartitionId partition) { Find(partition.value()); }

int64_t WatermarkTracker::WatermarkOf(const PartitionState& p) const {
  if (!p.has_data) return kWatermarkMin.value();
  // Saturate instead of wrapping for event times near the int64 minimum.
  return p.max_time < kWatermarkMin.value() + delay_ ? kWatermarkMin.value() : p.max_time - delay_;
}

void WatermarkTracker::Advance(const int64_t* times, const int32_t* partitions, int64_t n,
                               int64_t* thresholds, int64_t* partition_thresholds, int64_t* max_before) {
  const int64_t pipeline = Current().value();
  for (int64_t i = 0; i < n; ++i) {
    PartitionState* p = Find(partitions ? partitions[i] : 0);
    const int64_t own = std::max(WatermarkOf(*p), p->floor);
    thresholds[i] = std::max(own, pipeline);
    if (partition_thresholds != nullptr) partition_thresholds[i] = own;
    if (max_before != nullptr)
      max_before[i] = p->has_data ? p->max_time : std::numeric_limits<int64_t>::min();
    if (!p->has_data || times[i] > p->max_time) p->max_time = times[i];
    p->has_data = true;
    p->idle = false;
  }
}

void WatermarkTracker::SetIdle(PartitionId partition, bool idle) { Find(partition.value())->idle = idle; }

std::optional<int64_t> WatermarkTracker::MaxEventTime(PartitionId partition) const {
  for (const auto& p : partitions_) {
    if (p.id == partition.value() && p.has_data) return p.max_time;
  }
  return std::nullopt;
}

void WatermarkTracker::RestorePartition(PartitionId partition, std::optional<int64_t> max_event_time,
                                        int64_t floor) {
  PartitionState* p = Find(partition.value());
  if (max_event_time && (!p->has_data || *max_event_time > p->max_time)) {
    p->max_time = *max_event_time;
    p->has_data = true;
  }
  p->floor = std::max(p->floor, floor);
}

int64_t WatermarkTracker::Floor(PartitionId partition) const {
  for (const auto& p : partitions_) {
    if (p.id == partition.value()) return p.floor;
  }
  return kWatermarkMin.value();
}

void WatermarkTracker::RemovePartition(PartitionId partition) {
  Current();  // fold the departing partition into the monotone pipeline watermark first
  last_ = nullptr;
  std::erase_if(partitions_, [&](const PartitionState& p) { return p.id == partition.value(); });
}

Watermark WatermarkTracker::Current() const {
  if (finished_) return kWatermarkMax;
  bool any = false;
  int64_t minimum = kWatermarkMax.value();
  for (const auto& p : partitions_) {
    if (p.idle) continue;
    any = true;
    minimum = std::min(minimum, WatermarkOf(p));
  }
  if (any) pipeline_ = std::max(pipeline_, minimum);
  return Watermark(pipeline_);
}

void WatermarkTracker::Raise(int64_t watermark) { pipeline_ = std::max(Current().value(), watermark); }

Watermark WatermarkTracker::PartitionWatermark(PartitionId partition) const {
  for (const auto& p : partitions_) {
    if (p.id == partition.value()) return Watermark(WatermarkOf(p));
  }
  return kWatermarkMin;
}

}  // namespace sluice
