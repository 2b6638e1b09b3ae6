#pragma once

#include <cstdint>
#include <string>

#include "pipeline/run_progress.h"

namespace sluice {

// A progress bar on the terminal's last line (common/logging.h's status line) for long
// bounded work: "[#########.........]  48%  120.0 MiB of 250.0 MiB  52.1 MiB/s  ETA 3s".
// Redrawn at most ten times a second; does nothing when stderr is not a terminal (logs
// then carry the progress lines).
class ProgressBar {
 public:
  enum class Unit { kBytes, kRecords };
  ProgressBar(std::string label, Unit unit);
  ~ProgressBar();  // removes the bar

  static bool Available();

  // `done` of `total` (total 0: unknown), at monotonic time `micros`; `note` is shown
  // after the bar.
  void Update(int64_t done, int64_t total, int64_t micros, const std::string& note = "");
  void Finish();

 private:
  std::string label_;
  Unit unit_;
  int64_t started_ = -1;
  int64_t drawn_ = 0;
  bool finished_ = false;
};

// Draws a bounded run's progress (--once, --drain): bytes of the input files, or Kafka
// records up to the end offsets.
class RunProgressBar final : public RunObserver {
 public:
  RunProgressBar();
  void OnProgress(const RunProgress& progress) override;

 private:
  ProgressBar bytes_;
  ProgressBar records_;
};

}  // namespace sluice
