#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <arrow/filesystem/s3fs.h>

#include "common/clock.h"
#include "common/types.h"

namespace sluice {

// When and how long S3 requests are retried: errors the AWS SDK marks retryable (5xx,
// throttling, timeouts, refused or reset connections) are retried with exponential
// backoff (100 ms doubling to 2 s, with jitter) for at most `timeout` after the
// request's first failure — measured on `clock`, so slow attempts count, and never more
// retries than the planned waits allow; everything else (403, 404, bad requests) fails
// at once. Retries are counted and logged (once per burst, secrets taken out).
//
// Thread-safe: the SDK calls it from every thread issuing requests, on the thread that
// issued the request (the first failure's time is kept per thread).
class S3RetryPolicy final : public arrow::fs::S3RetryStrategy {
 public:
  S3RetryPolicy(Duration timeout, std::vector<std::string> secrets, Clock* clock)
      : timeout_(timeout), secrets_(std::move(secrets)), clock_(clock) {}

  bool ShouldRetry(const AWSErrorDetail& error, int64_t attempted_retries) override;
  int64_t CalculateDelayBeforeNextRetry(const AWSErrorDetail& error, int64_t attempted_retries) override;

  int64_t retries() const { return retries_.load(); }
  Duration timeout() const { return timeout_; }

  // The planned delay before retry number `attempt` (0-based), without jitter.
  static int64_t BackoffMillis(int64_t attempt);

 private:
  const Duration timeout_;
  const std::vector<std::string> secrets_;
  Clock* const clock_;
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> last_logged_{0};  // monotonic time of the last warning
};

}  // namespace sluice
