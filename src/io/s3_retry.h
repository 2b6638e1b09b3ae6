#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include <arrow/filesystem/s3fs.h>

#include "common/types.h"

namespace sluice {

// When and how long S3 requests are retried: errors the AWS SDK marks retryable (5xx,
// throttling, timeouts, refused or reset connections) are retried with exponential
// backoff (100 ms doubling to 2 s, with jitter) until the planned waits of one request
// add up to `timeout`; everything else (403, 404, bad requests) fails at once.
// Retries are counted and logged (once per burst).
//
// Thread-safe: the SDK calls it from every thread issuing requests.
class S3RetryPolicy final : public arrow::fs::S3RetryStrategy {
 public:
  explicit S3RetryPolicy(Duration timeout) : timeout_(timeout) {}

  bool ShouldRetry(const AWSErrorDetail& error, int64_t attempted_retries) override;
  int64_t CalculateDelayBeforeNextRetry(const AWSErrorDetail& error, int64_t attempted_retries) override;

  int64_t retries() const { return retries_.load(); }
  Duration timeout() const { return timeout_; }

  // The planned delay before retry number `attempt` (0-based), without jitter.
  static int64_t BackoffMillis(int64_t attempt);

 private:
  const Duration timeout_;
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> last_logged_ms_{0};
};

}  // namespace sluice
