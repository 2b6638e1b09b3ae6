#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "checkpoint/coordinator.h"
#include "common/clock.h"
#include "io/storage.h"
#include "operator/operator.h"
#include "pipeline/plan.h"
#include "pipeline/progress_counters.h"
#include "pipeline/record_validator.h"
#include "pipeline/rejected_records.h"
#include "pipeline/run_progress.h"
#include "pipeline/run_stats.h"
#include "sink/console_sink.h"
#include "sink/parquet_sink.h"
#include "source/source.h"
#include "state/retained_offsets.h"
#include "state/watermark.h"

namespace sluice {

enum class RunMode {
  kContinuous,  // until stopped; a source that ends (files without follow) is drained
  kOnce,        // what is available now; open windows are not emitted
  kDrain,       // what is available now; then every open window is emitted
};

struct RunOptions {
  RunMode mode = RunMode::kContinuous;
  std::optional<std::string> input;  // replaces the source with these NDJSON files
  // --checkpoint: replaces checkpoint.path; the only checkpoint an --input run uses.
  std::optional<std::string> checkpoint;
  // --rebuild-state: Kafka partitions rebuild their state by replaying the records it
  // holds instead of loading the checkpoint their commit names.
  bool rebuild_state = false;
  std::optional<int64_t> batch_size;        // overrides trigger.batch_size
  std::string run_id;                       // makes output file names unique per run
  const std::atomic<bool>* stop = nullptr;  // ends waits at start-up (e.g. for Kafka) early
  // Receive the run's progress (metrics, status page, progress JSON, progress bars);
  // they must outlive the runner.
  std::vector<RunObserver*> observers;
  bool log_progress = true;  // the per-trigger progress line at info level (else debug)
};

// Runs a plan: reads batches from the source and pushes each through decoding,
// derived columns, checks, event time, the filter, raw outputs and aggregations; at
// the end of every trigger interval completes every output's files and logs a
// progress line.
//
// Per batch, in order: rejected records (with their raw bytes) go to the dead letter;
// valid records advance the watermark record by record; each aggregation takes the
// records that are not late for it and emits the windows the watermark has passed.
// Results never depend on batch boundaries (see docs/semantics.md).
//
// Kafka: the runner is the source's PartitionListener. At the end of every trigger every
// output's files are completed and the source prepares a commit (never past a record
// that lives only in an open window, RetainedOffsets); it is committed once the files
// are visible. Uploads of one trigger overlap the next trigger; the end of a trigger
// waits for the one before it. A restart therefore loses nothing. Before a partition is
// revoked every output is made durable and the source commits. A partition without
// records for event_time.idle_timeout stops holding the watermark back.
//
// Checkpoints (checkpoint.path, docs/exactly-once.md): every trigger is an epoch with
// one processing time; its files are written under staged names, and at its end the
// runner snapshots source positions, watermarks and operator state into a checkpoint
// (runner_checkpoint.cc). Once the epoch's files are durable the checkpoint is written,
// the source commits (Kafka: offsets naming the checkpoint; files: the write is the
// commit) and the coordinator publishes the files. Kafka commits then follow the records
// read, not the open windows. A rejected commit or lost partitions drop the uncommitted
// epochs and rewind the source to its committed checkpoint.
//
// Threads: Run() blocks the calling thread; `stop` may be set from any thread (signal
// handlers) and is honoured between batches, ending the run cleanly (files completed,
// offsets committed, summary) without emitting open windows.
class Runner final : private PartitionListener {
 public:
  static arrow::Result<std::unique_ptr<Runner>> Make(const Plan& plan, RunOptions options, Clock* clock);
  ~Runner() override;

  arrow::Status Run(const std::atomic<bool>& stop);

  const RunStats& stats() const { return stats_; }

 private:
  // An output: its operator (aggregations) and its sinks, each receiving every row.
  struct Output {
    const OutputPlan* plan;
    std::unique_ptr<ParquetSink> sink;     // null without a parquet sink
    std::unique_ptr<ConsoleSink> console;  // null without a console sink
    std::unique_ptr<Operator> op;          // null for raw outputs
    int64_t late = 0;
    int64_t filter_errors = 0;  // rows whose filter could not be computed (not sent)
  };
  // A trigger whose commit is pending: the source's commit ticket, each sink's mark (in
  // Sinks() order) and, when checkpointing, the epoch's checkpoint.
  struct PendingTrigger {
    int64_t ticket = 0;
    std::vector<int64_t> marks;
    std::shared_ptr<Checkpoint> checkpoint;
    double snapshot_seconds = 0;  // the pipeline's pause to take the checkpoint
    // Kafka: the checkpoint's name and the offset it holds for each partition (by
    // PartitionId), which the commit carries.
    struct Commit {
      std::string checkpoint;
      std::map<int32_t, int64_t> offsets;
    } commit;
  };

  Runner(const Plan& plan, RunOptions options, Clock* clock);
  arrow::Status Open();
  arrow::Status RunTriggers(const std::atomic<bool>& stop);
  // The rows of a batch that passed decoding, derived columns, checks, event time and
  // the filter, with the RawBatch index of each row's record.
  struct ValidRows {
    std::shared_ptr<arrow::RecordBatch> batch;
    std::vector<int32_t> record_index;
  };

  arrow::Status ProcessBatch(const RawBatch& raw);
  // Advances the watermark over the valid rows, writes raw outputs and feeds the
  // aggregations; rows late for an aggregation go to the late output.
  arrow::Status WriteOutputs(const RawBatch& raw, const ValidRows& valid, int64_t now);
  arrow::Status EmitWindows(int64_t now);
  // Writes `rows` to every sink of `output`.
  static arrow::Status WriteTo(Output& output, const std::shared_ptr<arrow::RecordBatch>& rows);
  // The rows of `batch` `output`'s filter keeps (ascending), or nullopt when it has none.
  arrow::Result<std::optional<std::vector<int32_t>>> Select(Output& output, const arrow::RecordBatch& batch,
                                                            int64_t now);
  arrow::Status WriteRejected(const RawBatch& raw, std::vector<Rejection>* rejections, int64_t now);
  // Completes the trigger's files and prepares its commit; a final trigger (and a
  // trigger while the one before is still being published) waits and commits.
  arrow::Status EndTrigger(bool final);
  // Ends the epoch (files completed, checkpoint taken, commit prepared), commits until
  // at most `max_pending` epochs are left, and starts the next epoch.
  arrow::Status EndEpoch(size_t max_pending);
  // Commits the oldest pending triggers: waits until at most `max_pending` are left,
  // then commits those whose files are already visible.
  arrow::Status CommitTriggers(size_t max_pending);
  // Every sink: outputs, then dead letter and late.
  std::vector<ParquetSink*> Sinks() const;

  // Checkpoints (runner_checkpoint.cc).
  // Where this run's checkpoints go, if anywhere.
  std::optional<std::string> CheckpointLocation() const;
  arrow::Status OpenCheckpoint(
      const std::vector<std::pair<std::string, std::shared_ptr<ObjectStore>>>& outputs);
  // Files sources: continues from the newest checkpoint.
  arrow::Status RecoverFiles();
  // A new epoch: its processing time and, when checkpointing, the staged names of its files.
  void StartEpoch();
  // The open epoch's checkpoint, its files completed; null when the epoch changed nothing.
  arrow::Result<std::shared_ptr<Checkpoint>> SnapshotEpoch();
  // Writes a pending epoch's checkpoint, commits the source, publishes the files.
  arrow::Status CommitEpoch(const PendingTrigger& trigger);
  // Deletes the files of every epoch not committed (the open one included), after a
  // rejected commit or lost partitions; the partitions then rewind (rewind_).
  // `written`: the epoch whose checkpoint was written but whose commit failed — its files
  // stay staged, since the commit may have reached the group after all.
  arrow::Status DiscardUncommitted(const std::string& why, const Checkpoint* written = nullptr);
  // Kafka: a partition's state from the checkpoint its committed offset names.
  arrow::Status RestorePartition(const AssignedPartition& partition);
  // --rebuild-state: publishes what the checkpoint a partition's commit names left
  // staged (its state is rebuilt by replay instead of loaded).
  arrow::Status PublishNamedCheckpoint(const AssignedPartition& partition);
  // Loads a source partition's state (operators, watermark) from `checkpoint`.
  arrow::Result<int64_t> RestoreState(const Checkpoint& checkpoint, const std::string& topic, int32_t number,
                                      PartitionId id);
  // kInvalid naming what changed when an output's state no longer fits.
  arrow::Status CheckCompatible(const Checkpoint& checkpoint) const;
  // Idle partitions: notes which partitions had records, marks those silent for the
  // idle timeout as idle; true when one became idle (the watermark may move).
  void NoteArrivals(const RawBatch& raw, int64_t mono);
  bool MarkIdlePartitions(int64_t mono);
  // event_time.close_after_quiet: once no record came for that long, raises the
  // watermark to where the last record left it plus the time since; true when it moved.
  bool FollowClockWhenQuiet(int64_t mono);

  // PartitionListener
  arrow::Status OnAssigned(const std::vector<AssignedPartition>& partitions) override;
  arrow::Status OnRevoking(const std::vector<PartitionId>& partitions) override;
  void OnRevoked(const std::vector<PartitionId>& partitions, bool lost) override;
  CommitPoint PlanCommit(PartitionId partition, KafkaOffset next) const override;
  arrow::Result<std::optional<CommitPoint>> Uncommitted(const std::string& topic, int32_t partition) override;

  // Replays: after a restart or a rebalance, records before a partition's
  // processed_until were handled by an earlier run; they are read again only to rebuild
  // open windows. Fills replayed_ for `raw` (empty when nothing is replayed).
  void MarkReplayed(const RawBatch& raw);
  bool IsReplayed(int32_t record) const { return !replayed_.empty() && replayed_[record]; }
  void Reject(const RawBatch& raw, Rejection rejection, std::vector<Rejection>* out);
  // "topic[partition]@offset" (Kafka) or "path:line" (files) of a record.
  std::string Where(const RawBatch& raw, int32_t record) const;

  // Progress (runner_progress.cc).
  void RefreshStats();
  void LogProgress(double seconds);
  // Where the run stands; `detail` says why when it is not running.
  RunPhase Phase(std::string* detail) const;
  // Tells the observers how the run stands: always when `force`, else at most four
  // times a second.
  void Report(bool force);
  // Tells the observers about the trigger ending now (after RefreshStats), which ended
  // `epoch` (checkpointed runs).
  void ReportTrigger(int64_t mono, int64_t epoch);
  void NoteCheckpoint(const Checkpoint& checkpoint, double seconds);
  // Files sources: the input's name in progress reports (its path pattern).
  std::string FilesName() const;

  const Plan& plan_;
  RunOptions options_;
  Clock* clock_;
  std::unique_ptr<Storage> storage_;  // before the sinks: their uploads end first
  std::unique_ptr<Source> source_;
  std::unique_ptr<RecordValidator> validator_;
  std::unique_ptr<WatermarkTracker> tracker_;
  std::unique_ptr<RetainedOffsets> retained_;          // set exactly when the source is Kafka (it commits)
  std::unique_ptr<CheckpointCoordinator> checkpoint_;  // set when checkpointing
  // The open epoch: its number (checkpointed runs) and processing time, the records it
  // read, and whether something besides records changed (a partition assigned).
  int64_t epoch_ = 0;
  int64_t epoch_time_ = 0;
  int64_t epoch_records_ = 0;
  bool epoch_dirty_ = false;
  // What the newest prepared and the newest successful commits carry (PlanCommit).
  PendingTrigger::Commit prepared_;
  PendingTrigger::Commit committed_;
  bool rewind_ = false;           // uncommitted epochs were dropped: rewind the source
  arrow::Status listener_error_;  // from a listener call that cannot return one
  // Kafka partitions held, by PartitionId: name, next offset to read, and the
  // checkpoint their committed offset named at assignment.
  struct OwnedPartition {
    std::string topic;
    int32_t partition = 0;
    int64_t next_offset = 0;
    int64_t assigned_offset = 0;
    std::optional<std::string> checkpoint;
    std::optional<PartitionResume> resume;  // as committed at assignment
  };
  std::map<int32_t, OwnedPartition> owned_;
  // Checkpoints that partitions given away were last committed with, by name: kept
  // until their new owner has committed past them (CheckpointCoordinator::StillNamed).
  std::map<std::string, std::set<std::pair<std::string, int32_t>>> handed_over_;
  struct Activity {
    int64_t last_arrival = 0;  // monotonic time of the partition's last record (or assignment)
    bool idle = false;
  };
  std::map<int32_t, Activity> activity_;               // per assigned partition
  std::map<int32_t, int64_t> replay_until_;            // partition -> processed_until, while replaying
  std::vector<uint8_t> replayed_;                      // per record of the current batch
  int64_t emitted_watermark_ = kWatermarkMin.value();  // windows ending at or before it are emitted
  bool input_ended_ = false;                           // a drained input: every result is final
  // close_after_quiet: when this process read its last record, and the pipeline
  // watermark right after it (kWatermarkMin: no record yet).
  int64_t last_record_mono_ = 0;
  int64_t quiet_base_ = kWatermarkMin.value();
  bool quiet_logged_ = false;
  bool warned_shared_groups_ = false;
  std::vector<Output> outputs_;
  // Triggers whose files are not all visible yet, oldest first.
  std::deque<PendingTrigger> pending_;
  std::unique_ptr<ParquetSink> dead_letter_;
  std::unique_ptr<ParquetSink> late_;
  RejectedRecordBuilder dead_letter_builder_;
  RejectedRecordBuilder late_builder_;
  RunStats stats_;
  RunStats last_trigger_stats_;
  // Progress reports: explicit phases (starting, stopping, finished, failed; otherwise
  // running, refined by Phase()), what RunStats does not count, and the trigger's start.
  RunPhase phase_ = RunPhase::kStarting;
  bool restoring_ = false;  // loading partitions' state from checkpoints
  ProgressCounters counters_;
  std::optional<CheckpointProgress> checkpoint_progress_;
  int64_t started_wall_ = 0;
  int64_t last_report_ = 0;
  int64_t trigger_start_wall_ = 0;
  int64_t trigger_waited_ = 0;                        // micros Next waited for nothing
  std::map<int32_t, int64_t> trigger_start_offsets_;  // next offset per partition at its start
  std::map<int32_t, int64_t> trigger_start_records_;  // records read per partition at its start
  int64_t ready_after_trigger_ = -1;                  // Kafka: triggers completed when partitions came first
  int64_t started_ = 0;
  int64_t trigger_started_ = 0;
  int64_t logged_rejections_ = 0;
};

// A run id: UTC start time plus random bits, e.g. "20250728T141734Z-3fa1".
std::string NewRunId(Clock* clock);

}  // namespace sluice
