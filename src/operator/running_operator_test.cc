#include "operator/running_operator.h"

#include <gtest/gtest.h>

#include "operator/operator_test_util.h"

namespace sluice {
namespace {

using Rows_ = std::vector<std::string>;
const std::vector<AggregateOutput> kCountSum = {{"n", "count(*)", ""}, {"s", "sum(v)", ""}};

AggregationOptions Options(OutputMode mode, int64_t timeout_minutes = 0, bool event_time = true) {
  AggregationOptions options;
  options.mode = mode;
  options.timeout = StateTimeout{std::chrono::minutes(timeout_minutes), event_time};
  return options;
}

TEST(RunningOperator, AppendModeWritesEachGroupWhenTheInputEnds) {
  Harness h(WindowSpec::Global(), Duration(0), kCountSum, Options(OutputMode::kAppend));
  auto rows = h.Feed({{"a", 0, 1.0}, {"b", kMinute, 2.0}, {"a", 99 * kMinute, 4.0}}, 1, false);
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(h.op_->open_groups(), 2);
  EXPECT_EQ(h.Feed({}, 1, true), (Rows_{"a 2 5", "b 1 2"}));
}

TEST(RunningOperator, AnEventTimeTimeoutEndsTheStateAndTheNextRecordStartsAfresh) {
  for (size_t batch : {1, 2, 100}) {
    Harness h(WindowSpec::Global(), Duration(0), kCountSum, Options(OutputMode::kAppend, 60));
    auto rows =
        h.Feed({{"a", 0, 1.0}, {"a", 20 * kMinute, 2.0}, {"b", 80 * kMinute, 4.0}, {"a", 81 * kMinute, 8.0}},
               batch, true);
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(rows, (Rows_{"a 1 8", "a 2 3", "b 1 4"})) << "batch " << batch;
    EXPECT_TRUE(h.late_.empty());
  }
}

TEST(RunningOperator, AProcessingTimeTimeoutCountsFromTheTriggerOfTheLastRecord) {
  Harness h(WindowSpec::Global(), Duration(0), kCountSum, Options(OutputMode::kAppend, 1, false));
  h.Feed({{"a", 0, 1.0}, {"b", 0, 2.0}}, 10, false);
  h.now_ = 30'000'000;
  h.Feed({{"b", 0, 4.0}}, 10, false);
  EXPECT_TRUE(h.Advance().empty());
  h.now_ = 60'000'000;  // a minute after a's last record
  EXPECT_EQ(h.Advance(), (Rows_{"a 1 1"}));
  h.now_ = 90'000'000;
  EXPECT_EQ(h.Advance(), (Rows_{"b 2 6"}));
  EXPECT_EQ(h.op_->open_groups(), 0);
}

TEST(RunningOperator, UpdateModeReturnsTheGroupsThatChangedAtEachTrigger) {
  Harness h(WindowSpec::Global(), Duration(0), kCountSum, Options(OutputMode::kUpdate));
  h.Feed({{"a", 0, 1.0}, {"b", 0, 2.0}}, 10, false);
  EXPECT_EQ(h.EndTrigger(), (Rows_{"a 1 1", "b 1 2"}));
  h.Feed({{"a", 0, 4.0}}, 10, false);
  EXPECT_EQ(h.EndTrigger(), (Rows_{"a 2 5"}));
  EXPECT_TRUE(h.EndTrigger().empty());
  EXPECT_TRUE(h.Feed({}, 1, true).empty()) << "nothing changed since the last trigger";
}

TEST(RunningOperator, CompleteModeReturnsEveryGroupMergedOverPartitions) {
  Harness h(WindowSpec::Global(), Duration(0), kCountSum, Options(OutputMode::kComplete));
  h.Feed({{"a", 0, 1.0}, {"a", 0, 2.0}, {"b", 0, 4.0}}, 10, false, {0, 1, 1});
  EXPECT_EQ(h.EndTrigger(), (Rows_{"a 2 3", "b 1 4"}));
  EXPECT_EQ(h.EndTrigger(), (Rows_{"a 2 3", "b 1 4"}));
  EXPECT_EQ(h.op_->open_groups(), 3) << "partials stay per partition";
}

TEST(RunningOperator, SnapshotRestoreKeepsTotalsAndTimeouts) {
  Harness before(WindowSpec::Global(), Duration(0), kCountSum, Options(OutputMode::kAppend, 60));
  before.Feed({{"a", 0, 1.0}, {"b", 30 * kMinute, 2.0}}, 10, false);
  auto snapshot = before.op_->Snapshot().ValueOrDie();
  ASSERT_EQ(snapshot.size(), 1u);
  Harness after(WindowSpec::Global(), Duration(0), kCountSum, Options(OutputMode::kAppend, 60));
  ASSERT_TRUE(after.op_->Restore(0, *snapshot[0].state).ok());
  after.tracker_.RestorePartition(PartitionId(0), 30 * kMinute, kWatermarkMin.value());
  // b's state (last event 30) is alive for a record judged at watermark 30; afterwards
  // the watermark (100) ends a's.
  EXPECT_EQ(after.Feed({{"b", 100 * kMinute, 4.0}}, 10, false), (Rows_{"a 1 1"}));
  EXPECT_EQ(after.Feed({}, 1, true), (Rows_{"b 2 6"}));
}

}  // namespace
}  // namespace sluice
