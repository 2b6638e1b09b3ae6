#include <filesystem>
#include <fstream>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/pipeline_loader.h"

namespace sluice {

arrow::Status LoadEnvironment(const GlobalOptions& global, Environment* env) {
  if (!global.env_file.empty()) return env->LoadDotEnv(global.env_file);
  if (std::filesystem::exists(".env")) return env->LoadDotEnv(".env");
  return arrow::Status::OK();
}

arrow::Result<Plan> LoadPlan(const GlobalOptions& global, const std::string& path, Environment* env) {
  ARROW_RETURN_NOT_OK(LoadEnvironment(global, env));
  ARROW_ASSIGN_OR_RAISE(PipelineSpec spec, LoadPipelineSpec(path, env));
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

int RunPlan(const Plan& plan, const RunCommandOptions& options, const std::atomic<bool>& stop,
            RunStats* stats_out) {
  RunOptions run = options.run;
  run.stop = &stop;
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
  auto plan = LoadPlan(global, options.pipeline, &env);
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return 2;
  }
  return RunPlan(*plan, options, stop, nullptr);
}

}  // namespace sluice
