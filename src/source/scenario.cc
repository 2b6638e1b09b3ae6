#include "source/scenario.h"

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

constexpr int kBadKinds = 8;

}  // namespace

std::vector<std::string> ScenarioGenerator::Names() { return {"iot"}; }

arrow::Result<std::unique_ptr<ScenarioGenerator>> ScenarioGenerator::Make(ScenarioOptions options) {
  if (options.scenario != "iot") {
    return arrow::Status::Invalid("unknown scenario '", options.scenario, "'; available: iot");
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
  bool bad = Uniform() < options_.bad_fraction;
  WriteIot(event_time, bad, value, key);
  ++produced_;
  return true;
}

void ScenarioGenerator::WriteIot(int64_t event_time, bool bad, std::string* value, std::string* key) {
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
  int bad_kind = bad ? static_cast<int>(bad_produced_++ % kBadKinds) : -1;

  std::string timestamp = FormatTimestamp(event_time - event_time % 1000);
  if (timestamp.find('.') == std::string::npos) timestamp.insert(timestamp.size() - 1, ".000");
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
