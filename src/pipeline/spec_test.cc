#include <cstdlib>

#include <gtest/gtest.h>

#include "pipeline/plan.h"
#include "pipeline/spec.h"

namespace sluice {
namespace {

constexpr char kPipeline[] = R"(name: test
vars:
  lake: ${SLUICE_TEST_LAKE:-/tmp/lake}
source:
  files: {path: in/*.ndjson}
schema:
  id: {type: string, required: true}
  t: {type: timestamp, required: true}
  v: double
columns:
  big: v > 10
checks:
  positive: v >= 0
event_time:
  column: t
  watermark: 2 minutes
trigger:
  interval: ${SLUICE_TEST_INTERVAL:-5}s
outputs:
  raw:
    columns: [id, t, big]
    parquet: {path: "${lake}/raw"}
  agg:
    window: {tumbling: 1 minute}
    group_by: [id]
    aggregates:
      n: count(*)
      share: count_if(big) / count(*)
    parquet:
      path: ${lake}/agg
      partition_by:
        day: date_format(window_start, '%F')
dead_letter:
  parquet: {path: "${lake}/dead"}
)";

std::string Error(const std::string& text) {
  Environment env;
  auto spec = ParsePipelineSpec(text, "p.yaml", &env);
  if (!spec.ok()) return spec.status().message();
  auto plan = MakePlan(*spec);
  return plan.ok() ? "ok" : plan.status().message();
}

// kPipeline with `from` replaced by `to` (the first occurrence).
std::string With(const std::string& from, const std::string& to) {
  std::string text = kPipeline;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(PipelineSpec, ReadsAndPlansAValidFile) {
  setenv("SLUICE_TEST_INTERVAL", "7", 1);
  Environment env;
  auto spec = ParsePipelineSpec(kPipeline, "p.yaml", &env).ValueOrDie();
  EXPECT_EQ(spec.trigger.interval, std::chrono::seconds(7));
  EXPECT_EQ(spec.outputs[1].parquet->path, "/tmp/lake/agg");
  auto plan = MakePlan(spec).ValueOrDie();
  EXPECT_EQ(plan.row_schema->num_fields(), 4);
  EXPECT_EQ(plan.outputs[0].schema->ToString(),
            "id: string not null\nt: timestamp[us, tz=UTC] not null\nbig: bool");
  EXPECT_EQ(plan.outputs[1].schema->field(4)->name(), "share");
  std::string text = plan.Describe();
  EXPECT_NE(text.find("output      agg: tumbling 1 minute windows by id"), std::string::npos) << text;
  EXPECT_NE(text.find("late        (none"), std::string::npos) << text;
  unsetenv("SLUICE_TEST_INTERVAL");
}

TEST(PipelineSpec, CheckpointKey) {
  const std::string with = std::string(kPipeline) + "checkpoint:\n  path: ${lake}/_checkpoint\n";
  Environment env;
  auto plan = MakePlan(ParsePipelineSpec(with, "p.yaml", &env).ValueOrDie()).ValueOrDie();
  ASSERT_TRUE(plan.spec.checkpoint.has_value());
  EXPECT_EQ(plan.spec.checkpoint->path, "/tmp/lake/_checkpoint");
  EXPECT_NE(plan.Describe().find("checkpoint  /tmp/lake/_checkpoint (exactly once across crashes)"),
            std::string::npos)
      << plan.Describe();
  EXPECT_NE(
      MakePlan(ParsePipelineSpec(kPipeline, "p.yaml", &env).ValueOrDie())->Describe().find("at least once"),
      std::string::npos);
  EXPECT_EQ(Error(std::string(kPipeline) + "checkpoint:\n  path: ${lake}/raw/_checkpoint\n"),
            "p.yaml:36: checkpoint writes to /tmp/lake/raw/_checkpoint, inside the directory of outputs.raw; "
            "give each output its own directory");
  EXPECT_EQ(Error(std::string(kPipeline) + "checkpoint: {dir: x}\n"),
            "p.yaml:35: unknown key 'dir' in checkpoint; allowed: path");
}

TEST(PipelineSpec, MetricsListen) {
  Environment env;
  auto spec =
      ParsePipelineSpec(std::string(kPipeline) + "metrics:\n  listen: :9464\n", "p.yaml", &env).ValueOrDie();
  ASSERT_TRUE(spec.metrics.has_value());
  EXPECT_EQ(spec.metrics->listen, ":9464");
  EXPECT_EQ(spec.metrics->line, 36);
  EXPECT_EQ(Error(std::string(kPipeline) + "metrics: {port: 1}\n"),
            "p.yaml:35: unknown key 'port' in metrics; allowed: listen");
  EXPECT_EQ(Error(std::string(kPipeline) + "metrics: {}\n"),
            "p.yaml:35: metrics needs listen, e.g. 'metrics: {listen: 127.0.0.1:9464}'");
}

TEST(PipelineSpec, ErrorsNameTheLineAndTheFix) {
  EXPECT_EQ(
      Error(With("checks:", "chekcs:")),
      "p.yaml:12: unknown key 'chekcs' in the pipeline (did you mean 'checks'?); allowed: name, vars, "
      "source, "
      "format, schema, columns, checks, filter, event_time, trigger, outputs, dead_letter, late, checkpoint, "
      "storage, metrics");
  EXPECT_EQ(Error(With("watermark: 2 minutes", "watermark: 2 minuets")),
            "p.yaml:16: event_time.watermark: '2 minuets' has an unknown unit 'minuets'; use us, ms, "
            "seconds, minutes, "
            "hours, days or weeks");
  EXPECT_EQ(Error(With("v: double", "v: dubble")),
            "p.yaml:9: schema.v: unknown type 'dubble' (did you mean 'double'?); types are string, bool, "
            "int32, int64, "
            "double, timestamp, json");
  EXPECT_EQ(
      Error(With("${SLUICE_TEST_INTERVAL:-5}s", "${SLUICE_TEST_UNSET_VAR}")),
      "p.yaml:18: trigger.interval: environment variable SLUICE_TEST_UNSET_VAR is not set; set it in the "
      "environment or in .env, or give a default with ${SLUICE_TEST_UNSET_VAR:-value}");
  EXPECT_EQ(Error(With("  files: {path: in/*.ndjson}", "  files: {path: [in/*.ndjson")),
            "p.yaml:6: not valid YAML: end of sequence flow not found");
}

TEST(PipelineSpec, PlanErrorsNameTheLine) {
  EXPECT_EQ(Error(With("positive: v >= 0", "positive: bgi >= 0")),
            "p.yaml:13: checks.positive: at column 1: unknown column 'bgi' (did you mean 'big'?)");
  EXPECT_EQ(
      Error(With("positive: v >= 0", "positive: v + 1")),
      "p.yaml:13: checks.positive: 'v + 1' is double, not true/false; write a condition such as 'x >= 0'");
  EXPECT_EQ(Error(With("group_by: [id]", "group_by: [idd]")),
            "p.yaml:25: outputs.agg: group_by: unknown column 'idd' (did you mean 'id'?)");
  EXPECT_EQ(Error(With("n: count(*)", "n: count(*) + v")),
            "p.yaml:27: aggregates.n: 'v' is neither grouped nor aggregated: use it inside an aggregate such "
            "as avg(v), "
            "or add it to group_by");
  EXPECT_EQ(Error(With("columns: [id, t, big]", "columns: [id, tt]")),
            "p.yaml:21: outputs.raw.columns: unknown column 'tt' (did you mean 't'?)");
  EXPECT_EQ(Error(With("event_time:\n  column: t\n  watermark: 2 minutes\n", "")),
            "p.yaml:21: outputs.agg: windows need event time; add 'event_time: {column: <timestamp column>, "
            "watermark: 2 minutes}'");
  EXPECT_EQ(Error(With("${lake}/dead", "${lake}/raw")),
            "p.yaml:34: dead_letter writes to /tmp/lake/raw, the directory of outputs.raw; give each output "
            "its own directory");
  EXPECT_EQ(Error(With("'%F'", "'%Q'")),
            "p.yaml:32: partition_by.day: at column 27: date_format: '%Q' is not supported; use %Y %y %m %d "
            "%H %M %S %j "
            "%F %T or %%");
  EXPECT_EQ(Error(With("window: {tumbling: 1 minute}", "window: {sliding: 1 minute, slide: 2 minutes}")),
            "p.yaml:24: outputs.agg.window: slide (2 minutes) is longer than the window (1 minute): records "
            "between "
            "windows would belong to none");
}

}  // namespace
}  // namespace sluice
