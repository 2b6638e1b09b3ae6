#include "window/window_spec.h"

#include <arrow/status.h>

namespace sluice {

arrow::Result<WindowSpec> WindowSpec::Tumbling(Duration size, Duration offset) {
  if (size.count() <= 0) return arrow::Status::Invalid("window size must be positive");
  if (offset.count() < 0 || offset >= size) {
    return arrow::Status::Invalid("window offset must be at least 0 and less than the size");
  }
  return WindowSpec{Kind::kTumbling, size, size, offset};
}

arrow::Result<WindowSpec> WindowSpec::Sliding(Duration size, Duration slide, Duration offset) {
  if (size.count() <= 0 || slide.count() <= 0)
    return arrow::Status::Invalid("window size and slide must be positive");
  if (slide > size) {
    return arrow::Status::Invalid("slide (", FormatDuration(slide), ") is longer than the window (",
                                  FormatDuration(size), "): records between windows would belong to none");
  }
  if (size.count() % slide.count() != 0) {
    return arrow::Status::Invalid("the window size (", FormatDuration(size),
                                  ") must be a multiple of the slide (", FormatDuration(slide), ")");
  }
  if (offset.count() < 0 || offset >= slide) {
    return arrow::Status::Invalid("window offset must be at least 0 and less than the slide");
  }
  return WindowSpec{size == slide ? Kind::kTumbling : Kind::kSliding, size, slide, offset};
}

arrow::Result<WindowSpec> WindowSpec::Session(Duration gap, Duration max_duration) {
  if (gap.count() <= 0) return arrow::Status::Invalid("the session gap must be positive");
  if (max_duration.count() < 0) return arrow::Status::Invalid("max_duration must be positive");
  if (max_duration.count() > 0 && max_duration < gap) {
    return arrow::Status::Invalid("max_duration (", FormatDuration(max_duration),
                                  ") is shorter than the gap (", FormatDuration(gap), ")");
  }
  WindowSpec spec{Kind::kSession, gap, gap};
  spec.max_duration = max_duration;
  return spec;
}

std::string WindowSpec::ToString() const {
  if (kind == Kind::kGlobal) return "running";
  if (kind == Kind::kSession) {
    return "session gap " + FormatDuration(size) +
           (max_duration.count() > 0 ? " max " + FormatDuration(max_duration) : "");
  }
  std::string out = kind == Kind::kTumbling
                        ? "tumbling " + FormatDuration(size)
                        : "sliding " + FormatDuration(size) + " every " + FormatDuration(slide);
  if (offset.count() != 0) out += " offset " + FormatDuration(offset);
  return out;
}

}  // namespace sluice
