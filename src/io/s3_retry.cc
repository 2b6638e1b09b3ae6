#include "io/s3_retry.h"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "common/time_util.h"
#include "io/s3_config.h"

namespace sluice {
namespace {

constexpr int64_t kFirstBackoffMillis = 100;
constexpr int64_t kMaxBackoffMillis = 2000;
constexpr int64_t kLogEveryMicros = 10'000'000;

}  // namespace

int64_t S3RetryPolicy::BackoffMillis(int64_t attempt) {
  if (attempt >= 5) return kMaxBackoffMillis;  // 100 * 2^5 > 2000
  return std::min(kMaxBackoffMillis, kFirstBackoffMillis << attempt);
}

bool S3RetryPolicy::ShouldRetry(const AWSErrorDetail& error, int64_t attempted_retries) {
  // MinIO answers this while it starts; the SDK does not know the code.
  const bool retryable = error.should_retry || error.exception_name == "XMinioServerNotInitialized";
  if (!retryable) return false;
  // The time since this request first failed, and the waits planned so far.
  thread_local int64_t first_failure = 0;
  const int64_t now = clock_->MonotonicMicros();
  if (attempted_retries == 0) first_failure = now;
  int64_t planned = 0;
  for (int64_t attempt = 0; attempt <= attempted_retries; ++attempt) planned += BackoffMillis(attempt);
  const int64_t next = BackoffMillis(attempted_retries) * 1000;
  if (planned * 1000 > timeout_.count() || now - first_failure + next > timeout_.count()) return false;
  retries_.fetch_add(1);
  int64_t last = last_logged_.load();
  if ((last == 0 || now - last >= kLogEveryMicros) && last_logged_.compare_exchange_strong(last, now)) {
    spdlog::warn("S3 request failed ({}{}{}); retrying with backoff for up to {} (storage.s3.retry_timeout)",
                 error.exception_name, error.exception_name.empty() ? "" : ": ",
                 RedactSecrets(error.message, secrets_), FormatDuration(timeout_));
  }
  return true;
}

int64_t S3RetryPolicy::CalculateDelayBeforeNextRetry(const AWSErrorDetail& /*error*/,
                                                     int64_t attempted_retries) {
  // Jitter (50-100% of the planned delay) keeps parallel uploads from retrying in step.
  thread_local std::minstd_rand random{std::random_device{}()};
  const int64_t planned = BackoffMillis(attempted_retries);
  return planned / 2 + static_cast<int64_t>(random() % static_cast<uint32_t>(planned / 2 + 1));
}

}  // namespace sluice
