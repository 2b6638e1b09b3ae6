#include "pipeline/runner.h"

#include <ctime>
#include <limits>
#include <random>
#include <thread>

#include <arrow/compute/api.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "expr/evaluator.h"
#include "operator/operators.h"
#include "source/file_source.h"
#include "source/kafka_source.h"

namespace sluice {
namespace {

namespace cp = arrow::compute;

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

std::string NewRunId(Clock* clock) {
  CivilTime t = CivilFromMicros(clock->NowMicros());
  std::random_device random;
  return fmt::format("{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}Z-{:04x}", t.year, t.month, t.day, t.hour,
                     t.minute, t.second, random() & 0xffff);
}

Runner::Runner(const Plan& plan, RunOptions options, Clock* clock)
    : plan_(plan), options_(std::move(options)), clock_(clock) {}

Runner::~Runner() = default;

arrow::Result<std::unique_ptr<Runner>> Runner::Make(const Plan& plan, RunOptions options, Clock* clock) {
  if (options.run_id.empty()) options.run_id = NewRunId(clock);
  auto runner = std::unique_ptr<Runner>(new Runner(plan, std::move(options), clock));
  ARROW_RETURN_NOT_OK(runner->Open());
  return runner;
}

arrow::Status Runner::Open() {
  // Outputs first: a storage that cannot be written stops the run before it joins a
  // consumer group.
  const std::optional<std::string> checkpoint_location = CheckpointLocation();
  S3Config s3 = plan_.s3.value_or(S3Config{});
  if (checkpoint_location && Storage::IsS3Uri(*checkpoint_location) && !plan_.s3) {
    // --checkpoint s3://... for a pipeline whose outputs are local.
    ARROW_RETURN_NOT_OK(ValidateS3Config(plan_.spec.s3));
    s3 = plan_.spec.s3;
  }
  storage_ = std::make_unique<Storage>(s3);
  std::vector<std::pair<std::string, std::shared_ptr<ObjectStore>>> stores;
  auto open_sink =
      [&](const std::string& name, const SinkPlan& sink,
          const std::shared_ptr<arrow::Schema>& schema) -> arrow::Result<std::unique_ptr<ParquetSink>> {
    auto store = storage_->Open(sink.spec.path);
    if (!store.ok()) {
      return store.status().WithMessage(plan_.spec.Where(sink.spec.line), ": ", name, ": ",
                                        store.status().message());
    }
    stores.emplace_back(name, *store);
    return ParquetSink::Make(name, *store, "", schema, sink.options, options_.run_id, clock_);
  };
  for (const auto& output : plan_.outputs) {
    Output out;
    out.plan = &output;
    if (output.parquet) {
      ARROW_ASSIGN_OR_RAISE(out.sink, open_sink(output.name, *output.parquet, output.schema));
    }
    if (output.console) {
      out.console = std::make_unique<ConsoleSink>(
          output.name, ConsoleSinkOptions{output.console->rows, output.console->truncate});
    }
    if (output.aggregation) {
      ARROW_ASSIGN_OR_RAISE(out.op, MakeOperator(*output.aggregation));
    }
    outputs_.push_back(std::move(out));
    stats_.outputs.push_back(OutputStats{output.name, output.aggregation.has_value()});
  }
  if (plan_.dead_letter) {
    ARROW_ASSIGN_OR_RAISE(dead_letter_, open_sink("dead_letter", *plan_.dead_letter, RejectedRecordSchema()));
  }
  if (plan_.late) {
    ARROW_ASSIGN_OR_RAISE(late_, open_sink("late", *plan_.late, RejectedRecordSchema()));
  }
  if (!dead_letter_) spdlog::warn("no dead_letter output: rejected records will only be counted and logged");
  bool windows = false;
  for (const auto& output : outputs_) windows |= output.op != nullptr;
  if (windows && !late_) spdlog::warn("no late output: late records will only be counted and logged");
  if (plan_.event_time_column >= 0) tracker_ = std::make_unique<WatermarkTracker>(plan_.watermark_delay);
  ARROW_RETURN_NOT_OK(OpenCheckpoint(stores));

  if (plan_.kafka && !options_.input) {
    KafkaSourceOptions kafka = *plan_.kafka;
    kafka.bounded = options_.mode != RunMode::kContinuous;
    kafka.stop = options_.stop;
    kafka.strict_commits = checkpoint_ != nullptr;
    kafka.rebuild_state = options_.rebuild_state;
    auto made = KafkaSource::Make(std::move(kafka), clock_);
    if (!made.ok()) {
      return made.status().WithMessage(plan_.spec.Where(plan_.spec.source.kafka->line),
                                       ": source.kafka: ", made.status().message());
    }
    source_ = std::move(*made);
    retained_ = std::make_unique<RetainedOffsets>();
  } else {
    FileSourceOptions files;
    if (options_.input) {
      files.pattern = *options_.input;
    } else {
      files.pattern = plan_.spec.source.files->path;
      files.follow = plan_.spec.source.files->follow && options_.mode == RunMode::kContinuous;
      files.poll_interval = plan_.spec.source.files->poll_interval;
    }
    if (options_.rebuild_state) {
      return arrow::Status::Invalid(
          "--rebuild-state replays a Kafka topic; a files pipeline's state is in its checkpoint (give a new "
          "checkpoint.path to start afresh)");
    }
    ARROW_ASSIGN_OR_RAISE(source_, FileSource::Make(files, clock_));
    ARROW_RETURN_NOT_OK(RecoverFiles());
  }
  source_->SetListener(this);
  ARROW_ASSIGN_OR_RAISE(validator_, RecordValidator::Make(plan_));
  StartEpoch();
  return arrow::Status::OK();
}

std::string Runner::Where(const RawBatch& raw, int32_t record) const {
  const RecordPosition& position = raw.position(record);
  if (retained_)
    return fmt::format("{}[{}]@{}", raw.source_name(record), position.partition, position.offset.value());
  return fmt::format("{}:{}", raw.source_name(record), position.offset.value());
}

void Runner::Reject(const RawBatch& raw, Rejection rejection, std::vector<Rejection>* out) {
  if (IsReplayed(rejection.record)) return;  // written to the dead letter by an earlier run
  if (logged_rejections_ < 5 || spdlog::should_log(spdlog::level::debug)) {
    ++logged_rejections_;
    spdlog::log(logged_rejections_ <= 5 ? spdlog::level::warn : spdlog::level::debug, "{} {}: {}",
                rejection.stage == Stage::kLate ? "late" : "dead letter", Where(raw, rejection.record),
                rejection.reason);
    if (logged_rejections_ == 5)
      spdlog::warn("further rejected records are counted but not logged (--log-level debug shows them)");
  }
  out->push_back(std::move(rejection));
}

arrow::Status Runner::ProcessBatch(const RawBatch& raw) {
  const int64_t now = epoch_time_;
  stats_.records_read += static_cast<int64_t>(raw.size());
  epoch_records_ += static_cast<int64_t>(raw.size());
  counters_.CountRead(raw);
  if (!owned_.empty()) {
    for (size_t i = 0; i < raw.size(); ++i) {
      const RecordPosition& position = raw.position(i);
      auto it = owned_.find(position.input.value());
      if (it != owned_.end()) it->second.next_offset = position.offset.value() + 1;
    }
  }
  MarkReplayed(raw);
  ARROW_ASSIGN_OR_RAISE(RecordValidator::Validated validated, validator_->Validate(raw, now));
  std::vector<Rejection> rejections;
  for (Rejection& r : validated.rejections) Reject(raw, std::move(r), &rejections);
  // A replayed record was counted by an earlier run, but takes the same path.
  for (int32_t record : validated.record_index) {
    if (IsReplayed(record)) continue;
    ++stats_.valid;
    counters_.CountValid(raw, record);
  }
  for (int32_t record : validated.filtered) {
    if (IsReplayed(record)) continue;
    ++stats_.valid;
    ++stats_.filtered;
    counters_.CountValid(raw, record);
  }
  const ValidRows valid{std::move(validated.batch), std::move(validated.record_index)};
  if (valid.batch->num_rows() > 0) ARROW_RETURN_NOT_OK(WriteOutputs(raw, valid, now));
  ARROW_RETURN_NOT_OK(WriteRejected(raw, &rejections, now));
  return EmitWindows(now);
}

arrow::Status Runner::WriteOutputs(const RawBatch& raw, const ValidRows& valid, int64_t now) {
  const arrow::RecordBatch& batch = *valid.batch;
  const int64_t n = batch.num_rows();
  // Watermark: the threshold judging each row, advancing record by record.
  const int64_t* times = nullptr;
  std::vector<int64_t> thresholds;
  std::vector<int32_t> partitions;
  std::vector<int64_t> max_before;
  if (tracker_) {
    times = static_cast<const arrow::TimestampArray&>(*batch.column(plan_.event_time_column)).raw_values();
    partitions.resize(n);
    for (int64_t row = 0; row < n; ++row)
      partitions[row] = raw.position(valid.record_index[row]).input.value();
    thresholds.resize(n);
    if (retained_) {
      // A replayed row is judged by its partition alone, exactly as the earlier owner
      // judged it (see PartitionResume).
      std::vector<int64_t> partition_thresholds(n);
      max_before.resize(n);
      tracker_->Advance(times, partitions.data(), n, thresholds.data(), partition_thresholds.data(),
                        max_before.data());
      if (!replayed_.empty()) {
        for (int64_t row = 0; row < n; ++row) {
          if (IsReplayed(valid.record_index[row])) thresholds[row] = partition_thresholds[row];
        }
      }
    } else {
      tracker_->Advance(times, partitions.data(), n, thresholds.data());
    }
  }

  for (auto& output : outputs_) {
    // The rows this output receives: those its filter keeps (rows_in, with the valid
    // row of each in `selected`), or all.
    ARROW_ASSIGN_OR_RAISE(std::optional<std::vector<int32_t>> selected, Select(output, batch, now));
    std::shared_ptr<arrow::RecordBatch> rows_in = valid.batch;
    if (selected) {
      arrow::Int32Builder indices;
      ARROW_RETURN_NOT_OK(indices.AppendValues(*selected));
      ARROW_ASSIGN_OR_RAISE(auto take, indices.Finish());
      ARROW_ASSIGN_OR_RAISE(arrow::Datum taken, cp::Take(valid.batch, take));
      rows_in = taken.record_batch();
    }
    const int64_t m = rows_in->num_rows();
    auto original = [&](int64_t row) -> int64_t { return selected ? (*selected)[row] : row; };
    if (m == 0) continue;
    if (!output.op) {
      // Replayed rows were written by an earlier run: raw outputs get the others only.
      std::shared_ptr<arrow::RecordBatch> fresh = rows_in;
      if (!replayed_.empty()) {
        arrow::BooleanBuilder keep;
        ARROW_RETURN_NOT_OK(keep.Reserve(m));
        for (int64_t row = 0; row < m; ++row)
          keep.UnsafeAppend(!IsReplayed(valid.record_index[original(row)]));
        ARROW_ASSIGN_OR_RAISE(auto mask, keep.Finish());
        ARROW_ASSIGN_OR_RAISE(arrow::Datum filtered, cp::Filter(rows_in, mask));
        fresh = filtered.record_batch();
      }
      if (fresh->num_rows() == 0) continue;
      ARROW_ASSIGN_OR_RAISE(auto projected, fresh->SelectColumns(output.plan->projection));
      ARROW_RETURN_NOT_OK(WriteTo(output, projected));
      continue;
    }
    // Per-row inputs of the operator, for the selected rows.
    std::vector<int64_t> selected_times, selected_thresholds;
    std::vector<int32_t> selected_partitions;
    const int64_t* op_times = times;
    const int64_t* op_thresholds = thresholds.data();
    const int32_t* op_partitions = partitions.data();
    if (selected && tracker_) {
      for (int32_t row : *selected) {
        selected_times.push_back(times[row]);
        selected_thresholds.push_back(thresholds[row]);
        selected_partitions.push_back(partitions[row]);
      }
      op_times = selected_times.data();
      op_thresholds = selected_thresholds.data();
      op_partitions = selected_partitions.data();
    }
    std::vector<int32_t> late_rows;
    ARROW_RETURN_NOT_OK(
        output.op->Process(OperatorInput{*rows_in, op_times, op_thresholds, op_partitions, now}, &late_rows));
    if (retained_) {
      // Every row the operator took stays needed until its state is emitted.
      size_t next_late = 0;
      for (int64_t row = 0; row < m; ++row) {
        if (next_late < late_rows.size() && late_rows[next_late] == row) {
          ++next_late;
          continue;
        }
        const int64_t at = original(row);
        const RecordPosition& position = raw.position(valid.record_index[at]);
        retained_->Hold(position.input, position.offset.value(), output.op->ReleaseTime(times[at]),
                        max_before[at]);
      }
    }
    for (int32_t& row : late_rows) row = static_cast<int32_t>(original(row));
    // A replayed row judged late was counted (in a window or as late) by an earlier run.
    std::erase_if(late_rows, [&](int32_t row) { return IsReplayed(valid.record_index[row]); });
    output.late += static_cast<int64_t>(late_rows.size());
    stats_.late += static_cast<int64_t>(late_rows.size());
    for (int32_t row : late_rows) {
      counters_.CountLate(raw, valid.record_index[row]);
      Rejection late{valid.record_index[row], Stage::kLate,
                     output.op->LateReason(times[row], thresholds[row]), times[row], output.plan->name};
      if (logged_rejections_ < 5) {
        std::vector<Rejection> ignored;
        Reject(raw, late, &ignored);
      }
      if (late_) ARROW_RETURN_NOT_OK(late_builder_.Add(raw, late, &output.plan->name, thresholds[row]));
    }
  }
  if (late_ && late_builder_.size() > 0) {
    ARROW_ASSIGN_OR_RAISE(auto late_batch, late_builder_.Finish(now));
    ARROW_RETURN_NOT_OK(late_->Write(late_batch));
  }
  return arrow::Status::OK();
}

arrow::Result<std::optional<std::vector<int32_t>>> Runner::Select(Output& output,
                                                                  const arrow::RecordBatch& batch,
                                                                  int64_t now) {
  if (!output.plan->filter) return std::nullopt;
  std::vector<RowError> errors;
  ARROW_ASSIGN_OR_RAISE(auto values, EvaluateIsolatingErrors(output.plan->filter->expr, batch, now, &errors));
  output.filter_errors += static_cast<int64_t>(errors.size());
  const auto& keep = static_cast<const arrow::BooleanArray&>(*values);
  std::vector<int32_t> rows;
  for (int64_t row = 0; row < keep.length(); ++row) {
    if (keep.IsValid(row) && keep.Value(row)) rows.push_back(static_cast<int32_t>(row));
  }
  return rows;
}

arrow::Status Runner::WriteTo(Output& output, const std::shared_ptr<arrow::RecordBatch>& rows) {
  if (output.sink) ARROW_RETURN_NOT_OK(output.sink->Write(rows));
  if (output.console) ARROW_RETURN_NOT_OK(output.console->Write(rows));
  return arrow::Status::OK();
}

arrow::Status Runner::WriteRejected(const RawBatch& raw, std::vector<Rejection>* rejections, int64_t now) {
  stats_.invalid += static_cast<int64_t>(rejections->size());
  const int64_t wall = rejections->empty() ? 0 : clock_->NowMicros();
  for (const auto& r : *rejections) {
    ++stats_.invalid_by_stage[std::string(StageName(r.stage))];
    counters_.CountRejected(raw, r, Where(raw, r.record), wall);
  }
  if (!dead_letter_ || rejections->empty()) return arrow::Status::OK();
  std::sort(rejections->begin(), rejections->end(),
            [](const Rejection& a, const Rejection& b) { return a.record < b.record; });
  for (const auto& r : *rejections)
    ARROW_RETURN_NOT_OK(dead_letter_builder_.Add(raw, r, nullptr, std::nullopt));
  ARROW_ASSIGN_OR_RAISE(auto batch, dead_letter_builder_.Finish(now));
  return dead_letter_->Write(batch);
}

arrow::Status Runner::EmitWindows(int64_t now) {
  // Without event time only running aggregates exist: their watermark is the input's
  // end (processing-time timeouts read `now`).
  Watermark watermark = tracker_ ? tracker_->Current() : input_ended_ ? kWatermarkMax : kWatermarkMin;
  // While a partition is replaying, windows after its floor may still receive replayed
  // records (its earlier owner dropped them unemitted): they wait for the replay to end,
  // so that each is emitted once, complete.
  for (const auto& [input, until] : replay_until_) {
    const int64_t floor = tracker_->Floor(PartitionId(input));
    if (floor < watermark.value()) watermark = Watermark(floor);
  }
  for (auto& output : outputs_) {
    if (!output.op) continue;
    ARROW_ASSIGN_OR_RAISE(auto windows, output.op->AdvanceWatermark(watermark, now));
    if (!windows) continue;
    ARROW_RETURN_NOT_OK(WriteTo(output, windows));
    if (watermark == kWatermarkMax && output.plan->aggregation->window.has_bounds()) {
      // At the end of a bounded run every window is emitted: what is emitted ends at
      // the largest window end, not at +infinity (later readers of the partitions
      // must still accept newer records).
      const auto& ends = static_cast<const arrow::TimestampArray&>(*windows->GetColumnByName("window_end"));
      for (int64_t i = 0; i < ends.length(); ++i)
        emitted_watermark_ = std::max(emitted_watermark_, ends.Value(i));
    }
  }
  if (retained_) retained_->Release(watermark);
  if (tracker_ && watermark != kWatermarkMax) emitted_watermark_ = watermark.value();
  return arrow::Status::OK();
}

std::vector<ParquetSink*> Runner::Sinks() const {
  std::vector<ParquetSink*> sinks;
  for (const auto& output : outputs_) {
    if (output.sink) sinks.push_back(output.sink.get());
  }
  for (auto* sink : {dead_letter_.get(), late_.get()}) {
    if (sink) sinks.push_back(sink);
  }
  return sinks;
}

arrow::Status Runner::CommitTriggers(size_t max_pending) {
  const std::vector<ParquetSink*> sinks = Sinks();
  while (!pending_.empty()) {
    const PendingTrigger& trigger = pending_.front();
    const bool wait = pending_.size() > max_pending;
    for (size_t i = 0; i < sinks.size(); ++i) {
      if (wait) {
        ARROW_RETURN_NOT_OK(sinks[i]->WaitVisible(trigger.marks[i]));
      } else {
        ARROW_ASSIGN_OR_RAISE(bool visible, sinks[i]->Visible(trigger.marks[i]));
        if (!visible) return arrow::Status::OK();
      }
    }
    if (trigger.checkpoint) {
      ARROW_RETURN_NOT_OK(CommitEpoch(trigger));
      if (rewind_) return arrow::Status::OK();  // the commit was rejected: pending_ is dropped
    } else {
      ARROW_RETURN_NOT_OK(source_->CommitPrepared(trigger.ticket));
    }
    pending_.pop_front();
  }
  return arrow::Status::OK();
}

arrow::Status Runner::EndEpoch(size_t max_pending) {
  // Update and complete modes: the results of this trigger belong to its epoch.
  for (auto& output : outputs_) {
    if (output.op) {
      ARROW_ASSIGN_OR_RAISE(auto rows, output.op->EndTrigger(epoch_time_));
      if (rows) ARROW_RETURN_NOT_OK(WriteTo(output, rows));
    }
    // The console shows the trigger's rows now (it keeps nothing for later).
    if (output.console) ARROW_RETURN_NOT_OK(output.console->CompleteFiles().status());
  }
  PendingTrigger trigger;
  for (ParquetSink* sink : Sinks()) {
    ARROW_ASSIGN_OR_RAISE(int64_t mark, sink->CompleteFiles());
    trigger.marks.push_back(mark);
  }
  bool commit = true;
  if (checkpoint_) {
    // After a dropped epoch the state is stale until the source rewinds: nothing of it
    // is committed.
    if (rewind_) return DiscardUncommitted("");
    const int64_t started = clock_->MonotonicMicros();
    ARROW_ASSIGN_OR_RAISE(trigger.checkpoint, SnapshotEpoch());
    trigger.snapshot_seconds = static_cast<double>(clock_->MonotonicMicros() - started) / 1e6;
    commit = trigger.checkpoint != nullptr;  // an epoch that changed nothing commits nothing
    if (commit) {
      trigger.commit.checkpoint = checkpoint_->NameFor(trigger.checkpoint->epoch);
      for (const auto& [id, owned] : owned_) trigger.commit.offsets[id] = owned.next_offset;
      prepared_ = trigger.commit;
    }
  }
  if (commit) {
    trigger.ticket = source_->PrepareCommit();
    pending_.push_back(std::move(trigger));
  }
  ARROW_RETURN_NOT_OK(CommitTriggers(max_pending));
  StartEpoch();
  return arrow::Status::OK();
}

arrow::Status Runner::EndTrigger(bool final) {
  const int64_t epoch = epoch_;
  // The files of one trigger may be published while the next one runs; not more.
  ARROW_RETURN_NOT_OK(EndEpoch(final ? 0 : 1));
  if (final && rewind_) {
    return arrow::Status::IOError(
        "the last epochs were not committed (see the warning above): nothing of them was published; run "
        "again to process their records");
  }
  ++stats_.triggers;
  // A new epoch has a new processing time: processing-time timeouts may have passed.
  if (!final) ARROW_RETURN_NOT_OK(EmitWindows(epoch_time_));
  RefreshStats();
  const int64_t mono = clock_->MonotonicMicros();
  if (stats_.records_read != last_trigger_stats_.records_read || final) {
    LogProgress(static_cast<double>(mono - trigger_started_) / 1e6);
  }
  ReportTrigger(mono, epoch);
  last_trigger_stats_ = stats_;
  trigger_started_ = mono;
  trigger_start_wall_ = clock_->NowMicros();
  trigger_waited_ = 0;
  trigger_start_offsets_.clear();
  trigger_start_records_.clear();
  for (const auto& [id, owned] : owned_) {
    trigger_start_offsets_[id] = owned.next_offset;
    trigger_start_records_[id] = counters_.partition(id).records;
  }
  return arrow::Status::OK();
}

arrow::Status Runner::Run(const std::atomic<bool>& stop) {
  const double cpu_start = CpuSeconds();
  arrow::Status status = RunTriggers(stop);
  // A failed run's summary shows how far it got (files visible, retries).
  if (!status.ok()) RefreshStats();
  stats_.cpu_seconds = CpuSeconds() - cpu_start;
  phase_ = status.ok() ? RunPhase::kFinished : RunPhase::kFailed;
  Report(true);
  return status;
}

arrow::Status Runner::RunTriggers(const std::atomic<bool>& stop) {
  started_ = trigger_started_ = clock_->MonotonicMicros();
  started_wall_ = trigger_start_wall_ = clock_->NowMicros();
  phase_ = RunPhase::kRunning;
  Report(true);
  const int64_t batch_size = options_.batch_size.value_or(plan_.spec.trigger.batch_size);
  const int64_t interval = plan_.spec.trigger.interval.count();
  spdlog::info("running {}: {}", plan_.spec.name.empty() ? plan_.spec.file : plan_.spec.name,
               source_->Describe());
  const int64_t max_records = plan_.spec.trigger.max_records;
  RawBatch raw;
  bool ended = false;
  while (!stop.load()) {
    int64_t remaining = trigger_started_ + interval - clock_->MonotonicMicros();
    int64_t room = batch_size;
    if (max_records > 0) {
      room = std::min(room, max_records - (stats_.records_read - last_trigger_stats_.records_read));
      if (room <= 0) {
        // The trigger's share is read: a bounded run starts the next trigger at once, a
        // continuous one waits for the interval (librdkafka keeps the group membership).
        if (options_.mode == RunMode::kContinuous && remaining > 0) {
          std::this_thread::sleep_for(std::chrono::microseconds(std::min<int64_t>(remaining, 100'000)));
          Report(false);
        } else {
          ARROW_RETURN_NOT_OK(EndTrigger(false));
        }
        continue;
      }
    }
    Duration timeout(std::clamp<int64_t>(remaining, 0, 200'000));
    const int64_t asked = clock_->MonotonicMicros();
    ARROW_ASSIGN_OR_RAISE(bool more, source_->Next(room, timeout, &raw));
    ARROW_RETURN_NOT_OK(std::exchange(listener_error_, arrow::Status::OK()));
    if (raw.empty()) trigger_waited_ += clock_->MonotonicMicros() - asked;
    Report(false);
    if (rewind_) {
      // Records read since the last commit were dropped with their epochs: read again.
      rewind_ = false;
      raw.Clear();
      arrow::Status rewound = source_->Rewind();
      if (rewound.IsIOError()) {
        // The group cannot be reached (a broker outage): nothing is read until it can.
        spdlog::warn("cannot go back to the committed offsets yet ({}); retrying", rewound.message());
        rewind_ = true;
        std::this_thread::sleep_for(std::chrono::seconds(1));
        continue;
      }
      ARROW_RETURN_NOT_OK(rewound);
      ARROW_RETURN_NOT_OK(std::exchange(listener_error_, arrow::Status::OK()));
      continue;
    }
    const int64_t mono = clock_->MonotonicMicros();
    NoteArrivals(raw, mono);
    if (!raw.empty()) {
      ARROW_RETURN_NOT_OK(ProcessBatch(raw));
      if (tracker_) {
        last_record_mono_ = mono;
        quiet_base_ = tracker_->Current().value();
        quiet_logged_ = false;
      }
    }
    const bool idle = MarkIdlePartitions(mono);
    if (idle | FollowClockWhenQuiet(mono)) ARROW_RETURN_NOT_OK(EmitWindows(epoch_time_));
    for (auto& output : outputs_) {
      if (output.sink) ARROW_RETURN_NOT_OK(output.sink->Tick());
    }
    ARROW_RETURN_NOT_OK(CommitTriggers(pending_.size()));
    if (!more) {
      ended = true;
      break;
    }
    if (clock_->MonotonicMicros() >= trigger_started_ + interval) ARROW_RETURN_NOT_OK(EndTrigger(false));
  }
  if (ended && options_.mode != RunMode::kOnce) {
    RefreshStats();         // keep the last event-time watermark for the summary
    replay_until_.clear();  // the input is over: nothing can be replayed any more
    input_ended_ = true;
    if (tracker_) tracker_->Finish();
    ARROW_RETURN_NOT_OK(EmitWindows(epoch_time_));
  }
  if (!ended) spdlog::info("stopping: completing files");
  phase_ = RunPhase::kStopping;
  Report(true);
  ARROW_RETURN_NOT_OK(EndTrigger(true));
  // Open windows as the run leaves them (leaving a consumer group drops them below).
  const int64_t open_windows = stats_.open_windows;
  // The source first: leaving a consumer group flushes and commits once more.
  ARROW_RETURN_NOT_OK(source_->Close());
  for (auto& output : outputs_) {
    if (output.sink) ARROW_RETURN_NOT_OK(output.sink->Close());
  }
  for (auto* sink : {dead_letter_.get(), late_.get()}) {
    if (sink) ARROW_RETURN_NOT_OK(sink->Close());
  }
  RefreshStats();
  stats_.open_windows = open_windows;
  if (stats_.open_windows > 0) {
    spdlog::warn(
        "{} open (window, group) results were not emitted: their windows had not closed "
        "(run with --drain to emit them at the end of the input)",
        stats_.open_windows);
  }
  return arrow::Status::OK();
}

}  // namespace sluice
