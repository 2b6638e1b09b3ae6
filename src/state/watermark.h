#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/types.h"

namespace sluice {

// Event-time progress of a pipeline.
//
// Per source partition: watermark(p) = (max event time seen in p) - delay, or "none"
// before p has data. The pipeline watermark is the minimum over the known, non-idle
// partitions and never moves backwards. A record is judged for lateness against
// max(watermark of its partition before it, pipeline watermark): within a partition
// this depends only on the order of records, never on how they were batched, and a
// record can never land in a window the pipeline has already emitted.
//
// Not thread-safe: owned by the pipeline thread.
class WatermarkTracker {
 public:
  explicit WatermarkTracker(Duration delay) : delay_(delay.count()) {}

  // Declares a partition that holds the pipeline watermark back until it has data or
  // is marked idle (Kafka assignments). File sources need not call it.
  void AddPartition(PartitionId partition);

  // For each of n records (event times `times`, partitions `partitions`, in arrival
  // order) writes the watermark that judges it to thresholds[i], then advances its
  // partition. `partitions` may be null: every record is in partition 0.
  // Optional outputs (may be null): partition_thresholds[i], the judging watermark of
  // the record's partition alone (its watermark, at least its floor), and
  // max_before[i], the partition's largest event time before the record (INT64_MIN
  // when none).
  void Advance(const int64_t* times, const int32_t* partitions, int64_t n, int64_t* thresholds,
               int64_t* partition_thresholds = nullptr, int64_t* max_before = nullptr);

  // An idle partition no longer holds the pipeline watermark back (until it has data).
  void SetIdle(PartitionId partition, bool idle);

  // The largest event time seen in `partition` (its watermark state), if any.
  std::optional<int64_t> MaxEventTime(PartitionId partition) const;
  // Resumes a partition as an earlier owner left it: its largest event time (if any)
  // and a floor no judging watermark of its records goes below (the watermark up to
  // which the earlier owner emitted windows).
  void RestorePartition(PartitionId partition, std::optional<int64_t> max_event_time, int64_t floor);

  // The floor of a partition (kWatermarkMin unless restored with one).
  int64_t Floor(PartitionId partition) const;

  // Forgets a partition (a Kafka partition revoked from this process): it no longer
  // holds the pipeline watermark back. The pipeline watermark never moves back.
  void RemovePartition(PartitionId partition);

  // Moves the pipeline watermark up to `watermark` (never down), whatever the partitions
  // say (event_time.close_after_quiet). Records behind it are judged against it.
  void Raise(int64_t watermark);

  // Ends the input: the pipeline watermark becomes kWatermarkMax.
  void Finish() { finished_ = true; }

  // The pipeline watermark (kWatermarkMin before any data, kWatermarkMax after Finish).
  Watermark Current() const;

  // The watermark of one partition (kWatermarkMin when it has no data).
  Watermark PartitionWatermark(PartitionId partition) const;

 private:
  struct PartitionState {
    int32_t id;
    bool has_data = false;
    bool idle = false;
    int64_t max_time = 0;
    int64_t floor = kWatermarkMin.value();
  };
  PartitionState* Find(int32_t id);
  int64_t WatermarkOf(const PartitionState& p) const;

  int64_t delay_;
  bool finished_ = false;
  mutable int64_t pipeline_ = kWatermarkMin.value();  // monotone
  std::vector<PartitionState> partitions_;
  PartitionState* last_ = nullptr;
};

}  // namespace sluice
