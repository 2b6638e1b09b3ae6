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
  int devices = 200;         // entities: devices (iot), users (orders, clicks, transactions), ads (ads)
  // Event time of the first event and the event-time rate (events per second of event
  // time across all devices); on-time events jitter up to 30 seconds behind.
  int64_t start_micros = 1753711200000000;  // 2025-07-28T14:00:00Z
  double events_per_second = 200;
};

// Deterministic synthetic events (the same options give byte-identical output on every
// machine): one JSON object per event, plus its Kafka key. Timestamps are ISO-8601 UTC
// with milliseconds unless said otherwise.
//
// iot (seed 000), keyed by device_id: device_id, device_type, location, timestamp,
//   value, unit, battery_level, signal_strength, event_duration, metadata {firmware,
//   model}. A few percent of events omit battery_level or signal_strength (optional).
// orders (seed 003's envelope), keyed by order_id: event_id, event_type
//   (order_created, order_paid, order_shipped, order_cancelled, in each order's
//   lifecycle order), schema_version, event_time, ingest_time, tenant_id, user_id,
//   session_id, source_system, environment, record_source, payload {order_id, amount,
//   currency, items}, checksum (FNV-1a of the payload text, hex).
// clicks (seed 004), keyed by user_id: user_id, event ("click"), page, eventtimestamp.
// transactions (seed 004), keyed by userId: userId, transactionId, transactionTime
//   (epoch seconds), amount.
// ads (seed 004), keyed by ad_id: ad_id, timestamp, clicks, views (>= clicks), cost.
//
// Bad events cycle through defects so that each reaches the dead letter for a
// different reason. iot: truncated JSON, a string where a number belongs, a missing
// device_id, battery_level 150, signal_strength +25, an unparsable timestamp, a line
// that is not JSON, invalid UTF-8. The others: truncated JSON, a string where a number
// belongs, the key field missing, not JSON, invalid UTF-8.
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
  void WriteIot(int64_t event_time, int bad_kind, std::string* value, std::string* key);
  void WriteOrder(int64_t event_time, int bad_kind, std::string* value, std::string* key);
  void WriteClick(int64_t event_time, int bad_kind, std::string* value, std::string* key);
  void WriteTransaction(int64_t event_time, int bad_kind, std::string* value, std::string* key);
  void WriteAd(int64_t event_time, int bad_kind, std::string* value, std::string* key);
  std::string Hex(int digits);

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
  struct Order {
    std::string id;
    int user = 0;
    int stage = 0;  // 0 created, 1 paid, 2 shipped or cancelled (then replaced)
    double amount = 0;
    int items = 0;
  };
  std::vector<Order> orders_;  // orders in flight
  int64_t next_order_ = 0;
  int64_t produced_ = 0;
  int64_t late_produced_ = 0;
  int64_t bad_produced_ = 0;
};

}  // namespace sluice
