#include "pipeline/progress_counters.h"

namespace sluice {

ProgressCounters::Partition& ProgressCounters::At(int32_t id) {
  const size_t index = static_cast<size_t>(id < 0 ? 0 : id);
  if (index >= partitions_.size()) partitions_.resize(index + 1);
  return partitions_[index];
}

ProgressCounters::Partition ProgressCounters::partition(int32_t id) const {
  const size_t index = static_cast<size_t>(id < 0 ? 0 : id);
  return index < partitions_.size() ? partitions_[index] : Partition{};
}

void ProgressCounters::CountRead(const RawBatch& raw) {
  int32_t last = -1;
  Partition* counts = nullptr;
  for (size_t i = 0; i < raw.size(); ++i) {
    const int32_t id = raw.position(i).input.value();
    if (id != last || counts == nullptr) {
      counts = &At(id);
      last = id;
    }
    counts->records += 1;
  }
}

void ProgressCounters::CountRejected(const RawBatch& raw, const Rejection& rejection, std::string position,
                                     int64_t micros) {
  At(raw.position(rejection.record).input.value()).rejected += 1;
  std::string stage(StageName(rejection.stage));
  auto [it, added] = rejections_.try_emplace({stage, rejection.rule});
  RejectionProgress& r = it->second;
  if (added) {
    r.stage = std::move(stage);
    r.rule = rejection.rule;
  }
  r.records += 1;
  r.last_position = std::move(position);
  r.last_micros = micros;
}

void ProgressCounters::AddFile(WrittenFile file) {
  recent_files_.push_back(std::move(file));
  if (recent_files_.size() > kRecentFiles) recent_files_.pop_front();
}

std::vector<RejectionProgress> ProgressCounters::Rejections() const {
  std::vector<RejectionProgress> out;
  out.reserve(rejections_.size());
  for (const auto& [key, r] : rejections_) out.push_back(r);
  return out;
}

}  // namespace sluice
