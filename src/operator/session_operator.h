#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "common/types.h"
#include "operator/operator.h"
#include "state/key_encoder.h"
#include "state/keyed_map.h"
#include "state/partitioned_keys.h"
#include "window/aggregation_plan.h"
#include "window/result_rows.h"
#include "window/slot_pool.h"

namespace sluice {

// Session windows over event time, append mode (docs/windows.md, "Session windows").
//
// A record at t proposes [t, t + gap). It joins every open session of its group (in its
// source partition) that the proposal overlaps, merging them; window_start is the first
// event, window_end the last event + gap (capped at window_start + max_duration). A
// session whose end is at or before a record's lateness threshold is closed for that
// record and every later one: it never reopens. A record that overlaps no open session
// starts a new one, unless its proposal ends at or before its threshold, when it is late
// (no open session of its group in any partition overlaps it). With max_duration a
// session takes no record that would make its events span max_duration or more.
//
// A session closes, and is emitted once, when its end is at or before the watermark.
// State is kept per source partition; the sessions of a group fed by several partitions
// are joined when they close: overlapping open sessions of one group are merged
// transitively and emitted together once the joined end is at or before the watermark.
//
// Not thread-safe: one operator per pipeline thread.
class SessionOperator final : public Operator {
 public:
  // Made by MakeOperator (operators.h).
  SessionOperator(AggregationPlan plan, KeyEncoder encoder,
                  std::vector<std::unique_ptr<Accumulator>> accumulators);
  arrow::Status Process(const OperatorInput& input, std::vector<int32_t>* late_rows) override;
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> AdvanceWatermark(Watermark watermark,
                                                                      int64_t processing_time) override;
  // Sessions take append mode only (a session's row would change window_start as it
  // merges).
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> EndTrigger(int64_t /*processing_time*/) override {
    return nullptr;
  }
  int64_t ReleaseTime(int64_t event_time) const override;
  std::string LateReason(int64_t event_time, int64_t threshold) const override;

  std::string StateSignature() const override { return plan_.Signature(); }
  arrow::Result<std::vector<PartitionState>> Snapshot() const override;
  arrow::Status Restore(int32_t partition, const arrow::RecordBatch& state) override;
  int64_t DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) override;

  const std::shared_ptr<arrow::Schema>& output_schema() const override { return plan_.output_schema; }
  int64_t open_groups() const override { return pool_.live(); }
  size_t state_bytes() const override;
  int64_t expression_errors() const override { return expression_errors_; }

 private:
  struct Session {
    int64_t start = 0;  // first event
    int64_t last = 0;   // last event
    uint32_t slot = 0;
    bool sealed = false;  // judged closed by a record: joins nothing any more
  };
  using Sessions = std::vector<Session>;  // of one group in one partition, by start
  using Groups = KeyedMap<Sessions>;
  // A session that may close at `end` (lazily checked: the session may have grown or
  // gone since).
  struct Deadline {
    int64_t end;
    uint32_t slot;
    int32_t partition;
    uint32_t id;
    bool operator>(const Deadline& other) const { return end > other.end; }
  };

  int64_t End(const Session& s) const {
    const int64_t end = s.last + gap_;
    return max_duration_ > 0 ? std::min(end, s.start + max_duration_) : end;
  }
  // Whether `s` may take an event at t (max_duration).
  bool Accepts(const Session& s, int64_t t) const {
    return max_duration_ == 0 || std::max(s.last, t) - std::min(s.start, t) < max_duration_;
  }
  // Whether a partition other than `partition` holds an open session of `key` that
  // [t, t + gap) overlaps.
  bool OpenElsewhere(std::string_view key, uint64_t hash, int64_t t, int64_t threshold,
                     int32_t partition) const;
  void Push(int64_t end, uint32_t slot, int32_t partition, uint32_t id);
  // Adds the session of `deadline` (joined with what overlaps it in other partitions)
  // to `out` when it has closed at `watermark`; reschedules it when it has not. Stale
  // deadlines (the session merged or emitted since) are ignored.
  void CloseIfDue(const Deadline& deadline, int64_t watermark, ResultRows* out);
  void RebuildDeadlines();
  arrow::Result<std::shared_ptr<arrow::RecordBatch>> SnapshotPartition(int32_t partition,
                                                                       const Groups& groups) const;
  std::shared_ptr<arrow::Schema> SnapshotSchema() const;

  AggregationPlan plan_;
  KeyEncoder encoder_;
  SlotPool pool_;
  const int64_t gap_;
  const int64_t max_duration_;
  PartitionedKeys<Sessions> partitions_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<Deadline>> deadlines_;
  std::vector<uint32_t> freed_;  // slots of emitted sessions, freed after the results are built
  // Scratch reused across batches.
  KeyEncoder::EncodedKeys keys_;
  std::vector<int32_t> rows_;
  std::vector<uint32_t> slots_;
  int64_t expression_errors_ = 0;
};

}  // namespace sluice
