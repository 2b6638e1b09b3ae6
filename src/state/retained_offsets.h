#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/types.h"

namespace sluice {

// Which source offsets are still needed: per partition, the records that live only in
// open window state (added to a window that has not been emitted), so that a source
// never commits past them. After a restart the source resumes at the first retained
// offset and the windows are rebuilt from the replayed records; nothing that was only
// in memory is lost.
//
// A record is retained until the watermark reaches its `release_at` (the end of the
// last window it was added to). Memory is one map entry per (partition, distinct
// release_at), i.e. per open window end, not per record.
//
// Not thread-safe: owned by the pipeline thread.
class RetainedOffsets {
 public:
  // The record at `offset` of `partition` is needed until the watermark reaches
  // `release_at`. `max_before` is the partition's largest event time before the record
  // (INT64_MIN when none): where a reader resuming at this offset restarts the
  // partition's watermark.
  void Hold(PartitionId partition, int64_t offset, int64_t release_at, int64_t max_before) {
    if (partition.value() == last_partition_ && release_at == last_release_at_ && offset >= last_offset_)
      return;
    HoldSlow(partition, offset, release_at, max_before);
  }

  // Releases every record whose release_at is at or before `watermark`.
  void Release(Watermark watermark);

  // The first retained record of `partition`, or nullopt when nothing is retained.
  struct Retained {
    KafkaOffset offset;
    int64_t max_before;
  };
  std::optional<Retained> First(PartitionId partition) const;

  // Drops everything about `partition` (revoked from this process).
  void Forget(PartitionId partition);

  // Number of (partition, release_at) entries held (for tests and stats).
  size_t size() const;

 private:
  void HoldSlow(PartitionId partition, int64_t offset, int64_t release_at, int64_t max_before);

  struct Entry {
    int64_t offset;  // the lowest offset released at this release_at
    int64_t max_before;
  };
  // Per partition id: release_at -> its first record.
  std::vector<std::map<int64_t, Entry>> partitions_;
  // The entry Hold saw last: consecutive records of one partition in one window
  // (the common case) cost a comparison.
  int32_t last_partition_ = -1;
  int64_t last_release_at_ = 0;
  int64_t last_offset_ = 0;
};

}  // namespace sluice
