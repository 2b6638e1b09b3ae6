#include "ops/metrics.h"

#include <sstream>

#include <prometheus/text_serializer.h>

#include "common/time_util.h"
#include "common/version.h"
#include "ops/process_metrics.h"

namespace sluice {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Appends families one metric at a time.
class Families {
 public:
  MetricFamily& Add(std::string name, std::string help, MetricType type) {
    out_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return out_.back();
  }
  static void Set(MetricFamily& family, double value, Labels labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    if (family.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    family.metric.push_back(std::move(m));
  }
  // A family with one unlabelled metric.
  void One(std::string name, std::string help, MetricType type, double value) {
    Set(Add(std::move(name), std::move(help), type), value);
  }
  std::vector<MetricFamily> Take() { return std::move(out_); }

 private:
  std::vector<MetricFamily> out_;
};

constexpr MetricType kCounter = MetricType::Counter;
constexpr MetricType kGauge = MetricType::Gauge;

Labels PartitionLabels(const std::string& topic, int32_t partition) {
  return {{"topic", topic}, {"partition", std::to_string(partition)}};
}

void RecordFamilies(const RunProgress& p, Families* f) {
  const RunStats& s = p.stats;
  auto& records =
      f->Add("sluice_records_total",
             "Records by pipeline stage: read (replays included), replayed (read again to rebuild "
             "state), valid, rejected (dead letter), filtered (valid, not matching the filter), late",
             kCounter);
  for (const auto& [stage, n] : std::vector<std::pair<const char*, int64_t>>{{"read", s.records_read},
                                                                             {"replayed", s.replayed},
                                                                             {"valid", s.valid},
                                                                             {"rejected", s.invalid},
                                                                             {"filtered", s.filtered},
                                                                             {"late", s.late}}) {
    Families::Set(records, static_cast<double>(n), {{"stage", stage}});
  }
  f->One("sluice_source_bytes_total", "Bytes of records read from the source", kCounter,
         static_cast<double>(s.bytes_read));
  auto& rejected =
      f->Add("sluice_rejected_records_total",
             "Dead-letter records by stage (decode, column, check, event_time, filter) and check: the "
             "check's, derived column's or event-time column's name, empty for the other stages",
             kCounter);
  for (const RejectionProgress& r : p.rejections)
    Families::Set(rejected, static_cast<double>(r.records), {{"check", r.rule}, {"stage", r.stage}});
  f->One("sluice_expression_errors_total", "Values that could not be computed and were taken as null",
         kCounter, static_cast<double>(s.expression_errors));
  f->One("sluice_triggers_total", "Triggers completed", kCounter, static_cast<double>(s.triggers));
}

void PartitionFamilies(const RunProgress& p, int64_t now_micros, Families* f) {
  auto& records =
      f->Add("sluice_partition_records_total",
             "Records per source partition assigned to this process: read, valid, rejected, late", kCounter);
  auto& lag = f->Add("sluice_kafka_consumer_lag_records",
                     "Kafka consumer lag: the partition's high watermark minus the next offset the pipeline "
                     "processes",
                     kGauge);
  auto& position =
      f->Add("sluice_kafka_position_offset", "Kafka: the next offset the pipeline processes", kGauge);
  auto& high =
      f->Add("sluice_kafka_high_watermark_offset",
             "Kafka: the partition's high watermark (offset after its last record) as last fetched", kGauge);
  auto& watermark =
      f->Add("sluice_partition_watermark_timestamp_seconds",
             "Event-time watermark of a source partition (Unix time), once it has data", kGauge);
  auto& delay = f->Add("sluice_partition_watermark_delay_seconds",
                       "How far a partition's watermark is behind the wall clock", kGauge);
  auto& idle = f->Add("sluice_partition_idle",
                      "1 when a partition had no records for event_time.idle_timeout and does not hold the "
                      "watermark back",
                      kGauge);
  for (const PartitionProgress& part : p.partitions) {
    const Labels labels = PartitionLabels(part.topic, part.partition);
    auto with_stage = [&](const char* stage) {
      Labels l = labels;
      l.insert(l.begin(), {"stage", stage});
      return l;
    };
    Families::Set(records, static_cast<double>(part.records), with_stage("read"));
    Families::Set(records, static_cast<double>(part.valid), with_stage("valid"));
    Families::Set(records, static_cast<double>(part.rejected), with_stage("rejected"));
    Families::Set(records, static_cast<double>(part.late), with_stage("late"));
    if (part.position) Families::Set(position, static_cast<double>(*part.position), labels);
    if (part.high_watermark) Families::Set(high, static_cast<double>(*part.high_watermark), labels);
    if (part.position && part.high_watermark) {
      Families::Set(lag, static_cast<double>(std::max<int64_t>(0, *part.high_watermark - *part.position)),
                    labels);
    }
    if (part.watermark) {
      Families::Set(watermark, MicrosToSeconds(*part.watermark), labels);
      Families::Set(delay, MicrosToSeconds(now_micros - *part.watermark), labels);
    }
    Families::Set(idle, part.idle ? 1 : 0, labels);
  }
  f->One("sluice_assigned_partitions", "Source partitions this process reads", kGauge,
         static_cast<double>(p.partitions.size()));
  if (p.stats.watermark) {
    f->One("sluice_watermark_timestamp_seconds", "The pipeline's event-time watermark (Unix time)", kGauge,
           MicrosToSeconds(*p.stats.watermark));
    f->One("sluice_watermark_delay_seconds", "How far the pipeline's watermark is behind the wall clock",
           kGauge, MicrosToSeconds(now_micros - *p.stats.watermark));
  }
}

void OutputFamilies(const RunProgress& p, Families* f) {
  auto& rows =
      f->Add("sluice_output_rows_total",
             "Rows in completed output files, per output (aggregations: one row per window and group); "
             "checkpointed runs count a file once uploaded, visible when its epoch commits",
             kCounter);
  auto& files = f->Add("sluice_output_files_total", "Completed output files, per output", kCounter);
  auto& bytes = f->Add("sluice_output_bytes_total", "Bytes of completed output files, per output", kCounter);
  auto& late = f->Add("sluice_output_late_records_total", "Records late for an aggregation", kCounter);
  auto& open = f->Add("sluice_open_groups", "Open (window, group) results held by an aggregation", kGauge);
  auto& state = f->Add("sluice_state_bytes", "Approximate bytes of an aggregation's open state", kGauge);
  for (const OutputProgress& o : p.outputs) {
    const Labels labels{{"kind", o.kind}, {"output", o.stats.name}};
    Families::Set(rows, static_cast<double>(o.stats.rows), labels);
    Families::Set(files, static_cast<double>(o.stats.files), labels);
    Families::Set(bytes, static_cast<double>(o.stats.bytes), labels);
    if (o.kind != "aggregation") continue;
    const Labels output{{"output", o.stats.name}};
    Families::Set(late, static_cast<double>(o.stats.late), output);
    Families::Set(open, static_cast<double>(o.open_groups), output);
    Families::Set(state, static_cast<double>(o.state_bytes), output);
  }
  f->One("sluice_upload_buffered_bytes", "Bytes of completed files waiting for or in upload to S3", kGauge,
         static_cast<double>(p.upload_buffered_bytes));
  f->One("sluice_publish_wait_seconds_total", "Time trigger ends waited for files to become visible",
         kCounter, p.stats.publish_wait_seconds);
  // Zero for lakes without S3 (one set of names for every pipeline).
  const S3Stats s3 = p.stats.s3.value_or(S3Stats{});
  f->One("sluice_s3_retries_total", "S3 requests retried after a transient error", kCounter,
         static_cast<double>(s3.retries));
  f->One("sluice_s3_objects_total", "Objects uploaded to S3 and visible", kCounter,
         static_cast<double>(s3.objects));
  f->One("sluice_s3_bytes_total", "Bytes uploaded to S3 and visible", kCounter,
         static_cast<double>(s3.bytes));
  f->One("sluice_s3_buffer_wait_seconds_total", "Time the pipeline waited for upload buffer space", kCounter,
         s3.wait_seconds);
}

void CheckpointFamilies(const RunProgress& p, Families* f) {
  if (!p.checkpoint) return;
  const CheckpointProgress& c = *p.checkpoint;
  f->One("sluice_checkpoints_total", "Checkpoints committed by this process", kCounter,
         static_cast<double>(c.completed));
  f->One("sluice_checkpoint_last_epoch", "Epoch of the newest committed checkpoint", kGauge,
         static_cast<double>(c.last_epoch));
  f->One("sluice_checkpoint_last_size_bytes", "Size of the newest committed checkpoint", kGauge,
         static_cast<double>(c.last_bytes));
  f->One("sluice_checkpoint_last_duration_seconds",
         "Snapshot, write and commit time of the newest committed checkpoint", kGauge, c.last_seconds);
  f->One("sluice_checkpoint_last_success_timestamp_seconds",
         "When the newest checkpoint was committed (Unix time)", kGauge, MicrosToSeconds(c.last_micros));
}

void ProcessFamilies(Families* f) {
  auto m = ReadProcessMetrics();
  if (!m) return;
  f->One("process_cpu_seconds_total", "User and system CPU time spent in seconds", kCounter, m->cpu_seconds);
  f->One("process_resident_memory_bytes", "Resident memory size in bytes", kGauge, m->resident_bytes);
  f->One("process_virtual_memory_bytes", "Virtual memory size in bytes", kGauge, m->virtual_bytes);
  f->One("process_start_time_seconds", "Start time of the process since the Unix epoch in seconds", kGauge,
         m->start_time_seconds);
  f->One("process_open_fds", "Number of open file descriptors", kGauge, m->open_fds);
  f->One("process_max_fds", "Maximum number of open file descriptors", kGauge, m->max_fds);
}

}  // namespace

std::vector<MetricFamily> ProgressFamilies(const RunProgress& progress, int64_t now_micros, bool ready) {
  Families f;
  Families::Set(f.Add("sluice_info", "The pipeline and run this process serves (value 1)", kGauge), 1,
                {{"pipeline", progress.pipeline}, {"run_id", progress.run_id}, {"version", kVersion}});
  f.One("sluice_ready",
        "1 once partitions are assigned and the first trigger completed, 0 while starting or "
        "recovering",
        kGauge, ready ? 1 : 0);
  f.One("sluice_start_time_seconds", "When the run started (Unix time)", kGauge,
        MicrosToSeconds(progress.started_micros));
  f.One("sluice_last_report_timestamp_seconds",
        "When the pipeline thread last reported (Unix time); stale while it is blocked", kGauge,
        MicrosToSeconds(progress.micros));
  RecordFamilies(progress, &f);
  PartitionFamilies(progress, now_micros, &f);
  OutputFamilies(progress, &f);
  CheckpointFamilies(progress, &f);
  return f.Take();
}

PipelineMetrics::PipelineMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  trigger_duration_ = &prometheus::BuildHistogram()
                           .Name("sluice_trigger_duration_seconds")
                           .Help("Wall-clock duration of triggers that read records or wrote files")
                           .Register(*registry_)
                           .Add({}, prometheus::Histogram::BucketBoundaries{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
                                                                            10, 30, 60, 120, 300});
  checkpoint_duration_ = &prometheus::BuildHistogram()
                              .Name("sluice_checkpoint_duration_seconds")
                              .Help("Snapshot, write and commit time of each committed checkpoint")
                              .Register(*registry_)
                              .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1,
                                                                               0.25, 0.5, 1, 2.5, 5, 10, 30});
}

void PipelineMetrics::ObserveTrigger(double seconds) { trigger_duration_->Observe(seconds); }
void PipelineMetrics::ObserveCheckpoint(double seconds) { checkpoint_duration_->Observe(seconds); }

std::string PipelineMetrics::Scrape(const RunProgress* progress, int64_t now_micros, bool ready) const {
  std::vector<MetricFamily> families;
  if (progress) families = ProgressFamilies(*progress, now_micros, ready);
  for (MetricFamily& family : registry_->Collect()) families.push_back(std::move(family));
  Families process;
  ProcessFamilies(&process);
  for (MetricFamily& family : process.Take()) families.push_back(std::move(family));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace sluice
