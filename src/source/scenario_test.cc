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

TEST(ScenarioGenerator, RejectsBadOptions) {
  ScenarioOptions options;
  options.scenario = "weather";
  EXPECT_EQ(ScenarioGenerator::Make(options).status().message(),
            "unknown scenario 'weather'; available: iot");
  options.scenario = "iot";
  options.bad_fraction = 2;
  EXPECT_FALSE(ScenarioGenerator::Make(options).ok());
}

}  // namespace
}  // namespace sluice
