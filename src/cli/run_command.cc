#include <filesystem>
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/pipeline_loader.h"
#include "ops/http_endpoint.h"
#include "ops/progress_bar.h"
#include "ops/run_monitor.h"

namespace sluice {

arrow::Status LoadEnvironment(const GlobalOptions& global, Environment* env) {
  if (!global.env_file.empty()) return env->LoadDotEnv(global.env_file);
  if (std::filesystem::exists(".env")) return env->LoadDotEnv(".env");
  return arrow::Status::OK();
}

arrow::Result<Plan> LoadPlan(const GlobalOptions& global, const std::string& path, Environment* env,
                             bool console_only) {
  ARROW_RETURN_NOT_OK(LoadEnvironment(global, env));
  ARROW_ASSIGN_OR_RAISE(PipelineSpec spec, LoadPipelineSpec(path, env));
  if (console_only) SendOutputsToConsole(&spec);
  return MakePlan(std::move(spec));
}

int ValidateCommand(const GlobalOptions& global, const std::string& pipeline) {
  Environment env;
  auto plan = LoadPlan(global, pipeline, &env);
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return 2;
  }
  std::cout << plan->Describe();
  return 0;
}

// The run's observers: the HTTP endpoint and --progress-json (RunMonitor), and a
// progress bar for bounded runs on a terminal.
struct Observers {
  std::unique_ptr<RunMonitor> monitor;
  std::unique_ptr<HttpEndpoint> endpoint;
  std::unique_ptr<RunProgressBar> bar;
};

arrow::Status StartObservers(const Plan& plan, const RunCommandOptions& options, RunOptions* run,
                             Observers* out) {
  std::string listen = options.metrics_listen;
  std::string where = "--metrics-listen";
  if (listen.empty() && plan.spec.metrics) {
    listen = plan.spec.metrics->listen;
    where = plan.spec.Where(plan.spec.metrics->line) + ": metrics.listen";
  }
  if (!listen.empty() || !options.progress_json.empty()) {
    RunMonitorOptions monitor;
    monitor.progress_json = options.progress_json;
    // Longer than the pipeline thread can legitimately be silent: an S3 upload retried
    // for retry_timeout (the Kafka poll interval follows the same rule).
    const Duration retries = plan.s3 ? plan.s3->retry_timeout : Duration(0);
    monitor.stall_timeout = std::max<Duration>(std::chrono::minutes(5), retries + std::chrono::minutes(1));
    ARROW_ASSIGN_OR_RAISE(out->monitor, RunMonitor::Make(plan, std::move(monitor), Clock::System()));
    run->observers.push_back(out->monitor.get());
  }
  if (!listen.empty()) {
    auto address = ParseListenAddress(listen);
    if (!address.ok()) return address.status().WithMessage(where, ": ", address.status().message());
    auto endpoint = HttpEndpoint::Start(*address, out->monitor.get());
    if (!endpoint.ok()) return endpoint.status().WithMessage(where, ": ", endpoint.status().message());
    out->endpoint = std::move(*endpoint);
  }
  if (run->mode != RunMode::kContinuous && ProgressBar::Available()) {
    out->bar = std::make_unique<RunProgressBar>();
    run->observers.push_back(out->bar.get());
    run->log_progress = false;  // the bar shows it
  }
  return arrow::Status::OK();
}

int RunPlan(const Plan& plan, const RunCommandOptions& options, const std::atomic<bool>& stop,
            RunStats* stats_out) {
  RunOptions run = options.run;
  run.stop = &stop;
  Observers observers;
  if (arrow::Status started = StartObservers(plan, options, &run, &observers); !started.ok()) {
    std::cerr << "error: " << started.message() << "\n";
    return 2;
  }
  auto runner = Runner::Make(plan, std::move(run), Clock::System());
  if (!runner.ok()) {
    std::cerr << "error: " << runner.status().message() << "\n";
    return runner.status().IsInvalid() ? 2 : 1;
  }
  auto status = (*runner)->Run(stop);
  const RunStats& stats = (*runner)->stats();
  std::cerr << std::flush;
  std::cout << stats.Summary(plan.spec.name) << std::flush;
  if (!options.stats_path.empty()) {
    std::ofstream out(options.stats_path);
    out << stats.ToJson();
    if (!out) spdlog::error("cannot write stats to {}", options.stats_path);
  }
  if (stats_out) *stats_out = stats;
  if (!status.ok()) {
    std::cerr << "error: " << status.message() << "\n";
    // kInvalid: the run cannot go on as configured (a checkpoint that does not fit).
    return status.IsInvalid() ? 2 : 1;
  }
  return 0;
}

int RunCommand(const GlobalOptions& global, const RunCommandOptions& options, const std::atomic<bool>& stop) {
  Environment env;
  auto plan = LoadPlan(global, options.pipeline, &env, options.console);
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return 2;
  }
  return RunPlan(*plan, options, stop, nullptr);
}

}  // namespace sluice
