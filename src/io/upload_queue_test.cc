#include "io/upload_queue.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sluice {
namespace {

using namespace std::chrono_literals;

TEST(UploadQueue, RunsEachStrandInOrder) {
  auto queue = UploadQueue::Make(4, 1 << 20).ValueOrDie();
  std::mutex mutex;
  std::vector<std::vector<int>> seen(3);
  std::vector<UploadQueue::Strand> strands(3);
  std::vector<arrow::Future<>> done;
  for (int i = 0; i < 50; ++i) {
    for (int s = 0; s < 3; ++s) {
      done.push_back(queue->Submit(&strands[s], 10, [&, s, i] {
        std::this_thread::sleep_for(std::chrono::microseconds((i * 7 + s) % 5 * 50));
        std::lock_guard<std::mutex> lock(mutex);
        seen[s].push_back(i);
        return arrow::Status::OK();
      }));
    }
  }
  for (auto& f : done) ASSERT_TRUE(f.status().ok());
  for (int s = 0; s < 3; ++s) {
    ASSERT_EQ(seen[s].size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(seen[s][i], i);
  }
  EXPECT_EQ(queue->stats().tasks, 150);
}

TEST(UploadQueue, RunsStrandsConcurrentlyUpToTheThreadCount) {
  auto queue = UploadQueue::Make(2, 1 << 20).ValueOrDie();
  std::atomic<int> running{0}, most{0};
  std::vector<UploadQueue::Strand> strands(6);
  std::vector<arrow::Future<>> done;
  for (auto& strand : strands) {
    done.push_back(queue->Submit(&strand, 1, [&] {
      int now = ++running;
      int seen = most.load();
      while (now > seen && !most.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(20ms);
      --running;
      return arrow::Status::OK();
    }));
  }
  for (auto& f : done) ASSERT_TRUE(f.status().ok());
  EXPECT_EQ(most.load(), 2);
}

// Holds `held` bytes in a task that runs until released, then submits `bytes` from
// another thread: returns whether that submission returned before the release.
bool SubmitReturnsWhileHeld(UploadQueue* queue, int64_t held, int64_t bytes) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  UploadQueue::Strand holder, other;
  auto first = queue->Submit(&holder, held, [released] {
    released.wait();
    return arrow::Status::OK();
  });
  std::atomic<bool> submitted{false};
  std::thread producer([&] {
    (void)queue->Submit(&other, bytes, [] { return arrow::Status::OK(); });
    submitted = true;
  });
  std::this_thread::sleep_for(50ms);
  const bool returned = submitted.load();
  release.set_value();
  producer.join();
  EXPECT_TRUE(first.status().ok());
  EXPECT_TRUE(other.tail().status().ok());
  return returned;
}

TEST(UploadQueue, BlocksTheSubmitterWhileTheBudgetIsHeld) {
  auto queue = UploadQueue::Make(2, 100).ValueOrDie();
  // 80 + 30 > 100: the submission waits until the first task has finished.
  EXPECT_FALSE(SubmitReturnsWhileHeld(queue.get(), 80, 30));
  EXPECT_GT(queue->stats().waited_micros, 0);
  EXPECT_LE(queue->stats().peak_bytes, 100);
  // 80 + 20 fits: no wait.
  EXPECT_TRUE(SubmitReturnsWhileHeld(queue.get(), 80, 20));
}

TEST(UploadQueue, ATaskLargerThanTheBudgetRunsAlone) {
  auto queue = UploadQueue::Make(2, 100).ValueOrDie();
  EXPECT_FALSE(SubmitReturnsWhileHeld(queue.get(), 10, 500));
  EXPECT_EQ(queue->stats().peak_bytes, 500);
}

TEST(UploadQueue, AFailureSkipsTheStrandsLaterTasksButNotTheFinalOne) {
  auto queue = UploadQueue::Make(2, 1000).ValueOrDie();
  UploadQueue::Strand strand, other;
  std::atomic<int> ran{0};
  auto failed = queue->Submit(&strand, 10, [] { return arrow::Status::IOError("part 1 lost"); });
  auto skipped = queue->Submit(&strand, 10, [&] {
    ++ran;
    return arrow::Status::OK();
  });
  arrow::Status seen_by_final;
  auto final_task = queue->SubmitAlways(&strand, 10, [&](const arrow::Status& before) {
    seen_by_final = before;
    return before;
  });
  auto unaffected = queue->Submit(&other, 10, [] { return arrow::Status::OK(); });
  EXPECT_TRUE(failed.status().IsIOError());
  EXPECT_TRUE(skipped.status().IsIOError());
  EXPECT_EQ(final_task.status().message(), "part 1 lost");
  EXPECT_EQ(seen_by_final.message(), "part 1 lost");
  EXPECT_EQ(ran.load(), 0);
  EXPECT_TRUE(unaffected.status().ok());
  // Once the failure is known, a submission fails at once and holds nothing.
  auto late = queue->Submit(&strand, 10, [] { return arrow::Status::OK(); });
  ASSERT_TRUE(late.is_finished());
  EXPECT_TRUE(late.status().IsIOError());
}

TEST(UploadQueue, DestructionWaitsForEveryTaskOfEveryStrand) {
  std::atomic<int> finished{0};
  {
    auto queue = UploadQueue::Make(1, 100).ValueOrDie();
    UploadQueue::Strand strand;
    // Later tasks of a strand are scheduled only when the one before finishes.
    for (int i = 0; i < 3; ++i) {
      (void)queue->Submit(&strand, 1, [&] {
        std::this_thread::sleep_for(20ms);
        ++finished;
        return arrow::Status::OK();
      });
    }
  }
  EXPECT_EQ(finished.load(), 3);
}

}  // namespace
}  // namespace sluice
