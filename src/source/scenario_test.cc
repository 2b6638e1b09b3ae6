#include "source/scenario.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::vector<std::string> Generate(ScenarioOptions options) {
  auto generator = ScenarioGenerator::Make(options).ValueOrDie();
  std::vector<std::string> out;
  std::string value, key;
  while (generator->Next(&value, &key)) out.push_back(value);
  return out;
}

TEST(ScenarioGenerator, DeterministicForASeed) {
  ScenarioOptions options;
  options.count = 500;
  options.late_fraction = 0.1;
  options.bad_fraction = 0.1;
  EXPECT_EQ(Generate(options), Generate(options));
  auto other = options;
  other.seed = 2;
  EXPECT_NE(Generate(options), Generate(other));
}

TEST(ScenarioGenerator, IotEventShape) {
  ScenarioOptions options;
  options.count = 1;
  auto events = Generate(options);
  ASSERT_EQ(events.size(), 1u);
  const auto& e = events[0];
  for (const char* field :
       {"\"device_id\":\"device-", "\"device_type\":", "\"location\":", "\"timestamp\":\"2025-07-28T1",
        "\"value\":", "\"unit\":", "\"event_duration\":", "\"metadata\":{\"firmware\":"}) {
    EXPECT_NE(e.find(field), std::string::npos) << field << " in " << e;
  }
  EXPECT_EQ(e.back(), '}');
}

TEST(ScenarioGenerator, BadEventsCycleThroughDefects) {
  ScenarioOptions options;
  options.count = 400;
  options.bad_fraction = 0.5;
  int truncated = 0, not_json = 0, invalid_utf8 = 0;
  for (const auto& e : Generate(options)) {
    if (e.back() != '}') ++truncated;
    if (e.rfind("sensor ", 0) == 0) ++not_json;
    if (e.find('\xC3') != std::string::npos) ++invalid_utf8;
  }
  EXPECT_GT(truncated, 10);
  EXPECT_GT(not_json, 10);
  EXPECT_GT(invalid_utf8, 10);
}

// Every scenario: deterministic, keyed by its key field, and its good events carry
// the fields the seeds name.
TEST(ScenarioGenerator, EveryScenarioIsKeyedAndShaped) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> scenarios = {
      {"orders",
       {"\"event_id\":", "\"event_type\":\"order_", "\"schema_version\":1",
        "\"event_time\":", "\"ingest_time\":", "\"tenant_id\":", "\"user_id\":", "\"session_id\":",
        "\"source_system\":", "\"payload\":{\"order_id\":", "\"checksum\":"}},
      {"clicks", {"\"user_id\":\"user-", "\"event\":\"click\"", "\"page\":", "\"eventtimestamp\":\"2025-"}},
      {"transactions",
       {"\"userId\":\"user-", "\"transactionId\":\"tx-", "\"transactionTime\":17", "\"amount\":"}},
      {"ads", {"\"ad_id\":\"1", "\"timestamp\":\"2025-", "\"clicks\":", "\"views\":", "\"cost\":"}},
  };
  for (const auto& [name, fields] : scenarios) {
    ScenarioOptions options;
    options.scenario = name;
    options.count = 200;
    options.bad_fraction = 0.2;
    EXPECT_EQ(Generate(options), Generate(options)) << name;
    auto generator = ScenarioGenerator::Make(options).ValueOrDie();
    std::string value, key;
    int good = 0;
    while (generator->Next(&value, &key)) {
      EXPECT_FALSE(key.empty()) << name;
      if (value.front() != '{' || value.back() != '}' || value.find('\xC3') != std::string::npos) continue;
      bool complete = true;
      for (const auto& field : fields) complete &= value.find(field) != std::string::npos;
      if (!complete) continue;  // a defect (wrong type or missing key field)
      ++good;
      // The key is the value of the scenario's key field.
      EXPECT_NE(value.find("\"" + key + "\""), std::string::npos) << name << ": " << key << " in " << value;
    }
    // Defects that drop or break fields are not counted as good (a wrong type is).
    EXPECT_GT(good, 120) << name;
    EXPECT_LE(good, 200 - generator->bad_produced() * 3 / 5) << name;
  }
}

TEST(ScenarioGenerator, RejectsBadOptions) {
  ScenarioOptions options;
  options.scenario = "weather";
  EXPECT_EQ(ScenarioGenerator::Make(options).status().message(),
            "unknown scenario 'weather'; available: iot, orders, clicks, transactions, ads");
  options.scenario = "iot";
  options.bad_fraction = 2;
  EXPECT_FALSE(ScenarioGenerator::Make(options).ok());
}

}  // namespace
}  // namespace sluice
