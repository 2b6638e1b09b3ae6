#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

// The pipeline stage that turned a record away.
enum class Stage {
  kDecode,     // bytes are not a record of the declared schema
  kColumn,     // a derived column could not be computed for it
  kCheck,      // it failed a check
  kEventTime,  // its event time is missing
  kFilter,     // the filter could not be computed for it
  kLate,       // every window it belongs to had closed (late output, not dead letter)
};

std::string_view StageName(Stage stage);

// A record turned away, by its index in the RawBatch it came from. Rejections are kept,
// never dropped: dead-letter or late output receives the raw bytes with the reason.
struct Rejection {
  int32_t record = 0;
  Stage stage = Stage::kDecode;
  std::string reason;
  std::optional<int64_t> event_time;  // when known (late records)
  // The check, derived column or event-time column that turned it away; empty for
  // decoding and the filter. A name from the pipeline file, never a value (metrics
  // label rejections by stage and rule).
  std::string rule;
};

inline std::string_view StageName(Stage stage) {
  switch (stage) {
    case Stage::kDecode:
      return "decode";
    case Stage::kColumn:
      return "column";
    case Stage::kCheck:
      return "check";
    case Stage::kEventTime:
      return "event_time";
    case Stage::kFilter:
      return "filter";
    case Stage::kLate:
      return "late";
  }
  return "?";
}

}  // namespace sluice
