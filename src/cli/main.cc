// The composition root: parses the command line and hands each verb its parts.

#include <csignal>
#include <cstdlib>
#include <iostream>

#include <unistd.h>
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/logging.h"
#include "common/version.h"
#include "io/s3_connection.h"

namespace {

std::atomic<bool> g_stop{false};

// First SIGINT/SIGTERM: stop cleanly (complete files, print the summary).
// Second: exit at once.
extern "C" void OnSignal(int) {
  if (g_stop.exchange(true)) _exit(130);
}

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int RunVerb(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  const int code = RunVerb(argc, argv);
  sluice::ShutdownS3();  // after every S3 connection is gone: each verb's objects are
  return code;
}

namespace {

int RunVerb(int argc, char** argv) {
  using namespace sluice;
  CLI::App app{
      "sluice: stream events from Kafka or files into a Parquet data lake, with validation,\n"
      "event-time windows and watermarks. See README.md and docs/."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("sluice ") + kVersion);
  GlobalOptions global;
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  std::string log_format = "text";
  app.add_option("--log-format", log_format, "text, or json (one JSON object per line)")
      ->capture_default_str();
  app.add_option("--env-file", global.env_file,
                 "read ${VAR} values from this file (default: ./.env if present)");

  RunCommandOptions run;
  bool once = false, drain = false;
  auto* run_cmd = app.add_subcommand("run", "run a pipeline");
  run_cmd->add_option("pipeline", run.pipeline, "pipeline file (YAML)")->required();
  run_cmd->add_option("--input", run.run.input,
                      "read these NDJSON files (path or glob) instead of the source");
  run_cmd->add_option("--checkpoint", run.run.checkpoint,
                      "keep checkpoints here (directory or s3://bucket/prefix) instead of checkpoint.path; "
                      "the only checkpoint an --input run uses");
  run_cmd->add_flag(
      "--rebuild-state", run.run.rebuild_state,
      "Kafka: rebuild open windows by replaying the topic instead of loading the checkpoint the "
      "committed offsets name (after a pipeline change the checkpoint cannot carry)");
  run_cmd->add_flag("--console", run.console,
                    "print every output's rows to the console at each trigger instead of writing its sinks; "
                    "no dead-letter, late or checkpoint files (for trying a pipeline)");
  run_cmd->add_flag("--once", once, "process what is available now, then exit; open windows are not emitted");
  run_cmd->add_flag("--drain", drain, "like --once, then emit every open window (for bounded batch runs)");
  run_cmd->add_option("--stats", run.stats_path, "write the final statistics as JSON to this file");
  run_cmd->add_option("--metrics-listen", run.metrics_listen,
                      "serve the status page, /metrics, /healthz, /readyz and /api/progress on HOST:PORT "
                      "(replaces metrics.listen; :PORT binds 127.0.0.1)");
  run_cmd->add_option("--progress-json", run.progress_json,
                      "append one JSON object per trigger to this file");
  run_cmd->add_option("--batch-size", run.run.batch_size, "records per batch (results do not depend on it)")
      ->check(CLI::PositiveNumber);

  std::string validate_path;
  auto* validate_cmd = app.add_subcommand("validate", "check a pipeline file and print its plan");
  validate_cmd->add_option("pipeline", validate_path, "pipeline file (YAML)")->required();

  ProduceCommandOptions produce;
  auto* produce_cmd = app.add_subcommand("produce", "generate synthetic events");
  produce_cmd->add_option("--scenario", produce.scenario.scenario, "iot, orders, clicks, transactions or ads")
      ->capture_default_str();
  auto* count_option = produce_cmd->add_option("--count", produce.scenario.count,
                                               "number of events (with --from: at most this many records)");
  produce_cmd->add_option("--from", produce.from,
                          "produce the records of a JSON array or NDJSON file instead of a scenario");
  produce_cmd->add_option("--key", produce.key, "with --from: key each message by this field");
  produce_cmd->add_option("--delay", produce.delay, "wait this long between messages, e.g. 2s");
  produce_cmd->add_option("--seed", produce.scenario.seed, "random seed (same seed, same events)")
      ->capture_default_str();
  produce_cmd->add_option("--rate", produce.rate,
                          "events per second, e.g. 5000/s (default: as fast as possible)");
  produce_cmd->add_option("--pattern", produce.pattern, "steady or burst")->capture_default_str();
  produce_cmd
      ->add_option("--late-fraction", produce.scenario.late_fraction, "share of events 3-10 minutes late")
      ->capture_default_str();
  produce_cmd
      ->add_option("--bad-fraction", produce.scenario.bad_fraction, "share of malformed or invalid events")
      ->capture_default_str();
  produce_cmd->add_option("--devices", produce.scenario.devices, "number of devices, users or ads (the keys)")
      ->capture_default_str();
  produce_cmd
      ->add_option("--events-per-second", produce.scenario.events_per_second,
                   "event-time density: events per second of event time")
      ->capture_default_str();
  produce_cmd->add_option("--start", produce.start, "event time of the first event (ISO-8601)");
  produce_cmd
      ->add_option("--to", produce.to, "kafka://HOST:PORT/TOPIC, FILE.ndjson, or - for standard output")
      ->required();

  ConsumeCommandOptions consume;
  auto* consume_cmd =
      app.add_subcommand("consume", "print a topic's messages with partition, offset and key");
  consume_cmd->add_option("from", consume.from, "kafka://HOST:PORT/TOPIC")->required();
  consume_cmd->add_option("--max-messages", consume.max_messages,
                          "stop after this many (default: until Ctrl-C)");
  consume_cmd->add_option("--start", consume.start, "earliest or latest")->capture_default_str();
  consume_cmd->add_option("--idle-timeout-ms", consume.idle_timeout_ms,
                          "stop after this long without a message (default: never)");

  BrokerCommandOptions broker;
  auto* broker_cmd = app.add_subcommand(
      "broker",
      "a development Kafka broker on 127.0.0.1 (librdkafka's mock cluster): it keeps at most 5 MiB per "
      "partition and silently drops older data beyond that, and nothing survives a restart");
  broker_cmd->add_option("--port", broker.port, "bootstrap port")->capture_default_str();
  broker_cmd->add_option("--partitions", broker.partitions, "partitions of each --topic")
      ->capture_default_str();
  broker_cmd->add_option("--topic", broker.topics, "create this topic (repeatable)");

  std::string inspect_path;
  int64_t inspect_rows = 10;
  auto* inspect_cmd = app.add_subcommand("inspect", "show schema, row count and first rows of Parquet files");
  inspect_cmd->add_option("path", inspect_path, "a Parquet file or a directory of them, local or s3://")
      ->required();
  inspect_cmd->add_option("--rows", inspect_rows, "rows to show")->capture_default_str();

  DemoCommandOptions demo;
  auto* demo_cmd = app.add_subcommand("demo", "run the reference IoT job end to end on generated events");
  demo_cmd->add_option("--dir", demo.dir, "working directory for events and the lake")->capture_default_str();
  demo_cmd->add_option("--count", demo.count, "events to generate")->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  if (auto st = InitLogging(log_level, log_format); !st.ok()) {
    std::cerr << "error: " << st.message() << "\n";
    return 2;
  }
  InstallSignalHandlers();

  if (*run_cmd) {
    if (once && drain) {
      std::cerr << "error: --once and --drain exclude each other\n";
      return 2;
    }
    run.run.mode = drain ? RunMode::kDrain : once ? RunMode::kOnce : RunMode::kContinuous;
    return RunCommand(global, run, g_stop);
  }
  if (*validate_cmd) return ValidateCommand(global, validate_path);
  if (*produce_cmd) {
    produce.count_given = count_option->count() > 0;
    return ProduceCommand(produce, g_stop);
  }
  if (*inspect_cmd) return InspectCommand(global, inspect_path, inspect_rows);
  if (*consume_cmd) return ConsumeCommand(consume, g_stop);
  if (*broker_cmd) return BrokerCommand(broker, g_stop);
  if (*demo_cmd) return DemoCommand(demo, g_stop);
  return 2;
}

}  // namespace
