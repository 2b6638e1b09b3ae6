#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "format/raw_batch.h"
#include "format/rejection.h"
#include "pipeline/run_progress.h"

namespace sluice {

// The counts behind a run's progress reports that RunStats does not keep: records per
// source partition (by PartitionId), dead-letter records per stage and rule with the
// position of the newest, and the files most recently made visible. Updated on the
// pipeline thread; plain data otherwise.
class ProgressCounters {
 public:
  struct Partition {
    int64_t records = 0;
    int64_t valid = 0;
    int64_t rejected = 0;
    int64_t late = 0;
  };
  static constexpr size_t kRecentFiles = 20;

  void CountRead(const RawBatch& raw);
  void CountValid(const RawBatch& raw, int32_t record) { At(raw.position(record).input.value()).valid += 1; }
  void CountLate(const RawBatch& raw, int32_t record) { At(raw.position(record).input.value()).late += 1; }
  // `position` names where the record came from ("topic[partition]@offset", "path:line").
  void CountRejected(const RawBatch& raw, const Rejection& rejection, std::string position, int64_t micros);
  void AddFile(WrittenFile file);

  Partition partition(int32_t id) const;
  std::vector<RejectionProgress> Rejections() const;
  std::vector<WrittenFile> RecentFiles() const { return {recent_files_.begin(), recent_files_.end()}; }

 private:
  Partition& At(int32_t id);

  std::vector<Partition> partitions_;                                            // by PartitionId
  std::map<std::pair<std::string, std::string>, RejectionProgress> rejections_;  // by (stage, rule)
  std::deque<WrittenFile> recent_files_;                                         // newest last
};

}  // namespace sluice
