#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/time_util.h"
#include "pipeline/spec.h"

namespace sluice {
namespace {

// Typed, located access to the YAML tree. Every error names file:line.
class Reader {
 public:
  Reader(std::string file, Environment* env) : file_(std::move(file)), env_(env) {}

  static int Line(const YAML::Node& node) {
    YAML::Mark mark = node.Mark();
    return mark.is_null() ? 0 : mark.line + 1;
  }

  arrow::Status Error(int line, const std::string& message) const {
    if (line <= 0) return arrow::Status::Invalid(file_, ": ", message);
    return arrow::Status::Invalid(file_, ":", line, ": ", message);
  }
  arrow::Status Error(const YAML::Node& node, const std::string& message) const {
    return Error(Line(node), message);
  }

  arrow::Status ExpectMap(const YAML::Node& node, const std::string& what) const {
    if (node.IsMap()) return arrow::Status::OK();
    return Error(node, what + " must be a mapping of 'key: value' lines");
  }

  // Fails on a key written twice in one mapping, anywhere under `node` (YAML parsers
  // keep one of the two silently).
  arrow::Status CheckDuplicateKeys(const YAML::Node& node) const {
    if (node.IsSequence()) {
      for (const auto& item : node) ARROW_RETURN_NOT_OK(CheckDuplicateKeys(item));
    } else if (node.IsMap()) {
      std::map<std::string, int> seen;  // key -> line
      for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        auto [it, inserted] = seen.emplace(key, Line(entry.first));
        if (!inserted) {
          return Error(entry.first, "key '" + key + "' is written twice in the same mapping (first on line " +
                                        std::to_string(it->second) + "); keep one");
        }
        ARROW_RETURN_NOT_OK(CheckDuplicateKeys(entry.second));
      }
    }
    return arrow::Status::OK();
  }

  // Fails on keys outside `allowed`, suggesting the closest one.
  arrow::Status CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                          const std::string& what) const {
    for (const auto& entry : map) {
      std::string key = entry.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Error(entry.first, "unknown key '" + key + "' in " + what + DidYouMean(key, allowed) +
                                      "; allowed: " + list);
      }
    }
    return arrow::Status::OK();
  }

  arrow::Result<std::string> String(const YAML::Node& node, const std::string& what) const {
    if (!node.IsScalar()) return Error(node, what + " must be a single value");
    auto expanded = env_->Expand(node.Scalar());
    if (!expanded.ok()) return Error(node, what + ": " + expanded.status().message());
    return *expanded;
  }

  arrow::Result<int64_t> Int(const YAML::Node& node, const std::string& what, int64_t min_value) const {
    ARROW_ASSIGN_OR_RAISE(std::string text, String(node, what));
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      return Error(node, what + " must be a whole number, got '" + text + "'");
    }
    if (value < min_value) return Error(node, what + " must be at least " + std::to_string(min_value));
    return value;
  }

  arrow::Result<bool> Bool(const YAML::Node& node, const std::string& what) const {
    ARROW_ASSIGN_OR_RAISE(std::string text, String(node, what));
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
    return Error(node, what + " must be true or false, got '" + text + "'");
  }

  arrow::Result<Duration> Dur(const YAML::Node& node, const std::string& what) const {
    ARROW_ASSIGN_OR_RAISE(std::string text, String(node, what));
    auto duration = ParseDuration(text);
    if (!duration.ok()) return Error(node, what + ": " + duration.status().message());
    return *duration;
  }

  arrow::Result<int64_t> Bytes(const YAML::Node& node, const std::string& what) const {
    ARROW_ASSIGN_OR_RAISE(std::string text, String(node, what));
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
    std::string unit = text.substr(digits);
    while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
    for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    int64_t multiplier = unit.empty() || unit == "B"                    ? 1
                         : unit == "KB" || unit == "K" || unit == "KIB" ? 1LL << 10
                         : unit == "MB" || unit == "M" || unit == "MIB" ? 1LL << 20
                         : unit == "GB" || unit == "G" || unit == "GIB" ? 1LL << 30
                                                                        : -1;
    int64_t count = 0, bytes = 0;
    if (digits == 0 || multiplier < 0 ||
        std::from_chars(text.data(), text.data() + digits, count).ec != std::errc() ||
        __builtin_mul_overflow(count, multiplier, &bytes)) {
      return Error(node, what + " must be a size such as 128MB or 1GB, got '" + text + "'");
    }
    return bytes;
  }

  // A list of names, as a YAML sequence or a comma-separated string.
  arrow::Result<std::vector<std::string>> Names(const YAML::Node& node, const std::string& what) const {
    std::vector<std::string> out;
    if (node.IsSequence()) {
      for (const auto& item : node) {
        ARROW_ASSIGN_OR_RAISE(std::string name, String(item, what));
        out.push_back(name);
      }
      return out;
    }
    ARROW_ASSIGN_OR_RAISE(std::string text, String(node, what));
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, ',')) {
      while (!part.empty() && part.front() == ' ') part.erase(part.begin());
      while (!part.empty() && part.back() == ' ') part.pop_back();
      if (!part.empty()) out.push_back(part);
    }
    return out;
  }

  // "name: expression" entries of a mapping, in order.
  arrow::Result<std::vector<NamedExpression>> Expressions(const YAML::Node& node,
                                                          const std::string& what) const {
    ARROW_RETURN_NOT_OK(ExpectMap(node, what));
    std::vector<NamedExpression> out;
    std::set<std::string> seen;
    for (const auto& entry : node) {
      std::string name = entry.first.as<std::string>();
      if (!seen.insert(name).second) return Error(entry.first, what + "." + name + " is defined twice");
      ARROW_ASSIGN_OR_RAISE(std::string expression, String(entry.second, what + "." + name));
      out.push_back({name, expression, Line(entry.second)});
    }
    return out;
  }

 private:
  std::string file_;
  Environment* env_;
};

arrow::Result<ParquetSpec> ReadParquet(const Reader& r, const YAML::Node& node, const std::string& what) {
  ARROW_RETURN_NOT_OK(r.ExpectMap(node, what));
  ARROW_RETURN_NOT_OK(r.CheckKeys(node,
                                  {"path", "partition_by", "compression", "compression_level",
                                   "row_group_rows", "file_max_rows", "file_max_bytes", "file_max_age"},
                                  what));
  ParquetSpec spec;
  spec.line = Reader::Line(node);
  if (!node["path"]) return r.Error(node, what + " needs a path, e.g. path: ./lake/raw");
  ARROW_ASSIGN_OR_RAISE(spec.path, r.String(node["path"], what + ".path"));
  if (spec.path.empty()) return r.Error(node["path"], what + ".path is empty");
  if (node["partition_by"]) {
    ARROW_ASSIGN_OR_RAISE(spec.partition_by, r.Expressions(node["partition_by"], what + ".partition_by"));
  }
  if (node["compression"]) {
    ARROW_ASSIGN_OR_RAISE(spec.compression, r.String(node["compression"], what + ".compression"));
  }
  if (node["compression_level"]) {
    ARROW_ASSIGN_OR_RAISE(int64_t level, r.Int(node["compression_level"], what + ".compression_level", 1));
    spec.compression_level = static_cast<int>(level);
  }
  if (node["row_group_rows"]) {
    ARROW_ASSIGN_OR_RAISE(spec.row_group_rows, r.Int(node["row_group_rows"], what + ".row_group_rows", 1));
  }
  if (node["file_max_rows"]) {
    ARROW_ASSIGN_OR_RAISE(spec.file_max_rows, r.Int(node["file_max_rows"], what + ".file_max_rows", 0));
  }
  if (node["file_max_bytes"]) {
    ARROW_ASSIGN_OR_RAISE(spec.file_max_bytes, r.Bytes(node["file_max_bytes"], what + ".file_max_bytes"));
  }
  if (node["file_max_age"]) {
    ARROW_ASSIGN_OR_RAISE(spec.file_max_age, r.Dur(node["file_max_age"], what + ".file_max_age"));
  }
  return spec;
}

arrow::Result<ConsoleSpec> ReadConsole(const Reader& r, const YAML::Node& node, const std::string& what) {
  ConsoleSpec console;
  console.line = Reader::Line(node);
  if (node.IsNull()) return console;  // `console:` alone takes the defaults
  ARROW_RETURN_NOT_OK(r.ExpectMap(node, what));
  ARROW_RETURN_NOT_OK(r.CheckKeys(node, {"rows", "truncate"}, what));
  if (node["rows"]) {
    ARROW_ASSIGN_OR_RAISE(console.rows, r.Int(node["rows"], what + ".rows", 1));
  }
  if (node["truncate"]) {
    ARROW_ASSIGN_OR_RAISE(console.truncate, r.Bool(node["truncate"], what + ".truncate"));
  }
  return console;
}

// The dead-letter and late outputs' sink (parquet).
arrow::Result<ParquetSpec> ReadSink(const Reader& r, const YAML::Node& node, const std::string& what) {
  if (!node["parquet"])
    return r.Error(node, what + " needs a sink, e.g. 'parquet: {path: ./lake/" + what + "}'");
  return ReadParquet(r, node["parquet"], what + ".parquet");
}

arrow::Result<WindowSpecLine> ReadWindow(const Reader& r, const YAML::Node& node, const std::string& what) {
  ARROW_RETURN_NOT_OK(r.ExpectMap(node, what));
  ARROW_RETURN_NOT_OK(
      r.CheckKeys(node, {"tumbling", "sliding", "session", "slide", "offset", "max_duration"}, what));
  WindowSpecLine window;
  window.line = Reader::Line(node);
  int kinds = 0;
  for (const char* kind : {"tumbling", "sliding", "session"}) kinds += node[kind] ? 1 : 0;
  if (kinds > 1) return r.Error(node, what + ": choose one of tumbling, sliding or session");
  if (node["tumbling"]) {
    window.kind = "tumbling";
    ARROW_ASSIGN_OR_RAISE(window.size, r.Dur(node["tumbling"], what + ".tumbling"));
    if (node["slide"])
      return r.Error(node["slide"], what + ": a tumbling window has no slide; use sliding: SIZE");
  } else if (node["sliding"]) {
    window.kind = "sliding";
    ARROW_ASSIGN_OR_RAISE(window.size, r.Dur(node["sliding"], what + ".sliding"));
    if (!node["slide"]) return r.Error(node, what + ": a sliding window needs slide: DURATION");
    ARROW_ASSIGN_OR_RAISE(window.slide, r.Dur(node["slide"], what + ".slide"));
  } else if (node["session"]) {
    window.kind = "session";
    ARROW_ASSIGN_OR_RAISE(window.size, r.Dur(node["session"], what + ".session"));
    for (const char* key : {"slide", "offset"}) {
      if (node[key]) {
        return r.Error(node[key], what + ": a session window has no " + key +
                                      "; it is given by its gap ('session: 30 seconds')");
      }
    }
    if (node["max_duration"]) {
      ARROW_ASSIGN_OR_RAISE(window.max_duration, r.Dur(node["max_duration"], what + ".max_duration"));
    }
  } else {
    return r.Error(node, what +
                             " needs 'tumbling: 1 minute', 'sliding: 5 minutes' with 'slide: 1 minute', or "
                             "'session: 30 seconds'");
  }
  if (node["max_duration"] && window.kind != "session")
    return r.Error(node["max_duration"], what + ": max_duration applies to session windows only");
  if (node["offset"]) {
    ARROW_ASSIGN_OR_RAISE(window.offset, r.Dur(node["offset"], what + ".offset"));
  }
  return window;
}

arrow::Result<TimeoutSpecLine> ReadTimeout(const Reader& r, const YAML::Node& node, const std::string& what) {
  ARROW_RETURN_NOT_OK(r.ExpectMap(node, what));
  ARROW_RETURN_NOT_OK(r.CheckKeys(node, {"after", "by"}, what));
  TimeoutSpecLine timeout;
  timeout.line = Reader::Line(node);
  if (!node["after"]) return r.Error(node, what + " needs after: DURATION, e.g. 'timeout: {after: 1 hour}'");
  ARROW_ASSIGN_OR_RAISE(timeout.after, r.Dur(node["after"], what + ".after"));
  if (timeout.after.count() <= 0) return r.Error(node["after"], what + ".after must be positive");
  if (node["by"]) {
    ARROW_ASSIGN_OR_RAISE(timeout.by, r.String(node["by"], what + ".by"));
    if (timeout.by != "event_time" && timeout.by != "processing_time") {
      return r.Error(node["by"], what + ".by is '" + timeout.by + "'; use event_time or processing_time");
    }
  }
  return timeout;
}

arrow::Result<OutputSpec> ReadOutput(const Reader& r, const std::string& name, const YAML::Node& node) {
  const std::string what = "outputs." + name;
  ARROW_RETURN_NOT_OK(r.ExpectMap(node, what));
  ARROW_RETURN_NOT_OK(r.CheckKeys(
      node,
      {"columns", "window", "group_by", "aggregates", "mode", "timeout", "filter", "parquet", "console"},
      what));
  OutputSpec out;
  out.name = name;
  out.line = Reader::Line(node);
  if (node["window"]) {
    ARROW_ASSIGN_OR_RAISE(out.window, ReadWindow(r, node["window"], what + ".window"));
    if (!node["aggregates"])
      return r.Error(node, what + " has a window but no aggregates, e.g. 'aggregates: {n: count(*)}'");
  }
  if (node["aggregates"]) {
    if (node["columns"]) {
      return r.Error(node["columns"], what +
                                          ": an aggregation's columns are its group_by and aggregates; "
                                          "remove 'columns'");
    }
    ARROW_ASSIGN_OR_RAISE(out.aggregates, r.Expressions(node["aggregates"], what + ".aggregates"));
    if (node["group_by"]) {
      out.group_by_line = Reader::Line(node["group_by"]);
      ARROW_ASSIGN_OR_RAISE(out.group_by, r.Names(node["group_by"], what + ".group_by"));
    } else {
      out.group_by_line = out.line;
    }
    if (node["mode"]) {
      out.mode_line = Reader::Line(node["mode"]);
      ARROW_ASSIGN_OR_RAISE(out.mode, r.String(node["mode"], what + ".mode"));
      if (out.mode != "append" && out.mode != "update" && out.mode != "complete") {
        return r.Error(node["mode"], what + ".mode is '" + out.mode + "'; use append, update or complete");
      }
    }
    if (node["timeout"]) {
      if (node["window"]) {
        return r.Error(node["timeout"], what +
                                            ": timeout ends a running aggregate's state; a windowed "
                                            "aggregation ends with its window (remove 'timeout')");
      }
      ARROW_ASSIGN_OR_RAISE(out.timeout, ReadTimeout(r, node["timeout"], what + ".timeout"));
    }
  } else {
    for (const char* key : {"group_by", "mode", "timeout"}) {
      if (node[key]) {
        return r.Error(node[key],
                       what + " has " + key + " but no aggregates; add e.g. 'aggregates: {n: count(*)}'");
      }
    }
    if (node["columns"]) {
      out.columns_line = Reader::Line(node["columns"]);
      ARROW_ASSIGN_OR_RAISE(out.columns, r.Names(node["columns"], what + ".columns"));
    }
  }
  if (node["filter"]) {
    ARROW_ASSIGN_OR_RAISE(std::string filter, r.String(node["filter"], what + ".filter"));
    out.filter = NamedExpression{"filter", filter, Reader::Line(node["filter"])};
  }
  if (node["parquet"]) {
    ARROW_ASSIGN_OR_RAISE(out.parquet, ReadParquet(r, node["parquet"], what + ".parquet"));
  }
  if (node["console"]) {
    ARROW_ASSIGN_OR_RAISE(out.console, ReadConsole(r, node["console"], what + ".console"));
  }
  if (!out.parquet && !out.console) {
    return r.Error(
        node, what + " needs a sink, e.g. 'parquet: {path: ./lake/" + name + "}' or 'console: {rows: 20}'");
  }
  return out;
}

arrow::Result<FilesSourceSpec> ReadFilesSource(const Reader& r, const YAML::Node& files) {
  ARROW_RETURN_NOT_OK(r.ExpectMap(files, "source.files"));
  ARROW_RETURN_NOT_OK(r.CheckKeys(files, {"path", "follow", "poll_interval"}, "source.files"));
  FilesSourceSpec f;
  if (!files["path"]) return r.Error(files, "source.files needs a path, e.g. path: data/*.ndjson");
  ARROW_ASSIGN_OR_RAISE(f.path, r.String(files["path"], "source.files.path"));
  if (files["follow"]) {
    ARROW_ASSIGN_OR_RAISE(f.follow, r.Bool(files["follow"], "source.files.follow"));
  }
  if (files["poll_interval"]) {
    ARROW_ASSIGN_OR_RAISE(f.poll_interval, r.Dur(files["poll_interval"], "source.files.poll_interval"));
  }
  return f;
}

arrow::Result<KafkaSourceSpec> ReadKafkaSource(const Reader& r, const YAML::Node& node,
                                               const std::string& pipeline_name) {
  const std::string what = "source.kafka";
  ARROW_RETURN_NOT_OK(r.ExpectMap(node, what));
  ARROW_RETURN_NOT_OK(r.CheckKeys(node,
                                  {"bootstrap_servers", "topics", "pattern", "group_id", "instance_id",
                                   "start", "offset_reset", "connect_timeout", "properties", "metadata"},
                                  what));
  KafkaSourceSpec k;
  k.line = Reader::Line(node);
  if (!node["bootstrap_servers"]) {
    return r.Error(node,
                   what + " needs bootstrap_servers, e.g. bootstrap_servers: ${KAFKA_BOOTSTRAP_SERVERS}");
  }
  ARROW_ASSIGN_OR_RAISE(k.bootstrap_servers,
                        r.String(node["bootstrap_servers"], what + ".bootstrap_servers"));
  if (k.bootstrap_servers.empty())
    return r.Error(node["bootstrap_servers"], what + ".bootstrap_servers is empty");
  if (node["topics"] && node["pattern"]) return r.Error(node, what + ": choose one of topics and pattern");
  if (node["topics"]) {
    ARROW_ASSIGN_OR_RAISE(k.topics, r.Names(node["topics"], what + ".topics"));
    if (k.topics.empty()) return r.Error(node["topics"], what + ".topics is empty");
  } else if (node["pattern"]) {
    ARROW_ASSIGN_OR_RAISE(k.pattern, r.String(node["pattern"], what + ".pattern"));
    if (k.pattern.empty()) return r.Error(node["pattern"], what + ".pattern is empty");
  } else {
    return r.Error(
        node, what + " needs topics (e.g. topics: iot-events) or a pattern (e.g. pattern: 'orders\\..*')");
  }
  k.group_id = "sluice-" + (pipeline_name.empty() ? std::string("pipeline") : pipeline_name);
  if (node["group_id"]) {
    ARROW_ASSIGN_OR_RAISE(k.group_id, r.String(node["group_id"], what + ".group_id"));
    if (k.group_id.empty()) return r.Error(node["group_id"], what + ".group_id is empty");
  }
  if (node["instance_id"]) {
    ARROW_ASSIGN_OR_RAISE(k.instance_id, r.String(node["instance_id"], what + ".instance_id"));
    if (k.instance_id.empty()) {
      return r.Error(node["instance_id"],
                     what + ".instance_id is empty (leave it out for dynamic membership)");
    }
  }
  if (node["start"]) {
    k.start_line = Reader::Line(node["start"]);
    ARROW_ASSIGN_OR_RAISE(k.start, r.String(node["start"], what + ".start"));
    if (k.start != "earliest" && k.start != "latest" && !ParseIsoTimestamp(k.start)) {
      return r.Error(node["start"], what +
                                        ".start must be earliest, latest or an ISO-8601 time such as "
                                        "2025-07-28T14:00:00Z, got '" +
                                        k.start + "'");
    }
  }
  if (node["offset_reset"]) {
    ARROW_ASSIGN_OR_RAISE(k.offset_reset, r.String(node["offset_reset"], what + ".offset_reset"));
    if (k.offset_reset != "error" && k.offset_reset != "earliest" && k.offset_reset != "latest") {
      return r.Error(node["offset_reset"], what + ".offset_reset must be error, earliest or latest");
    }
  }
  if (node["connect_timeout"]) {
    ARROW_ASSIGN_OR_RAISE(k.connect_timeout, r.Dur(node["connect_timeout"], what + ".connect_timeout"));
    if (k.connect_timeout.count() <= 0)
      return r.Error(node["connect_timeout"], what + ".connect_timeout must be positive");
  }
  if (node["properties"]) {
    ARROW_ASSIGN_OR_RAISE(auto entries, r.Expressions(node["properties"], what + ".properties"));
    for (auto& e : entries) k.properties.push_back({std::move(e.name), std::move(e.expression), e.line});
  }
  if (node["metadata"]) {
    ARROW_ASSIGN_OR_RAISE(auto entries, r.Expressions(node["metadata"], what + ".metadata"));
    for (auto& e : entries) k.metadata.push_back({std::move(e.name), std::move(e.expression), e.line});
  }
  return k;
}

// storage.s3 over `config` (the environment's defaults); origins name the file line.
arrow::Status ReadStorage(const Reader& r, const YAML::Node& node, const std::string& file,
                          S3Config* config) {
  ARROW_RETURN_NOT_OK(r.ExpectMap(node, "storage"));
  ARROW_RETURN_NOT_OK(r.CheckKeys(node, {"s3"}, "storage"));
  if (!node["s3"]) return arrow::Status::OK();
  const YAML::Node s3 = node["s3"];
  const std::string what = "storage.s3";
  ARROW_RETURN_NOT_OK(r.ExpectMap(s3, what));
  ARROW_RETURN_NOT_OK(
      r.CheckKeys(s3,
                  {"endpoint", "region", "access_key_id", "secret_access_key", "session_token", "path_style",
                   "retry_timeout", "max_uploads", "upload_buffer"},
                  what));
  auto origin = [&](const char* key) {
    return file + ":" + std::to_string(Reader::Line(s3[key])) + ": " + what + "." + key;
  };
  if (s3["endpoint"]) {
    ARROW_ASSIGN_OR_RAISE(config->endpoint, r.String(s3["endpoint"], what + ".endpoint"));
    config->endpoint_origin = origin("endpoint");
  }
  if (s3["region"]) {
    ARROW_ASSIGN_OR_RAISE(config->region, r.String(s3["region"], what + ".region"));
  }
  // Keys given here come as a set: the environment's session token belongs to its keys.
  if (s3["access_key_id"] || s3["secret_access_key"]) config->session_token.clear();
  if (s3["access_key_id"]) {
    ARROW_ASSIGN_OR_RAISE(config->access_key_id, r.String(s3["access_key_id"], what + ".access_key_id"));
    config->credentials_origin = origin("access_key_id");
  }
  if (s3["secret_access_key"]) {
    ARROW_ASSIGN_OR_RAISE(config->secret_access_key,
                          r.String(s3["secret_access_key"], what + ".secret_access_key"));
    if (!s3["access_key_id"]) config->credentials_origin = origin("secret_access_key");
  }
  if (s3["session_token"]) {
    ARROW_ASSIGN_OR_RAISE(config->session_token, r.String(s3["session_token"], what + ".session_token"));
  }
  if (s3["path_style"]) {
    ARROW_ASSIGN_OR_RAISE(std::string style, r.String(s3["path_style"], what + ".path_style"));
    if (style == "auto") {
      config->addressing = S3Config::Addressing::kAuto;
    } else {
      ARROW_ASSIGN_OR_RAISE(bool path, r.Bool(s3["path_style"], what + ".path_style (auto, true or false)"));
      config->addressing = path ? S3Config::Addressing::kPath : S3Config::Addressing::kVirtual;
    }
  }
  if (s3["retry_timeout"]) {
    ARROW_ASSIGN_OR_RAISE(config->retry_timeout, r.Dur(s3["retry_timeout"], what + ".retry_timeout"));
  }
  if (s3["max_uploads"]) {
    ARROW_ASSIGN_OR_RAISE(int64_t uploads, r.Int(s3["max_uploads"], what + ".max_uploads", 1));
    if (uploads > 64) return r.Error(s3["max_uploads"], what + ".max_uploads must be at most 64");
    config->max_uploads = static_cast<int>(uploads);
  }
  if (s3["upload_buffer"]) {
    ARROW_ASSIGN_OR_RAISE(config->upload_buffer, r.Bytes(s3["upload_buffer"], what + ".upload_buffer"));
    if (config->upload_buffer < kS3PartSize) {
      return r.Error(s3["upload_buffer"], what + ".upload_buffer must hold at least one part: 10MB or more");
    }
  }
  return arrow::Status::OK();
}

arrow::Result<PipelineSpec> Parse(const YAML::Node& root, const std::string& file, Environment* env) {
  Reader r(file, env);
  if (!root.IsMap()) return r.Error(root, "a pipeline file is a mapping with source, schema and outputs");
  ARROW_RETURN_NOT_OK(r.CheckDuplicateKeys(root));
  ARROW_RETURN_NOT_OK(
      r.CheckKeys(root,
                  {"name", "vars", "source", "format", "schema", "columns", "checks", "filter", "event_time",
                   "trigger", "outputs", "dead_letter", "late", "checkpoint", "storage", "metrics"},
                  "the pipeline"));
  PipelineSpec spec;
  spec.file = file;
  if (root["vars"]) {
    ARROW_RETURN_NOT_OK(r.ExpectMap(root["vars"], "vars"));
    for (const auto& entry : root["vars"]) {
      std::string name = entry.first.as<std::string>();
      ARROW_ASSIGN_OR_RAISE(std::string value, r.String(entry.second, "vars." + name));
      env->SetVar(name, value);
    }
  }
  if (root["name"]) {
    ARROW_ASSIGN_OR_RAISE(spec.name, r.String(root["name"], "name"));
  }

  // source
  const YAML::Node source = root["source"];
  if (!source) {
    return r.Error(root,
                   "the pipeline needs a source, e.g. 'source: {kafka: {topics: events}}' or "
                   "'source: {files: {path: data/*.ndjson}}'");
  }
  ARROW_RETURN_NOT_OK(r.ExpectMap(source, "source"));
  ARROW_RETURN_NOT_OK(r.CheckKeys(source, {"files", "kafka"}, "source"));
  spec.source.line = Reader::Line(source);
  if (source["files"] && source["kafka"]) return r.Error(source, "source: choose one of files and kafka");
  if (source["files"]) {
    ARROW_ASSIGN_OR_RAISE(spec.source.files, ReadFilesSource(r, source["files"]));
  } else if (source["kafka"]) {
    ARROW_ASSIGN_OR_RAISE(spec.source.kafka, ReadKafkaSource(r, source["kafka"], spec.name));
  } else {
    return r.Error(source, "source needs 'kafka: {topics: ...}' or 'files: {path: ...}'");
  }

  if (root["format"]) {
    ARROW_ASSIGN_OR_RAISE(spec.format, r.String(root["format"], "format"));
    if (spec.format != "json")
      return r.Error(root["format"], "format '" + spec.format + "' is not supported; use json");
  }

  // schema: name: type  |  name: {type: ..., required: ..., epoch: ...}
  const YAML::Node schema = root["schema"];
  if (!schema)
    return r.Error(root, "the pipeline needs a schema, e.g. 'schema: {device_id: string, value: double}'");
  ARROW_RETURN_NOT_OK(r.ExpectMap(schema, "schema"));
  spec.schema_line = Reader::Line(schema);
  for (const auto& entry : schema) {
    FieldSpecLine field;
    field.field.name = entry.first.as<std::string>();
    field.line = Reader::Line(entry.first);
    const std::string what = "schema." + field.field.name;
    if (field.field.name.find('.') != std::string::npos) {
      // The decoder matches top-level field names only: such a field would read null
      // forever.
      return r.Error(entry.first, what +
                                      ": a field name cannot contain '.'; nested fields are not read yet: "
                                      "declare the top-level field as json (e.g. '" +
                                      field.field.name.substr(0, field.field.name.find('.')) +
                                      ": json') to keep it as JSON text");
    }
    std::string type_name;
    if (entry.second.IsMap()) {
      ARROW_RETURN_NOT_OK(r.CheckKeys(entry.second, {"type", "required", "epoch"}, what));
      if (!entry.second["type"]) return r.Error(entry.second, what + " needs a type");
      ARROW_ASSIGN_OR_RAISE(type_name, r.String(entry.second["type"], what + ".type"));
      if (entry.second["required"]) {
        ARROW_ASSIGN_OR_RAISE(field.field.required, r.Bool(entry.second["required"], what + ".required"));
      }
      if (entry.second["epoch"]) {
        ARROW_ASSIGN_OR_RAISE(std::string unit, r.String(entry.second["epoch"], what + ".epoch"));
        auto parsed = ParseEpochUnit(unit);
        if (!parsed.ok()) return r.Error(entry.second["epoch"], what + ": " + parsed.status().message());
        field.field.epoch_unit = *parsed;
      }
    } else {
      ARROW_ASSIGN_OR_RAISE(type_name, r.String(entry.second, what));
    }
    auto type = ParseColumnType(type_name);
    if (!type.ok()) return r.Error(entry.second, what + ": " + type.status().message());
    field.field.type = *type;
    spec.schema.push_back(field);
  }

  if (root["columns"]) {
    ARROW_ASSIGN_OR_RAISE(spec.columns, r.Expressions(root["columns"], "columns"));
  }
  if (root["checks"]) {
    ARROW_ASSIGN_OR_RAISE(spec.checks, r.Expressions(root["checks"], "checks"));
  }
  if (root["filter"]) {
    ARROW_ASSIGN_OR_RAISE(std::string filter, r.String(root["filter"], "filter"));
    spec.filter = NamedExpression{"filter", filter, Reader::Line(root["filter"])};
  }

  if (root["event_time"]) {
    const YAML::Node et = root["event_time"];
    ARROW_RETURN_NOT_OK(r.ExpectMap(et, "event_time"));
    ARROW_RETURN_NOT_OK(
        r.CheckKeys(et, {"column", "watermark", "idle_timeout", "close_after_quiet"}, "event_time"));
    EventTimeSpec e;
    e.line = Reader::Line(et);
    if (!et["column"]) return r.Error(et, "event_time needs a column, e.g. column: timestamp");
    ARROW_ASSIGN_OR_RAISE(e.column, r.String(et["column"], "event_time.column"));
    if (et["watermark"]) {
      ARROW_ASSIGN_OR_RAISE(e.watermark_delay, r.Dur(et["watermark"], "event_time.watermark"));
    }
    if (et["close_after_quiet"]) {
      ARROW_ASSIGN_OR_RAISE(e.close_after_quiet,
                            r.Dur(et["close_after_quiet"], "event_time.close_after_quiet"));
      if (e.close_after_quiet.count() <= 0)
        return r.Error(et["close_after_quiet"], "event_time.close_after_quiet must be positive");
    }
    if (et["idle_timeout"]) {
      ARROW_ASSIGN_OR_RAISE(e.idle_timeout, r.Dur(et["idle_timeout"], "event_time.idle_timeout"));
      if (e.idle_timeout.count() <= 0)
        return r.Error(et["idle_timeout"], "event_time.idle_timeout must be positive");
    }
    spec.event_time = e;
  }

  if (root["trigger"]) {
    const YAML::Node t = root["trigger"];
    ARROW_RETURN_NOT_OK(r.ExpectMap(t, "trigger"));
    ARROW_RETURN_NOT_OK(r.CheckKeys(t, {"interval", "batch_size", "max_records"}, "trigger"));
    spec.trigger.line = Reader::Line(t);
    if (t["interval"]) {
      ARROW_ASSIGN_OR_RAISE(spec.trigger.interval, r.Dur(t["interval"], "trigger.interval"));
    }
    if (spec.trigger.interval.count() <= 0)
      return r.Error(t["interval"], "trigger.interval must be positive");
    if (t["batch_size"]) {
      ARROW_ASSIGN_OR_RAISE(spec.trigger.batch_size, r.Int(t["batch_size"], "trigger.batch_size", 1));
    }
    if (t["max_records"]) {
      ARROW_ASSIGN_OR_RAISE(spec.trigger.max_records, r.Int(t["max_records"], "trigger.max_records", 1));
    }
  }

  const YAML::Node outputs = root["outputs"];
  if (!outputs) return r.Error(root, "the pipeline needs at least one output under 'outputs:'");
  ARROW_RETURN_NOT_OK(r.ExpectMap(outputs, "outputs"));
  for (const auto& entry : outputs) {
    ARROW_ASSIGN_OR_RAISE(OutputSpec output, ReadOutput(r, entry.first.as<std::string>(), entry.second));
    spec.outputs.push_back(std::move(output));
  }
  if (spec.outputs.empty())
    return r.Error(outputs, "the pipeline needs at least one output under 'outputs:'");
  for (const char* key : {"dead_letter", "late"}) {
    if (!root[key]) continue;
    ARROW_RETURN_NOT_OK(r.ExpectMap(root[key], key));
    ARROW_RETURN_NOT_OK(r.CheckKeys(root[key], {"parquet"}, key));
    ARROW_ASSIGN_OR_RAISE(ParquetSpec sink, ReadSink(r, root[key], key));
    (std::string(key) == "late" ? spec.late : spec.dead_letter) = std::move(sink);
  }
  if (const YAML::Node checkpoint = root["checkpoint"]) {
    ARROW_RETURN_NOT_OK(r.ExpectMap(checkpoint, "checkpoint"));
    ARROW_RETURN_NOT_OK(r.CheckKeys(checkpoint, {"path"}, "checkpoint"));
    if (!checkpoint["path"]) {
      return r.Error(checkpoint,
                     "checkpoint needs a path, e.g. 'checkpoint: {path: \"${output}/_checkpoint\"}'");
    }
    CheckpointSpec out;
    out.line = Reader::Line(checkpoint["path"]);
    ARROW_ASSIGN_OR_RAISE(out.path, r.String(checkpoint["path"], "checkpoint.path"));
    if (out.path.empty()) return r.Error(checkpoint["path"], "checkpoint.path is empty");
    spec.checkpoint = std::move(out);
  }
  if (const YAML::Node metrics = root["metrics"]) {
    ARROW_RETURN_NOT_OK(r.ExpectMap(metrics, "metrics"));
    ARROW_RETURN_NOT_OK(r.CheckKeys(metrics, {"listen"}, "metrics"));
    if (!metrics["listen"])
      return r.Error(metrics, "metrics needs listen, e.g. 'metrics: {listen: 127.0.0.1:9464}'");
    MetricsSpec out;
    out.line = Reader::Line(metrics["listen"]);
    ARROW_ASSIGN_OR_RAISE(out.listen, r.String(metrics["listen"], "metrics.listen"));
    if (out.listen.empty()) return r.Error(metrics["listen"], "metrics.listen is empty");
    spec.metrics = std::move(out);
  }
  spec.s3 = S3ConfigFromEnvironment(*env);
  if (root["storage"]) ARROW_RETURN_NOT_OK(ReadStorage(r, root["storage"], file, &spec.s3));
  return spec;
}

}  // namespace

arrow::Result<PipelineSpec> ParsePipelineSpec(const std::string& text, const std::string& file,
                                              Environment* env) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return arrow::Status::Invalid(file, ":", e.mark.line + 1, ": not valid YAML: ", e.msg);
  }
  try {
    return Parse(root, file, env);
  } catch (const YAML::Exception& e) {
    return arrow::Status::Invalid(file, ":", e.mark.line + 1, ": ", e.msg);
  }
}

arrow::Result<PipelineSpec> LoadPipelineSpec(const std::string& path, Environment* env) {
  std::ifstream in(path);
  if (!in) return arrow::Status::IOError("cannot read pipeline file '", path, "'");
  std::stringstream text;
  text << in.rdbuf();
  return ParsePipelineSpec(text.str(), path, env);
}

void SendOutputsToConsole(PipelineSpec* spec) {
  for (OutputSpec& output : spec->outputs) {
    if (!output.console) output.console = ConsoleSpec{20, true, output.line};
    output.parquet.reset();
  }
  spec->dead_letter.reset();
  spec->late.reset();
  spec->checkpoint.reset();
}

}  // namespace sluice
