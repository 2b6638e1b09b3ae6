#include "operator/window_operator.h"

#include <fmt/format.h>

#include "common/time_util.h"
#include "window/result_rows.h"

namespace sluice {

WindowOperator::WindowOperator(AggregationPlan plan, KeyEncoder encoder,
                               std::vector<std::unique_ptr<Accumulator>> accumulators)
    : plan_(std::move(plan)),
      update_(plan_.options.mode == OutputMode::kUpdate),
      encoder_(std::move(encoder)),
      state_(std::move(accumulators)) {}

arrow::Status WindowOperator::Process(const OperatorInput& input, std::vector<int32_t>* late_rows) {
  const arrow::RecordBatch& batch = input.batch;
  const int64_t n = batch.num_rows();
  if (n == 0) return arrow::Status::OK();
  const int64_t* event_times = input.event_times;
  const int64_t* thresholds = input.thresholds;
  ARROW_RETURN_NOT_OK(EncodeGroupKeys(plan_, encoder_, batch, &keys_));

  rows_.clear();
  slots_.clear();
  const int64_t size = plan_.window.size.count();
  const int64_t slide = plan_.window.slide.count();
  WindowState::Window* window = nullptr;
  WindowState::Part* part = nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = event_times[i];
    const int32_t partition = input.partitions ? input.partitions[i] : 0;
    int64_t start = plan_.window.LastStart(t);
    if (start + size <= thresholds[i]) {
      late_rows->push_back(static_cast<int32_t>(i));
      continue;
    }
    // Windows containing t, latest first; stop at the first that has already ended.
    for (; start > t - size && start + size > thresholds[i]; start -= slide) {
      if (window == nullptr || window->start != start) {
        window = state_.FindOrCreate(start, start + size);
        part = nullptr;
      }
      if (part == nullptr || part->partition != partition) part = state_.FindPart(window, partition);
      rows_.push_back(static_cast<int32_t>(i));
      slots_.push_back(state_.SlotFor(part, keys_.key(i), keys_.hashes[i]));
    }
  }
  if (rows_.empty()) return arrow::Status::OK();

  ARROW_ASSIGN_OR_RAISE(arrow::ArrayVector values,
                        plan_.EvaluateArguments(batch, input.processing_time, &expression_errors_));
  if (update_) {
    for (uint32_t slot : slots_) {
      if (slot >= dirty_.size()) dirty_.resize(std::max<size_t>(slot + 1, dirty_.size() * 2), 0);
      dirty_[slot] = 1;
    }
  }
  state_.pool().Update(values, event_times, &rows_, &slots_);
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> WindowOperator::AdvanceWatermark(Watermark watermark,
                                                                                    int64_t processing_time) {
  ResultRows rows;
  arrow::RecordBatchVector batches;
  while (!state_.empty() && state_.front().end <= watermark.value()) {
    const WindowState::Window& window = state_.front();
    rows.Clear();
    std::vector<uint32_t> scratch;
    if (update_) {
      ChangedGroups(window, &rows, &scratch);
    } else {
      std::vector<std::string_view> keys;
      state_.MergeFront(&keys, &slots_);
      for (size_t g = 0; g < keys.size(); ++g) rows.Add(window.start, window.end, keys[g], slots_[g]);
    }
    ARROW_ASSIGN_OR_RAISE(auto batch, BuildResults(plan_, encoder_, state_.accumulators(), rows,
                                                   processing_time, &expression_errors_));
    if (batch) batches.push_back(std::move(batch));
    for (uint32_t slot : scratch) state_.pool().Free(slot);
    state_.PopFront();
  }
  if (batches.empty()) return nullptr;
  if (batches.size() == 1) return batches[0];
  return arrow::ConcatenateRecordBatches(batches);
}

void WindowOperator::ChangedGroups(const WindowState::Window& window, ResultRows* rows,
                                   std::vector<uint32_t>* scratch) {
  if (window.parts.size() == 1) {
    const WindowState::Part& part = window.parts.front();
    for (uint32_t id = 0; id < part.groups.size(); ++id) {
      const uint32_t slot = part.slots[id];
      if (!Dirty(slot)) continue;
      dirty_[slot] = 0;
      rows->Add(window.start, window.end, part.groups.key(id), slot);
    }
    return;
  }
  // Per group (first-seen order), its partials; merged into a scratch slot.
  KeyTable groups;
  std::vector<std::vector<uint32_t>> partials;
  std::vector<std::string_view> keys;
  std::vector<uint8_t> changed;
  for (const WindowState::Part& part : window.parts) {
    for (uint32_t id = 0; id < part.groups.size(); ++id) {
      const std::string_view key = part.groups.key(id);
      bool inserted = false;
      const uint32_t index = groups.FindOrInsert(key, KeyEncoder::Hash(key), &inserted);
      if (inserted) {
        partials.emplace_back();
        keys.push_back(key);
        changed.push_back(0);
      }
      const uint32_t slot = part.slots[id];
      partials[index].push_back(slot);
      if (Dirty(slot)) {
        changed[index] = 1;
        dirty_[slot] = 0;
      }
    }
  }
  for (size_t g = 0; g < keys.size(); ++g) {
    if (!changed[g]) continue;
    uint32_t slot = partials[g][0];
    if (partials[g].size() > 1) {
      slot = state_.pool().Allocate();
      scratch->push_back(slot);
      for (uint32_t partial : partials[g]) state_.pool().Merge(slot, partial);
    }
    rows->Add(window.start, window.end, keys[g], slot);
  }
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> WindowOperator::EndTrigger(int64_t processing_time) {
  if (!update_) return nullptr;
  ResultRows rows;
  std::vector<uint32_t> scratch;
  for (const auto& [bounds, window] : state_.windows()) ChangedGroups(window, &rows, &scratch);
  ARROW_ASSIGN_OR_RAISE(auto batch, BuildResults(plan_, encoder_, state_.accumulators(), rows,
                                                 processing_time, &expression_errors_));
  for (uint32_t slot : scratch) state_.pool().Free(slot);
  return batch;
}

int64_t WindowOperator::ReleaseTime(int64_t event_time) const {
  return plan_.window.LastStart(event_time) + plan_.window.size.count();
}

std::string WindowOperator::LateReason(int64_t event_time, int64_t threshold) const {
  return fmt::format("late for '{}': every window containing {} ended at or before the watermark {}",
                     plan_.name, FormatTimestamp(event_time), FormatTimestamp(threshold));
}

std::string WindowOperator::StateSignature() const { return plan_.Signature(); }

arrow::Result<std::vector<PartitionState>> WindowOperator::Snapshot() const {
  std::vector<PartitionState> out;
  for (int32_t partition : state_.Partitions()) {
    ARROW_ASSIGN_OR_RAISE(auto batch, state_.Snapshot(partition));
    out.push_back(PartitionState{partition, std::move(batch)});
  }
  return out;
}

arrow::Status WindowOperator::Restore(int32_t partition, const arrow::RecordBatch& state) {
  return state_.Restore(partition, state);
}

int64_t WindowOperator::DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) {
  return state_.DropPartitions(partitions, shared);
}

}  // namespace sluice
