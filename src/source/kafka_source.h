#pragma once

#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "io/kafka_client.h"
#include "source/source.h"

namespace sluice {

struct KafkaSourceOptions {
  std::string bootstrap_servers;
  std::vector<std::string> topics;  // exactly one of topics and pattern
  std::string pattern;              // a regular expression over topic names (POSIX ERE)
  std::string group_id;
  // Static membership (KIP-345, group.instance.id): a restarted process with the same id
  // takes its partitions back at once instead of waiting for its old session to end,
  // and closing does not leave the group. Unique per process; empty: dynamic membership.
  std::string instance_id;

  // Where a partition without a committed offset for the group starts.
  enum class Start { kEarliest, kLatest, kTimestamp };
  Start start = Start::kEarliest;
  int64_t start_timestamp_ms = 0;  // kTimestamp: the first message at or after it

  // When a committed offset no longer exists (deleted by retention): "error" stops the
  // run with a clear message (nothing is skipped silently), "earliest" / "latest" jump.
  std::string offset_reset = "error";

  // Passed to librdkafka as they are, after sluice's own settings (so they win);
  // security (SASL/SSL) goes here. Secret values are never logged.
  KafkaProperties properties;

  // How long Kafka may be unreachable at start-up (and how long to wait for the first
  // partition assignment) before the run fails.
  Duration connect_timeout = std::chrono::seconds(60);
  // Bounded (--once, --drain): read each assigned partition up to its end offset at
  // assignment time, then report the end of input.
  bool bounded = false;
  // Checkpointed pipelines: a commit that fails (rejected by the group for a stale
  // generation, an unknown member or a fenced instance id; or any other error) or that
  // covers a partition no longer held in the same assignment returns kCancelled
  // instead of being retried at the next commit: the epoch it commits must not be
  // published (docs/exactly-once.md).
  bool strict_commits = false;
  // --rebuild-state: a partition whose commit names a checkpoint starts at the commit's
  // replay_from (the first record still held in operator state) instead of the
  // committed offset, so that its state is rebuilt by replay; an error when retention
  // has deleted that record.
  bool rebuild_state = false;
  // Record each message's key, timestamp and headers (RawBatch::metadata); pipelines turn
  // it off unless a metadata column needs them (it costs a copy per message).
  bool metadata = true;
  // When set (a signal handler's flag), waiting for brokers at start-up ends early.
  const std::atomic<bool>* stop = nullptr;
};

// Reads Kafka topics as a member of a consumer group with librdkafka's batch consume
// API. Offsets are committed only by CommitPrepared (never automatically), as the
// listener planned them (PlanCommit) when the commit was prepared, so everything
// committed is durable in every output. A prepared commit whose partition was revoked
// or reassigned since is dropped.
//
// Assignment: cooperative-sticky by default. A newly assigned partition starts at the
// group's committed offset, or (none committed) at `start`; the start offset is logged.
// Before a partition is revoked the listener makes outputs durable (OnRevoking), the
// source commits, then the listener forgets it (OnRevoked); a lost partition is not
// committed. Messages fetched for partitions no longer assigned are dropped.
//
// Commits carry a PartitionResume in Kafka's commit metadata
// (EncodeCommitMetadata), handed back to the listener when a partition is assigned.
//
// Each record carries its topic, partition and offset (RecordPosition; `input` is a
// process-wide id per (topic, partition)) and, with `metadata`, its key, timestamp and
// headers (RawBatch::metadata). A tombstone (null value) arrives as an empty record.
//
// Errors: an unknown topic, bad credentials or a bad property stop the run (kInvalid);
// brokers unreachable for longer than connect_timeout at start-up fail it; transient
// errors later (broker restarts, leader moves) are retried by librdkafka and logged.
// Not thread-safe: one pipeline thread calls it (librdkafka runs its own threads).
class KafkaSource final : public Source {
 public:
  static arrow::Result<std::unique_ptr<KafkaSource>> Make(KafkaSourceOptions options, Clock* clock);
  ~KafkaSource() override;

  void SetListener(PartitionListener* listener) override { listener_ = listener; }
  arrow::Result<bool> Next(int64_t max_records, Duration timeout, RawBatch* batch) override;
  int64_t PrepareCommit() override;
  arrow::Status CommitPrepared(int64_t ticket) override;
  arrow::Status Close() override;
  arrow::Status Rewind() override;
  void DropPrepared() override { prepared_.clear(); }
  arrow::Result<std::set<std::string>> CommittedCheckpoints(
      const std::vector<std::pair<std::string, int32_t>>& partitions) override;
  const SourceStats& stats() const override { return stats_; }
  std::string Describe() const override;
  std::optional<int64_t> HighWatermark(PartitionId partition) const override;
  std::string PartitionName(PartitionId partition) const override;

  // The librdkafka properties sluice sets for these options (secrets included; for
  // tests and `sluice validate`, which prints them through DescribeKafkaProperties).
  static KafkaProperties ConsumerProperties(const KafkaSourceOptions& options);

 private:
  struct Partition {
    std::string topic;
    int32_t partition = 0;
    PartitionId id{0};
    bool assigned = false;
    int64_t next_offset = -1;               // offset after the last record put into a batch; -1 unknown
    int64_t processed_offset = -1;          // ... into a batch that the pipeline has processed
    int64_t committed = -1;                 // last offset committed (by this process, or found at assignment)
    std::string committed_metadata;         // the metadata of the last commit
    std::optional<PartitionResume> resume;  // found with the committed offset at assignment
    int64_t end_offset = -1;                // bounded: the high watermark at assignment
    bool at_end = false;                    // bounded: reached end_offset (or partition EOF)
    int64_t assignments = 0;                // times assigned to this process
  };
  // What to commit for a partition, as planned while it had its `assignment`-th
  // assignment.
  struct PlannedCommit {
    Partition* partition;
    int64_t assignment;
    CommitPoint point;
  };
  struct PreparedCommit {
    int64_t ticket;
    std::vector<PlannedCommit> planned;
  };

  KafkaSource(KafkaSourceOptions options, Clock* clock);
  arrow::Status Connect();
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  arrow::Status Assign(rd_kafka_topic_partition_list_t* partitions);
  arrow::Status Revoke(rd_kafka_topic_partition_list_t* partitions);
  // Starts reading partitions whose start offsets are resolved (`how_taken` for the log
  // line) and tells the listener.
  arrow::Status Start(const rd_kafka_topic_partition_list_t* partitions, const char* how_taken);
  // Hands librdkafka a change of assignment (added or given up): incremental for the
  // cooperative protocol, the whole assignment for eager ones.
  arrow::Status ChangeAssignment(rd_kafka_topic_partition_list_t* partitions, bool add);
  arrow::Status ResolveStartOffsets(rd_kafka_topic_partition_list_t* partitions);
  // Plans the commit of each partition's processed records (the listener's PlanCommit).
  std::vector<PlannedCommit> Plan(const std::vector<Partition*>& partitions) const;
  // Commits the planned points of partitions still in the same assignment; offsets only
  // move forward.
  arrow::Status CommitPlanned(const std::vector<PlannedCommit>& planned);
  Partition* Find(std::string_view topic, int32_t partition, bool create);
  arrow::Status HandleMessageError(const rd_kafka_message_t& message);
  // The consumer's fatal error (kInvalid naming the id when another process took this
  // one's instance_id).
  arrow::Status FatalError(rd_kafka_t* rk) const;
  bool AllAtEnd() const;
  // Before the first assignment: a progress line every few seconds; an error once the
  // group should have formed long ago.
  arrow::Status CheckAssignmentWait();

  KafkaSourceOptions options_;
  Clock* clock_;
  KafkaHandle consumer_;
  KafkaQueue queue_;
  PartitionListener* listener_ = nullptr;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<Partition>> partitions_;
  std::vector<Partition*> by_id_;  // PartitionId -> partition
  arrow::Status callback_error_;   // set inside librdkafka callbacks, returned by Next
  bool assigned_once_ = false;
  bool revoked_in_next_ = false;  // a revocation happened inside the current Next()
  bool closed_ = false;
  int64_t started_ = 0;
  int64_t last_error_log_ = 0;  // monotonic time of the last transport warning
  int64_t last_wait_log_ = 0;   // time waited for an assignment when last logged
  std::vector<rd_kafka_message_t*> messages_;
  std::deque<PreparedCommit> prepared_;  // oldest first
  int64_t next_ticket_ = 1;
  SourceStats stats_;
};

// Commit metadata: "sluice:1 processed_until=N[ max_event_time=T][ emitted_watermark=W]
// [ replay_from=R][ checkpoint=NAME]" (numbers decimal, times in microseconds since the epoch; NAME a
// checkpoint file name, without spaces). Decoding anything else (another consumer's
// metadata, a newer format) gives nullopt.
std::string EncodeCommitMetadata(const PartitionResume& resume);
std::optional<PartitionResume> DecodeCommitMetadata(std::string_view text);

}  // namespace sluice
