#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <arrow/result.h>

#include "common/types.h"

namespace sluice {

// Calendar helpers on the proleptic Gregorian calendar, UTC. Pure functions, safe to
// call from any thread.

struct CivilTime {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
  int micros = 0;  // 0..999999
};

// Days since 1970-01-01 of a civil date.
int64_t DaysFromCivil(int64_t year, int month, int day);

// The civil time of `micros` since the epoch (negative values are before 1970).
CivilTime CivilFromMicros(int64_t micros);

// Parses an ISO-8601 / RFC 3339 timestamp into microseconds since the epoch, UTC:
//   2025-07-28T14:17:34Z, 2025-07-28 14:17:34.123456+02:00, 2025-07-28T14:17:34-0530,
//   2025-07-28T14:17 and 2025-07-28 (midnight). Without a zone the time is UTC.
// Fractions beyond microseconds are truncated. Returns nullopt when the text is not
// such a timestamp or names an impossible date/time. Allocation-free (hot path).
std::optional<int64_t> ParseIsoTimestamp(std::string_view text);

// Formats microseconds since the epoch as ISO-8601 UTC with a `Z`: whole seconds print
// without a fraction, otherwise milliseconds or microseconds as needed.
std::string FormatTimestamp(int64_t micros);

// Parses a human duration: "1 minute", "2 minutes", "30s", "500 ms", "1.5h", "2 days".
// Units: us, ms, s/sec/second(s), m/min/minute(s), h/hour(s), d/day(s), w/week(s).
// The result must be a whole number of microseconds and not negative.
arrow::Result<Duration> ParseDuration(std::string_view text);

// Microseconds (a time or a span) as seconds.
inline double MicrosToSeconds(int64_t micros) { return static_cast<double>(micros) / 1e6; }

// Formats a duration in the largest unit that divides it: "1 minute", "90 seconds".
std::string FormatDuration(Duration duration);

// Floor division that rounds towards negative infinity (for window alignment of
// timestamps before 1970).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace sluice
