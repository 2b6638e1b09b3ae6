#pragma once

#include <cstdint>
#include <string_view>

#include <arrow/result.h>
#include <arrow/status.h>

namespace sluice {

// Compute functions sluice adds to Arrow's default function registry.
//
//   sluice_date_format(timestamp, format utf8 scalar) -> utf8
//     Formats timestamps (read as UTC) with a strftime subset: %Y %y %m %d %H %M %S %j
//     %F (= %Y-%m-%d) %T (= %H:%M:%S) %%; other characters are copied. Consecutive
//     rows in the same second/minute/hour/day (the finest unit the format uses) reuse
//     the previous text, so formatting partition paths costs a division per row.
inline constexpr char kDateFormatFunction[] = "sluice_date_format";

// Initialises Arrow compute and registers sluice's functions. Idempotent and
// thread-safe; every compiler calls it.
arrow::Status RegisterSluiceFunctions();

// The finest unit (in microseconds) `format` prints, or an error naming an
// unsupported specifier.
arrow::Result<int64_t> DateFormatGranularity(std::string_view format);

}  // namespace sluice
