#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "pipeline/runner.h"
#include "source/scenario.h"

namespace sluice {

// The verbs of the `sluice` command line. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad configuration or arguments.

struct GlobalOptions {
  std::string env_file;  // "" = ./.env when present
};

struct RunCommandOptions {
  std::string pipeline;
  RunOptions run;
  std::string stats_path;
  std::string metrics_listen;  // --metrics-listen: replaces metrics.listen
  std::string progress_json;   // --progress-json FILE
  bool console = false;        // --console: every output to the console, nothing written
};

int RunCommand(const GlobalOptions& global, const RunCommandOptions& options, const std::atomic<bool>& stop);
int ValidateCommand(const GlobalOptions& global, const std::string& pipeline);

struct ProduceCommandOptions {
  ScenarioOptions scenario;
  bool count_given = true;  // false: the command line gave no --count
  std::string from;         // --from FILE: a JSON array or NDJSON file instead of a scenario
  std::string key;          // --key FIELD: the field that keys --from records
  std::string delay;        // --delay DURATION between messages (seed 004's producers: 2s)
  std::string to;
  std::string rate;  // "5000/s" or "5000"; empty = as fast as possible
  std::string pattern = "steady";
  std::string start;  // ISO-8601 event time of the first event
};
int ProduceCommand(const ProduceCommandOptions& options, const std::atomic<bool>& stop);

// `path`: a Parquet file or a directory of them, local or s3:// (reached with the
// AWS_* variables of the environment and .env).
int InspectCommand(const GlobalOptions& global, const std::string& path, int64_t rows);

struct ConsumeCommandOptions {
  std::string from;                // kafka://HOST:PORT/TOPIC
  int64_t max_messages = 0;        // 0 = until stopped
  std::string start = "earliest";  // or latest
  int64_t idle_timeout_ms = 0;     // stop after this long without a message; 0 = never
};
int ConsumeCommand(const ConsumeCommandOptions& options, const std::atomic<bool>& stop);

struct BrokerCommandOptions {
  int port = 9092;
  int partitions = 3;
  std::vector<std::string> topics;
};
int BrokerCommand(const BrokerCommandOptions& options, const std::atomic<bool>& stop);

struct DemoCommandOptions {
  std::string dir = "demo";
  int64_t count = 30'000;
};
int DemoCommand(const DemoCommandOptions& options, const std::atomic<bool>& stop);

}  // namespace sluice
