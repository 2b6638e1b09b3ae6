// The runner's progress: statistics, progress lines and the reports its observers get
// (RunProgress, TriggerProgress).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "pipeline/runner.h"

namespace sluice {
namespace {

constexpr int64_t kReportInterval = 250'000;  // micros between unforced reports

std::optional<int64_t> WatermarkValue(Watermark w) {
  if (w == kWatermarkMin || w == kWatermarkMax) return std::nullopt;
  return w.value();
}

}  // namespace

void Runner::RefreshStats() {
  stats_.raw_rows_written = stats_.windows_written = stats_.files_written = stats_.bytes_written = 0;
  stats_.open_windows = stats_.expression_errors = 0;
  int64_t publish_wait = 0;
  for (size_t i = 0; i < outputs_.size(); ++i) {
    // Rows written: the Parquet sink's, else the console's.
    const auto& sink = outputs_[i].sink ? outputs_[i].sink->stats() : outputs_[i].console->stats();
    publish_wait += sink.publish_wait_micros;
    auto& o = stats_.outputs[i];
    o.rows = sink.rows;
    o.files = sink.files;
    o.bytes = sink.bytes;
    o.late = outputs_[i].late;
    (o.aggregation ? stats_.windows_written : stats_.raw_rows_written) += sink.rows;
    stats_.files_written += sink.files;
    stats_.bytes_written += sink.bytes;
    stats_.expression_errors += sink.expression_errors + outputs_[i].filter_errors;
    if (outputs_[i].op) {
      stats_.open_windows += outputs_[i].op->open_groups();
      stats_.expression_errors += outputs_[i].op->expression_errors();
    }
  }
  for (const auto* sink : {dead_letter_.get(), late_.get()}) {
    if (sink == nullptr) continue;
    stats_.files_written += sink->stats().files;
    stats_.bytes_written += sink->stats().bytes;
    stats_.expression_errors += sink->stats().expression_errors;
    publish_wait += sink->stats().publish_wait_micros;
  }
  stats_.publish_wait_seconds = static_cast<double>(publish_wait) / 1e6;
  stats_.bytes_read = source_->stats().bytes;
  stats_.s3 = storage_->s3_stats();
  if (tracker_) {
    Watermark w = tracker_->Current();
    if (w != kWatermarkMin && w != kWatermarkMax) stats_.watermark = w.value();
  }
  stats_.elapsed_seconds = static_cast<double>(clock_->MonotonicMicros() - started_) / 1e6;
}

void Runner::LogProgress(double seconds) {
  const RunStats& last = last_trigger_stats_;
  int64_t records = stats_.records_read - last.records_read;
  std::string groups;
  for (const auto& o : outputs_) {
    if (o.op) groups = fmt::format(" | open {} windows", stats_.open_windows);
  }
  spdlog::log(
      options_.log_progress ? spdlog::level::info : spdlog::level::debug,
      "trigger {} | {} records ({:.0f}/s) | valid {} | dead letter {} | late {} | raw rows {} | windows {} | "
      "files {} | watermark {}{}",
      stats_.triggers, records, seconds > 0 ? static_cast<double>(records) / seconds : 0.0,
      stats_.valid - last.valid, stats_.invalid - last.invalid, stats_.late - last.late,
      stats_.raw_rows_written - last.raw_rows_written, stats_.windows_written - last.windows_written,
      stats_.files_written - last.files_written, stats_.watermark ? FormatTimestamp(*stats_.watermark) : "-",
      groups);
}

std::string Runner::FilesName() const {
  if (options_.input) return *options_.input;
  return plan_.spec.source.files ? plan_.spec.source.files->path : "";
}

RunPhase Runner::Phase(std::string* detail) const {
  if (phase_ != RunPhase::kRunning) return phase_;
  if (restoring_) {
    *detail = "loading the state of assigned partitions from their checkpoint";
    return RunPhase::kRecovering;
  }
  if (rewind_) {
    *detail = "going back to the committed checkpoint";
    return RunPhase::kRecovering;
  }
  if (!replay_until_.empty()) {
    *detail = fmt::format("replaying {} partition(s) to rebuild open windows", replay_until_.size());
    return RunPhase::kRecovering;
  }
  if (retained_ && owned_.empty()) {
    *detail = "waiting for the consumer group to assign partitions";
    return RunPhase::kAssigning;
  }
  return RunPhase::kRunning;
}

void Runner::Report(bool force) {
  if (options_.observers.empty()) return;
  const int64_t mono = clock_->MonotonicMicros();
  if (!force && mono - last_report_ < kReportInterval) return;
  last_report_ = mono;
  // After the run the statistics are final (the summary's; a Kafka source that left its
  // group holds no state any more).
  if (phase_ != RunPhase::kFinished && phase_ != RunPhase::kFailed) RefreshStats();
  RunProgress progress;
  progress.run_id = options_.run_id;
  progress.pipeline = plan_.spec.name.empty() ? plan_.spec.file : plan_.spec.name;
  progress.started_micros = started_wall_;
  progress.micros = clock_->NowMicros();
  progress.phase = Phase(&progress.phase_detail);
  progress.triggers = stats_.triggers;
  const int64_t ready_after = retained_ ? ready_after_trigger_ : 0;
  progress.ready = progress.phase == RunPhase::kRunning && ready_after >= 0 && stats_.triggers > ready_after;
  if (progress.phase == RunPhase::kRunning && !progress.ready)
    progress.phase_detail = "the first trigger is in progress";
  progress.stats = stats_;
  for (size_t i = 0; i < outputs_.size(); ++i) {
    OutputProgress o{stats_.outputs[i], outputs_[i].op ? "aggregation" : "raw",
                     outputs_[i].sink ? outputs_[i].sink->FullPath("") : "console", 0, 0};
    if (outputs_[i].op) {
      o.open_groups = outputs_[i].op->open_groups();
      o.state_bytes = static_cast<int64_t>(outputs_[i].op->state_bytes());
    }
    progress.outputs.push_back(std::move(o));
  }
  for (const ParquetSink* sink : {dead_letter_.get(), late_.get()}) {
    if (sink == nullptr) continue;
    const SinkStats& s = sink->stats();
    progress.outputs.push_back(OutputProgress{OutputStats{sink->name(), false, s.rows, s.files, s.bytes, 0},
                                              sink->name(), sink->FullPath(""), 0, 0});
  }
  auto partition = [&](int32_t id, std::string topic, int32_t number) {
    const ProgressCounters::Partition counts = counters_.partition(id);
    PartitionProgress p{std::move(topic), number, counts.records, counts.valid, counts.rejected, counts.late};
    if (tracker_) p.watermark = WatermarkValue(tracker_->PartitionWatermark(PartitionId(id)));
    if (auto it = activity_.find(id); it != activity_.end()) p.idle = it->second.idle;
    p.replaying = replay_until_.count(id) > 0;
    return p;
  };
  if (retained_) {
    for (const auto& [id, owned] : owned_) {
      PartitionProgress p = partition(id, owned.topic, owned.partition);
      p.position = owned.next_offset;
      p.high_watermark = source_->HighWatermark(PartitionId(id));
      progress.partitions.push_back(std::move(p));
    }
  } else {
    progress.partitions.push_back(partition(0, FilesName(), 0));
  }
  progress.rejections = counters_.Rejections();
  // Files made visible by the sinks themselves (runs without a checkpoint; otherwise
  // NoteCheckpoint adds the published ones).
  const std::vector<ParquetSink*> sinks = Sinks();
  for (ParquetSink* sink : sinks) {
    for (VisibleFile& file : sink->TakeVisible())
      counters_.AddFile(
          WrittenFile{sink->name(), std::move(file.path), file.rows, file.bytes, progress.micros});
  }
  progress.recent_files = counters_.RecentFiles();
  progress.checkpoint = checkpoint_progress_;
  if (stats_.s3) progress.upload_buffered_bytes = stats_.s3->buffered;
  if (auto input = source_->InputProgress()) {
    progress.input_bytes_done = input->done;
    progress.input_bytes_total = input->total;
  }
  for (RunObserver* observer : options_.observers) observer->OnProgress(progress);
}

void Runner::ReportTrigger(int64_t mono, int64_t epoch) {
  const RunStats& last = last_trigger_stats_;
  const int64_t records = stats_.records_read - last.records_read;
  const bool wrote = stats_.files_written != last.files_written;
  Report(true);
  if (options_.observers.empty() || (records == 0 && !wrote)) return;
  TriggerProgress t;
  t.trigger = stats_.triggers;
  t.epoch = checkpoint_ ? epoch : 0;
  t.start_micros = trigger_start_wall_;
  t.end_micros = clock_->NowMicros();
  t.duration_seconds = MicrosToSeconds(mono - trigger_started_);
  t.records = records;
  const double busy = t.duration_seconds - MicrosToSeconds(trigger_waited_);
  t.input_rate = t.duration_seconds > 0 ? static_cast<double>(records) / t.duration_seconds : 0;
  t.processed_rate = busy > 0 ? static_cast<double>(records) / busy : t.input_rate;
  t.valid = stats_.valid - last.valid;
  t.rejected = stats_.invalid - last.invalid;
  t.late = stats_.late - last.late;
  t.watermark = stats_.watermark;
  if (retained_) {
    for (const auto& [id, owned] : owned_) {
      TriggerProgress::Source source{owned.topic,
                                     owned.partition,
                                     std::nullopt,
                                     owned.next_offset,
                                     source_->HighWatermark(PartitionId(id)),
                                     0};
      auto start = trigger_start_offsets_.find(id);
      source.start_offset = start != trigger_start_offsets_.end() ? start->second : owned.assigned_offset;
      auto read = trigger_start_records_.find(id);
      source.records =
          counters_.partition(id).records - (read != trigger_start_records_.end() ? read->second : 0);
      t.sources.push_back(std::move(source));
    }
  } else {
    t.sources.push_back(
        TriggerProgress::Source{FilesName(), 0, std::nullopt, std::nullopt, std::nullopt, records});
  }
  for (size_t i = 0; i < outputs_.size(); ++i) {
    const OutputStats& now = stats_.outputs[i];
    const OutputStats& before = last.outputs.size() > i ? last.outputs[i] : OutputStats{};
    TriggerProgress::Sink sink{
        now.name, now.rows - before.rows, now.files - before.files, now.bytes - before.bytes, 0, 0};
    if (outputs_[i].op) {
      sink.open_groups = outputs_[i].op->open_groups();
      sink.state_bytes = static_cast<int64_t>(outputs_[i].op->state_bytes());
    }
    t.sinks.push_back(std::move(sink));
  }
  for (RunObserver* observer : options_.observers) observer->OnTrigger(t);
}

void Runner::NoteCheckpoint(const Checkpoint& checkpoint, double seconds) {
  CheckpointProgress& c = checkpoint_progress_ ? *checkpoint_progress_ : checkpoint_progress_.emplace();
  c.location = *CheckpointLocation();
  c.completed += 1;
  c.last_epoch = checkpoint.epoch;
  c.last_bytes = checkpoint_->stats().last_bytes;
  c.last_seconds = seconds;
  c.last_micros = clock_->NowMicros();
  c.open_groups = checkpoint.state_rows();
  for (const StagedOutputFile& file : checkpoint.staged) {
    std::string path = file.final;
    for (ParquetSink* sink : Sinks()) {
      if (sink->name() == file.output) path = sink->FullPath(file.final);
    }
    counters_.AddFile(WrittenFile{file.output, std::move(path), file.rows, file.bytes, c.last_micros});
  }
  for (RunObserver* observer : options_.observers) observer->OnCheckpoint(c);
}

}  // namespace sluice
