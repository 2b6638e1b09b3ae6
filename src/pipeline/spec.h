#pragma once

#include <optional>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "common/env.h"
#include "common/types.h"
#include "io/s3_config.h"
#include "schema/schema.h"

namespace sluice {

// A pipeline file as written, after ${VAR} expansion and with the line of every
// element (for error messages). Validated for shape and scalar syntax only; names,
// types and expressions are checked by MakePlan. See docs/pipeline-file.md.

struct NamedExpression {
  std::string name;
  std::string expression;
  int line = 0;
};

struct FilesSourceSpec {
  std::string path;  // file, glob or comma-separated list
  bool follow = false;
  Duration poll_interval = std::chrono::seconds(1);
};

// A Kafka property passed to librdkafka as it is ("security.protocol: SASL_SSL").
struct KafkaPropertySpec {
  std::string name;
  std::string value;
  int line = 0;
};

// A column holding Kafka message metadata: `field` is key, topic, partition, offset,
// timestamp or headers.
struct MetadataColumnSpec {
  std::string column;
  std::string field;
  int line = 0;
};

struct KafkaSourceSpec {
  std::string bootstrap_servers;
  std::vector<std::string> topics;  // or
  std::string pattern;
  std::string group_id;
  std::string instance_id;         // static membership (group.instance.id); empty: none
  std::string start = "earliest";  // earliest | latest | an ISO-8601 time
  int start_line = 0;
  std::string offset_reset = "error";
  Duration connect_timeout = std::chrono::seconds(60);
  std::vector<KafkaPropertySpec> properties;
  std::vector<MetadataColumnSpec> metadata;
  int line = 0;
};

// Exactly one of files and kafka.
struct SourceSpec {
  std::optional<FilesSourceSpec> files;
  std::optional<KafkaSourceSpec> kafka;
  int line = 0;
};

struct FieldSpecLine {
  FieldSpec field;
  int line = 0;
};

struct EventTimeSpec {
  std::string column;
  Duration watermark_delay{0};
  // A source partition without records for this long stops holding the pipeline
  // watermark back (until it has records again).
  Duration idle_timeout = std::chrono::seconds(30);
  // Once no partition has delivered a record for this long, the watermark follows the
  // wall clock from where the last record left it (0: off; docs/semantics.md).
  Duration close_after_quiet{0};
  int line = 0;
};

struct TriggerSpec {
  Duration interval = std::chrono::seconds(30);
  int64_t batch_size = 10'000;
  int64_t max_records = 0;  // records read per trigger at most (Spark's maxOffsetsPerTrigger); 0 = no cap
  int line = 0;
};

struct ParquetSpec {
  std::string path;
  std::vector<NamedExpression> partition_by;
  std::string compression = "zstd";
  int compression_level = 3;
  int64_t row_group_rows = 128 * 1024;
  int64_t file_max_rows = 0;
  int64_t file_max_bytes = 256LL << 20;
  Duration file_max_age{0};
  int line = 0;
};

struct WindowSpecLine {
  std::string kind;  // tumbling | sliding | session
  Duration size{0};  // the gap of a session
  Duration slide{0};
  Duration offset{0};
  Duration max_duration{0};
  int line = 0;
};

// A running aggregate's state timeout: `timeout: {after: 1 hour, by: event_time}`.
struct TimeoutSpecLine {
  Duration after{0};
  std::string by = "event_time";  // event_time | processing_time
  int line = 0;
};

// A console sink: each trigger's rows as a table (`console: {rows: 20, truncate: true}`).
struct ConsoleSpec {
  int64_t rows = 20;
  bool truncate = true;
  int line = 0;
};

struct OutputSpec {
  std::string name;
  std::vector<std::string> columns;  // raw outputs: projection, empty = every column
  int columns_line = 0;
  std::optional<WindowSpecLine> window;  // windowed aggregations
  std::vector<std::string> group_by;
  std::string mode = "append";  // aggregations: append | update | complete
  int mode_line = 0;
  std::optional<TimeoutSpecLine> timeout;  // running aggregations
  int group_by_line = 0;
  std::vector<NamedExpression> aggregates;
  std::optional<NamedExpression> filter;  // keeps the records it is true for (SQL WHERE)
  // Its sinks, each receiving the same rows: at least one.
  std::optional<ParquetSpec> parquet;
  std::optional<ConsoleSpec> console;
  int line = 0;
};

// Where the pipeline's checkpoints go (docs/exactly-once.md): a directory or
// s3://bucket/prefix.
struct CheckpointSpec {
  std::string path;
  int line = 0;
};

// The operations endpoint (docs/operations.md): "HOST:PORT" or ":PORT" (127.0.0.1).
struct MetricsSpec {
  std::string listen;
  int line = 0;
};

struct PipelineSpec {
  std::string file;  // as given on the command line
  std::string name;
  SourceSpec source;
  std::string format = "json";
  std::vector<FieldSpecLine> schema;
  int schema_line = 0;
  std::vector<NamedExpression> columns;
  std::vector<NamedExpression> checks;
  std::optional<NamedExpression> filter;
  std::optional<EventTimeSpec> event_time;
  TriggerSpec trigger;
  std::vector<OutputSpec> outputs;
  std::optional<ParquetSpec> dead_letter;
  std::optional<ParquetSpec> late;
  std::optional<CheckpointSpec> checkpoint;
  std::optional<MetricsSpec> metrics;
  // How s3:// outputs are reached: the standard AWS variables of the environment
  // (S3ConfigFromEnvironment), overridden key by key by the `storage.s3` section.
  // Checked by MakePlan only when an output is on S3.
  S3Config s3;

  // "file:line" for messages.
  std::string Where(int line) const { return file + ":" + std::to_string(line); }
};

// `sluice run --console`: every output goes to the console instead of its sinks (its own
// console settings kept), and nothing is written: no dead-letter or late files (those
// records are counted and logged), no checkpoint.
void SendOutputsToConsole(PipelineSpec* spec);

// Reads and expands a pipeline file. `env` supplies ${VAR} values; the file's `vars:`
// are added to it. Errors read "pipeline.yaml:14: <what is wrong and how to fix it>".
arrow::Result<PipelineSpec> LoadPipelineSpec(const std::string& path, Environment* env);

// Same, from text (tests; `file` names it in messages).
arrow::Result<PipelineSpec> ParsePipelineSpec(const std::string& text, const std::string& file,
                                              Environment* env);

}  // namespace sluice
