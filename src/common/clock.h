#pragma once

#include <atomic>
#include <cstdint>

namespace sluice {

// Processing time. Only processing-time decisions (trigger intervals, file age, idle
// partitions, the `now()` column) read a Clock; event-time semantics never do.
// Implementations are safe for concurrent use.
class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch (wall clock, UTC).
  virtual int64_t NowMicros() const = 0;
  // Microseconds on a monotonic clock (for intervals; unrelated to the epoch).
  virtual int64_t MonotonicMicros() const = 0;

  // The process-wide system clock; never null, lives forever.
  static Clock* System();
};

// A clock that moves only when told to (for tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_micros) : now_(now_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicMicros() const override { return now_.load(); }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace sluice
