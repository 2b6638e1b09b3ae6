#include "ops/run_monitor.h"

#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "ops/pipeline_graph.h"
#include "ops/progress_json.h"

namespace sluice {

RunMonitor::RunMonitor(const Plan& plan, RunMonitorOptions options, Clock* clock)
    : options_(std::move(options)), clock_(clock), graph_(PipelineGraph(plan)) {}

arrow::Result<std::unique_ptr<RunMonitor>> RunMonitor::Make(const Plan& plan, RunMonitorOptions options,
                                                            Clock* clock) {
  auto monitor = std::unique_ptr<RunMonitor>(new RunMonitor(plan, std::move(options), clock));
  if (!monitor->options_.progress_json.empty()) {
    monitor->progress_file_.open(monitor->options_.progress_json, std::ios::app);
    if (!monitor->progress_file_) {
      return arrow::Status::Invalid("--progress-json: cannot write ", monitor->options_.progress_json,
                                    "; give a file in a writable directory");
    }
  }
  return monitor;
}

void RunMonitor::OnProgress(const RunProgress& progress) {
  std::lock_guard<std::mutex> lock(mutex_);
  latest_ = progress;
}

void RunMonitor::OnCheckpoint(const CheckpointProgress& checkpoint) {
  metrics_.ObserveCheckpoint(checkpoint.last_seconds);
}

void RunMonitor::OnTrigger(const TriggerProgress& trigger) {
  metrics_.ObserveTrigger(trigger.duration_seconds);
  std::string run_id, pipeline;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (latest_) {
      run_id = latest_->run_id;
      pipeline = latest_->pipeline;
    }
  }
  nlohmann::ordered_json json = TriggerJson(trigger, run_id, pipeline);
  if (progress_file_.is_open()) {
    progress_file_ << DumpJson(json) << '\n' << std::flush;
    if (!progress_file_) spdlog::warn("--progress-json: cannot write {}", options_.progress_json);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  triggers_.push_back(std::move(json));
  while (triggers_.size() > options_.history) triggers_.pop_front();
}

bool RunMonitor::Ready(const RunProgress& progress) { return progress.ready; }

RunMonitor::Probe RunMonitor::Health() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!latest_) return Probe{true, {{"status", "ok"}, {"phase", "starting"}}};
  const double silent = MicrosToSeconds(clock_->NowMicros() - latest_->micros);
  const double limit = MicrosToSeconds(options_.stall_timeout.count());
  nlohmann::ordered_json body{{"phase", std::string(RunPhaseName(latest_->phase))},
                              {"last_report_seconds_ago", silent}};
  if (latest_->phase == RunPhase::kFailed) {
    body["status"] = "failed";
    return Probe{false, body};
  }
  if (silent > limit) {
    body["status"] = "stalled";
    body["detail"] = "the pipeline thread has not reported for " +
                     FormatDuration(Duration(static_cast<int64_t>(silent * 1e6)));
    return Probe{false, body};
  }
  body["status"] = "ok";
  return Probe{true, body};
}

RunMonitor::Probe RunMonitor::Readiness() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!latest_)
    return Probe{false, {{"ready", false}, {"phase", "starting"}, {"detail", "opening the pipeline"}}};
  const bool ready = Ready(*latest_);
  nlohmann::ordered_json body{{"ready", ready}, {"phase", std::string(RunPhaseName(latest_->phase))}};
  if (!latest_->phase_detail.empty()) body["detail"] = latest_->phase_detail;
  return Probe{ready, body};
}

std::string RunMonitor::Metrics() const {
  std::optional<RunProgress> latest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    latest = latest_;
  }
  return metrics_.Scrape(latest ? &*latest : nullptr, clock_->NowMicros(), latest && Ready(*latest));
}

nlohmann::ordered_json RunMonitor::Progress(size_t last) const {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  const size_t skip = triggers_.size() > last ? triggers_.size() - last : 0;
  for (size_t i = skip; i < triggers_.size(); ++i) out.push_back(triggers_[i]);
  return out;
}

nlohmann::ordered_json RunMonitor::Status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!latest_) return {{"phase", "starting"}, {"ready", false}};
  return StatusJson(*latest_, Ready(*latest_), clock_->NowMicros());
}

}  // namespace sluice
