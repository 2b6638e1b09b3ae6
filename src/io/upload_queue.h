#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/util/future.h>
#include <arrow/util/thread_pool.h>

namespace sluice {

// Runs uploads in the background on a fixed number of threads, holding at most a
// budget of bytes.
//
// Work goes to a Strand (one per file): a strand's tasks run one after another in the
// order submitted; tasks of different strands run concurrently, at most `threads` at a
// time. Once a task fails, the strand's later Submit tasks are skipped and their
// futures carry that failure; SubmitAlways tasks still run and see it.
//
// Memory: each task declares the bytes it holds until it finishes. Submitting blocks
// the caller while the bytes of unfinished tasks would exceed the budget (a task larger
// than the whole budget waits until nothing else is in flight): a producer faster than
// the network waits for uploads instead of buffering without bound.
//
// Thread-safe; a Strand is used by one thread at a time. The destructor waits until
// every submitted task has finished.
class UploadQueue {
 public:
  using Task = std::function<arrow::Status()>;
  // Receives the status of the strand's earlier tasks (OK, or the first failure).
  using FinalTask = std::function<arrow::Status(const arrow::Status& before)>;

  class Strand {
   public:
    // Completes when every task submitted so far has finished; carries the failure.
    const arrow::Future<>& tail() const { return tail_; }

   private:
    friend class UploadQueue;
    arrow::Future<> tail_ = arrow::Future<>::MakeFinished();
  };

  struct Stats {
    int64_t tasks = 0;          // tasks finished
    int64_t waited_micros = 0;  // time submitters were blocked by the budget
    int64_t peak_bytes = 0;     // most bytes held at once
    int64_t held_bytes = 0;     // bytes held now
  };

  static arrow::Result<std::unique_ptr<UploadQueue>> Make(int threads, int64_t budget_bytes);
  ~UploadQueue();

  // Runs `task` after the strand's earlier tasks, unless one of them failed. Returns
  // the failure at once, without blocking, when the strand has already failed.
  arrow::Future<> Submit(Strand* strand, int64_t bytes, Task task);
  // Runs `task` after the strand's earlier tasks, whatever their outcome.
  arrow::Future<> SubmitAlways(Strand* strand, int64_t bytes, FinalTask task);

  Stats stats() const;
  int64_t budget() const { return budget_; }

 private:
  UploadQueue(std::shared_ptr<arrow::internal::ThreadPool> pool, int64_t budget);
  void Acquire(int64_t bytes);
  void Release(int64_t bytes);
  arrow::Future<> Chain(Strand* strand, int64_t bytes, std::function<arrow::Status()> on_success,
                        std::function<arrow::Status(const arrow::Status&)> on_failure);

  std::shared_ptr<arrow::internal::ThreadPool> pool_;
  const int64_t budget_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int64_t held_ = 0;        // bytes of unfinished tasks
  int64_t unfinished_ = 0;  // tasks submitted and not finished
  Stats stats_;
};

}  // namespace sluice
