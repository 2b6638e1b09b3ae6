#include <filesystem>
#include <iostream>

#include <arrow/compute/api.h>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/parquet_files.h"
#include "cli/pipeline_loader.h"
#include "cli/table.h"
#include "reference_pipeline.h"

namespace sluice {

int DemoCommand(const DemoCommandOptions& options, const std::atomic<bool>& stop) {
  namespace fs = std::filesystem;
  const fs::path dir = options.dir;
  const std::string events = (dir / "events.ndjson").string();
  const std::string lake = (dir / "lake").string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::remove_all(lake, ec);

  std::cout << "sluice demo: the reference IoT job (examples/iot-aggregator.yaml)\n\n"
            << "1. generating " << options.count << " IoT events (2% late, 1% malformed) into " << events
            << "\n"
            << std::flush;
  ProduceCommandOptions produce;
  produce.scenario.count = options.count;
  produce.scenario.seed = 42;
  produce.scenario.devices = 50;
  produce.scenario.events_per_second = 50;
  produce.scenario.late_fraction = 0.02;
  produce.scenario.bad_fraction = 0.01;
  produce.to = events;
  if (int rc = ProduceCommand(produce, stop); rc != 0) return rc;

  std::cout << "\n2. running the job: validate, flag, land raw rows, 1-minute windows per device\n"
            << std::flush;
  Environment env;
  env.SetVar("OUTPUT_URI", lake);
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
  run.run.input = events;
  run.run.mode = RunMode::kDrain;
  RunStats stats;
  if (int rc = RunPlan(*plan, run, stop, &stats); rc != 0) return rc;

  std::cout << "\n3. a few aggregates (" << lake << "/aggregated):\n";
  auto files = ListParquetFiles(lake + "/aggregated");
  if (!files.ok() || files->empty()) {
    std::cerr << "error: no aggregated files were written\n";
    return 1;
  }
  auto table = ReadParquetFiles(*files, 1'000'000);
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
      << "Inspect files:  build/sluice inspect " << lake << "/dead_letter\n";
  return 0;
}

}  // namespace sluice
