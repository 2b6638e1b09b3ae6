#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "checkpoint/checkpoint.h"
#include "checkpoint/checkpoint_store.h"
#include "common/clock.h"
#include "common/types.h"
#include "io/object_store.h"
#include "io/storage.h"

namespace sluice {

struct CheckpointOptions {
  std::string location;  // checkpoint.path: a directory or s3://bucket/prefix
  // Names this process's checkpoints and staged files: the instance id (static
  // membership) or the run id.
  std::string writer;
  // The source's identity (topics and group, or the file pattern); a checkpoint of
  // another source is never loaded.
  std::string source;
  // Sources whose commit point is the checkpoint itself (files) recover the newest
  // checkpoint; Kafka sources load the checkpoint each committed offset names.
  bool self_committing = false;
  int keep = 3;  // this writer's newest checkpoints kept; older ones are deleted
  // Staged files older than this whose epoch was never committed are removed at
  // start-up (Kafka: another process may still be publishing younger ones).
  Duration staging_retention = std::chrono::hours(24);
};

struct CheckpointStats {
  int64_t written = 0;
  int64_t last_epoch = 0;
  int64_t last_bytes = 0;
  double last_write_seconds = 0;
  int64_t files_published = 0;
  int64_t staged_removed = 0;  // staged files of epochs never committed, removed
};

// The checkpoint coordinator: epochs, their checkpoints and the publication of their
// staged output files (docs/exactly-once.md). For each epoch the runner
//   1. writes the epoch's output files under their StagedPath in each output,
//   2. Write()s the checkpoint (source positions, watermarks, operator state, the
//      staged files),
//   3. commits the source (Kafka: offsets whose metadata names the checkpoint; files:
//      step 2 is the commit),
//   4. Publish()es the staged files to their final names, then marks the epoch
//      published and deletes old checkpoints.
// Recovery publishes the staged files of the committed checkpoint (idempotent) and
// restores from it; staged files of epochs never committed are removed.
//
// Not thread-safe: the pipeline thread calls it.
class CheckpointCoordinator {
 public:
  // Opens the location (creating a local directory) and checks that the newest
  // checkpoint found there belongs to the same source (kInvalid naming both if not).
  static arrow::Result<std::unique_ptr<CheckpointCoordinator>> Open(Storage* storage,
                                                                    CheckpointOptions options, Clock* clock);

  // An output whose staged files this coordinator publishes, by the name the sink's
  // staged files carry.
  void AddOutput(const std::string& name, std::shared_ptr<ObjectStore> store);

  // Where a file of an epoch whose final path (relative to its output's location) is
  // `final_path` is staged: "_staging/<writer>.<epoch>.<final path, '/' as %2F>.staged",
  // one flat directory per output (S3 keeps no directory marker per epoch), ending in
  // a suffix no reader's glob for *.parquet matches.
  std::string StagedPath(int64_t epoch, const std::string& final_path) const;
  static constexpr char kStagingRoot[] = "_staging";

  // Self-committing sources: the newest readable checkpoint (a damaged one is skipped
  // with a warning), its staged files published, stale staged files removed; nullopt
  // when there is none.
  arrow::Result<std::optional<Checkpoint>> RecoverNewest();
  // Kafka: the checkpoint a committed offset names, its staged files published (once
  // per checkpoint); kInvalid when it cannot be found or read.
  arrow::Result<std::shared_ptr<const Checkpoint>> Load(const std::string& name);

  // Kafka, for a partition the group has no committed offset for (offsets expired): the
  // newest published checkpoint of this source that holds it, with its name.
  arrow::Result<std::optional<std::pair<std::string, std::shared_ptr<const Checkpoint>>>> NewestPublishedWith(
      const std::string& topic, int32_t partition);

  // The epoch the next trigger gets (after every epoch seen in the store).
  int64_t NextEpoch() { return next_epoch_++; }
  std::string NameFor(int64_t epoch) const { return CheckpointStore::NameFor(epoch, options_.writer); }

  arrow::Status Write(const Checkpoint& checkpoint);
  arrow::Status Publish(const Checkpoint& checkpoint);

  // Kafka: whether a committed offset may still name one of this writer's older
  // checkpoints (a partition given away before its new owner committed). Asked before
  // such a checkpoint is deleted; a true keeps it until the next Publish.
  using StillNamed = std::function<arrow::Result<bool>(const std::string& name)>;
  void SetStillNamed(StillNamed still_named) { still_named_ = std::move(still_named); }
  // Deletes the staged files of an epoch that will never be committed.
  arrow::Status Discard(const Checkpoint& checkpoint);

  const CheckpointOptions& options() const { return options_; }
  const CheckpointStats& stats() const { return stats_; }
  std::string Where(const std::string& name) const { return store_.Where(name); }

 private:
  CheckpointCoordinator(CheckpointOptions options, std::shared_ptr<ObjectStore> store, Clock* clock);
  arrow::Status CheckSource(const Checkpoint& checkpoint) const;
  arrow::Status PublishFiles(const Checkpoint& checkpoint);
  // Staged files no committed checkpoint lists: all of them for self-committing
  // sources (one process), those older than staging_retention otherwise.
  arrow::Status RemoveStaleStaging();
  arrow::Status DeleteOldCheckpoints();

  CheckpointOptions options_;
  CheckpointStore store_;
  Clock* clock_;
  std::map<std::string, std::shared_ptr<ObjectStore>> outputs_;
  std::map<std::string, std::shared_ptr<const Checkpoint>> loaded_;
  std::vector<std::string> names_;  // every checkpoint name in the store, oldest first
  // Self-committing sources: the newest readable checkpoint, as Open read it to check
  // its source, handed on by RecoverNewest instead of being read again.
  std::optional<std::pair<std::string, Checkpoint>> newest_;
  StillNamed still_named_;
  int64_t next_epoch_ = 1;
  bool cleaned_ = false;
  CheckpointStats stats_;
};

// "kafka topics=a,b group=g" / "files pattern=landing/*.ndjson": what a checkpoint
// records of its source.
std::string KafkaSourceIdentity(const std::vector<std::string>& topics, const std::string& pattern,
                                const std::string& group);
std::string FileSourceIdentity(const std::string& pattern);

}  // namespace sluice
