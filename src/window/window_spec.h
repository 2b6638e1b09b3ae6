#pragma once

#include <cstdint>
#include <string>

#include <arrow/result.h>

#include "common/time_util.h"
#include "common/types.h"

namespace sluice {

// Which windows a record belongs to (docs/windows.md).
//   tumbling: size; epoch-aligned (plus `offset`), half-open [start, end); each record
//             in exactly one window
//   sliding:  size and slide (slide divides size); each record in size/slide windows
//   session:  `size` is the gap: a record at t proposes [t, t + gap) and joins the open
//             sessions of its group it overlaps; `max_duration` (0 = none) bounds how
//             far a session's events may lie apart. Assigned by SessionOperator.
//   global:   no window: one running state per group (running aggregates), ended by a
//             state timeout. Kept by RunningOperator.
struct WindowSpec {
  enum class Kind { kTumbling, kSliding, kSession, kGlobal };
  Kind kind = Kind::kTumbling;
  Duration size{0};
  Duration slide{0};  // == size for tumbling
  Duration offset{0};
  Duration max_duration{0};  // sessions only; 0 = unbounded

  static arrow::Result<WindowSpec> Tumbling(Duration size, Duration offset = Duration(0));
  static arrow::Result<WindowSpec> Sliding(Duration size, Duration slide, Duration offset = Duration(0));
  static arrow::Result<WindowSpec> Session(Duration gap, Duration max_duration = Duration(0));
  static WindowSpec Global() { return WindowSpec{Kind::kGlobal}; }

  // Whether results carry window_start / window_end (every kind but global).
  bool has_bounds() const { return kind != Kind::kGlobal; }

  // Tumbling and sliding: start of the latest window containing `t`; the others start
  // slide, 2*slide, ... earlier, down to (but excluding) t - size.
  int64_t LastStart(int64_t t) const {
    return FloorDiv(t - offset.count(), slide.count()) * slide.count() + offset.count();
  }
  // Tumbling and sliding: number of windows each record belongs to.
  int64_t WindowsPerRecord() const { return size.count() / slide.count(); }

  std::string ToString() const;
};

}  // namespace sluice
