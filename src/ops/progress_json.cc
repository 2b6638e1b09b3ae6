#include "ops/progress_json.h"

#include "common/time_util.h"

namespace sluice {
namespace {

using json = nlohmann::ordered_json;

json Time(int64_t micros) { return FormatTimestamp(micros); }

json OptionalTime(const std::optional<int64_t>& micros) { return micros ? Time(*micros) : json(nullptr); }

json Optional(const std::optional<int64_t>& value) { return value ? json(*value) : json(nullptr); }

}  // namespace

std::string DumpJson(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

json TriggerJson(const TriggerProgress& t, const std::string& run_id, const std::string& pipeline) {
  json sources = json::array();
  for (const auto& s : t.sources) {
    sources.push_back({{"topic", s.topic},
                       {"partition", s.partition},
                       {"start_offset", Optional(s.start_offset)},
                       {"end_offset", Optional(s.end_offset)},
                       {"latest_offset", Optional(s.high_watermark)},
                       {"records", s.records}});
  }
  json outputs = json::array();
  for (const auto& o : t.sinks) {
    outputs.push_back({{"output", o.output},
                       {"rows", o.rows},
                       {"files", o.files},
                       {"bytes", o.bytes},
                       {"open_groups", o.open_groups},
                       {"state_bytes", o.state_bytes}});
  }
  return json{{"run_id", run_id},
              {"pipeline", pipeline},
              {"trigger", t.trigger},
              {"epoch", t.epoch},
              {"timestamp", Time(t.end_micros)},
              {"start", Time(t.start_micros)},
              {"end", Time(t.end_micros)},
              {"duration_ms", t.duration_seconds * 1e3},
              {"input_records", t.records},
              {"input_rows_per_second", t.input_rate},
              {"processed_rows_per_second", t.processed_rate},
              {"valid", t.valid},
              {"rejected", t.rejected},
              {"late", t.late},
              {"watermark", OptionalTime(t.watermark)},
              {"sources", sources},
              {"outputs", outputs}};
}

json StatusJson(const RunProgress& p, bool ready, int64_t now_micros) {
  const RunStats& s = p.stats;
  json partitions = json::array();
  for (const PartitionProgress& part : p.partitions) {
    json j{{"topic", part.topic},
           {"partition", part.partition},
           {"records", part.records},
           {"valid", part.valid},
           {"rejected", part.rejected},
           {"position", Optional(part.position)},
           {"high_watermark", Optional(part.high_watermark)},
           {"watermark", OptionalTime(part.watermark)},
           {"idle", part.idle},
           {"replaying", part.replaying}};
    j["lag"] = part.position && part.high_watermark
                   ? json(std::max<int64_t>(0, *part.high_watermark - *part.position))
                   : json(nullptr);
    j["watermark_delay_seconds"] =
        part.watermark ? json(MicrosToSeconds(now_micros - *part.watermark)) : json(nullptr);
    partitions.push_back(std::move(j));
  }
  json outputs = json::array();
  for (const OutputProgress& o : p.outputs) {
    outputs.push_back({{"name", o.stats.name},
                       {"kind", o.kind},
                       {"path", o.path},
                       {"rows", o.stats.rows},
                       {"files", o.stats.files},
                       {"bytes", o.stats.bytes},
                       {"late", o.stats.late},
                       {"open_groups", o.open_groups},
                       {"state_bytes", o.state_bytes}});
  }
  json rejections = json::array();
  for (const RejectionProgress& r : p.rejections) {
    rejections.push_back({{"stage", r.stage},
                          {"check", r.rule},
                          {"records", r.records},
                          {"last_position", r.last_position},
                          {"last_time", Time(r.last_micros)}});
  }
  json files = json::array();
  for (const WrittenFile& f : p.recent_files) {
    files.push_back({{"output", f.output},
                     {"path", f.path},
                     {"rows", f.rows},
                     {"bytes", f.bytes},
                     {"time", Time(f.micros)}});
  }
  json checkpoint = nullptr;
  if (p.checkpoint) {
    const CheckpointProgress& c = *p.checkpoint;
    checkpoint = {
        {"location", c.location},
        {"completed", c.completed},
        {"last_epoch", c.last_epoch},
        {"last_bytes", c.last_bytes},
        {"last_duration_ms", c.last_seconds * 1e3},
        {"last_time", c.last_micros ? Time(c.last_micros) : json(nullptr)},
        {"age_seconds", c.last_micros ? json(MicrosToSeconds(now_micros - c.last_micros)) : json(nullptr)},
        {"open_groups", c.open_groups}};
  }
  json out{{"run_id", p.run_id},
           {"pipeline", p.pipeline},
           {"phase", std::string(RunPhaseName(p.phase))},
           {"phase_detail", p.phase_detail},
           {"ready", ready},
           {"started", Time(p.started_micros)},
           {"time", Time(now_micros)},
           {"reported", Time(p.micros)},
           {"uptime_seconds", MicrosToSeconds(now_micros - p.started_micros)},
           {"triggers", p.triggers},
           {"records_read", s.records_read},
           {"bytes_read", s.bytes_read},
           {"replayed", s.replayed},
           {"valid", s.valid},
           {"rejected", s.invalid},
           {"filtered", s.filtered},
           {"late", s.late},
           {"raw_rows_written", s.raw_rows_written},
           {"windows_written", s.windows_written},
           {"files_written", s.files_written},
           {"bytes_written", s.bytes_written},
           {"open_windows", s.open_windows},
           {"watermark", OptionalTime(s.watermark)},
           {"watermark_delay_seconds",
            s.watermark ? json(MicrosToSeconds(now_micros - *s.watermark)) : json(nullptr)},
           {"upload_buffered_bytes", p.upload_buffered_bytes},
           {"s3_retries", s.s3 ? json(s.s3->retries) : json(nullptr)},
           {"input_bytes_done", Optional(p.input_bytes_done)},
           {"input_bytes_total", Optional(p.input_bytes_total)},
           {"partitions", partitions},
           {"outputs", outputs},
           {"rejections", rejections},
           {"recent_files", files},
           {"checkpoint", checkpoint}};
  return out;
}

}  // namespace sluice
