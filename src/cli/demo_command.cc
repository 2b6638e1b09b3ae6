#include <filesystem>
#include <iostream>

#include <arrow/compute/api.h>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/parquet_files.h"
#include "cli/pipeline_loader.h"
#include "io/dev_broker.h"
#include "reference_pipeline.h"
#include "sink/text_table.h"

namespace sluice {

int DemoCommand(const DemoCommandOptions& options, const std::atomic<bool>& stop) {
  namespace fs = std::filesystem;
  const fs::path dir = options.dir;
  const std::string lake = (dir / "lake").string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::remove_all(lake, ec);

  std::cout << "sluice demo: the reference IoT job (examples/iot-aggregator.yaml) on a Kafka broker\n\n"
            << "1. starting the development broker with topic iot-events (3 partitions)\n"
            << std::flush;
  auto broker = DevBroker::Start(0);
  arrow::Status created = broker.ok() ? (*broker)->CreateTopic("iot-events", 3) : broker.status();
  if (!created.ok()) {
    std::cerr << "error: " << created.message() << "\n";
    return 1;
  }
  const std::string bootstrap = (*broker)->bootstrap();

  std::cout << "\n2. producing " << options.count << " IoT events (2% late, 1% malformed), keyed by device\n"
            << std::flush;
  ProduceCommandOptions produce;
  produce.scenario.count = options.count;
  produce.scenario.seed = 42;
  produce.scenario.devices = 50;
  produce.scenario.events_per_second = 50;
  produce.scenario.late_fraction = 0.02;
  produce.scenario.bad_fraction = 0.01;
  produce.to = "kafka://" + bootstrap + "/iot-events";
  if (int rc = ProduceCommand(produce, stop); rc != 0) return rc;

  std::cout << "\n3. running the job until the topic is drained: validate, flag, land raw rows, 1-minute\n"
               "   windows per device, dead letters and late records\n"
            << std::flush;
  Environment env;
  env.SetVar("OUTPUT_URI", lake);
  env.SetVar("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
  env.SetVar("KAFKA_TOPIC", "iot-events");
  env.SetVar("KAFKA_GROUP_ID", "sluice-demo");
  auto spec = ParsePipelineSpec(kReferencePipeline, "iot-aggregator.yaml (built in)", &env);
  if (!spec.ok()) {
    std::cerr << "error: " << spec.status().message() << "\n";
    return 2;
  }
  auto plan = MakePlan(std::move(*spec));
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return 2;
  }
  RunCommandOptions run;
  run.run.mode = RunMode::kDrain;
  RunStats stats;
  if (int rc = RunPlan(*plan, run, stop, &stats); rc != 0) return rc;

  std::cout << "\n4. a few aggregates (" << lake << "/aggregated):\n";
  Storage storage;
  auto aggregated = storage.Locate(lake + "/aggregated");
  auto files = aggregated.ok() ? ListParquetFiles(*aggregated) : aggregated.status();
  if (!files.ok() || files->empty()) {
    std::cerr << "error: no aggregated files were written\n";
    return 1;
  }
  auto table = ReadParquetFiles(aggregated->filesystem.get(), *files, 1'000'000);
  if (!table.ok()) {
    std::cerr << "error: " << table.status().message() << "\n";
    return 1;
  }
  auto sorted = arrow::compute::SortIndices(
      arrow::Datum(*table), arrow::compute::SortOptions({arrow::compute::SortKey("window_start"),
                                                         arrow::compute::SortKey("device_id")}));
  auto taken = sorted.ok() ? arrow::compute::Take(arrow::Datum(*table), *sorted) : sorted.status();
  if (!taken.ok()) {
    std::cerr << "error: " << taken.status().message() << "\n";
    return 1;
  }
  auto shown = taken->table()->SelectColumns({0, 2, 3, 4, 6, 7, 10, 14});
  auto batch = shown.ok() ? (*shown)->CombineChunksToBatch() : shown.status();
  if (batch.ok()) std::cout << FormatTable(**batch, 8, (*batch)->num_rows());

  std::cout
      << "\nThe lake is in " << lake << ":\n"
      << "  raw/          every valid event, partitioned year=/month=/day=/hour=\n"
      << "  aggregated/   1-minute windows per device, partitioned by window start\n"
      << "  dead_letter/  " << stats.invalid << " malformed or invalid records with the reason\n"
      << "  late/         " << stats.late << " records that arrived after their window closed\n\n"
      << "Query it with DuckDB:\n"
      << "  duckdb -c \"SELECT device_type, count(*) AS windows, round(avg(avg_value), 2) AS avg_value\n"
      << "             FROM read_parquet('" << lake << "/aggregated/**/*.parquet', hive_partitioning=true)\n"
      << "             GROUP BY device_type ORDER BY device_type\"\n"
      << "Inspect files:  build/sluice inspect " << lake << "/dead_letter\n\n"
      << "The broker is gone with the demo. To keep one running, in another terminal:\n"
      << "  build/sluice broker --port 9092 --topic iot-events\n"
      << "  build/sluice produce --scenario iot --count 20000 --to kafka://127.0.0.1:9092/iot-events\n"
      << "  KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 build/sluice run examples/iot-aggregator.yaml\n"
      << "  build/sluice consume kafka://127.0.0.1:9092/iot-events --max-messages 5\n";
  return 0;
}

}  // namespace sluice
