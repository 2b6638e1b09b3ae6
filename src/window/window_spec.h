#pragma once

#include <cstdint>
#include <string>

#include <arrow/result.h>

#include "common/time_util.h"
#include "common/types.h"

namespace sluice {

// Which windows a record belongs to. All time windows are epoch-aligned (plus
// `offset`) and half-open: [start, end).
//   tumbling: size; each record in exactly one window
//   sliding:  size and slide (slide divides size); each record in size/slide windows
// Session (gap, merging) and global (running totals) windows are state-dependent and
// are assigned by their own operators; see docs/windows.md.
struct WindowSpec {
  enum class Kind { kTumbling, kSliding };
  Kind kind = Kind::kTumbling;
  Duration size{0};
  Duration slide{0};  // == size for tumbling
  Duration offset{0};

  static arrow::Result<WindowSpec> Tumbling(Duration size, Duration offset = Duration(0));
  static arrow::Result<WindowSpec> Sliding(Duration size, Duration slide, Duration offset = Duration(0));

  // Start of the latest window containing `t`; the others start slide, 2*slide, ...
  // earlier, down to (but excluding) t - size.
  int64_t LastStart(int64_t t) const {
    return FloorDiv(t - offset.count(), slide.count()) * slide.count() + offset.count();
  }
  // Number of windows each record belongs to.
  int64_t WindowsPerRecord() const { return size.count() / slide.count(); }

  std::string ToString() const;
};

}  // namespace sluice
