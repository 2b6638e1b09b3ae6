#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/run_progress.h"

namespace sluice {

// One trigger as JSON, in the spirit of Spark's StreamingQueryProgress (snake_case like
// the rest of sluice's JSON): run_id, pipeline, trigger, epoch, timestamp, start, end,
// duration_ms, input_records, input_rows_per_second, processed_rows_per_second, valid,
// rejected, late, watermark, sources[] (topic, partition, start_offset, end_offset,
// latest_offset, records) and outputs[] (output, rows, files, bytes, open_groups,
// state_bytes). docs/operations.md describes each field.
nlohmann::ordered_json TriggerJson(const TriggerProgress& trigger, const std::string& run_id,
                                   const std::string& pipeline);

// The run's state for the status page (/api/status): phase, readiness, totals,
// partitions with lag and watermark delay, outputs, dead-letter counts by stage and
// check with the newest positions, recent files and checkpoint status.
nlohmann::ordered_json StatusJson(const RunProgress& progress, bool ready, int64_t now_micros);

// `json` as one line; bytes that are not UTF-8 (file names need not be) become U+FFFD
// instead of failing.
std::string DumpJson(const nlohmann::ordered_json& json);

}  // namespace sluice
