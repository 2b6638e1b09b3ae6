#pragma once

#include <atomic>
#include <string>

#include <arrow/result.h>

#include "cli/commands.h"
#include "common/env.h"
#include "pipeline/plan.h"
#include "pipeline/run_stats.h"

namespace sluice {

// Loads .env into `env`: --env-file, or ./.env when present.
arrow::Status LoadEnvironment(const GlobalOptions& global, Environment* env);

// Loads .env (LoadEnvironment), reads the pipeline file and plans it.
// `console_only`: --console (SendOutputsToConsole).
arrow::Result<Plan> LoadPlan(const GlobalOptions& global, const std::string& path, Environment* env,
                             bool console_only = false);

// Runs `plan`, prints the summary, writes --stats; returns the exit code. The final
// statistics go to `stats_out` when it is not null.
int RunPlan(const Plan& plan, const RunCommandOptions& options, const std::atomic<bool>& stop,
            RunStats* stats_out);

}  // namespace sluice
