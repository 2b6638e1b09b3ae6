#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "common/types.h"
#include "format/raw_batch.h"

namespace sluice {

struct SourceStats {
  int64_t records = 0;
  int64_t bytes = 0;
  int64_t commits = 0;         // offset commits that succeeded
  int64_t commit_retries = 0;  // commits that failed transiently and were retried later
};

// How far a files source has read one file (checkpoints).
struct FilePosition {
  std::string path;
  int64_t lines = 0;  // lines consumed, blank ones included: the next record is on a later line
  int64_t bytes = 0;  // bytes consumed of the (decompressed) content
  bool finished = false;
};

// Where a pipeline resumes a partition that an earlier run (or another process)
// committed: stored with the committed offset (Kafka commit metadata) and handed back
// when the partition is assigned again.
struct PartitionResume {
  // Records before this offset were processed: their raw rows, dead letters and late
  // records are durable. The committed offset may be lower (records held in open
  // windows); records from there up to here are read again only to rebuild windows.
  int64_t processed_until = 0;
  // The partition's largest event time before the committed offset (where its
  // watermark restarts); absent when no record came before.
  std::optional<int64_t> max_event_time;
  // The watermark up to which the earlier owner emitted windows: replayed records are
  // not added to windows ending at or before it (they were emitted), and no record of
  // the partition is judged against a lower watermark.
  std::optional<int64_t> emitted_watermark;
  // Checkpointed pipelines: the checkpoint holding the partition's state as of the
  // committed offset (which then equals processed_until; nothing is replayed).
  std::optional<std::string> checkpoint;
  // Checkpointed pipelines: the first offset whose record still lives only in operator
  // state. --rebuild-state replays from here (max_event_time is then the partition's
  // largest event time before it) instead of loading the checkpoint.
  std::optional<int64_t> replay_from;
};

struct AssignedPartition {
  PartitionId id;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;                     // where reading starts
  std::optional<PartitionResume> resume;  // absent: nothing committed by sluice
};

// What to commit for a partition: the offset to resume from and the resume state.
struct CommitPoint {
  KafkaOffset offset{0};
  PartitionResume resume;
};

// What the pipeline tells a source about partitions it owns (Kafka consumer-group
// rebalances). Called on the pipeline thread, from within Source::Next or Close.
class PartitionListener {
 public:
  virtual ~PartitionListener() = default;

  // The source starts reading these partitions. An error (their committed state cannot
  // be loaded) stops the run.
  virtual arrow::Status OnAssigned(const std::vector<AssignedPartition>& partitions) = 0;
  // The source is about to give these partitions up in an orderly way: make every
  // output durable now, including those of every prepared commit. The source then
  // commits what was prepared and the partitions' PlanCommit, and calls OnRevoked.
  virtual arrow::Status OnRevoking(const std::vector<PartitionId>& partitions) = 0;
  // The partitions are gone: forget their state. `lost` means they were taken away
  // without a chance to commit (another consumer may already read them).
  virtual void OnRevoked(const std::vector<PartitionId>& partitions, bool lost) = 0;
  // What to commit for `partition`, all of whose records before `next` were returned
  // and are durable in every output except those still held in open windows: the
  // offset is at most `next` and never past a record not yet durable.
  virtual CommitPoint PlanCommit(PartitionId partition, KafkaOffset next) const = 0;
  // A partition about to be assigned without a committed offset (a new partition, or
  // the group's offsets expired): where the pipeline's own state says it stood, if it
  // knows (checkpointed pipelines: the newest published checkpoint holding it). Absent:
  // the source's start position.
  virtual arrow::Result<std::optional<CommitPoint>> Uncommitted(const std::string& topic, int32_t partition) {
    (void)topic;
    (void)partition;
    return std::nullopt;
  }
};

// Where records come from: Kafka, NDJSON files, the scenario generator.
//
// Lifecycle: SetListener (optional) before the first Next; Next repeatedly; commits;
// Close at the end.
// Commits come in two steps, so that a pipeline can go on reading while the outputs of
// a trigger are made durable: PrepareCommit notes what to commit for everything
// returned so far (a Kafka source asks the listener's PlanCommit then) and returns a
// ticket; CommitPrepared commits every prepared commit up to a ticket, oldest first,
// once the outputs they cover are durable.
// Delivery: every record at least once, in order within its partition; positions travel
// with each record (RecordPosition) for dead letters and commits.
// Not thread-safe: one pipeline thread calls it.
class Source {
 public:
  virtual ~Source() = default;

  // `listener` must outlive the source. Sources without partitions ignore it.
  virtual void SetListener(PartitionListener* listener) { (void)listener; }

  // Clears `batch` and fills it with up to `max_records` records, waiting at most
  // `timeout` for the first one. Returns false once a bounded source is exhausted;
  // true with an empty batch means "nothing available yet".
  virtual arrow::Result<bool> Next(int64_t max_records, Duration timeout, RawBatch* batch) = 0;

  virtual int64_t PrepareCommit() { return 0; }
  virtual arrow::Status CommitPrepared(int64_t ticket) {
    (void)ticket;
    return arrow::Status::OK();
  }
  virtual arrow::Status Close() { return arrow::Status::OK(); }
  // Sources that commit: every assigned partition goes back to its committed position,
  // as if it had been lost and assigned again (the listener hears OnRevoked with `lost`,
  // then OnAssigned). Prepared commits are dropped. Used when a commit was rejected.
  virtual arrow::Status Rewind() { return arrow::Status::OK(); }
  // Sources that commit: forgets every prepared commit (their epochs were dropped).
  virtual void DropPrepared() {}
  // Sources that commit: the checkpoints that the committed offsets of these partitions
  // (topic, partition) name now, as the group stores them (checkpoint retention).
  virtual arrow::Result<std::set<std::string>> CommittedCheckpoints(
      const std::vector<std::pair<std::string, int32_t>>& partitions) {
    (void)partitions;
    return std::set<std::string>{};
  }

  // Files sources, for checkpoints: how far each file has been read (every record
  // returned so far is behind these positions), and the reverse before the first Next:
  // finished files are not read again, a partly read file continues after its last
  // consumed line. Other sources have no file positions.
  virtual std::vector<FilePosition> FilePositions() const { return {}; }
  virtual arrow::Status ResumeFiles(const std::vector<FilePosition>& positions) {
    (void)positions;
    return arrow::Status::OK();
  }

  // Kafka: the partition's high watermark (the offset after its last record) as last
  // fetched, without asking the broker; absent before the first fetch. Other sources:
  // absent.
  virtual std::optional<int64_t> HighWatermark(PartitionId partition) const {
    (void)partition;
    return std::nullopt;
  }
  // Bounded files sources: bytes of the input files read so far and in all, as stored
  // (compressed files count their compressed size). Absent for unbounded sources.
  struct InputBytes {
    int64_t done = 0;
    int64_t total = 0;
  };
  virtual std::optional<InputBytes> InputProgress() const { return std::nullopt; }

  virtual const SourceStats& stats() const = 0;
  // One line for plans and logs.
  virtual std::string Describe() const = 0;
  // A partition's name for logs ("iot-events[2]"); files have the single partition 0.
  virtual std::string PartitionName(PartitionId partition) const { return std::to_string(partition.value()); }
};

}  // namespace sluice
