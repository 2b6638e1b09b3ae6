#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <arrow/result.h>

namespace sluice {

struct ScenarioOptions {
  std::string scenario = "iot";
  int64_t count = 1000;
  uint64_t seed = 1;
  double late_fraction = 0;  // events 3-10 minutes older than the stream (late for a 2-minute watermark)
  double bad_fraction = 0;   // malformed or invalid events, cycling through every kind of defect
  int devices = 200;
  // Event time of the first event and the event-time rate (events per second of event
  // time across all devices); on-time events jitter up to 30 seconds behind.
  int64_t start_micros = 1753711200000000;  // 2025-07-28T14:00:00Z
  double events_per_second = 200;
};

// Deterministic synthetic events (the same options give byte-identical output on every
// machine): one JSON object per event, plus its Kafka key.
//
// iot: the seed-000 sensor event: device_id, device_type, location, timestamp
// (ISO-8601 UTC, milliseconds), value, unit, battery_level, signal_strength,
// event_duration, metadata {firmware, model}. A few percent of events omit
// battery_level or signal_strength (they are optional), keyed by device_id.
//
// Bad events cycle through: truncated JSON, a string where a number belongs, a missing
// device_id, battery_level 150, signal_strength +25, an unparsable timestamp, a line
// that is not JSON, invalid UTF-8 — so that each reaches the dead letter for a
// different reason.
class ScenarioGenerator {
 public:
  static arrow::Result<std::unique_ptr<ScenarioGenerator>> Make(ScenarioOptions options);

  // Writes the next event into `value` (no newline) and its key into `key`; false after
  // `count` events.
  bool Next(std::string* value, std::string* key);

  int64_t produced() const { return produced_; }
  int64_t late_produced() const { return late_produced_; }
  int64_t bad_produced() const { return bad_produced_; }
  // Scenario names `Make` accepts.
  static std::vector<std::string> Names();

 private:
  explicit ScenarioGenerator(ScenarioOptions options);
  double Uniform();  // [0, 1), from the raw engine output (portable)
  void WriteIot(int64_t event_time, bool bad, std::string* value, std::string* key);

  struct Device {
    std::string id;
    int type;
    int location;
    double battery;
    double baseline;
  };

  ScenarioOptions options_;
  std::mt19937_64 rng_;
  std::vector<Device> devices_;
  int64_t produced_ = 0;
  int64_t late_produced_ = 0;
  int64_t bad_produced_ = 0;
};

}  // namespace sluice
