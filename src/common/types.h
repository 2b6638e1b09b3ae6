#pragma once

#include <chrono>
#include <cstdint>
#include <limits>

#include "common/named_type.h"

namespace sluice {

// Durations everywhere are microseconds: the resolution of every timestamp sluice
// produces (Arrow timestamp[us, UTC], Parquet TIMESTAMP(MICROS, UTC)).
using Duration = std::chrono::microseconds;

// The event time of a record: microseconds since the Unix epoch, UTC.
using EventTime = NamedType<int64_t, struct EventTimeTag>;

// A watermark: the claim that no further on-time record has an event time at or
// before it. Same unit as EventTime. kMin means "no record seen yet", kMax means
// "end of input" (every open window may be emitted).
using Watermark = NamedType<int64_t, struct WatermarkTag>;
inline constexpr Watermark kWatermarkMin{std::numeric_limits<int64_t>::min()};
inline constexpr Watermark kWatermarkMax{std::numeric_limits<int64_t>::max()};

// A source partition (a Kafka partition; a file source has a single partition 0).
using PartitionId = NamedType<int32_t, struct PartitionIdTag>;

// A position within a partition: a Kafka offset, or a 1-based line number in a file.
using KafkaOffset = NamedType<int64_t, struct KafkaOffsetTag>;

}  // namespace sluice
