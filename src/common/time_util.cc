#include "common/time_util.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <arrow/status.h>

namespace sluice {
namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `*pos`; advances on success.
bool ReadDigits(std::string_view s, size_t* pos, int n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int m, int d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilTime CivilFromMicros(int64_t micros) {
  int64_t days = FloorDiv(micros, kMicrosPerDay);
  int64_t rem = micros - days * kMicrosPerDay;
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilTime t;
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  t.year = yoe + era * 400 + (t.month <= 2);
  int64_t secs = rem / kMicrosPerSecond;
  t.micros = static_cast<int>(rem % kMicrosPerSecond);
  t.hour = static_cast<int>(secs / 3600);
  t.minute = static_cast<int>((secs / 60) % 60);
  t.second = static_cast<int>(secs % 60);
  return t;
}

std::optional<int64_t> ParseIsoTimestamp(std::string_view s) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!ReadDigits(s, &pos, 4, &year)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!ReadDigits(s, &pos, 2, &month)) return std::nullopt;
  if (pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!ReadDigits(s, &pos, 2, &day)) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) return std::nullopt;

  int hour = 0, minute = 0, second = 0;
  int64_t fraction_micros = 0;
  int64_t offset_seconds = 0;
  if (pos < s.size()) {
    char sep = s[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
    if (!ReadDigits(s, &pos, 2, &hour)) return std::nullopt;
    if (pos >= s.size() || s[pos++] != ':') return std::nullopt;
    if (!ReadDigits(s, &pos, 2, &minute)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!ReadDigits(s, &pos, 2, &second)) return std::nullopt;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        int digits = 0;
        while (pos < s.size() && IsDigit(s[pos])) {
          if (digits < 6) fraction_micros = fraction_micros * 10 + (s[pos] - '0');
          ++digits;
          ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 6; ++i) fraction_micros *= 10;
      }
    }
    // A leap second (60) is not representable in Unix time; reject it with the rest.
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    if (pos < s.size()) {
      char zone = s[pos++];
      if (zone == 'Z' || zone == 'z') {
        // UTC
      } else if (zone == '+' || zone == '-') {
        int oh = 0, om = 0;
        if (!ReadDigits(s, &pos, 2, &oh)) return std::nullopt;
        // +hh, +hhmm or +hh:mm
        const bool colon = pos < s.size() && s[pos] == ':';
        if (colon) ++pos;
        if ((colon || pos < s.size()) && !ReadDigits(s, &pos, 2, &om)) return std::nullopt;
        if (oh > 23 || om > 59) return std::nullopt;
        offset_seconds = (oh * 3600 + om * 60) * (zone == '+' ? 1 : -1);
      } else {
        return std::nullopt;
      }
    }
    if (pos != s.size()) return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, month, day);
  int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * kMicrosPerSecond + fraction_micros;
}

std::string FormatTimestamp(int64_t micros) {
  CivilTime t = CivilFromMicros(micros);
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(t.year),
                        t.month, t.day, t.hour, t.minute, t.second);
  if (t.micros != 0) {
    if (t.micros % 1000 == 0) {
      n += std::snprintf(buf + n, sizeof(buf) - n, ".%03d", t.micros / 1000);
    } else {
      n += std::snprintf(buf + n, sizeof(buf) - n, ".%06d", t.micros);
    }
  }
  std::snprintf(buf + n, sizeof(buf) - n, "Z");
  return buf;
}

namespace {

struct DurationUnit {
  std::string_view name;
  int64_t micros;
};

constexpr DurationUnit kUnits[] = {
    {"us", 1},
    {"microsecond", 1},
    {"microseconds", 1},
    {"ms", 1000},
    {"millisecond", 1000},
    {"milliseconds", 1000},
    {"s", kMicrosPerSecond},
    {"sec", kMicrosPerSecond},
    {"secs", kMicrosPerSecond},
    {"second", kMicrosPerSecond},
    {"seconds", kMicrosPerSecond},
    {"m", 60 * kMicrosPerSecond},
    {"min", 60 * kMicrosPerSecond},
    {"mins", 60 * kMicrosPerSecond},
    {"minute", 60 * kMicrosPerSecond},
    {"minutes", 60 * kMicrosPerSecond},
    {"h", 3600 * kMicrosPerSecond},
    {"hr", 3600 * kMicrosPerSecond},
    {"hour", 3600 * kMicrosPerSecond},
    {"hours", 3600 * kMicrosPerSecond},
    {"d", kMicrosPerDay},
    {"day", kMicrosPerDay},
    {"days", kMicrosPerDay},
    {"w", 7 * kMicrosPerDay},
    {"week", 7 * kMicrosPerDay},
    {"weeks", 7 * kMicrosPerDay},
};

}  // namespace

arrow::Result<Duration> ParseDuration(std::string_view text) {
  auto fail = [&]() {
    return arrow::Status::Invalid("'", text,
                                  "' is not a duration; write a number and a unit, "
                                  "e.g. '30 seconds', '1 minute', '500ms', '2h'");
  };
  size_t pos = 0;
  while (pos < text.size() && text[pos] == ' ') ++pos;
  size_t num_start = pos;
  while (pos < text.size() && (IsDigit(text[pos]) || text[pos] == '.')) ++pos;
  if (pos == num_start) return fail();
  std::string number(text.substr(num_start, pos - num_start));
  while (pos < text.size() && text[pos] == ' ') ++pos;
  size_t unit_end = text.size();
  while (unit_end > pos && text[unit_end - 1] == ' ') --unit_end;
  std::string unit(text.substr(pos, unit_end - pos));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.empty()) {
    return arrow::Status::Invalid("'", text, "' has no unit; write e.g. '", number, " seconds' or '", number,
                                  " minutes'");
  }
  for (const auto& u : kUnits) {
    if (u.name != unit) continue;
    char* end = nullptr;
    double value = std::strtod(number.c_str(), &end);
    if (end != number.c_str() + number.size()) return fail();
    double micros = value * static_cast<double>(u.micros);
    if (micros > 9.2e18 || micros != std::floor(micros)) {
      return arrow::Status::Invalid("'", text, "' is not a whole number of microseconds or is too large");
    }
    return Duration(static_cast<int64_t>(micros));
  }
  return arrow::Status::Invalid("'", text, "' has an unknown unit '", unit,
                                "'; use us, ms, seconds, minutes, hours, days or weeks");
}

std::string FormatDuration(Duration duration) {
  int64_t us = duration.count();
  struct Named {
    int64_t micros;
    const char* singular;
    const char* plural;
  };
  static constexpr Named kNamed[] = {
      {7 * kMicrosPerDay, "week", "weeks"},
      {kMicrosPerDay, "day", "days"},
      {3600 * kMicrosPerSecond, "hour", "hours"},
      {60 * kMicrosPerSecond, "minute", "minutes"},
      {kMicrosPerSecond, "second", "seconds"},
      {1000, "ms", "ms"},
      {1, "us", "us"},
  };
  if (us == 0) return "0 seconds";
  for (const auto& n : kNamed) {
    if (us % n.micros == 0) {
      int64_t count = us / n.micros;
      return std::to_string(count) + " " + (count == 1 ? n.singular : n.plural);
    }
  }
  return std::to_string(us) + " us";
}

}  // namespace sluice
