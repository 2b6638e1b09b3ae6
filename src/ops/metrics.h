#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include "pipeline/run_progress.h"

namespace sluice {

// A run's Prometheus metrics (every name is listed in docs/operations.md).
//
// Counters and gauges are derived at scrape time from the newest RunProgress, so a
// scrape always agrees with the run's own totals and time-based gauges (watermark
// delay) keep moving while the pipeline thread waits; histograms accumulate the
// observed durations. Labels hold names from the pipeline file, topics and partition
// numbers only, never record values or reasons (bounded series).
//
// Thread-safe: Observe* from the pipeline thread, Scrape from HTTP threads.
class PipelineMetrics {
 public:
  PipelineMetrics();

  void ObserveTrigger(double seconds);
  void ObserveCheckpoint(double seconds);

  // The Prometheus text exposition: `progress` (null before the first report) as of
  // wall time `now_micros`, the histograms and this process's resources.
  std::string Scrape(const RunProgress* progress, int64_t now_micros, bool ready) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram* trigger_duration_;
  prometheus::Histogram* checkpoint_duration_;
};

// The counter and gauge families of `progress` at wall time `now_micros`.
std::vector<prometheus::MetricFamily> ProgressFamilies(const RunProgress& progress, int64_t now_micros,
                                                       bool ready);

}  // namespace sluice
