#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/run_stats.h"

namespace sluice {

// What a running pipeline reports about itself, for metrics, health probes, the status
// page, progress JSON and progress bars (the ops/ layer). Plain data, copied out of the
// pipeline thread: it holds names, counts, positions and times, never record bytes,
// field values, rejection reasons or configuration values beyond paths and topics.

// Where the run stands, for readiness probes.
enum class RunPhase {
  kStarting,    // opening outputs and the source
  kAssigning,   // Kafka: waiting for partitions from the consumer group
  kRecovering,  // loading checkpoints, rewinding, or replaying records to rebuild state
  kRunning,     // processing; ready once the first trigger completed
  kStopping,    // completing files and committing at the end of the run
  kFinished,    // the run ended cleanly
  kFailed,      // the run stopped on an error
};
std::string_view RunPhaseName(RunPhase phase);

// One source partition (Kafka) or the files of a files source.
struct PartitionProgress {
  std::string topic;  // Kafka topic; files: the source's path pattern
  int32_t partition = 0;
  int64_t records = 0;   // read, replays included
  int64_t valid = 0;     // replays excluded (as RunStats)
  int64_t rejected = 0;  // sent to the dead letter
  int64_t late = 0;      // late for an aggregation (each aggregation counts)
  // Kafka offsets: the next record the pipeline processes and the partition's high
  // watermark as last fetched; their difference is the consumer lag.
  std::optional<int64_t> position;
  std::optional<int64_t> high_watermark;
  std::optional<int64_t> watermark;  // event-time watermark (microseconds), once it has data
  bool idle = false;                 // not holding the pipeline watermark back
  bool replaying = false;            // reading records again to rebuild state
};

// Dead-letter records of one stage and rule (a check's or derived column's name; empty
// for other stages), with where the newest one came from.
struct RejectionProgress {
  std::string stage;
  std::string rule;
  int64_t records = 0;
  std::string last_position;  // "topic[partition]@offset" or "path:line"
  int64_t last_micros = 0;    // wall clock when it was rejected
};

// An output file that became visible to readers.
struct WrittenFile {
  std::string output;
  std::string path;  // full path or URI
  int64_t rows = 0;
  int64_t bytes = 0;
  int64_t micros = 0;  // wall clock when it became visible
};

struct CheckpointProgress {
  std::string location;
  int64_t completed = 0;    // checkpoints committed by this run
  int64_t last_epoch = 0;   // of the newest committed checkpoint
  int64_t last_bytes = 0;   // its size
  double last_seconds = 0;  // snapshot + write + commit of the newest one
  int64_t last_micros = 0;  // wall clock when it was committed (0: none yet)
  int64_t open_groups = 0;  // state entries it holds
};

// Per output (the dead letter and late outputs included): RunStats' OutputStats plus
// its state.
struct OutputProgress {
  OutputStats stats;
  std::string kind;         // raw, aggregation, dead_letter or late
  std::string path;         // where its files go
  int64_t open_groups = 0;  // aggregations: open (window, group) results
  int64_t state_bytes = 0;  // approximate bytes they hold
};

// The whole run as of `micros`.
struct RunProgress {
  std::string run_id;
  std::string pipeline;
  int64_t started_micros = 0;  // wall clock
  int64_t micros = 0;          // wall clock of this report
  RunPhase phase = RunPhase::kStarting;
  std::string phase_detail;  // why not running (or not ready), in words
  // Running, with partitions assigned (Kafka), and a trigger completed since they were
  // first assigned: what /readyz reports.
  bool ready = false;
  int64_t triggers = 0;  // completed
  RunStats stats;        // totals since the run started
  std::vector<OutputProgress> outputs;
  std::vector<PartitionProgress> partitions;
  std::vector<RejectionProgress> rejections;
  std::vector<WrittenFile> recent_files;  // newest last
  std::optional<CheckpointProgress> checkpoint;
  int64_t upload_buffered_bytes = 0;  // completed files waiting for or in upload (S3)
  // Bounded files inputs: bytes of the input files read and in all (progress bars).
  std::optional<int64_t> input_bytes_done;
  std::optional<int64_t> input_bytes_total;
};

// One completed trigger, in the spirit of Spark's StreamingQueryProgress.
struct TriggerProgress {
  int64_t trigger = 0;  // 1, 2, ...
  int64_t epoch = 0;    // checkpointed runs: the epoch it ended (0: none)
  int64_t start_micros = 0;
  int64_t end_micros = 0;
  double duration_seconds = 0;
  int64_t records = 0;        // read in the trigger
  double input_rate = 0;      // records/s over the trigger's wall-clock span
  double processed_rate = 0;  // records/s of processing time (excluding waits for data)
  int64_t valid = 0;
  int64_t rejected = 0;
  int64_t late = 0;
  std::optional<int64_t> watermark;
  // Per partition: offsets at the trigger's start and end (Kafka), records read.
  struct Source {
    std::string topic;
    int32_t partition = 0;
    std::optional<int64_t> start_offset;
    std::optional<int64_t> end_offset;
    std::optional<int64_t> high_watermark;
    int64_t records = 0;
  };
  std::vector<Source> sources;
  // Per output: what the trigger made visible, and the state left open.
  struct Sink {
    std::string output;
    int64_t rows = 0;
    int64_t files = 0;
    int64_t bytes = 0;
    int64_t open_groups = 0;
    int64_t state_bytes = 0;
  };
  std::vector<Sink> sinks;
};

// Receives a running pipeline's reports, on the pipeline thread: keep it cheap and
// never block (copy what is needed and return).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // The run's state: at every phase change, every trigger end, and about once a second
  // in between.
  virtual void OnProgress(const RunProgress& progress) = 0;
  // A trigger that read records or wrote files completed (called after OnProgress of
  // its end).
  virtual void OnTrigger(const TriggerProgress& trigger) { (void)trigger; }
  // A checkpoint was committed (`checkpoint.last_*` describe it).
  virtual void OnCheckpoint(const CheckpointProgress& checkpoint) { (void)checkpoint; }
};

inline std::string_view RunPhaseName(RunPhase phase) {
  switch (phase) {
    case RunPhase::kStarting:
      return "starting";
    case RunPhase::kAssigning:
      return "waiting for partitions";
    case RunPhase::kRecovering:
      return "recovering";
    case RunPhase::kRunning:
      return "running";
    case RunPhase::kStopping:
      return "stopping";
    case RunPhase::kFinished:
      return "finished";
    case RunPhase::kFailed:
      return "failed";
  }
  return "?";
}

}  // namespace sluice
