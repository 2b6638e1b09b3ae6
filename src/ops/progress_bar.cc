#include "ops/progress_bar.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/logging.h"
#include "common/time_util.h"

namespace sluice {
namespace {

constexpr int kWidth = 28;

std::string Amount(double n, ProgressBar::Unit unit) {
  if (unit == ProgressBar::Unit::kBytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (n >= 1024 && i < 4) {
      n /= 1024;
      ++i;
    }
    return i == 0 ? fmt::format("{:.0f} B", n) : fmt::format("{:.1f} {}", n, units[i]);
  }
  if (n >= 1e6) return fmt::format("{:.2f}M", n / 1e6);
  if (n >= 1e4) return fmt::format("{:.1f}k", n / 1e3);
  return fmt::format("{:.0f}", n);
}

std::string Eta(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
}

}  // namespace

ProgressBar::ProgressBar(std::string label, Unit unit) : label_(std::move(label)), unit_(unit) {}

ProgressBar::~ProgressBar() { Finish(); }

bool ProgressBar::Available() { return StatusLineAvailable(); }

void ProgressBar::Update(int64_t done, int64_t total, int64_t micros, const std::string& note) {
  if (finished_ || !Available()) return;
  if (started_ < 0) started_ = micros;
  if (micros - drawn_ < 100'000 && (total == 0 || done < total)) return;
  drawn_ = micros;
  const double elapsed = MicrosToSeconds(micros - started_);
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string line = label_ + " ";
  if (total > 0) {
    const double fraction = std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * kWidth);
    line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "]";
    line += fmt::format(" {:3.0f}%  {} of {}", fraction * 100, Amount(static_cast<double>(done), unit_),
                        Amount(static_cast<double>(total), unit_));
  } else {
    line += Amount(static_cast<double>(done), unit_);
  }
  line += "  " + Amount(rate, unit_) + (unit_ == Unit::kBytes ? "/s" : " rec/s");
  if (total > 0 && rate > 0 && done < total) line += "  ETA " + Eta(static_cast<double>(total - done) / rate);
  if (!note.empty()) line += "  " + note;
  SetStatusLine(line);
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (started_ >= 0) SetStatusLine("");
}

RunProgressBar::RunProgressBar()
    : bytes_("reading", ProgressBar::Unit::kBytes), records_("reading", ProgressBar::Unit::kRecords) {}

void RunProgressBar::OnProgress(const RunProgress& progress) {
  const int64_t now = Clock::System()->MonotonicMicros();
  if (progress.phase == RunPhase::kStopping || progress.phase == RunPhase::kFinished ||
      progress.phase == RunPhase::kFailed) {
    bytes_.Finish();
    records_.Finish();
    return;
  }
  const std::string note =
      fmt::format("{} records, {} dead letter", progress.stats.records_read, progress.stats.invalid);
  if (progress.input_bytes_total) {
    bytes_.Update(*progress.input_bytes_done, *progress.input_bytes_total, now, note);
    return;
  }
  // Kafka: the records read plus what is left up to the high watermarks.
  int64_t left = 0;
  for (const PartitionProgress& p : progress.partitions) {
    if (p.position && p.high_watermark) left += std::max<int64_t>(0, *p.high_watermark - *p.position);
  }
  records_.Update(progress.stats.records_read, progress.stats.records_read + left, now,
                  fmt::format("{} dead letter", progress.stats.invalid));
}

}  // namespace sluice
