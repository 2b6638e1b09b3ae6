#include "ops/metrics.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

RunProgress Sample() {
  RunProgress p;
  p.run_id = "20261202T000000Z-abcd";
  p.pipeline = "iot";
  p.started_micros = 1'000'000;
  p.micros = 9'000'000;
  p.phase = RunPhase::kRunning;
  p.triggers = 3;
  p.stats.records_read = 120;
  p.stats.valid = 100;
  p.stats.invalid = 15;
  p.stats.late = 5;
  p.stats.triggers = 3;
  p.stats.watermark = 4'000'000;
  PartitionProgress part;
  part.topic = "iot-events";
  part.partition = 2;
  part.records = 120;
  part.valid = 100;
  part.rejected = 15;
  part.position = 500;
  part.high_watermark = 530;
  part.watermark = 4'000'000;
  p.partitions.push_back(part);
  p.rejections.push_back(RejectionProgress{"check", "battery_range", 10, "iot-events[2]@17", 8'000'000});
  p.rejections.push_back(RejectionProgress{"decode", "", 5, "iot-events[2]@3", 7'000'000});
  OutputProgress agg;
  agg.stats = OutputStats{"per_minute", true, 40, 2, 4096, 5};
  agg.kind = "aggregation";
  agg.open_groups = 7;
  agg.state_bytes = 2048;
  p.outputs.push_back(agg);
  p.checkpoint = CheckpointProgress{"/lake/_checkpoint", 3, 12, 999, 0.25, 8'500'000, 7};
  return p;
}

TEST(MetricsTest, ScrapeHasTheRunsCountersAndGauges) {
  PipelineMetrics metrics;
  metrics.ObserveTrigger(0.3);
  metrics.ObserveTrigger(1.5);
  metrics.ObserveCheckpoint(0.02);
  const RunProgress p = Sample();
  const std::string text = metrics.Scrape(&p, /*now_micros=*/10'000'000, /*ready=*/true);
  for (const char* line : {
           "sluice_records_total{stage=\"read\"} 120",
           "sluice_records_total{stage=\"rejected\"} 15",
           "sluice_records_total{stage=\"late\"} 5",
           "sluice_rejected_records_total{check=\"battery_range\",stage=\"check\"} 10",
           "sluice_rejected_records_total{check=\"\",stage=\"decode\"} 5",
           "sluice_partition_records_total{stage=\"valid\",topic=\"iot-events\",partition=\"2\"} 100",
           "sluice_kafka_consumer_lag_records{topic=\"iot-events\",partition=\"2\"} 30",
           "sluice_partition_watermark_delay_seconds{topic=\"iot-events\",partition=\"2\"} 6",
           "sluice_watermark_delay_seconds 6",
           "sluice_open_groups{output=\"per_minute\"} 7",
           "sluice_output_rows_total{kind=\"aggregation\",output=\"per_minute\"} 40",
           "sluice_checkpoint_last_epoch 12",
           "sluice_ready 1",
           "sluice_trigger_duration_seconds_count 2",
           "sluice_trigger_duration_seconds_bucket{le=\"0.5\"} 1",
           "sluice_checkpoint_duration_seconds_count 1",
           "# TYPE sluice_records_total counter",
           "# TYPE process_resident_memory_bytes gauge",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  // Rejection reasons and positions are not labels.
  EXPECT_EQ(text.find("@17"), std::string::npos);
}

TEST(MetricsTest, BeforeTheFirstReportOnlyHistogramsAndProcess) {
  PipelineMetrics metrics;
  const std::string text = metrics.Scrape(nullptr, 0, false);
  EXPECT_EQ(text.find("sluice_records_total"), std::string::npos);
  EXPECT_NE(text.find("sluice_trigger_duration_seconds_count 0"), std::string::npos) << text;
  EXPECT_NE(text.find("process_cpu_seconds_total"), std::string::npos);
}

}  // namespace
}  // namespace sluice
