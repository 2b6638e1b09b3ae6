#include "pipeline/plan.h"

#include <cstdlib>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "common/text.h"
#include "common/time_util.h"
#include "expr/compiler.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
#include "io/storage.h"
#include "sink/console_sink.h"

namespace sluice {
namespace {

// `path` made comparable: absolute, without "." / ".." / repeated or trailing slashes.
// URIs (scheme://...) are compared as written after the scheme.
std::string NormalizeOutputPath(const std::string& path) {
  const size_t scheme = path.find("://");
  if (scheme != std::string::npos) {
    std::string rest = std::filesystem::path("/" + path.substr(scheme + 3)).lexically_normal().string();
    while (rest.size() > 1 && rest.back() == '/') rest.pop_back();
    return path.substr(0, scheme + 3) + rest.substr(1);
  }
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  std::string normal = (error ? std::filesystem::path(path) : absolute).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

// Whether normalised path `inner` lies strictly inside normalised path `outer`.
bool IsInside(const std::string& inner, const std::string& outer) {
  return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
         (outer.back() == '/' || inner[outer.size()] == '/');
}

void CollectColumns(const Node& node, std::vector<std::string>* out) {
  if (node.kind == Node::Kind::kColumn) {
    if (std::find(out->begin(), out->end(), node.name) == out->end()) out->push_back(node.name);
    return;
  }
  for (const auto& child : node.children) CollectColumns(child, out);
}

arrow::Result<CompiledExpression> CompileNamed(const PipelineSpec& spec, const NamedExpression& named,
                                               const std::string& section,
                                               const std::shared_ptr<arrow::Schema>& schema,
                                               bool want_boolean) {
  auto fail = [&](const std::string& message) {
    return arrow::Status::Invalid(spec.Where(named.line), ": ", section,
                                  named.name.empty() ? "" : "." + named.name, ": ", message);
  };
  auto node = ParseExpression(named.expression);
  if (!node.ok()) return fail(node.status().message());
  ExprCompiler compiler(WithProcessingTime(schema));
  auto expr = compiler.Compile(*node);
  if (!expr.ok()) return fail(expr.status().message());
  if (want_boolean && expr->type()->id() != arrow::Type::BOOL) {
    return fail("'" + named.expression + "' is " + expr->type()->ToString() +
                ", not true/false; write a condition such as 'x >= 0'");
  }
  CompiledExpression out{named.name, named.expression, named.line, std::move(*expr), {}};
  CollectColumns(*node, &out.columns);
  return out;
}

arrow::Result<SinkPlan> MakeSinkPlan(const PipelineSpec& spec, const ParquetSpec& parquet,
                                     const std::string& what, const std::shared_ptr<arrow::Schema>& schema) {
  SinkPlan plan;
  plan.spec = parquet;
  if (auto location = Storage::CheckUri(parquet.path); !location.ok()) {
    return arrow::Status::Invalid(spec.Where(parquet.line), ": ", what, ".path: ", location.message());
  }
  auto compression = ParseCompression(parquet.compression);
  if (!compression.ok()) {
    return arrow::Status::Invalid(spec.Where(parquet.line), ": ", what,
                                  ".compression: ", compression.status().message());
  }
  plan.options.compression = *compression;
  plan.options.compression_level = parquet.compression_level;
  plan.options.row_group_rows = parquet.row_group_rows;
  plan.options.file_max_rows = parquet.file_max_rows;
  plan.options.file_max_bytes = parquet.file_max_bytes;
  plan.options.file_max_age = parquet.file_max_age;
  for (const auto& p : parquet.partition_by) {
    plan.options.partition_by.push_back({p.name, p.expression, spec.Where(p.line)});
  }
  auto partitioner = Partitioner::Make(plan.options.partition_by, schema);
  if (!partitioner.ok()) {
    return arrow::Status::Invalid(
        partitioner.status().message().find(spec.file) == 0 ? "" : spec.Where(parquet.line) + ": ",
        partitioner.status().message());
  }
  return plan;
}

const char* kNeedEventTime =
    "event time; add 'event_time: {column: <timestamp column>, watermark: 2 minutes}'";

// An output's aggregation: windowed (tumbling, sliding, session) or running (no window),
// its mode and timeout, compiled against the rows it receives.
arrow::Result<AggregationPlan> MakeAggregation(const PipelineSpec& spec, const OutputSpec& output,
                                               int event_time_column,
                                               const std::shared_ptr<arrow::Schema>& schema) {
  const std::string what = "outputs." + output.name;
  WindowSpec window = WindowSpec::Global();
  if (output.window) {
    const auto& w = *output.window;
    if (event_time_column < 0)
      return arrow::Status::Invalid(spec.Where(w.line), ": ", what, ": windows need ", kNeedEventTime);
    auto made = w.kind == "tumbling"  ? WindowSpec::Tumbling(w.size, w.offset)
                : w.kind == "sliding" ? WindowSpec::Sliding(w.size, w.slide, w.offset)
                                      : WindowSpec::Session(w.size, w.max_duration);
    if (!made.ok()) {
      return arrow::Status::Invalid(spec.Where(w.line), ": ", what, ".window: ", made.status().message());
    }
    window = *made;
  }
  AggregationOptions options;
  options.mode = output.mode == "update"     ? OutputMode::kUpdate
                 : output.mode == "complete" ? OutputMode::kComplete
                                             : OutputMode::kAppend;
  if (options.mode == OutputMode::kComplete && window.has_bounds()) {
    return arrow::Status::Invalid(
        spec.Where(output.mode_line), ": ", what,
        ".mode: complete rewrites every result held, and a window's results leave the state when it closes; "
        "complete applies to running aggregates (no window): use 'mode: update' for windows");
  }
  if (options.mode == OutputMode::kUpdate && window.kind == WindowSpec::Kind::kSession) {
    return arrow::Status::Invalid(
        spec.Where(output.mode_line), ": ", what,
        ".mode: session windows are written in append mode only (a session's row "
        "would change its window_start each time sessions merge); remove 'mode: update'");
  }
  if (output.timeout) {
    const auto& t = *output.timeout;
    options.timeout.after = t.after;
    options.timeout.event_time = t.by == "event_time";
    if (options.timeout.event_time && event_time_column < 0) {
      return arrow::Status::Invalid(spec.Where(t.line), ": ", what, ".timeout: by event_time needs ",
                                    kNeedEventTime, ", or write 'by: processing_time'");
    }
  }
  const bool unbounded_state = window.kind == WindowSpec::Kind::kSession || !window.has_bounds();
  if (unbounded_state && spec.source.kafka && !spec.checkpoint) {
    return arrow::Status::Invalid(
        spec.Where(output.line), ": ", what, ": ",
        window.has_bounds() ? "session windows" : "running aggregates",
        " keep state no offset commit can wait for (a session lasts as long as records keep coming); "
        "from Kafka they need a checkpoint: add 'checkpoint: {path: ./checkpoints}' (docs/exactly-once.md)");
  }
  std::vector<AggregateOutput> aggregates;
  for (const auto& a : output.aggregates) aggregates.push_back({a.name, a.expression, spec.Where(a.line)});
  return AggregationPlan::Make(output.name, window, output.group_by,
                               spec.Where(output.group_by_line) + ": " + what, aggregates, schema, options);
}

arrow::Result<KafkaSourceOptions> MakeKafkaOptions(const PipelineSpec& spec) {
  const KafkaSourceSpec& k = *spec.source.kafka;
  KafkaSourceOptions options;
  options.bootstrap_servers = k.bootstrap_servers;
  options.topics = k.topics;
  options.pattern = k.pattern;
  options.group_id = k.group_id;
  options.instance_id = k.instance_id;
  if (k.start == "earliest") {
    options.start = KafkaSourceOptions::Start::kEarliest;
  } else if (k.start == "latest") {
    options.start = KafkaSourceOptions::Start::kLatest;
  } else {
    options.start = KafkaSourceOptions::Start::kTimestamp;
    options.start_timestamp_ms = FloorDiv(ParseIsoTimestamp(k.start).value_or(0), 1000);
  }
  options.offset_reset = k.offset_reset;
  options.connect_timeout = k.connect_timeout;
  for (const auto& p : k.properties) {
    // Checked one by one so that a mistake points at its own line.
    auto checked = MakeKafkaConf({{p.name, p.value}});
    if (!checked.ok()) {
      return arrow::Status::Invalid(spec.Where(p.line),
                                    ": source.kafka.properties: ", checked.status().message());
    }
    options.properties.emplace_back(p.name, p.value);
  }
  // The pipeline thread may wait on S3 retries for storage.s3.retry_timeout without
  // polling Kafka: the group must not evict it meanwhile.
  const int64_t retry_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(spec.s3.retry_timeout).count();
  const int64_t poll_ms = std::max<int64_t>(300'000, retry_ms + 60'000);
  bool poll_given = false;
  for (const auto& p : k.properties) {
    if (p.name != "max.poll.interval.ms") continue;
    poll_given = true;
    if (std::atoll(p.value.c_str()) <= retry_ms) {
      return arrow::Status::Invalid(spec.Where(p.line), ": source.kafka.properties: max.poll.interval.ms (",
                                    p.value, ") must be above storage.s3.retry_timeout (", retry_ms,
                                    " ms), or the group evicts a member that waits for S3");
    }
  }
  if (!poll_given) options.properties.emplace_back("max.poll.interval.ms", std::to_string(poll_ms));
  return options;
}

}  // namespace

std::shared_ptr<arrow::Schema> RejectedRecordSchema() {
  static const auto kSchema = arrow::schema({
      arrow::field("raw", arrow::binary(), false),
      arrow::field("source", arrow::utf8(), false),
      arrow::field("partition", arrow::int32(), false),
      arrow::field("offset", arrow::int64(), false),
      arrow::field("stage", arrow::utf8(), false),
      arrow::field("reason", arrow::utf8(), false),
      arrow::field("output", arrow::utf8()),
      arrow::field("event_time", TimestampType()),
      arrow::field("watermark", TimestampType()),
      arrow::field("processed_at", TimestampType(), false),
  });
  return kSchema;
}

arrow::Result<Plan> MakePlan(PipelineSpec spec) {
  Plan plan;
  // Declared schema.
  std::vector<FieldSpec> fields;
  for (const auto& f : spec.schema) {
    for (const auto& earlier : fields) {
      if (earlier.name == f.field.name) {
        return arrow::Status::Invalid(spec.Where(f.line), ": schema: field '", f.field.name,
                                      "' is declared twice");
      }
    }
    fields.push_back(f.field);
  }
  if (fields.empty())
    return arrow::Status::Invalid(spec.Where(spec.schema_line), ": schema: declare at least one field");
  ARROW_ASSIGN_OR_RAISE(plan.input_schema, DeclaredSchema::Make(fields));
  auto schema = plan.input_schema.arrow_schema();

  if (spec.source.kafka) {
    ARROW_ASSIGN_OR_RAISE(plan.kafka, MakeKafkaOptions(spec));
    plan.kafka->metadata = false;  // unless a column below needs the message's own metadata
    for (const auto& m : spec.source.kafka->metadata) {
      auto field = ParseMetadataField(m.field);
      if (!field.ok()) {
        return arrow::Status::Invalid(spec.Where(m.line), ": source.kafka.metadata.", m.column, ": ",
                                      field.status().message());
      }
      if (schema->GetFieldIndex(m.column) >= 0) {
        return arrow::Status::Invalid(spec.Where(m.line), ": source.kafka.metadata.", m.column,
                                      ": a column with this name already exists; pick another name");
      }
      ARROW_ASSIGN_OR_RAISE(
          schema, schema->AddField(schema->num_fields(), arrow::field(m.column, MetadataFieldType(*field))));
      plan.metadata_columns.push_back({m.column, *field});
      plan.kafka->metadata |= IsMessageMetadata(*field);
    }
  }

  // Derived columns, each seeing the ones before it.
  for (const auto& column : spec.columns) {
    if (schema->GetFieldIndex(column.name) >= 0) {
      return arrow::Status::Invalid(spec.Where(column.line), ": columns.", column.name,
                                    ": a column with this name already exists; pick another name");
    }
    ARROW_ASSIGN_OR_RAISE(auto compiled, CompileNamed(spec, column, "columns", schema, false));
    ARROW_ASSIGN_OR_RAISE(schema,
                          schema->AddField(schema->num_fields(),
                                           arrow::field(column.name, compiled.expr.type()->GetSharedPtr())));
    plan.columns.push_back(std::move(compiled));
  }
  plan.row_schema = schema;
  for (const auto& check : spec.checks) {
    ARROW_ASSIGN_OR_RAISE(auto compiled, CompileNamed(spec, check, "checks", schema, true));
    plan.checks.push_back(std::move(compiled));
  }
  if (spec.filter) {
    ARROW_ASSIGN_OR_RAISE(plan.filter, CompileNamed(spec, *spec.filter, "filter", schema, true));
  }

  std::vector<std::string> names;
  for (const auto& f : schema->fields()) names.push_back(f->name());
  if (spec.event_time) {
    const auto& et = *spec.event_time;
    plan.event_time_column = schema->GetFieldIndex(et.column);
    if (plan.event_time_column < 0) {
      return arrow::Status::Invalid(spec.Where(et.line), ": event_time.column: unknown column '", et.column,
                                    "'", DidYouMean(et.column, names));
    }
    if (schema->field(plan.event_time_column)->type()->id() != arrow::Type::TIMESTAMP) {
      return arrow::Status::Invalid(spec.Where(et.line), ": event_time.column: '", et.column, "' is ",
                                    schema->field(plan.event_time_column)->type()->ToString(),
                                    "; declare it as 'timestamp' in the schema");
    }
    plan.watermark_delay = et.watermark_delay;
    plan.idle_timeout = et.idle_timeout;
    plan.close_after_quiet = et.close_after_quiet;
  }

  // Each output owns its directory tree: no two outputs may write to one directory or
  // one inside the other (their partitions and files would mix).
  std::vector<std::pair<std::string, std::string>> claimed;  // (normalised path, output)
  auto claim_path = [&](const std::string& path, int line, const std::string& what) -> arrow::Status {
    const std::string normal = NormalizeOutputPath(path);
    for (const auto& [other, other_what] : claimed) {
      const bool same = other == normal;
      if (same || IsInside(normal, other) || IsInside(other, normal)) {
        return arrow::Status::Invalid(spec.Where(line), ": ", what, " writes to ", path,
                                      same                      ? ", the directory of "
                                      : IsInside(normal, other) ? ", inside the directory of "
                                                                : ", which holds the directory of ",
                                      other_what, "; give each output its own directory");
      }
    }
    claimed.emplace_back(normal, what);
    return arrow::Status::OK();
  };

  for (const auto& output : spec.outputs) {
    OutputPlan out;
    out.name = output.name;
    out.line = output.line;
    const std::string what = "outputs." + output.name;
    if (!output.aggregates.empty()) {
      ARROW_ASSIGN_OR_RAISE(auto aggregation, MakeAggregation(spec, output, plan.event_time_column, schema));
      out.schema = aggregation.output_schema;
      out.aggregation = std::move(aggregation);
    } else {
      arrow::FieldVector projected;
      if (output.columns.empty()) {
        for (int i = 0; i < schema->num_fields(); ++i) out.projection.push_back(i);
      }
      for (const auto& column : output.columns) {
        int index = schema->GetFieldIndex(column);
        if (index < 0) {
          return arrow::Status::Invalid(spec.Where(output.columns_line), ": ", what,
                                        ".columns: unknown column '", column, "'", DidYouMean(column, names));
        }
        out.projection.push_back(index);
      }
      for (int i : out.projection) projected.push_back(schema->field(i));
      out.schema = arrow::schema(projected);
    }
    if (output.filter) {
      ARROW_ASSIGN_OR_RAISE(out.filter, CompileNamed(spec, *output.filter, what + ".filter", schema, true));
      out.filter->name.clear();
    }
    if (output.parquet) {
      if (out.aggregation && out.aggregation->options.mode == OutputMode::kComplete) {
        return arrow::Status::Invalid(
            spec.Where(output.mode_line), ": ", what,
            ".mode: complete rewrites every group at every trigger, and Parquet files are only ever added "
            "to; write 'mode: update' (a changelog: the latest row per group is current) or send the output "
            "to a console sink");
      }
      ARROW_RETURN_NOT_OK(claim_path(output.parquet->path, output.parquet->line, what));
      ARROW_ASSIGN_OR_RAISE(out.parquet, MakeSinkPlan(spec, *output.parquet, what + ".parquet", out.schema));
    }
    out.console = output.console;
    plan.outputs.push_back(std::move(out));
  }
  if (spec.dead_letter) {
    ARROW_RETURN_NOT_OK(claim_path(spec.dead_letter->path, spec.dead_letter->line, "dead_letter"));
    ARROW_ASSIGN_OR_RAISE(plan.dead_letter, MakeSinkPlan(spec, *spec.dead_letter, "dead_letter.parquet",
                                                         RejectedRecordSchema()));
  }
  if (spec.late) {
    ARROW_RETURN_NOT_OK(claim_path(spec.late->path, spec.late->line, "late"));
    ARROW_ASSIGN_OR_RAISE(plan.late, MakeSinkPlan(spec, *spec.late, "late.parquet", RejectedRecordSchema()));
  }
  if (spec.checkpoint) {
    ARROW_RETURN_NOT_OK(claim_path(spec.checkpoint->path, spec.checkpoint->line, "checkpoint"));
  }
  bool on_s3 = spec.checkpoint && Storage::IsS3Uri(spec.checkpoint->path);
  for (const auto& output : plan.outputs)
    on_s3 |= output.parquet && Storage::IsS3Uri(output.parquet->spec.path);
  for (const auto* sink : {&plan.dead_letter, &plan.late})
    on_s3 |= *sink && Storage::IsS3Uri((*sink)->spec.path);
  if (on_s3) {
    auto valid = ValidateS3Config(spec.s3);
    if (!valid.ok()) {
      // Settings from the pipeline file name their line already; those from the
      // environment get the file's name.
      const bool located = valid.message().rfind(spec.file + ":", 0) == 0;
      return valid.WithMessage(located ? "" : spec.file + ": ", valid.message());
    }
    plan.s3 = spec.s3;
  }
  plan.spec = std::move(spec);
  return plan;
}

std::string Plan::Describe() const {
  std::string out;
  auto line = [&](const std::string& text) { out += text + "\n"; };
  auto sink = [](const SinkPlan& s) { return DescribeParquet(s.spec.path, s.options); };
  line("pipeline " + (spec.name.empty() ? std::string("(unnamed)") : spec.name) + "  [" + spec.file + "]");
  if (kafka) {
    line("source      " +
         fmt::format("kafka {} from {} (group {}, new partitions start at {})",
                     kafka->pattern.empty() ? JoinNames(kafka->topics) : "pattern " + kafka->pattern,
                     kafka->bootstrap_servers, kafka->group_id, spec.source.kafka->start));
    if (!kafka->instance_id.empty()) line("  instance_id " + kafka->instance_id + " (static membership)");
    if (!kafka->properties.empty()) line("  properties " + DescribeKafkaProperties(kafka->properties));
    for (const auto& m : metadata_columns) {
      line(fmt::format("  {:<22} {:<10} (message {})", m.name, MetadataFieldType(m.field)->ToString(),
                       spec.source.kafka->metadata[&m - &metadata_columns[0]].field));
    }
  } else {
    line("source      ndjson files " + spec.source.files->path +
         (spec.source.files->follow ? " (follow)" : ""));
  }
  int required = 0;
  for (const auto& f : input_schema.fields()) required += f.required;
  line(fmt::format("format      json, {} fields ({} required)", input_schema.fields().size(), required));
  for (const auto& f : input_schema.fields()) {
    line(fmt::format("  {:<22} {:<10}{}", f.name, ColumnTypeName(f.type), f.required ? " required" : ""));
  }
  for (const auto& c : columns) {
    line(fmt::format("column      {} = {}  ({})", c.name, c.text, c.expr.type()->ToString()));
  }
  for (const auto& c : checks) line(fmt::format("check       {}: {}", c.name, c.text));
  if (filter) line("filter      " + filter->text);
  if (event_time_column >= 0) {
    line("event time  " + row_schema->field(event_time_column)->name() + ", watermark " +
         FormatDuration(watermark_delay) +
         (kafka ? ", partitions idle after " + FormatDuration(idle_timeout) : "") +
         (close_after_quiet.count() > 0
              ? ", follows the clock after " + FormatDuration(close_after_quiet) + " of quiet"
              : ""));
  }
  if (s3) line("storage     s3 " + s3->Describe());
  line(fmt::format(
      "trigger     every {}, batches of {} records{}", FormatDuration(spec.trigger.interval),
      spec.trigger.batch_size,
      spec.trigger.max_records > 0 ? fmt::format(", at most {} per trigger", spec.trigger.max_records) : ""));
  for (const auto& o : outputs) {
    if (o.aggregation) {
      const auto& a = *o.aggregation;
      line(fmt::format("output      {}: {}{}{}{}, {} mode", o.name, a.window.ToString(),
                       a.window.has_bounds() ? " windows" : " aggregates", a.group_by.empty() ? "" : " by ",
                       JoinNames(a.group_by), OutputModeName(a.options.mode)));
      if (a.options.timeout.enabled()) line("  timeout after " + a.options.timeout.ToString());
      for (const auto& agg : spec.outputs[&o - &outputs[0]].aggregates) {
        line(fmt::format("  {:<22} {}", agg.name, agg.expression));
      }
    } else {
      std::vector<std::string> cols;
      for (const auto& f : o.schema->fields()) cols.push_back(f->name());
      line(fmt::format("output      {}: {} columns ({})", o.name, cols.size(), JoinNames(cols)));
    }
    if (o.filter) line("  filter " + o.filter->text);
    if (o.parquet) line("  -> " + sink(*o.parquet));
    if (o.console) line("  -> " + DescribeConsole({o.console->rows, o.console->truncate}));
  }
  line(dead_letter ? "dead letter -> " + sink(*dead_letter)
                   : "dead letter (none: rejected records are only counted and logged; add 'dead_letter:')");
  bool has_windows = false;
  for (const auto& o : outputs) has_windows |= o.aggregation.has_value();
  if (has_windows) {
    line(late ? "late        -> " + sink(*late)
              : "late        (none: late records are only counted and logged; add 'late:')");
  }
  if (spec.metrics)
    line("metrics     listen " + spec.metrics->listen + " (status page, /metrics, /healthz, /readyz)");
  line(spec.checkpoint ? "checkpoint  " + spec.checkpoint->path + " (exactly once across crashes)"
                       : "checkpoint  (none: after a crash records are processed again, at least once; add "
                         "'checkpoint: {path: ...}')");
  return out;
}

}  // namespace sluice
