#include "pipeline/run_stats.h"

#include <fmt/format.h>

#include "common/text.h"
#include "common/time_util.h"

namespace sluice {
namespace {

std::string JsonString(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

}  // namespace

std::string RunStats::ToJson() const {
  std::string out = "{\n";
  auto field = [&](const char* name, const std::string& value, bool last = false) {
    out += fmt::format("  \"{}\": {}{}\n", name, value, last ? "" : ",");
  };
  field("records_read", std::to_string(records_read));
  field("bytes_read", std::to_string(bytes_read));
  field("replayed", std::to_string(replayed));
  field("valid", std::to_string(valid));
  field("invalid", std::to_string(invalid));
  std::string stages = "{";
  for (const auto& [stage, n] : invalid_by_stage)
    stages += (stages.size() > 1 ? ", " : "") + JsonString(stage) + ": " + std::to_string(n);
  field("invalid_by_stage", stages + "}");
  field("filtered", std::to_string(filtered));
  field("late", std::to_string(late));
  field("raw_rows_written", std::to_string(raw_rows_written));
  field("windows_written", std::to_string(windows_written));
  field("files_written", std::to_string(files_written));
  field("bytes_written", std::to_string(bytes_written));
  field("open_windows", std::to_string(open_windows));
  field("expression_errors", std::to_string(expression_errors));
  field("triggers", std::to_string(triggers));
  field("watermark", watermark ? JsonString(FormatTimestamp(*watermark)) : "null");
  field("elapsed_seconds", fmt::format("{:.3f}", elapsed_seconds));
  field("cpu_seconds", fmt::format("{:.3f}", cpu_seconds));
  std::string list = "[";
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& o = outputs[i];
    list += fmt::format(
        "{}\n    {{\"name\": {}, \"kind\": \"{}\", \"rows\": {}, \"files\": {}, \"bytes\": {}, \"late\": "
        "{}}}",
        i ? "," : "", JsonString(o.name), o.aggregation ? "aggregation" : "raw", o.rows, o.files, o.bytes,
        o.late);
  }
  field("outputs", list + (outputs.empty() ? "]" : "\n  ]"));
  field("publish_wait_seconds", fmt::format("{:.3f}", publish_wait_seconds));
  field("s3",
        s3 ? fmt::format("{{\"objects\": {}, \"bytes\": {}, \"retries\": {}, \"wait_seconds\": {:.3f}, "
                         "\"peak_buffered_bytes\": {}}}",
                         s3->objects, s3->bytes, s3->retries, s3->wait_seconds, s3->peak_buffered)
           : "null",
        true);
  return out + "}\n";
}

std::string RunStats::Summary(const std::string& pipeline_name) const {
  const std::string rule(64, '=');
  std::string out = rule + "\n";
  out +=
      "SLUICE SUMMARY" + (pipeline_name.empty() ? std::string() : "  " + pipeline_name) + "\n" + rule + "\n";
  auto row = [&](const std::string& label, const std::string& value) {
    out += fmt::format("{:<26}{:>16}\n", label, value);
  };
  row("Records read:", Grouped(records_read));
  if (replayed) row("  replayed for windows:", Grouped(replayed));
  row("Valid:", Grouped(valid));
  std::string stages;
  for (const auto& [stage, n] : invalid_by_stage)
    stages += (stages.empty() ? "" : ", ") + stage + " " + Grouped(n);
  row("Dead-lettered:", Grouped(invalid));
  if (!stages.empty()) out += "  by stage: " + stages + "\n";
  if (filtered) row("Filtered out:", Grouped(filtered));
  row("Late:", Grouped(late));
  row("Raw rows written:", Grouped(raw_rows_written));
  row("Windows written:", Grouped(windows_written));
  row("Open windows (not emitted):", Grouped(open_windows));
  row("Files written:", Grouped(files_written));
  row("Bytes written:", Grouped(bytes_written));
  if (s3) {
    row("S3 objects uploaded:", Grouped(s3->objects));
    row("  retried requests:", Grouped(s3->retries));
    row("  waited for buffer space:", fmt::format("{:.2f} s", s3->wait_seconds));
    row("  waited at trigger ends:", fmt::format("{:.2f} s", publish_wait_seconds));
  }
  row("Watermark:", watermark ? FormatTimestamp(*watermark) : "-");
  double rate = elapsed_seconds > 0 ? static_cast<double>(records_read) / elapsed_seconds : 0;
  row("Elapsed:", fmt::format("{:.2f} s", elapsed_seconds));
  row("Throughput:", Grouped(static_cast<int64_t>(rate)) + " rec/s");
  out += rule + "\n";
  return out;
}

}  // namespace sluice
