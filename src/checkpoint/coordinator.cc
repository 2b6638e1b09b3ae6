#include "checkpoint/coordinator.h"

#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/fault.h"

namespace sluice {

std::string KafkaSourceIdentity(const std::vector<std::string>& topics, const std::string& pattern,
                                const std::string& group) {
  std::string what = pattern.empty() ? "topics=" : "pattern=" + pattern;
  for (size_t i = 0; i < topics.size(); ++i) what += (i ? "," : "") + topics[i];
  return "kafka " + what + " group=" + group;
}

std::string FileSourceIdentity(const std::string& pattern) { return "files pattern=" + pattern; }

arrow::Result<std::unique_ptr<CheckpointCoordinator>> CheckpointCoordinator::Open(Storage* storage,
                                                                                  CheckpointOptions options,
                                                                                  Clock* clock) {
  auto store = storage->Open(options.location);
  if (!store.ok()) return store.status().WithMessage("checkpoint: ", store.status().message());
  auto coordinator =
      std::unique_ptr<CheckpointCoordinator>(new CheckpointCoordinator(std::move(options), *store, clock));
  ARROW_ASSIGN_OR_RAISE(coordinator->names_, coordinator->store_.List());
  for (const auto& name : coordinator->names_) {
    coordinator->next_epoch_ =
        std::max(coordinator->next_epoch_, CheckpointStore::ParseName(name)->epoch + 1);
  }
  // The newest readable checkpoint tells whose checkpoints these are.
  for (auto it = coordinator->names_.rbegin(); it != coordinator->names_.rend(); ++it) {
    auto checkpoint = coordinator->store_.Read(*it);
    if (!checkpoint.ok()) continue;
    ARROW_RETURN_NOT_OK(coordinator->CheckSource(*checkpoint));
    if (coordinator->options_.self_committing) coordinator->newest_.emplace(*it, std::move(*checkpoint));
    break;
  }
  return coordinator;
}

CheckpointCoordinator::CheckpointCoordinator(CheckpointOptions options, std::shared_ptr<ObjectStore> store,
                                             Clock* clock)
    : options_(std::move(options)), store_(std::move(store)), clock_(clock) {}

void CheckpointCoordinator::AddOutput(const std::string& name, std::shared_ptr<ObjectStore> store) {
  outputs_[name] = std::move(store);
}

std::string CheckpointCoordinator::StagedPath(int64_t epoch, const std::string& final_path) const {
  std::string escaped;
  for (char ch : final_path) {
    if (ch == '/') {
      escaped += "%2F";
    } else if (ch == '%') {
      escaped += "%25";
    } else {
      escaped += ch;
    }
  }
  return fmt::format("{}/{}.{}.{}.staged", kStagingRoot, options_.writer, epoch, escaped);
}

arrow::Status CheckpointCoordinator::CheckSource(const Checkpoint& checkpoint) const {
  if (checkpoint.source == options_.source) return arrow::Status::OK();
  return arrow::Status::Invalid(
      "checkpoint ", store_.uri(), " belongs to another source (", checkpoint.source, ") than this run's (",
      options_.source,
      "): give the pipeline a new checkpoint.path (or --checkpoint PATH), or delete "
      "the old checkpoint to start over");
}

arrow::Result<std::optional<Checkpoint>> CheckpointCoordinator::RecoverNewest() {
  for (auto it = names_.rbegin(); it != names_.rend(); ++it) {
    arrow::Result<Checkpoint> checkpoint = arrow::Status::UnknownError("not read");
    if (newest_ && newest_->first == *it) {
      checkpoint = std::move(newest_->second);
      newest_.reset();
    } else {
      checkpoint = store_.Read(*it);
    }
    if (checkpoint.status().IsKeyError()) continue;  // deleted since it was listed
    if (!checkpoint.ok()) {
      spdlog::warn("{}; using the checkpoint before it", checkpoint.status().message());
      continue;
    }
    ARROW_RETURN_NOT_OK(CheckSource(*checkpoint));
    ARROW_ASSIGN_OR_RAISE(bool published, store_.IsPublished(*it));
    if (!published) {
      ARROW_RETURN_NOT_OK(PublishFiles(*checkpoint));
      ARROW_RETURN_NOT_OK(store_.MarkPublished(*it));
    }
    ARROW_RETURN_NOT_OK(RemoveStaleStaging());
    return std::optional<Checkpoint>(std::move(*checkpoint));
  }
  ARROW_RETURN_NOT_OK(RemoveStaleStaging());
  return std::nullopt;
}

arrow::Result<std::shared_ptr<const Checkpoint>> CheckpointCoordinator::Load(const std::string& name) {
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
  auto checkpoint = store_.Read(name);
  if (!checkpoint.ok()) {
    const std::string problem = checkpoint.status().IsKeyError()
                                    ? fmt::format("{} does not exist", store_.Where(name))
                                    : checkpoint.status().message();
    return arrow::Status::Invalid(
        "the group's committed offsets name checkpoint ", name, ", but ", problem,
        ": run with the checkpoint.path the group used, or with --rebuild-state to rebuild the state from "
        "the topic");
  }
  ARROW_RETURN_NOT_OK(CheckSource(*checkpoint));
  ARROW_ASSIGN_OR_RAISE(bool published, store_.IsPublished(name));
  if (!published) {
    ARROW_RETURN_NOT_OK(PublishFiles(*checkpoint));
    ARROW_RETURN_NOT_OK(store_.MarkPublished(name));
  }
  next_epoch_ = std::max(next_epoch_, checkpoint->epoch + 1);
  auto shared = std::make_shared<const Checkpoint>(std::move(*checkpoint));
  loaded_[name] = shared;
  if (!cleaned_) ARROW_RETURN_NOT_OK(RemoveStaleStaging());
  return shared;
}

arrow::Result<std::optional<std::pair<std::string, std::shared_ptr<const Checkpoint>>>>
CheckpointCoordinator::NewestPublishedWith(const std::string& topic, int32_t partition) {
  for (auto it = names_.rbegin(); it != names_.rend(); ++it) {
    ARROW_ASSIGN_OR_RAISE(bool published, store_.IsPublished(*it));
    if (!published) continue;
    std::shared_ptr<const Checkpoint> checkpoint;
    if (auto cached = loaded_.find(*it); cached != loaded_.end()) {
      checkpoint = cached->second;
    } else {
      auto read = store_.Read(*it);
      if (!read.ok() || read->source != options_.source) continue;  // damaged, deleted or foreign
      checkpoint = loaded_[*it] = std::make_shared<const Checkpoint>(std::move(*read));
    }
    for (const PartitionCheckpoint& p : checkpoint->partitions) {
      if (p.topic == topic && p.partition == partition)
        return std::make_optional(std::make_pair(*it, checkpoint));
    }
  }
  return std::nullopt;
}

arrow::Status CheckpointCoordinator::Write(const Checkpoint& checkpoint) {
  const int64_t start = clock_->MonotonicMicros();
  ARROW_ASSIGN_OR_RAISE(int64_t bytes, store_.Write(checkpoint));
  stats_.written += 1;
  stats_.last_epoch = checkpoint.epoch;
  stats_.last_bytes = bytes;
  stats_.last_write_seconds = static_cast<double>(clock_->MonotonicMicros() - start) / 1e6;
  names_.push_back(CheckpointStore::NameFor(checkpoint.epoch, checkpoint.writer));
  return arrow::Status::OK();
}

arrow::Status CheckpointCoordinator::PublishFiles(const Checkpoint& checkpoint) {
  for (const StagedOutputFile& file : checkpoint.staged) {
    auto it = outputs_.find(file.output);
    if (it == outputs_.end()) {
      return arrow::Status::Invalid(
          "checkpoint epoch ", checkpoint.epoch, " holds files of output '", file.output,
          "', which the pipeline no longer has: add the output back until a run has "
          "published them, or use a new checkpoint.path");
    }
    ObjectStore& store = *it->second;
    ARROW_ASSIGN_OR_RAISE(bool staged, store.Exists(file.staged));
    if (staged) {
      ARROW_RETURN_NOT_OK(store.Move(file.staged, file.final));
      ++stats_.files_published;
      FaultPoint("publish-file");
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(bool visible, store.Exists(file.final));
    if (!visible) {
      return arrow::Status::IOError(
          "checkpoint epoch ", checkpoint.epoch, " lists ", store.FullPath(file.staged),
          ", which is neither staged nor published: the output location was changed "
          "or cleaned behind sluice's back");
    }
  }
  return arrow::Status::OK();
}

arrow::Status CheckpointCoordinator::Publish(const Checkpoint& checkpoint) {
  ARROW_RETURN_NOT_OK(PublishFiles(checkpoint));
  FaultPoint("after-publish");
  ARROW_RETURN_NOT_OK(store_.MarkPublished(CheckpointStore::NameFor(checkpoint.epoch, checkpoint.writer)));
  return DeleteOldCheckpoints();
}

arrow::Status CheckpointCoordinator::Discard(const Checkpoint& checkpoint) {
  for (const StagedOutputFile& file : checkpoint.staged) {
    auto it = outputs_.find(file.output);
    if (it != outputs_.end()) ARROW_RETURN_NOT_OK(it->second->Delete(file.staged));
  }
  return arrow::Status::OK();
}

arrow::Status CheckpointCoordinator::RemoveStaleStaging() {
  cleaned_ = true;
  const int64_t cutoff = clock_->NowMicros() - options_.staging_retention.count();
  int64_t removed = 0;
  // Kafka: an epoch with a checkpoint may be committed, its files not yet published by
  // whoever loads it: only files of epochs without a checkpoint are stale.
  const std::set<std::string> checkpoints(names_.begin(), names_.end());
  auto has_checkpoint = [&](const std::string& path) {
    const std::string base = path.substr(path.rfind('/') + 1);  // <writer>.<epoch>.<final path>.staged
    const size_t dot = base.find('.');
    const size_t next = dot == std::string::npos ? dot : base.find('.', dot + 1);
    if (next == std::string::npos) return false;
    const std::string epoch = base.substr(dot + 1, next - dot - 1);
    if (epoch.empty() || epoch.find_first_not_of("0123456789") != std::string::npos) return false;
    return checkpoints.count(CheckpointStore::NameFor(std::stoll(epoch), base.substr(0, dot))) > 0;
  };
  for (const auto& [name, store] : outputs_) {
    ARROW_ASSIGN_OR_RAISE(auto files, store->List(kStagingRoot));
    for (const auto& file : files) {
      if (!options_.self_committing && (file.modified_micros > cutoff || has_checkpoint(file.path))) continue;
      ARROW_RETURN_NOT_OK(store->Delete(file.path));
      ++removed;
      ++stats_.staged_removed;
    }
  }
  if (removed > 0) spdlog::info("removed {} staged files of epochs that were never committed", removed);
  return arrow::Status::OK();
}

arrow::Status CheckpointCoordinator::DeleteOldCheckpoints() {
  // Self-committing sources have one process: every earlier run's checkpoints are its
  // own. Kafka groups share the store: only this writer's are known to be superseded.
  std::vector<std::string> own;
  for (const auto& name : names_) {
    if (options_.self_committing || CheckpointStore::ParseName(name)->writer == options_.writer)
      own.push_back(name);
  }
  if (static_cast<int>(own.size()) <= options_.keep) return arrow::Status::OK();
  const size_t excess = own.size() - static_cast<size_t>(options_.keep);
  for (size_t i = 0; i < excess; ++i) {
    if (still_named_) {
      ARROW_ASSIGN_OR_RAISE(bool named, still_named_(own[i]));
      if (named) continue;
    }
    ARROW_RETURN_NOT_OK(store_.Delete(own[i]));
    std::erase(names_, own[i]);
  }
  return arrow::Status::OK();
}

}  // namespace sluice
