// The runner's side of partition ownership: which partitions it holds and how idle they
// are, what it restores when one is assigned, what it commits for one, and what it drops
// when one is revoked or lost (docs/kafka.md). Files sources have the one partition 0.

#include <limits>

#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "pipeline/runner.h"

namespace sluice {

void Runner::NoteArrivals(const RawBatch& raw, int64_t mono) {
  if (activity_.empty()) return;
  int32_t previous = -1;
  for (size_t i = 0; i < raw.size(); ++i) {
    const int32_t input = raw.position(i).input.value();
    if (input == previous) continue;
    previous = input;
    auto it = activity_.find(input);
    if (it == activity_.end()) continue;
    it->second.last_arrival = mono;
    if (it->second.idle) {
      it->second.idle = false;  // the tracker counts it again from its next record
      spdlog::info("partition {} has records again: it holds the watermark back again",
                   source_->PartitionName(PartitionId(input)));
    }
  }
}

bool Runner::FollowClockWhenQuiet(int64_t mono) {
  const int64_t quiet = plan_.close_after_quiet.count();
  if (!tracker_ || quiet == 0 || quiet_base_ == kWatermarkMin.value()) return false;
  const int64_t elapsed = mono - last_record_mono_;
  if (elapsed < quiet) return false;
  const int64_t target = quiet_base_ + elapsed;
  if (target <= tracker_->Current().value()) return false;
  if (!quiet_logged_) {
    spdlog::info("no records for {}: the watermark follows the clock from {} (event_time.close_after_quiet)",
                 FormatDuration(plan_.close_after_quiet), FormatTimestamp(quiet_base_));
    quiet_logged_ = true;
  }
  tracker_->Raise(target);
  epoch_dirty_ = true;  // the advance is in this epoch's checkpoint
  return true;
}

bool Runner::MarkIdlePartitions(int64_t mono) {
  if (!tracker_) return false;
  bool changed = false;
  for (auto& [input, activity] : activity_) {
    if (activity.idle || mono - activity.last_arrival < plan_.idle_timeout.count()) continue;
    activity.idle = true;
    tracker_->SetIdle(PartitionId(input), true);
    changed = true;
    spdlog::info("partition {} had no records for {}: it no longer holds the watermark back",
                 source_->PartitionName(PartitionId(input)), FormatDuration(plan_.idle_timeout));
  }
  return changed;
}

void Runner::MarkReplayed(const RawBatch& raw) {
  replayed_.clear();
  if (replay_until_.empty()) return;
  replayed_.assign(raw.size(), 0);
  for (size_t i = 0; i < raw.size(); ++i) {
    const RecordPosition& position = raw.position(i);
    auto it = replay_until_.find(position.input.value());
    if (it == replay_until_.end()) continue;
    if (position.offset.value() < it->second) {
      replayed_[i] = 1;
      ++stats_.replayed;
    }
    if (position.offset.value() + 1 >= it->second) replay_until_.erase(it);  // caught up
  }
}

arrow::Status Runner::OnAssigned(const std::vector<AssignedPartition>& partitions) {
  const int64_t mono = clock_->MonotonicMicros();
  epoch_dirty_ = true;  // the next checkpoint covers them
  if (ready_after_trigger_ < 0 && !partitions.empty()) ready_after_trigger_ = stats_.triggers;
  for (const AssignedPartition& p : partitions) {
    activity_[p.id.value()] = Activity{mono, false};
    // Its offsets in this trigger start here (a rewind assigns it again).
    trigger_start_offsets_[p.id.value()] = p.offset;
    trigger_start_records_[p.id.value()] = counters_.partition(p.id.value()).records;
    owned_[p.id.value()] = OwnedPartition{
        p.topic, p.partition, p.offset, p.offset, p.resume ? p.resume->checkpoint : std::nullopt, p.resume};
    if (tracker_) tracker_->AddPartition(p.id);
    if (!p.resume) continue;
    if (p.resume->checkpoint) {
      if (!options_.rebuild_state) {
        restoring_ = true;
        Report(true);
        arrow::Status restored = RestorePartition(p);
        restoring_ = false;
        ARROW_RETURN_NOT_OK(restored);
        continue;
      }
      ARROW_RETURN_NOT_OK(PublishNamedCheckpoint(p));  // then replay, below
    }
    replay_until_[p.id.value()] = p.resume->processed_until;
    if (tracker_) {
      tracker_->RestorePartition(p.id, p.resume->max_event_time,
                                 p.resume->emitted_watermark.value_or(kWatermarkMin.value()));
    }
  }
  return arrow::Status::OK();
}

arrow::Status Runner::OnRevoking(const std::vector<PartitionId>& partitions) {
  (void)partitions;
  // Checkpointed: the epoch so far is committed (every partition) and published.
  if (checkpoint_) return EndEpoch(0);
  // Everything so far becomes durable; the source then commits the pending triggers.
  for (Sink* sink : Sinks()) ARROW_RETURN_NOT_OK(sink->Flush());
  pending_.clear();
  return arrow::Status::OK();
}

void Runner::OnRevoked(const std::vector<PartitionId>& partitions, bool lost) {
  if (lost && checkpoint_ && !partitions.empty()) {
    // The epochs not committed hold records of the lost partitions: none is published,
    // and the partitions kept go back to their committed checkpoint (below).
    arrow::Status discarded = DiscardUncommitted("partitions were lost");
    if (!discarded.ok() && listener_error_.ok()) listener_error_ = discarded;
  }
  // Without a checkpoint the partitions' next owner rebuilds their open windows; with
  // one it loads them.
  std::vector<int32_t> ids;
  for (PartitionId p : partitions) {
    ids.push_back(p.value());
    if (auto it = owned_.find(p.value()); checkpoint_ && it != owned_.end()) {
      // Its committed offset names a checkpoint that must outlive the hand-over.
      const bool committed = committed_.offsets.count(p.value()) > 0;
      const std::optional<std::string> name = committed ? committed_.checkpoint : it->second.checkpoint;
      if (name) handed_over_[*name].emplace(it->second.topic, it->second.partition);
    }
    owned_.erase(p.value());
    prepared_.offsets.erase(p.value());
    committed_.offsets.erase(p.value());
    activity_.erase(p.value());
    replay_until_.erase(p.value());
    if (tracker_) tracker_->RemovePartition(p);
    if (retained_) retained_->Forget(p);
  }
  for (auto& output : outputs_) {
    if (!output.op) continue;
    int64_t shared = 0;
    const int64_t dropped = output.op->DropPartitions(ids, &shared);
    if (dropped > 0 && !checkpoint_) {
      spdlog::info(
          "{}: dropped {} open (window, group) results of the revoked partitions; their next reader "
          "rebuilds them from the committed offsets",
          output.plan->name, dropped);
    }
    if (shared > 0 && !warned_shared_groups_) {
      warned_shared_groups_ = true;
      spdlog::warn(
          "{}: {} open groups hold records of several Kafka partitions; when partitions move between "
          "processes such groups are emitted by each of them (key the topic by a group_by column)",
          output.plan->name, shared);
    }
  }
  if (lost && checkpoint_ && !partitions.empty() && !owned_.empty()) rewind_ = true;
  if (lost && checkpoint_ && owned_.empty() && tracker_) {
    // The dropped epochs advanced the watermark: partitions assigned again restart from
    // their checkpoints' watermarks, not from this process's.
    tracker_ = std::make_unique<WatermarkTracker>(plan_.watermark_delay);
    emitted_watermark_ = kWatermarkMin.value();
  }
}

CommitPoint Runner::PlanCommit(PartitionId partition, KafkaOffset next) const {
  CommitPoint point{next, PartitionResume{next.value(), std::nullopt, std::nullopt, std::nullopt}};
  if (checkpoint_) {
    if (auto owned = owned_.find(partition.value());
        owned != owned_.end() && owned->second.resume && replay_until_.count(partition.value()) > 0) {
      // Rebuilding its state (--rebuild-state): its commit stays as it was until the
      // replay has caught up with it.
      return CommitPoint{KafkaOffset(owned->second.resume->processed_until), *owned->second.resume};
    }
    // The state is in the checkpoint: the offset follows the records read, as far as
    // the newest prepared checkpoint covers them (else as the partition was assigned).
    if (auto it = prepared_.offsets.find(partition.value()); it != prepared_.offsets.end()) {
      point.offset = KafkaOffset(it->second);
      point.resume.checkpoint = prepared_.checkpoint;
    } else if (auto owned = owned_.find(partition.value()); owned != owned_.end()) {
      point.offset = KafkaOffset(owned->second.assigned_offset);
      point.resume.checkpoint = owned->second.checkpoint;
    }
    // Where --rebuild-state would replay from, with the partition's watermark there.
    if (tracker_) {
      point.resume.max_event_time = tracker_->MaxEventTime(partition);
      const int64_t emitted = std::max(emitted_watermark_, tracker_->Floor(partition));
      if (emitted != kWatermarkMin.value()) point.resume.emitted_watermark = emitted;
    }
    if (auto first = retained_->First(partition); first && first->offset < point.offset) {
      point.resume.replay_from = first->offset.value();
      point.resume.max_event_time = first->max_before == std::numeric_limits<int64_t>::min()
                                        ? std::nullopt
                                        : std::optional<int64_t>(first->max_before);
    }
    point.resume.processed_until = point.offset.value();
    return point;
  }
  if (tracker_) {
    point.resume.max_event_time = tracker_->MaxEventTime(partition);
    // Never below what an earlier owner emitted (this process's own watermark may be
    // behind it, e.g. right after a restart).
    const int64_t emitted = std::max(emitted_watermark_, tracker_->Floor(partition));
    if (emitted != kWatermarkMin.value()) point.resume.emitted_watermark = emitted;
  }
  if (retained_) {
    if (auto first = retained_->First(partition); first && first->offset < next) {
      // Resume at the first record still only in an open window, with the partition's
      // watermark as it was just before that record.
      point.offset = first->offset;
      point.resume.max_event_time = first->max_before == std::numeric_limits<int64_t>::min()
                                        ? std::nullopt
                                        : std::optional<int64_t>(first->max_before);
    }
  }
  if (auto it = replay_until_.find(partition.value()); it != replay_until_.end()) {
    point.resume.processed_until = std::max(point.resume.processed_until, it->second);
  }
  return point;
}

}  // namespace sluice
