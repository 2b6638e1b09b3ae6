#include "io/upload_queue.h"

#include <algorithm>
#include <chrono>

namespace sluice {

arrow::Result<std::unique_ptr<UploadQueue>> UploadQueue::Make(int threads, int64_t budget_bytes) {
  if (threads < 1) return arrow::Status::Invalid("an upload queue needs at least one thread");
  if (budget_bytes < 1) return arrow::Status::Invalid("an upload queue needs a positive byte budget");
  ARROW_ASSIGN_OR_RAISE(auto pool, arrow::internal::ThreadPool::Make(threads));
  return std::unique_ptr<UploadQueue>(new UploadQueue(std::move(pool), budget_bytes));
}

UploadQueue::UploadQueue(std::shared_ptr<arrow::internal::ThreadPool> pool, int64_t budget)
    : pool_(std::move(pool)), budget_(budget) {}

UploadQueue::~UploadQueue() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return unfinished_ == 0; });
  }
  (void)pool_->Shutdown(/*wait=*/true);
}

void UploadQueue::Acquire(int64_t bytes) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto over = [&] { return bytes > 0 && held_ > 0 && held_ + bytes > budget_; };
  if (over()) {
    const auto start = std::chrono::steady_clock::now();
    changed_.wait(lock, [&] { return !over(); });
    stats_.waited_micros +=
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start)
            .count();
  }
  held_ += bytes;
  ++unfinished_;
  stats_.peak_bytes = std::max(stats_.peak_bytes, held_);
}

void UploadQueue::Release(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_ -= bytes;
  --unfinished_;
  ++stats_.tasks;
  changed_.notify_all();
}

arrow::Future<> UploadQueue::Chain(Strand* strand, int64_t bytes, std::function<arrow::Status()> on_success,
                                   std::function<arrow::Status(const arrow::Status&)> on_failure) {
  Acquire(bytes);
  // The bytes are released by the task itself, before its future completes: whoever
  // waits for the future sees the budget and the statistics already updated.
  auto run = [this, bytes, on_success = std::move(on_success)] {
    arrow::Status status = on_success();
    Release(bytes);
    return status;
  };
  auto skip = [this, bytes, on_failure = std::move(on_failure)](const arrow::Status& before) {
    arrow::Status status = on_failure(before);
    Release(bytes);
    return status;
  };
  strand->tail_ = strand->tail_.Then(std::move(run), std::move(skip),
                                     arrow::CallbackOptions{arrow::ShouldSchedule::Always, pool_.get()});
  return strand->tail_;
}

arrow::Future<> UploadQueue::Submit(Strand* strand, int64_t bytes, Task task) {
  if (strand->tail_.is_finished() && !strand->tail_.status().ok()) return strand->tail_;
  return Chain(strand, bytes, std::move(task), [](const arrow::Status& before) { return before; });
}

arrow::Future<> UploadQueue::SubmitAlways(Strand* strand, int64_t bytes, FinalTask task) {
  auto shared = std::make_shared<FinalTask>(std::move(task));
  return Chain(
      strand, bytes, [shared] { return (*shared)(arrow::Status::OK()); },
      [shared](const arrow::Status& before) { return (*shared)(before); });
}

UploadQueue::Stats UploadQueue::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats stats = stats_;
  stats.held_bytes = held_;
  return stats;
}

}  // namespace sluice
