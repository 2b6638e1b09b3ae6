#include "operator/session_operator.h"

#include <algorithm>
#include <limits>

#include <arrow/builder.h>
#include <fmt/format.h>

#include "common/time_util.h"
#include "schema/schema.h"

namespace sluice {

SessionOperator::SessionOperator(AggregationPlan plan, KeyEncoder encoder,
                                 std::vector<std::unique_ptr<Accumulator>> accumulators)
    : plan_(std::move(plan)),
      encoder_(std::move(encoder)),
      pool_(std::move(accumulators)),
      gap_(plan_.window.size.count()),
      max_duration_(plan_.window.max_duration.count()) {}

void SessionOperator::Push(int64_t end, uint32_t slot, int32_t partition, uint32_t id) {
  deadlines_.push(Deadline{end, slot, partition, id});
}

bool SessionOperator::OpenElsewhere(std::string_view key, uint64_t hash, int64_t t, int64_t threshold,
                                    int32_t partition) const {
  for (const auto& [p, groups] : partitions_) {
    if (p == partition) continue;
    const uint32_t id = groups.Find(key, hash);
    if (id == Groups::kAbsent) continue;
    for (const Session& s : groups.value(id)) {
      const int64_t end = End(s);
      if (!s.sealed && end > threshold && s.start < t + gap_ && t < end) return true;
    }
  }
  return false;
}

arrow::Status SessionOperator::Process(const OperatorInput& input, std::vector<int32_t>* late_rows) {
  const arrow::RecordBatch& batch = input.batch;
  const int64_t n = batch.num_rows();
  if (n == 0) return arrow::Status::OK();
  ARROW_RETURN_NOT_OK(EncodeGroupKeys(plan_, encoder_, batch, &keys_));
  ARROW_ASSIGN_OR_RAISE(arrow::ArrayVector values,
                        plan_.EvaluateArguments(batch, input.processing_time, &expression_errors_));
  rows_.clear();
  slots_.clear();
  const int64_t* event_times = input.event_times;
  int32_t current = std::numeric_limits<int32_t>::min();
  Groups* groups = nullptr;
  std::vector<size_t> hits;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = event_times[i];
    const int64_t threshold = input.thresholds[i];
    const int32_t partition = input.partitions ? input.partitions[i] : 0;
    if (partition != current) {
      groups = &partitions_[partition];
      current = partition;
    }
    const std::string_view key = keys_.key(i);
    bool inserted = false;
    const uint32_t id = groups->FindOrInsert(key, keys_.hashes[i], &inserted);
    Sessions& sessions = groups->value(id);
    // Sessions this record finds ended are closed for good; the open ones it overlaps
    // (and may join, max_duration permitting) are hits, in start order.
    hits.clear();
    for (size_t s = 0; s < sessions.size(); ++s) {
      Session& session = sessions[s];
      if (session.sealed) continue;
      const int64_t end = End(session);
      if (end <= threshold) {
        session.sealed = true;
        continue;
      }
      if (session.start < t + gap_ && t < end && Accepts(session, t)) hits.push_back(s);
    }
    if (hits.size() > 1 && max_duration_ > 0) {
      int64_t lo = std::min(t, sessions[hits[0]].start), hi = std::max(t, sessions[hits[0]].last);
      size_t keep = 1;
      for (; keep < hits.size(); ++keep) {
        const Session& s = sessions[hits[keep]];
        if (std::max(hi, s.last) - std::min(lo, s.start) >= max_duration_) break;
        lo = std::min(lo, s.start);
        hi = std::max(hi, s.last);
      }
      hits.resize(keep);
    }
    uint32_t slot = 0;
    if (hits.empty()) {
      if (t + gap_ <= threshold && !OpenElsewhere(key, keys_.hashes[i], t, threshold, partition)) {
        late_rows->push_back(static_cast<int32_t>(i));
        if (sessions.empty()) groups->Erase(id);
        continue;
      }
      const Session fresh{t, t, pool_.Allocate(), false};
      auto at = std::upper_bound(sessions.begin(), sessions.end(), t,
                                 [](int64_t start, const Session& s) { return start < s.start; });
      sessions.insert(at, fresh);
      slot = fresh.slot;
      Push(End(fresh), slot, partition, id);
    } else {
      Session& target = sessions[hits[0]];
      const int64_t end_before = End(target);
      const int64_t start_before = target.start;
      target.start = std::min(target.start, t);
      target.last = std::max(target.last, t);
      if (hits.size() > 1) {
        // Pending rows of the merged slots are applied before their states fold.
        pool_.Update(values, event_times, &rows_, &slots_);
        for (size_t h = 1; h < hits.size(); ++h) {
          const Session& other = sessions[hits[h]];
          target.start = std::min(target.start, other.start);
          target.last = std::max(target.last, other.last);
          pool_.Merge(target.slot, other.slot);
          pool_.Free(other.slot);
        }
        for (size_t h = hits.size(); h-- > 1;)
          sessions.erase(sessions.begin() + static_cast<ptrdiff_t>(hits[h]));
      }
      slot = target.slot;
      // A grown end is found when the old deadline comes due; a shrunk one (max_duration
      // with an earlier start) needs its own.
      if (End(target) < end_before) Push(End(target), slot, partition, id);
      if (target.start < start_before) {
        std::sort(sessions.begin(), sessions.end(),
                  [](const Session& a, const Session& b) { return a.start < b.start; });
      }
    }
    rows_.push_back(static_cast<int32_t>(i));
    slots_.push_back(slot);
  }
  pool_.Update(values, event_times, &rows_, &slots_);
  return arrow::Status::OK();
}

void SessionOperator::CloseIfDue(const Deadline& deadline, int64_t watermark, ResultRows* out) {
  auto it = partitions_.find(deadline.partition);
  if (it == partitions_.end() || !it->second.live(deadline.id)) return;
  Groups& groups = it->second;
  Sessions& sessions = groups.value(deadline.id);
  auto own = std::find_if(sessions.begin(), sessions.end(),
                          [&](const Session& s) { return s.slot == deadline.slot; });
  if (own == sessions.end()) return;  // merged or emitted since
  const int64_t end = End(*own);
  if (end > watermark) {
    Push(end, own->slot, deadline.partition, deadline.id);
    return;
  }
  const std::string_view key = groups.key(deadline.id);
  if (own->sealed || partitions_.size() == 1) {
    out->Add(own->start, end, key, own->slot);
    freed_.push_back(own->slot);
    sessions.erase(own);
    if (sessions.empty()) groups.Erase(deadline.id);
    return;
  }
  // The open sessions of this group in every partition, joined where they overlap.
  struct Member {
    Groups* groups;
    uint32_t id;
    Session session;
    int64_t end;
  };
  std::vector<Member> members;
  const uint64_t hash = KeyEncoder::Hash(key);
  for (auto& [p, g] : partitions_) {
    const uint32_t id = g.Find(key, hash);
    if (id == Groups::kAbsent) continue;
    for (const Session& s : g.value(id)) {
      if (!s.sealed) members.push_back(Member{&g, id, s, End(s)});
    }
  }
  std::sort(members.begin(), members.end(),
            [](const Member& a, const Member& b) { return a.session.start < b.session.start; });
  size_t first = 0;
  int64_t joined_end = members[0].end;
  size_t last = 0;
  bool found = members[0].session.slot == deadline.slot;
  for (size_t m = 1; m < members.size(); ++m) {
    if (members[m].session.start < joined_end) {
      joined_end = std::max(joined_end, members[m].end);
    } else {
      if (found) break;
      first = m;
      joined_end = members[m].end;
    }
    last = m;
    found |= members[m].session.slot == deadline.slot;
  }
  if (joined_end > watermark) {
    Push(joined_end, deadline.slot, deadline.partition, deadline.id);
    return;
  }
  const uint32_t target = members[first].session.slot;
  out->Add(members[first].session.start, joined_end, key, target);
  freed_.push_back(target);
  for (size_t m = first; m <= last; ++m) {
    const Member& member = members[m];
    if (m != first) {
      pool_.Merge(target, member.session.slot);
      pool_.Free(member.session.slot);
    }
    Sessions& of = member.groups->value(member.id);
    std::erase_if(of, [&](const Session& s) { return s.slot == member.session.slot; });
    if (of.empty()) member.groups->Erase(member.id);
  }
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> SessionOperator::AdvanceWatermark(
    Watermark watermark, int64_t processing_time) {
  ResultRows out;
  while (!deadlines_.empty() && deadlines_.top().end <= watermark.value()) {
    const Deadline deadline = deadlines_.top();
    deadlines_.pop();
    CloseIfDue(deadline, watermark.value(), &out);
  }
  if (out.empty()) return nullptr;
  out.Sort();
  // Keys are views into the groups' arenas: renumbering waits until the rows are built.
  ARROW_ASSIGN_OR_RAISE(auto batch, BuildResults(plan_, encoder_, pool_.accumulators(), out, processing_time,
                                                 &expression_errors_));
  for (uint32_t slot : freed_) pool_.Free(slot);
  freed_.clear();
  if (CompactPartitions(&partitions_)) RebuildDeadlines();
  return batch;
}

void SessionOperator::RebuildDeadlines() {
  deadlines_ = {};
  for (const auto& [partition, groups] : partitions_) {
    for (uint32_t id = 0; id < groups.id_limit(); ++id) {
      if (!groups.live(id)) continue;
      for (const Session& s : groups.value(id)) Push(End(s), s.slot, partition, id);
    }
  }
}

int64_t SessionOperator::ReleaseTime(int64_t /*event_time*/) const {
  // A session grows as long as records keep coming: no watermark is known in advance
  // at which a record's session has been emitted.
  return kWatermarkMax.value();
}

std::string SessionOperator::LateReason(int64_t event_time, int64_t threshold) const {
  return fmt::format(
      "late for '{}': its session [{}, {}) ends at or before the watermark {} and overlaps no open session "
      "of its group",
      plan_.name, FormatTimestamp(event_time), FormatTimestamp(event_time + gap_),
      FormatTimestamp(threshold));
}

std::shared_ptr<arrow::Schema> SessionOperator::SnapshotSchema() const {
  arrow::FieldVector fields = {arrow::field("window_start", TimestampType(), false),
                               arrow::field("last_event", TimestampType(), false),
                               arrow::field("key", arrow::binary(), false),
                               arrow::field("sealed", arrow::boolean(), false)};
  for (auto& field : pool_.StateFields()) fields.push_back(std::move(field));
  return arrow::schema(fields);
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> SessionOperator::SnapshotPartition(
    int32_t /*partition*/, const Groups& groups) const {
  arrow::TimestampBuilder starts(TimestampType(), arrow::default_memory_pool());
  arrow::TimestampBuilder lasts(TimestampType(), arrow::default_memory_pool());
  arrow::BinaryBuilder keys;
  arrow::BooleanBuilder sealed;
  std::vector<uint32_t> slots;
  for (uint32_t id = 0; id < groups.id_limit(); ++id) {
    if (!groups.live(id)) continue;
    for (const Session& s : groups.value(id)) {
      ARROW_RETURN_NOT_OK(starts.Append(s.start));
      ARROW_RETURN_NOT_OK(lasts.Append(s.last));
      ARROW_RETURN_NOT_OK(keys.Append(groups.key(id)));
      ARROW_RETURN_NOT_OK(sealed.Append(s.sealed));
      slots.push_back(s.slot);
    }
  }
  arrow::ArrayVector columns(4);
  ARROW_RETURN_NOT_OK(starts.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(lasts.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(keys.Finish(&columns[2]));
  ARROW_RETURN_NOT_OK(sealed.Finish(&columns[3]));
  ARROW_ASSIGN_OR_RAISE(arrow::ArrayVector state, pool_.ExportState(slots));
  for (auto& column : state) columns.push_back(std::move(column));
  return arrow::RecordBatch::Make(SnapshotSchema(), static_cast<int64_t>(slots.size()), columns);
}

arrow::Result<std::vector<PartitionState>> SessionOperator::Snapshot() const {
  std::vector<PartitionState> out;
  for (const auto& [partition, groups] : partitions_) {
    if (groups.empty()) continue;
    ARROW_ASSIGN_OR_RAISE(auto batch, SnapshotPartition(partition, groups));
    out.push_back(PartitionState{partition, std::move(batch)});
  }
  return out;
}

arrow::Status SessionOperator::Restore(int32_t partition, const arrow::RecordBatch& state) {
  if (!state.schema()->Equals(*SnapshotSchema(), /*check_metadata=*/false)) {
    return arrow::Status::Invalid("session state has columns ", state.schema()->ToString(), ", expected ",
                                  SnapshotSchema()->ToString());
  }
  if (auto it = partitions_.find(partition); it != partitions_.end() && !it->second.empty())
    return arrow::Status::Invalid("partition ", partition, " already holds session state");
  Groups& groups = partitions_[partition];
  const auto& starts = static_cast<const arrow::TimestampArray&>(*state.column(0));
  const auto& lasts = static_cast<const arrow::TimestampArray&>(*state.column(1));
  const auto& keys = static_cast<const arrow::BinaryArray&>(*state.column(2));
  const auto& sealed = static_cast<const arrow::BooleanArray&>(*state.column(3));
  std::vector<uint32_t> slots;
  slots.reserve(state.num_rows());
  for (int64_t r = 0; r < state.num_rows(); ++r) {
    if (starts.Value(r) > lasts.Value(r))
      return arrow::Status::Invalid("session state ends before it starts");
    const std::string_view key = keys.GetView(r);
    bool inserted = false;
    const uint32_t id = groups.FindOrInsert(key, KeyEncoder::Hash(key), &inserted);
    const Session s{starts.Value(r), lasts.Value(r), pool_.Allocate(), sealed.Value(r)};
    groups.value(id).push_back(s);
    slots.push_back(s.slot);
  }
  ARROW_RETURN_NOT_OK(pool_.ImportState(state, 4, slots));
  for (uint32_t id = 0; id < groups.id_limit(); ++id) {
    if (!groups.live(id)) continue;
    Sessions& sessions = groups.value(id);
    std::sort(sessions.begin(), sessions.end(),
              [](const Session& a, const Session& b) { return a.start < b.start; });
    for (const Session& s : sessions) Push(End(s), s.slot, partition, id);
  }
  return arrow::Status::OK();
}

int64_t SessionOperator::DropPartitions(const std::vector<int32_t>& partitions, int64_t* shared) {
  return DropPartitionState(&partitions_, partitions, shared, [&](const Sessions& sessions) {
    for (const Session& s : sessions) pool_.Free(s.slot);
    return static_cast<int64_t>(sessions.size());
  });
}

size_t SessionOperator::state_bytes() const {
  size_t bytes = pool_.memory_bytes() + deadlines_.size() * sizeof(Deadline);
  for (const auto& [partition, groups] : partitions_) bytes += groups.memory_bytes();
  // Each group's session vector: one allocation holding its sessions.
  return bytes + static_cast<size_t>(pool_.live()) * (sizeof(Session) + 16);
}

}  // namespace sluice
