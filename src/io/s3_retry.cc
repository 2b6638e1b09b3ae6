#include "io/s3_retry.h"

#include <algorithm>
#include <chrono>
#include <random>

#include <spdlog/spdlog.h>

#include "common/time_util.h"

namespace sluice {
namespace {

constexpr int64_t kFirstBackoffMillis = 100;
constexpr int64_t kMaxBackoffMillis = 2000;
constexpr int64_t kLogEveryMillis = 10'000;

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int64_t S3RetryPolicy::BackoffMillis(int64_t attempt) {
  if (attempt >= 5) return kMaxBackoffMillis;  // 100 * 2^5 > 2000
  return std::min(kMaxBackoffMillis, kFirstBackoffMillis << attempt);
}

bool S3RetryPolicy::ShouldRetry(const AWSErrorDetail& error, int64_t attempted_retries) {
  // MinIO answers this while it starts; the SDK does not know the code.
  const bool retryable = error.should_retry || error.exception_name == "XMinioServerNotInitialized";
  if (!retryable) return false;
  int64_t planned = 0;
  for (int64_t attempt = 0; attempt <= attempted_retries; ++attempt) planned += BackoffMillis(attempt);
  if (planned * 1000 > timeout_.count()) return false;
  retries_.fetch_add(1);
  const int64_t now = NowMillis();
  int64_t last = last_logged_ms_.load();
  if (now - last >= kLogEveryMillis && last_logged_ms_.compare_exchange_strong(last, now)) {
    spdlog::warn("S3 request failed ({}{}{}); retrying with backoff for up to {} (storage.s3.retry_timeout)",
                 error.exception_name, error.exception_name.empty() ? "" : ": ", error.message,
                 FormatDuration(timeout_));
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
