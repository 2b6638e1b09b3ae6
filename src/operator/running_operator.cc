#include "operator/running_operator.h"

#include <algorithm>
#include <limits>

#include <arrow/builder.h>

#include "schema/schema.h"

namespace sluice {

RunningOperator::RunningOperator(AggregationPlan plan, KeyEncoder encoder,
                                 std::vector<std::unique_ptr<Accumulator>> accumulators)
    : plan_(std::move(plan)),
      encoder_(std::move(encoder)),
      pool_(std::move(accumulators)),
      timeout_(plan_.options.timeout) {}

int64_t RunningOperator::LatestDeadline(std::string_view key, uint64_t hash) const {
  int64_t latest = std::numeric_limits<int64_t>::min();
  for (const auto& [partition, groups] : partitions_) {
    const uint32_t id = groups.Find(key, hash);
    if (id != Groups::kAbsent) latest = std::max(latest, DeadlineOf(groups.value(id)));
  }
  return latest;
}

void RunningOperator::End(std::string_view key, uint64_t hash) {
  Ended ended{std::string(key), 0, false};
  bool first = true;
  for (auto& [partition, groups] : partitions_) {
    const uint32_t id = groups.Find(key, hash);
    if (id == Groups::kAbsent) continue;
    const Group& g = groups.value(id);
    if (first) {
      ended.slot = g.slot;
      first = false;
    } else {
      pool_.Merge(ended.slot, g.slot);
      pool_.Free(g.slot);
    }
    ended.dirty |= g.dirty;
    groups.Erase(id);
    --groups_;
  }
  if (!first) ended_.push_back(std::move(ended));
}

arrow::Status RunningOperator::Process(const OperatorInput& input, std::vector<int32_t>* /*late_rows*/) {
  const arrow::RecordBatch& batch = input.batch;
  const int64_t n = batch.num_rows();
  if (n == 0) return arrow::Status::OK();
  ARROW_RETURN_NOT_OK(EncodeGroupKeys(plan_, encoder_, batch, &keys_));
  ARROW_ASSIGN_OR_RAISE(arrow::ArrayVector values,
                        plan_.EvaluateArguments(batch, input.processing_time, &expression_errors_));
  const int64_t* event_times = input.event_times;
  if (event_times == nullptr) {
    // Without event time, first/last follow arrival order.
    zero_times_.assign(static_cast<size_t>(n), 0);
    event_times = zero_times_.data();
  }
  rows_.clear();
  slots_.clear();
  int32_t current = std::numeric_limits<int32_t>::min();
  Groups* groups = nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t partition = input.partitions ? input.partitions[i] : 0;
    if (partition != current) {
      groups = &partitions_[partition];
      current = partition;
    }
    const std::string_view key = keys_.key(i);
    const uint64_t hash = keys_.hashes[i];
    if (timeout_.enabled()) {
      // A state that has ended by this record's clock ends before the record counts.
      const int64_t clock = timeout_.event_time ? input.thresholds[i] : input.processing_time;
      const uint32_t existing = groups->Find(key, hash);
      if (existing != Groups::kAbsent && DeadlineOf(groups->value(existing)) <= clock &&
          LatestDeadline(key, hash) <= clock) {
        pool_.Update(values, event_times, &rows_, &slots_);
        End(key, hash);
      }
    }
    bool inserted = false;
    const uint32_t id = groups->FindOrInsert(key, hash, &inserted);
    Group& g = groups->value(id);
    if (inserted) {
      g.slot = pool_.Allocate();
      g.last_event = event_times[i];
      ++groups_;
    }
    g.last_event = std::max(g.last_event, event_times[i]);
    g.last_seen = input.processing_time;
    g.dirty = true;
    if (inserted && timeout_.enabled()) deadlines_.push(Deadline{DeadlineOf(g), partition, id});
    rows_.push_back(static_cast<int32_t>(i));
    slots_.push_back(g.slot);
  }
  pool_.Update(values, event_times, &rows_, &slots_);
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> RunningOperator::AdvanceWatermark(
    Watermark watermark, int64_t processing_time) {
  if (watermark == kWatermarkMax) {
    // The input ended: every state ends.
    for (auto& [partition, groups] : partitions_) {
      for (uint32_t id = 0; id < groups.id_limit(); ++id) {
        if (!groups.live(id)) continue;
        const std::string key(groups.key(id));
        End(key, KeyEncoder::Hash(key));
      }
    }
  } else if (timeout_.enabled()) {
    const int64_t clock = timeout_.event_time ? watermark.value() : processing_time;
    while (!deadlines_.empty() && deadlines_.top().at <= clock) {
      const Deadline deadline = deadlines_.top();
      deadlines_.pop();
      auto it = partitions_.find(deadline.partition);
      if (it == partitions_.end() || !it->second.live(deadline.id)) continue;
      const Group& g = it->second.value(deadline.id);
      if (DeadlineOf(g) > clock) {
        deadlines_.push(Deadline{DeadlineOf(g), deadline.partition, deadline.id});
        continue;
      }
      const std::string key(it->second.key(deadline.id));
      const uint64_t hash = KeyEncoder::Hash(key);
      const int64_t latest = LatestDeadline(key, hash);
      if (latest > clock) {
        deadlines_.push(Deadline{latest, deadline.partition, deadline.id});
        continue;
      }
      End(key, hash);
    }
  }
  return TakeEnded(processing_time);
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> RunningOperator::TakeEnded(int64_t processing_time) {
  if (ended_.empty()) return nullptr;
  ResultRows rows;
  for (const Ended& e : ended_) {
    if (plan_.options.mode != OutputMode::kUpdate || e.dirty) rows.Add(0, 0, e.key, e.slot);
  }
  rows.Sort();
  ARROW_ASSIGN_OR_RAISE(auto batch, BuildResults(plan_, encoder_, pool_.accumulators(), rows, processing_time,
                                                 &expression_errors_));
  for (const Ended& e : ended_) pool_.Free(e.slot);
  ended_.clear();
  if (CompactPartitions(&partitions_)) RebuildDeadlines();
  return batch;
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> RunningOperator::EndTrigger(int64_t processing_time) {
  if (plan_.options.mode == OutputMode::kAppend) return nullptr;
  const bool all = plan_.options.mode == OutputMode::kComplete;
  ResultRows rows;
  std::vector<uint32_t> scratch;
  if (partitions_.size() == 1) {
    Groups& groups = partitions_.begin()->second;
    for (uint32_t id = 0; id < groups.id_limit(); ++id) {
      if (!groups.live(id)) continue;
      Group& g = groups.value(id);
      if (all || g.dirty) rows.Add(0, 0, groups.key(id), g.slot);
      g.dirty = false;
    }
  } else {
    // A group's partials over every partition, merged into a scratch slot.
    KeyTable seen;
    for (auto& [partition, groups] : partitions_) {
      for (uint32_t id = 0; id < groups.id_limit(); ++id) {
        if (!groups.live(id)) continue;
        const std::string_view key = groups.key(id);
        const uint64_t hash = KeyEncoder::Hash(key);
        bool inserted = false;
        seen.FindOrInsert(key, hash, &inserted);
        if (!inserted) continue;
        std::vector<Group*> partials;
        bool dirty = false;
        for (auto& [other, other_groups] : partitions_) {
          const uint32_t other_id = other_groups.Find(key, hash);
          if (other_id == Groups::kAbsent) continue;
          partials.push_back(&other_groups.value(other_id));
          dirty |= partials.back()->dirty;
          partials.back()->dirty = false;
        }
        if (!all && !dirty) continue;
        uint32_t slot = partials[0]->slot;
        if (partials.size() > 1) {
          slot = pool_.Allocate();
          scratch.push_back(slot);
          for (const Group* partial : partials) pool_.Merge(slot, partial->slot);
        }
        rows.Add(0, 0, key, slot);
      }
    }
  }
  rows.Sort();
  ARROW_ASSIGN_OR_RAISE(auto batch, BuildResults(plan_, encoder_, pool_.accumulators(), rows, processing_time,
                                                 &expression_errors_));
  for (uint32_t slot : scratch) pool_.Free(slot);
  return batch;
}

int64_t RunningOperator::ReleaseTime(int64_t /*event_time*/) const {
  // A group's state lives until it times out, which no watermark foretells.
  return kWatermarkMax.value();
}

std::string RunningOperator::LateReason(int64_t /*event_time*/, int64_t /*threshold*/) const {
  return "";  // never late
}

void RunningOperator::RebuildDeadlines() {
  deadlines_ = {};
  if (!timeout_.enabled()) return;
  for (const auto& [partition, groups] : partitions_) {
    for (uint32_t id = 0; id < groups.id_limit(); ++id) {
      if (groups.live(id)) deadlines_.push(Deadline{DeadlineOf(groups.value(id)), partition, id});
    }
  }
}

namespace {

std::shared_ptr<arrow::Schema> RunningSnapshotSchema(const SlotPool& pool) {
  arrow::FieldVector fields = {arrow::field("key", arrow::binary(), false),
                               arrow::field("last_event", TimestampType(), false),
                               arrow::field("last_seen", TimestampType(), false)};
  for (auto& field : pool.StateFields()) fields.push_back(std::move(field));
  return arrow::schema(fields);
}

}  // namespace

arrow::Result<std::vector<PartitionState>> RunningOperator::Snapshot() const {
  std::vector<PartitionState> out;
  for (const auto& [partition, groups] : partitions_) {
    if (groups.empty()) continue;
    arrow::BinaryBuilder keys;
    arrow::TimestampBuilder last_events(TimestampType(), arrow::default_memory_pool());
    arrow::TimestampBuilder last_seens(TimestampType(), arrow::default_memory_pool());
    std::vector<uint32_t> slots;
    for (uint32_t id = 0; id < groups.id_limit(); ++id) {
      if (!groups.live(id)) continue;
      const Group& g = groups.value(id);
      ARROW_RETURN_NOT_OK(keys.Append(groups.key(id)));
      ARROW_RETURN_NOT_OK(last_events.Append(g.last_event));
      ARROW_RETURN_NOT_OK(last_seens.Append(g.last_seen));
      slots.push_back(g.slot);
    }
    arrow::ArrayVector columns(3);
    ARROW_RETURN_NOT_OK(keys.Finish(&columns[0]));
    ARROW_RETURN_NOT_OK(last_events.Finish(&columns[1]));
    ARROW_RETURN_NOT_OK(last_seens.Finish(&columns[2]));
    ARROW_ASSIGN_OR_RAISE(arrow::ArrayVector state, pool_.ExportState(slots));
    for (auto& column : state) columns.push_back(std::move(column));
    out.push_back(PartitionState{
        partition,
        arrow::RecordBatch::Make(RunningSnapshotSchema(pool_), static_cast<int64_t>(slots.size()), columns)});
  }
  return out;
}

arrow::Status RunningOperator::Restore(int32_t partition, const arrow::RecordBatch& state) {
  const auto schema = RunningSnapshotSchema(pool_);
  if (!state.schema()->Equals(*schema, /*check_metadata=*/false)) {
    return arrow::Status::Invalid("running aggregate state has columns ", state.schema()->ToString(),
                                  ", expected ", schema->ToString());
  }
  if (auto it = partitions_.find(partition); it != partitions_.end() && !it->second.empty())
    return arrow::Status::Invalid("partition ", partition, " already holds running aggregate state");
  Groups& groups = partitions_[partition];
  const auto& keys = static_cast<const arrow::BinaryArray&>(*state.column(0));
  const auto& last_events = static_cast<const arrow::TimestampArray&>(*state.column(1));
  const auto& last_seens = static_cast<const arrow::TimestampArray&>(*state.column(2));
  std::vector<uint32_t> slots;
  for (int64_t r = 0; r < state.num_rows(); ++r) {
    const std::string_view key = keys.GetView(r);
    bool inserted = false;
    const uint32_t id = groups.FindOrInsert(key, KeyEncoder::Hash(key), &inserted);
    if (!inserted) return arrow::Status::Invalid("running aggregate state repeats a group");
    Group& g = groups.value(id);
    g = Group{pool_.Allocate(), last_events.Value(r), last_seens.Value(r), false};
    ++groups_;
    slots.push_back(g.slot);
    if (timeout_.enabled()) deadlines_.push(Deadline{DeadlineOf(g), partition, id});
  }
  return pool_.ImportState(state, 3, slots);
}

int64_t RunningOperator::DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) {
  const int64_t dropped = DropPartitionState(&partitions_, partitions, shared, [&](const Group& g) {
    pool_.Free(g.slot);
    return int64_t{1};
  });
  groups_ -= dropped;
  return dropped;
}

size_t RunningOperator::state_bytes() const {
  size_t bytes = pool_.memory_bytes() + deadlines_.size() * sizeof(Deadline);
  for (const auto& [partition, groups] : partitions_) bytes += groups.memory_bytes();
  return bytes;
}

}  // namespace sluice
