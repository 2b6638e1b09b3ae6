#include "source/scenario.h"

#include <algorithm>
#include <cmath>

#include <arrow/status.h>
#include <fmt/format.h>

#include "common/time_util.h"

namespace sluice {
namespace {

struct DeviceType {
  const char* name;
  const char* unit;
  double baseline;
  double spread;
};

constexpr DeviceType kDeviceTypes[] = {
    {"temperature_sensor", "celsius", 22.0, 4.0}, {"humidity_sensor", "percent", 45.0, 10.0},
    {"pressure_sensor", "hPa", 1013.0, 6.0},      {"light_sensor", "lux", 300.0, 120.0},
    {"co2_sensor", "ppm", 600.0, 150.0},
};
constexpr const char* kLocations[] = {"warehouse_a", "warehouse_b",   "office_1",     "office_2",
                                      "lab",         "factory_floor", "cold_storage", "rooftop"};
constexpr const char* kFirmware[] = {"1.4.2", "2.0.1", "2.1.0"};
constexpr const char* kModels[] = {"TX-100", "TX-200", "EnviroPro"};

constexpr int kIotBadKinds = 8;
// The other scenarios' defects.
enum BadKind {
  kTruncated = 0,
  kWrongType = 1,
  kMissingKey = 2,
  kNotJson = 3,
  kInvalidUtf8 = 4,
  kBadKinds = 5
};

constexpr const char* kPages[] = {"/",         "/products", "/products/17", "/cart",
                                  "/checkout", "/search",   "/account"};
constexpr const char* kSourceSystems[] = {"web", "mobile", "pos"};
constexpr const char* kCurrencies[] = {"EUR", "USD", "GBP"};

// ISO-8601 UTC with exactly three fraction digits.
std::string MillisTimestamp(int64_t micros) {
  std::string text = FormatTimestamp(FloorDiv(micros, 1000) * 1000);
  if (text.find('.') == std::string::npos) text.insert(text.size() - 1, ".000");
  return text;
}

uint64_t Fnv1a(std::string_view bytes) {
  uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

// Applies the defects every JSON scenario shares (the others are the writer's).
void Spoil(int bad_kind, std::string_view anchor, std::string* value) {
  if (bad_kind == kTruncated) value->resize(value->size() / 2);
  if (bad_kind == kInvalidUtf8) {
    size_t at = value->find(anchor);
    if (at == std::string::npos) at = 2;
    (*value)[at] = static_cast<char>(0xC3);  // a lead byte followed by ASCII
  }
}

}  // namespace

std::vector<std::string> ScenarioGenerator::Names() {
  return {"iot", "orders", "clicks", "transactions", "ads"};
}

arrow::Result<std::unique_ptr<ScenarioGenerator>> ScenarioGenerator::Make(ScenarioOptions options) {
  const auto names = Names();
  if (std::find(names.begin(), names.end(), options.scenario) == names.end()) {
    return arrow::Status::Invalid("unknown scenario '", options.scenario,
                                  "'; available: iot, orders, clicks, transactions, ads");
  }
  if (options.count < 0) return arrow::Status::Invalid("--count must not be negative");
  if (options.devices <= 0) return arrow::Status::Invalid("--devices must be positive");
  for (double f : {options.late_fraction, options.bad_fraction}) {
    if (!(f >= 0 && f <= 1)) return arrow::Status::Invalid("fractions must be between 0 and 1");
  }
  if (!(options.events_per_second > 0)) return arrow::Status::Invalid("the event rate must be positive");
  return std::unique_ptr<ScenarioGenerator>(new ScenarioGenerator(std::move(options)));
}

ScenarioGenerator::ScenarioGenerator(ScenarioOptions options)
    : options_(std::move(options)), rng_(options_.seed) {
  for (int d = 0; d < options_.devices; ++d) {
    Device device;
    device.id = fmt::format("device-{:04d}", d);
    device.type = static_cast<int>(rng_() % std::size(kDeviceTypes));
    device.location = static_cast<int>(rng_() % std::size(kLocations));
    device.battery = 40 + 60 * Uniform();
    device.baseline =
        kDeviceTypes[device.type].baseline + (Uniform() - 0.5) * kDeviceTypes[device.type].spread;
    devices_.push_back(std::move(device));
  }
}

double ScenarioGenerator::Uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

bool ScenarioGenerator::Next(std::string* value, std::string* key) {
  if (produced_ >= options_.count) return false;
  const int64_t nominal = options_.start_micros + static_cast<int64_t>(static_cast<double>(produced_) * 1e6 /
                                                                       options_.events_per_second);
  double roll = Uniform();
  int64_t event_time;
  if (roll < options_.late_fraction) {
    event_time =
        nominal - 180'000'000 - static_cast<int64_t>(Uniform() * 420'000'000);  // 3-10 minutes behind
    ++late_produced_;
  } else {
    event_time = nominal - static_cast<int64_t>(Uniform() * 30'000'000);  // up to 30 seconds behind
  }
  const bool bad = Uniform() < options_.bad_fraction;
  const std::string& scenario = options_.scenario;
  const int kinds = scenario == "iot" ? kIotBadKinds : kBadKinds;
  const int bad_kind = bad ? static_cast<int>(bad_produced_++ % kinds) : -1;
  if (scenario == "iot") {
    WriteIot(event_time, bad_kind, value, key);
  } else if (scenario == "orders") {
    WriteOrder(event_time, bad_kind, value, key);
  } else if (scenario == "clicks") {
    WriteClick(event_time, bad_kind, value, key);
  } else if (scenario == "transactions") {
    WriteTransaction(event_time, bad_kind, value, key);
  } else {
    WriteAd(event_time, bad_kind, value, key);
  }
  ++produced_;
  return true;
}

std::string ScenarioGenerator::Hex(int digits) {
  std::string out;
  while (static_cast<int>(out.size()) < digits) out += fmt::format("{:016x}", rng_());
  out.resize(digits);
  return out;
}

void ScenarioGenerator::WriteOrder(int64_t event_time, int bad_kind, std::string* value, std::string* key) {
  // A pool of orders in flight, each moving created -> paid -> shipped (or cancelled).
  const size_t pool = static_cast<size_t>(std::max(1, options_.devices / 4));
  if (orders_.size() < pool) {
    orders_.push_back(Order{fmt::format("ord-{:08d}", next_order_++),
                            static_cast<int>(rng_() % options_.devices), 0,
                            5 + std::round(Uniform() * 50000) / 100, 1 + static_cast<int>(rng_() % 6)});
  }
  const size_t index = rng_() % orders_.size();
  Order order = orders_[index];
  const char* type = order.stage == 0   ? "order_created"
                     : order.stage == 1 ? "order_paid"
                     : Uniform() < 0.1  ? "order_cancelled"
                                        : "order_shipped";
  if (order.stage == 2) {
    orders_[index] =
        Order{fmt::format("ord-{:08d}", next_order_++), static_cast<int>(rng_() % options_.devices), 0,
              5 + std::round(Uniform() * 50000) / 100, 1 + static_cast<int>(rng_() % 6)};
  } else {
    ++orders_[index].stage;
  }
  std::string payload =
      bad_kind == kWrongType
          ? fmt::format(R"({{"order_id":"{}","amount":"{:.2f}","currency":"{}","items":{}}})", order.id,
                        order.amount, kCurrencies[order.user % 3], order.items)
          : fmt::format(R"({{"order_id":"{}","amount":{:.2f},"currency":"{}","items":{}}})", order.id,
                        order.amount, kCurrencies[order.user % 3], order.items);
  if (bad_kind == kMissingKey) payload = fmt::format(R"({{"amount":{:.2f}}})", order.amount);
  *key = order.id;
  if (bad_kind == kNotJson) {
    *value = fmt::format("{} {} {}", type, order.id, MillisTimestamp(event_time));
    return;
  }
  const int64_t ingest = event_time + static_cast<int64_t>(Uniform() * 2'000'000);
  *value = fmt::format(
      R"({{"event_id":"{}","event_type":"{}","schema_version":1,"event_time":"{}","ingest_time":"{}",)"
      R"("tenant_id":"tenant-{}","user_id":"user-{:04d}","session_id":"sess-{}","source_system":"{}",)"
      R"("environment":"prod","record_source":"sluice-produce","payload":{},"checksum":"{:016x}"}})",
      Hex(32), type, MillisTimestamp(event_time), MillisTimestamp(ingest), order.user % 5, order.user,
      Hex(12), kSourceSystems[order.user % 3], payload, Fnv1a(payload));
  Spoil(bad_kind, "order_", value);
}

void ScenarioGenerator::WriteClick(int64_t event_time, int bad_kind, std::string* value, std::string* key) {
  const int user = static_cast<int>(rng_() % options_.devices);
  const char* page = kPages[rng_() % std::size(kPages)];
  *key = fmt::format("user-{:04d}", user);
  if (bad_kind == kNotJson) {
    *value = fmt::format("{} clicked {} at {}", *key, page, MillisTimestamp(event_time));
    return;
  }
  *value = fmt::format(R"({{"user_id":"{}","event":"click","page":"{}","eventtimestamp":{}}})",
                       bad_kind == kMissingKey ? "" : *key, page,
                       bad_kind == kWrongType ? "12345" : "\"" + MillisTimestamp(event_time) + "\"");
  if (bad_kind == kMissingKey) value->erase(1, std::string(R"("user_id":"",)").size());
  Spoil(bad_kind, "click", value);
}

void ScenarioGenerator::WriteTransaction(int64_t event_time, int bad_kind, std::string* value,
                                         std::string* key) {
  const int user = static_cast<int>(rng_() % options_.devices);
  const double amount = std::round((1 + Uniform() * 250) * 100) / 100;
  *key = fmt::format("user-{:04d}", user);
  const int64_t seconds = FloorDiv(event_time, 1'000'000);
  if (bad_kind == kNotJson) {
    *value = fmt::format("tx {} {} {:.2f}", *key, seconds, amount);
    return;
  }
  *value =
      fmt::format(R"({{"userId":"{}","transactionId":"tx-{:09d}","transactionTime":{},"amount":{}}})",
                  bad_kind == kMissingKey ? "" : *key, produced_, seconds,
                  bad_kind == kWrongType ? fmt::format("\"{:.2f}\"", amount) : fmt::format("{:.2f}", amount));
  if (bad_kind == kMissingKey) value->erase(1, std::string(R"("userId":"",)").size());
  Spoil(bad_kind, "transactionId", value);
}

void ScenarioGenerator::WriteAd(int64_t event_time, int bad_kind, std::string* value, std::string* key) {
  const int ad = static_cast<int>(rng_() % options_.devices);
  const int views = 1 + static_cast<int>(rng_() % 40);
  const int clicks = static_cast<int>(rng_() % (views / 4 + 1));
  const double cost = std::round(views * (0.5 + Uniform() * 4) * 100) / 100;
  *key = fmt::format("{}", 10000 + ad);
  if (bad_kind == kNotJson) {
    *value = fmt::format("ad {} {} clicks {} views", *key, clicks, views);
    return;
  }
  *value = fmt::format(R"({{"ad_id":"{}","timestamp":"{}","clicks":{},"views":{},"cost":{}}})",
                       bad_kind == kMissingKey ? "" : *key, MillisTimestamp(event_time),
                       bad_kind == kWrongType ? fmt::format("\"{}\"", clicks) : std::to_string(clicks), views,
                       fmt::format("{:.2f}", cost));
  if (bad_kind == kMissingKey) value->erase(1, std::string(R"("ad_id":"",)").size());
  Spoil(bad_kind, "timestamp", value);
}

void ScenarioGenerator::WriteIot(int64_t event_time, int bad_kind, std::string* value, std::string* key) {
  Device& device = devices_[rng_() % devices_.size()];
  const DeviceType& type = kDeviceTypes[device.type];
  device.battery = std::max(0.0, device.battery - 0.01 * Uniform());
  if (device.battery < 5) device.battery = 100;  // replaced
  double reading = device.baseline + (Uniform() - 0.5) * type.spread;
  int battery = static_cast<int>(std::lround(device.battery));
  int signal = -40 - static_cast<int>(Uniform() * 70);  // -40 .. -110 dBm
  double duration = 0.05 + Uniform() * 2.0;
  bool omit_battery = Uniform() < 0.02;
  bool omit_signal = Uniform() < 0.02;

  std::string timestamp = MillisTimestamp(event_time);
  if (bad_kind == 5) timestamp = "28/07/2025 14:00";
  *key = device.id;
  value->clear();
  auto out = std::back_inserter(*value);
  if (bad_kind == 6) {
    fmt::format_to(out, "sensor {} reading {:.2f} at {}", device.id, reading, timestamp);
    return;
  }
  fmt::format_to(out, R"({{"device_id":"{}",)", bad_kind == 2 ? "" : device.id);
  if (bad_kind == 2) value->erase(value->size() - std::string(R"("device_id":"",)").size());
  fmt::format_to(out, R"("device_type":"{}","location":"{}","timestamp":"{}",)", type.name,
                 kLocations[device.location], timestamp);
  if (bad_kind == 1) {
    fmt::format_to(out, R"("value":"{:.2f}",)", reading);
  } else {
    fmt::format_to(out, R"("value":{:.2f},)", reading);
  }
  fmt::format_to(out, R"("unit":"{}",)", type.unit);
  if (bad_kind == 3) battery = 150;
  if (!omit_battery || bad_kind == 3) fmt::format_to(out, R"("battery_level":{},)", battery);
  if (bad_kind == 4) signal = 25;
  if (!omit_signal || bad_kind == 4) fmt::format_to(out, R"("signal_strength":{},)", signal);
  fmt::format_to(out, R"("event_duration":{:.3f},"metadata":{{"firmware":"{}","model":"{}"}}}})", duration,
                 kFirmware[device.type % std::size(kFirmware)],
                 kModels[device.location % std::size(kModels)]);
  if (bad_kind == 0) value->resize(value->size() / 2);  // truncated
  if (bad_kind == 7) {
    size_t at = value->find(type.name);
    (*value)[at] = static_cast<char>(0xC3);  // a lead byte followed by ASCII: invalid UTF-8
  }
}

}  // namespace sluice
