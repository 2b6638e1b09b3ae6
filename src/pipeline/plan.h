#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/result.h>

#include "pipeline/metadata_columns.h"
#include "pipeline/spec.h"
#include "schema/schema.h"
#include "sink/parquet_sink.h"
#include "source/kafka_source.h"
#include "window/aggregation_plan.h"

namespace sluice {

// An expression of the pipeline file, compiled.
struct CompiledExpression {
  std::string name;
  std::string text;
  int line = 0;
  arrow::compute::Expression expr;   // bound to its stage's schema plus processing time
  std::vector<std::string> columns;  // columns it reads (quoted in dead-letter reasons)
};

struct SinkPlan {
  ParquetSpec spec;
  ParquetSinkOptions options;
};

struct OutputPlan {
  std::string name;
  int line = 0;
  std::vector<int> projection;                 // raw outputs: row-schema columns, in order
  std::optional<AggregationPlan> aggregation;  // aggregation outputs
  std::shared_ptr<arrow::Schema> schema;       // rows the sinks receive
  // Keeps the records it is true for, before projection or aggregation; bound to
  // row_schema.
  std::optional<CompiledExpression> filter;
  std::optional<SinkPlan> parquet;
  std::optional<ConsoleSpec> console;
};

// A validated, compiled pipeline: every name resolved, every expression type-checked.
// Immutable; MakePlan is the only way to build one.
struct Plan {
  PipelineSpec spec;
  // A Kafka source's options (`bounded` is decided by the run mode); unset for files.
  std::optional<KafkaSourceOptions> kafka;
  DeclaredSchema input_schema;
  // Source metadata columns, in row_schema right after the decoded fields.
  std::vector<MetadataColumn> metadata_columns;
  // Derived columns in order; columns[i] is bound to the decoded schema plus
  // columns[0..i).
  std::vector<CompiledExpression> columns;
  std::vector<CompiledExpression> checks;  // bound to row_schema
  std::optional<CompiledExpression> filter;
  std::shared_ptr<arrow::Schema> row_schema;  // decoded fields, metadata, then derived columns
  int event_time_column = -1;                 // in row_schema; -1 without event_time
  Duration watermark_delay{0};
  Duration idle_timeout{0};
  Duration close_after_quiet{0};  // 0: off
  std::vector<OutputPlan> outputs;
  std::optional<SinkPlan> dead_letter;
  std::optional<SinkPlan> late;
  // How S3 is reached, validated; set when an output is on S3.
  std::optional<S3Config> s3;

  // The plan as `sluice validate` prints it.
  std::string Describe() const;
};

// Validates and compiles `spec`. Errors name file:line and the fix.
arrow::Result<Plan> MakePlan(PipelineSpec spec);

// The schema of dead-letter and late records: raw (the record's bytes), source (file
// or topic), partition, offset (line number or Kafka offset), stage (decode, column,
// check, event_time, late), reason, output (the aggregation a late record missed),
// event_time, watermark (that judged a late record), processed_at.
std::shared_ptr<arrow::Schema> RejectedRecordSchema();

}  // namespace sluice
