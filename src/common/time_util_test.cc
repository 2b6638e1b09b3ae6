#include "common/time_util.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

constexpr int64_t kSec = 1'000'000;

TEST(ParseIsoTimestamp, UtcWithZ) {
  EXPECT_EQ(ParseIsoTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28T14:17:34Z"), 1753712254 * kSec);
}

TEST(ParseIsoTimestamp, OffsetsFractionsAndSeparators) {
  const int64_t base = 1753712254 * kSec;
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28T16:17:34+02:00"), base);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28T08:47:34-0530"), base);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28T16:17:34+02"), base);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28 14:17:34.5Z"), base + 500000);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28t14:17:34.123456789z"), base + 123456);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28T14:17:34,25"), base + 250000);
}

TEST(ParseIsoTimestamp, WithoutZoneIsUtcAndPartialForms) {
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28T14:17:34"), 1753712254 * kSec);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28T14:17"), 1753712220 * kSec);
  EXPECT_EQ(ParseIsoTimestamp("2025-07-28"), 1753660800 * kSec);
}

TEST(ParseIsoTimestamp, BeforeEpochAndLeapDay) {
  EXPECT_EQ(ParseIsoTimestamp("1969-12-31T23:59:59Z"), -kSec);
  EXPECT_TRUE(ParseIsoTimestamp("2024-02-29T00:00:00Z").has_value());
}

TEST(ParseIsoTimestamp, RejectsGarbage) {
  for (const char* bad :
       {"", "2025", "2025-13-01", "2025-02-30", "2023-02-29", "2025-07-28T24:00:00Z", "2025-07-28T14:17:60Z",
        "2025-07-28T14:17:34Q", "2025-07-28T14:17:34.Z", "not a time", "2025-07-28T14:17:34Z trailing",
        "1753712254", "2025-07-28T14:17:34+05:", "2025-07-28T14:17:34+0"}) {
    EXPECT_FALSE(ParseIsoTimestamp(bad).has_value()) << bad;
  }
}

TEST(FormatTimestamp, RoundTripsAndPicksPrecision) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(1753712254 * kSec + 500000), "2025-07-28T14:17:34.500Z");
  EXPECT_EQ(FormatTimestamp(1753712254 * kSec + 7), "2025-07-28T14:17:34.000007Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  for (int64_t t : {int64_t{0}, int64_t{-86'400'000'001}, 1753712254 * kSec + 123456}) {
    EXPECT_EQ(ParseIsoTimestamp(FormatTimestamp(t)), t);
  }
}

TEST(CivilFromMicros, MatchesDaysFromCivil) {
  for (int64_t day = -800000; day < 800000; day += 997) {
    CivilTime t = CivilFromMicros(day * 86'400 * kSec);
    EXPECT_EQ(DaysFromCivil(t.year, t.month, t.day), day);
  }
}

TEST(ParseDuration, UnitsAndSpelling) {
  EXPECT_EQ(ParseDuration("1 minute").ValueOrDie(), std::chrono::minutes(1));
  EXPECT_EQ(ParseDuration("2 minutes").ValueOrDie(), std::chrono::minutes(2));
  EXPECT_EQ(ParseDuration("30s").ValueOrDie(), std::chrono::seconds(30));
  EXPECT_EQ(ParseDuration("500 ms").ValueOrDie(), std::chrono::milliseconds(500));
  EXPECT_EQ(ParseDuration("1.5h").ValueOrDie(), std::chrono::minutes(90));
  EXPECT_EQ(ParseDuration("2 Days").ValueOrDie(), std::chrono::hours(48));
}

TEST(ParseDuration, ErrorsSayWhatToWrite) {
  auto no_unit = ParseDuration("30");
  ASSERT_FALSE(no_unit.ok());
  EXPECT_NE(no_unit.status().message().find("30 seconds"), std::string::npos);
  auto bad_unit = ParseDuration("3 fortnights");
  ASSERT_FALSE(bad_unit.ok());
  EXPECT_NE(bad_unit.status().message().find("unknown unit 'fortnights'"), std::string::npos);
  EXPECT_FALSE(ParseDuration("minute").ok());
  EXPECT_FALSE(ParseDuration("0.5us").ok());
}

TEST(FormatDuration, LargestExactUnit) {
  EXPECT_EQ(FormatDuration(std::chrono::minutes(1)), "1 minute");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(90)), "90 seconds");
  EXPECT_EQ(FormatDuration(std::chrono::hours(2)), "2 hours");
}

TEST(FloorDiv, RoundsTowardsNegativeInfinity) {
  EXPECT_EQ(FloorDiv(7, 2), 3);
  EXPECT_EQ(FloorDiv(-7, 2), -4);
  EXPECT_EQ(FloorDiv(-6, 2), -3);
}

}  // namespace
}  // namespace sluice
