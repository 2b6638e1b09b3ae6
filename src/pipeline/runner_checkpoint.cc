// The runner's side of checkpoints (docs/exactly-once.md): which checkpoint a run uses,
// the epoch's snapshot of source positions, watermarks and operator state, the commit
// of an epoch, and the restore of a partition's state.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/fault.h"
#include "pipeline/runner.h"

namespace sluice {

std::optional<std::string> Runner::CheckpointLocation() const {
  if (options_.checkpoint) return options_.checkpoint;
  // --input replaces the pipeline's source: its checkpoint belongs to another source.
  if (options_.input) return std::nullopt;
  if (plan_.spec.checkpoint) return plan_.spec.checkpoint->path;
  return std::nullopt;
}

arrow::Status Runner::OpenCheckpoint(
    const std::vector<std::pair<std::string, std::shared_ptr<ObjectStore>>>& outputs) {
  const std::optional<std::string> location = CheckpointLocation();
  if (!location) {
    if (!options_.input) {
      spdlog::warn(
          "no checkpoint: after a crash the records since the last commit are written again (at least "
          "once); add 'checkpoint: {path: ...}' for exactly once (docs/exactly-once.md)");
    }
    return arrow::Status::OK();
  }
  const bool kafka = plan_.kafka && !options_.input;
  CheckpointOptions options;
  options.location = *location;
  options.writer = options_.run_id;
  options.self_committing = !kafka;
  options.source = kafka
                       ? KafkaSourceIdentity(plan_.kafka->topics, plan_.kafka->pattern, plan_.kafka->group_id)
                       : FileSourceIdentity(options_.input ? *options_.input : plan_.spec.source.files->path);
  auto opened = CheckpointCoordinator::Open(storage_.get(), std::move(options), clock_);
  if (!opened.ok()) {
    if (options_.checkpoint || !plan_.spec.checkpoint) return opened.status();
    return opened.status().WithMessage(plan_.spec.Where(plan_.spec.checkpoint->line), ": ",
                                       opened.status().message());
  }
  checkpoint_ = std::move(*opened);
  for (const auto& [name, store] : outputs) checkpoint_->AddOutput(name, store);
  if (kafka) {
    checkpoint_->SetStillNamed([this](const std::string& name) -> arrow::Result<bool> {
      auto it = handed_over_.find(name);
      if (it == handed_over_.end()) return false;  // partitions still owned were committed past it
      std::vector<std::pair<std::string, int32_t>> partitions(it->second.begin(), it->second.end());
      auto named = source_->CommittedCheckpoints(partitions);
      if (!named.ok()) {
        spdlog::warn("keeping checkpoint {} for now: {}", name, named.status().message());
        return true;
      }
      if (named->count(name) > 0) return true;
      handed_over_.erase(it);
      return false;
    });
  }
  return arrow::Status::OK();
}

arrow::Status Runner::RecoverFiles() {
  if (!checkpoint_) return arrow::Status::OK();
  ARROW_ASSIGN_OR_RAISE(std::optional<Checkpoint> recovered, checkpoint_->RecoverNewest());
  if (!recovered) return arrow::Status::OK();
  ARROW_RETURN_NOT_OK(CheckCompatible(*recovered));
  ARROW_RETURN_NOT_OK(source_->ResumeFiles(recovered->files));
  ARROW_ASSIGN_OR_RAISE(int64_t groups, RestoreState(*recovered, "", 0, PartitionId(0)));
  int64_t finished = 0;
  for (const FilePosition& file : recovered->files) finished += file.finished;
  const CheckpointStats& stats = checkpoint_->stats();
  spdlog::info(
      "recovered epoch {} from {}: {} files ({} finished), {} open groups, {} staged files published, {} "
      "removed",
      recovered->epoch, checkpoint_->Where(CheckpointStore::NameFor(recovered->epoch, recovered->writer)),
      recovered->files.size(), finished, groups, stats.files_published, stats.staged_removed);
  return arrow::Status::OK();
}

arrow::Status Runner::RestorePartition(const AssignedPartition& partition) {
  const std::string& name = *partition.resume->checkpoint;
  if (!checkpoint_) {
    return arrow::Status::Invalid(
        "the committed offset of ", source_->PartitionName(partition.id), " names checkpoint ", name,
        ": the group ran with a checkpoint, which this run lacks (its open windows live there); run with "
        "the same 'checkpoint: {path: ...}' (or --checkpoint PATH), or with --rebuild-state to rebuild the "
        "state from the topic");
  }
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<const Checkpoint> checkpoint, checkpoint_->Load(name));
  ARROW_RETURN_NOT_OK(CheckCompatible(*checkpoint));
  ARROW_ASSIGN_OR_RAISE(int64_t groups,
                        RestoreState(*checkpoint, partition.topic, partition.partition, partition.id));
  spdlog::info("{}: restored {} open groups from checkpoint epoch {} ({})",
               source_->PartitionName(partition.id), groups, checkpoint->epoch, checkpoint_->Where(name));
  return arrow::Status::OK();
}

arrow::Result<std::optional<CommitPoint>> Runner::Uncommitted(const std::string& topic, int32_t partition) {
  if (!checkpoint_ || options_.rebuild_state) return std::nullopt;
  ARROW_ASSIGN_OR_RAISE(auto found, checkpoint_->NewestPublishedWith(topic, partition));
  if (!found) return std::nullopt;  // a partition the pipeline never read
  const auto& [name, checkpoint] = *found;
  int64_t offset = 0;
  for (const PartitionCheckpoint& p : checkpoint->partitions) {
    if (p.topic == topic && p.partition == partition) offset = p.next_offset;
  }
  spdlog::warn(
      "{}[{}]: the group has no committed offset for it (expired after offsets.retention.minutes, or "
      "deleted): resuming at offset {} with the state of the newest published checkpoint, {} (a new "
      "checkpoint.path starts afresh)",
      topic, partition, offset, checkpoint_->Where(name));
  return std::make_optional(CommitPoint{
      KafkaOffset(offset), PartitionResume{offset, std::nullopt, std::nullopt, name, std::nullopt}});
}

arrow::Status Runner::PublishNamedCheckpoint(const AssignedPartition& partition) {
  const std::string& name = *partition.resume->checkpoint;
  spdlog::info("{}: rebuilding its state by replaying from offset {} (--rebuild-state; its commit names {})",
               source_->PartitionName(partition.id), partition.offset, name);
  if (!checkpoint_) return arrow::Status::OK();
  auto loaded = checkpoint_->Load(name);
  if (!loaded.ok()) {
    spdlog::warn("{}: {}; files it left staged, if any, stay unpublished",
                 source_->PartitionName(partition.id), loaded.status().message());
  }
  return arrow::Status::OK();
}

arrow::Result<int64_t> Runner::RestoreState(const Checkpoint& checkpoint, const std::string& topic,
                                            int32_t number, PartitionId id) {
  int64_t groups = 0;
  for (const OperatorStateCheckpoint& state : checkpoint.states) {
    if (state.topic != topic || state.partition != number) continue;
    for (auto& output : outputs_) {
      if (output.plan->name != state.output || !output.op) continue;
      ARROW_RETURN_NOT_OK(output.op->Restore(id.value(), *state.state));
      groups += state.state->num_rows();
    }
  }
  for (const PartitionCheckpoint& p : checkpoint.partitions) {
    if (p.topic != topic || p.partition != number || !tracker_) continue;
    tracker_->RestorePartition(id, p.max_event_time, p.watermark_floor.value_or(kWatermarkMin.value()));
  }
  if (checkpoint.emitted_watermark)
    emitted_watermark_ = std::max(emitted_watermark_, *checkpoint.emitted_watermark);
  return groups;
}

arrow::Status Runner::CheckCompatible(const Checkpoint& checkpoint) const {
  for (const auto& [name, signature] : checkpoint.signatures) {
    for (const auto& output : outputs_) {
      if (output.plan->name != name) continue;
      const std::string now = output.op ? output.op->StateSignature() : "no state (a raw output)";
      if (now == signature) continue;
      return arrow::Status::Invalid(
          "checkpoint ", checkpoint_->Where(CheckpointStore::NameFor(checkpoint.epoch, checkpoint.writer)),
          " holds the state of output '", name, "' as [", signature, "], but the pipeline now makes it [",
          now,
          "]: that state cannot be carried over. Give the pipeline a new checkpoint.path (or --checkpoint "
          "PATH) to start afresh, ",
          retained_ ? "run with --rebuild-state to rebuild the state from the topic, " : "",
          "or restore the output as it was");
    }
  }
  return arrow::Status::OK();
}

void Runner::StartEpoch() {
  epoch_time_ = clock_->NowMicros();
  epoch_records_ = 0;
  if (!checkpoint_) return;
  epoch_ = checkpoint_->NextEpoch();
  for (ParquetSink* sink : Sinks()) {
    sink->StageUnder([coordinator = checkpoint_.get(), epoch = epoch_](const std::string& path) {
      return coordinator->StagedPath(epoch, path);
    });
  }
}

arrow::Result<std::shared_ptr<Checkpoint>> Runner::SnapshotEpoch() {
  std::vector<StagedOutputFile> staged;
  for (ParquetSink* sink : Sinks()) {
    for (StagedOutputFile& file : sink->TakeStaged()) staged.push_back(std::move(file));
  }
  if (epoch_records_ == 0 && staged.empty() && !epoch_dirty_) return nullptr;
  auto checkpoint = std::make_shared<Checkpoint>();
  checkpoint->epoch = epoch_;
  checkpoint->writer = checkpoint_->options().writer;
  checkpoint->processing_time = epoch_time_;
  checkpoint->created_at = clock_->NowMicros();
  checkpoint->source = checkpoint_->options().source;
  if (emitted_watermark_ != kWatermarkMin.value()) checkpoint->emitted_watermark = emitted_watermark_;
  for (const auto& output : outputs_) {
    if (output.op) checkpoint->signatures.emplace_back(output.plan->name, output.op->StateSignature());
  }
  // Kafka partitions by their names; a files source is the one partition ("", 0).
  auto describe = [&](int32_t id, const std::string& topic, int32_t number, int64_t next_offset) {
    PartitionCheckpoint p{topic, number, next_offset, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    if (tracker_) {
      p.max_event_time = tracker_->MaxEventTime(PartitionId(id));
      const int64_t floor = std::max(emitted_watermark_, tracker_->Floor(PartitionId(id)));
      if (floor != kWatermarkMin.value()) p.watermark_floor = floor;
    }
    if (retained_) {
      if (auto first = retained_->First(PartitionId(id)); first && first->offset.value() < next_offset) {
        p.replay_from = first->offset.value();
        if (first->max_before != std::numeric_limits<int64_t>::min())
          p.replay_max_event_time = first->max_before;
      }
    }
    checkpoint->partitions.push_back(std::move(p));
  };
  if (retained_) {
    for (const auto& [id, owned] : owned_) describe(id, owned.topic, owned.partition, owned.next_offset);
  } else {
    describe(0, "", 0, 0);
  }
  checkpoint->files = source_->FilePositions();
  checkpoint->staged = std::move(staged);
  for (const auto& output : outputs_) {
    if (!output.op) continue;
    ARROW_ASSIGN_OR_RAISE(std::vector<PartitionState> parts, output.op->Snapshot());
    for (PartitionState& part : parts) {
      OperatorStateCheckpoint state{output.plan->name, "", 0, std::move(part.state)};
      if (retained_) {
        auto it = owned_.find(part.partition);
        if (it == owned_.end()) {
          return arrow::Status::UnknownError("output '", output.plan->name, "' holds state of partition ",
                                             part.partition, ", which this process does not own");
        }
        state.topic = it->second.topic;
        state.partition = it->second.partition;
      }
      checkpoint->states.push_back(std::move(state));
    }
  }
  epoch_dirty_ = false;
  return checkpoint;
}

arrow::Status Runner::CommitEpoch(const PendingTrigger& trigger) {
  const Checkpoint& checkpoint = *trigger.checkpoint;
  int64_t mark = clock_->MonotonicMicros();
  auto lap = [&] {  // milliseconds since the last lap
    const int64_t now = clock_->MonotonicMicros();
    const double ms = static_cast<double>(now - mark) / 1e3;
    mark = now;
    return ms;
  };
  // Files sources: this write is the commit.
  ARROW_RETURN_NOT_OK(checkpoint_->Write(checkpoint));
  const double write_ms = lap();
  FaultPoint("after-checkpoint");
  arrow::Status committed = source_->CommitPrepared(trigger.ticket);
  if (committed.IsCancelled()) {
    // Another member may own these partitions now: nothing of the epoch is published.
    ARROW_RETURN_NOT_OK(DiscardUncommitted(committed.message(), &checkpoint));
    rewind_ = true;
    return arrow::Status::OK();
  }
  ARROW_RETURN_NOT_OK(committed);
  const double commit_ms = lap();
  committed_ = trigger.commit;
  FaultPoint("after-commit");
  ARROW_RETURN_NOT_OK(checkpoint_->Publish(checkpoint));
  NoteCheckpoint(checkpoint, trigger.snapshot_seconds + (write_ms + commit_ms) / 1e3);
  int64_t bytes = 0;
  for (const StagedOutputFile& file : checkpoint.staged) bytes += file.bytes;
  spdlog::debug(
      "epoch {}: checkpoint of {} bytes ({} open groups): snapshot {:.1f} ms, write {:.1f} ms, commit {:.1f} "
      "ms, "
      "{} files ({} bytes) published in {:.1f} ms",
      checkpoint.epoch, checkpoint_->stats().last_bytes, checkpoint.state_rows(),
      trigger.snapshot_seconds * 1e3, write_ms, commit_ms, checkpoint.staged.size(), bytes, lap());
  return arrow::Status::OK();
}

arrow::Status Runner::DiscardUncommitted(const std::string& why, const Checkpoint* written) {
  Checkpoint doomed;
  for (ParquetSink* sink : Sinks()) {
    // A file is deleted once its upload has ended (else it could appear after the delete).
    ARROW_ASSIGN_OR_RAISE(int64_t mark, sink->CompleteFiles());
    ARROW_RETURN_NOT_OK(sink->WaitVisible(mark));
    for (StagedOutputFile& file : sink->TakeStaged()) doomed.staged.push_back(std::move(file));
  }
  const size_t epochs = pending_.size();
  for (const PendingTrigger& trigger : pending_) {
    if (!trigger.checkpoint || trigger.checkpoint.get() == written) continue;
    doomed.staged.insert(doomed.staged.end(), trigger.checkpoint->staged.begin(),
                         trigger.checkpoint->staged.end());
  }
  pending_.clear();
  source_->DropPrepared();
  if (!why.empty() && (epochs > 0 || !doomed.staged.empty() || epoch_records_ > 0)) {
    spdlog::warn(
        "{}: {} epochs not committed are dropped with their {} staged files (nothing of them was "
        "published); the partitions go back to their committed checkpoint",
        why, epochs + 1, doomed.staged.size());
  }
  ARROW_RETURN_NOT_OK(checkpoint_->Discard(doomed));
  prepared_ = committed_;
  StartEpoch();
  return arrow::Status::OK();
}

}  // namespace sluice
