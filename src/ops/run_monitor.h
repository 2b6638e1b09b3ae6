#pragma once

#include <cstdint>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <arrow/result.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "ops/metrics.h"
#include "pipeline/plan.h"
#include "pipeline/run_progress.h"

namespace sluice {

struct RunMonitorOptions {
  std::string progress_json;  // --progress-json: one JSON line per trigger; empty = none
  size_t history = 100;       // triggers kept for /api/progress
  // /healthz fails when the pipeline thread has not reported for this long (it reports
  // several times a second while it turns; a longer silence means it is stuck).
  Duration stall_timeout = std::chrono::minutes(5);
};

// What the HTTP endpoint serves, kept up to date by a running pipeline: the newest
// RunProgress, the last triggers as JSON, the metrics and the pipeline graph.
//
// Thread-safe: the pipeline thread reports (RunObserver), HTTP threads read.
class RunMonitor final : public RunObserver {
 public:
  static arrow::Result<std::unique_ptr<RunMonitor>> Make(const Plan& plan, RunMonitorOptions options,
                                                         Clock* clock);

  void OnProgress(const RunProgress& progress) override;
  void OnTrigger(const TriggerProgress& trigger) override;
  void OnCheckpoint(const CheckpointProgress& checkpoint) override;

  struct Probe {
    bool ok = false;
    nlohmann::ordered_json body;
  };
  // Liveness: the pipeline thread reports and the run has not failed.
  Probe Health() const;
  // Readiness: partitions assigned, the first trigger completed, not recovering.
  Probe Readiness() const;
  std::string Metrics() const;
  nlohmann::ordered_json Progress(size_t last) const;  // the last triggers, oldest first
  nlohmann::ordered_json Status() const;
  const nlohmann::ordered_json& graph() const { return graph_; }

 private:
  RunMonitor(const Plan& plan, RunMonitorOptions options, Clock* clock);
  static bool Ready(const RunProgress& progress);

  const RunMonitorOptions options_;
  Clock* clock_;
  const nlohmann::ordered_json graph_;
  PipelineMetrics metrics_;
  std::ofstream progress_file_;
  mutable std::mutex mutex_;
  std::optional<RunProgress> latest_;
  std::deque<nlohmann::ordered_json> triggers_;
};

}  // namespace sluice
