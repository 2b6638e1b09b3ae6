#include "operator/session_operator.h"

#include <gtest/gtest.h>

#include "operator/operator_test_util.h"

namespace sluice {
namespace {

using Rows_ = std::vector<std::string>;
const std::vector<AggregateOutput> kCountSum = {{"n", "count(*)", ""}, {"s", "sum(v)", ""}};

WindowSpec Session(int64_t gap_minutes, int64_t max_minutes = 0) {
  return WindowSpec::Session(std::chrono::minutes(gap_minutes), std::chrono::minutes(max_minutes))
      .ValueOrDie();
}

TEST(SessionOperator, ARecordBridgingTwoSessionsMergesThem) {
  for (size_t batch : {1, 2, 100}) {
    Harness h(Session(3), std::chrono::minutes(30), kCountSum);
    // [0, 3) and [4, 7); the record at 2 proposes [2, 5), overlapping both.
    auto rows = h.Feed({{"a", 0, 1.0}, {"a", 4 * kMinute, 2.0}, {"a", 2 * kMinute, 4.0}, {"b", kMinute, 8.0}},
                       batch, true);
    EXPECT_EQ(rows, (Rows_{"1..4 b 1 8", "0..7 a 3 7"})) << "batch " << batch;
  }
}

TEST(SessionOperator, AClosedSessionNeverReopensAndLateRecordsAreLate) {
  for (size_t batch : {1, 3, 100}) {
    Harness h(Session(3), Duration(0), kCountSum);
    auto rows = h.Feed({{"a", 0, 1.0},
                        {"b", 4 * kMinute, 2.0},  // watermark 4: a's [0, 3) has closed
                        {"a", 2 * kMinute, 4.0},  // proposes [2, 5): overlaps only the closed one
                        {"a", -kMinute, 16.0}},   // proposes [-1, 2): ends before the watermark,
                                                  // overlaps no open session: late
                       batch, true);
    std::sort(rows.begin(), rows.end());
    EXPECT_EQ(rows, (Rows_{"0..3 a 1 1", "2..5 a 1 4", "4..7 b 1 2"})) << "batch " << batch;
    EXPECT_EQ(h.late_, std::vector<int>{3});
  }
}

TEST(SessionOperator, MaxDurationStartsTheNextSession) {
  Harness h(Session(2, 3), std::chrono::minutes(30), kCountSum);
  auto rows = h.Feed({{"a", 0, 1.0}, {"a", kMinute, 1.0}, {"a", 2 * kMinute, 1.0}, {"a", 3 * kMinute, 1.0}},
                     10, true);
  // Events at 0, 1, 2 span 2 < 3 minutes; the one at 3 would make it 3.
  EXPECT_EQ(rows, (Rows_{"0..3 a 3 3", "3..5 a 1 1"}));
}

TEST(SessionOperator, SessionsOfOneGroupInSeveralPartitionsJoinWhenTheyClose) {
  Harness h(Session(3), std::chrono::minutes(30), kCountSum);
  auto rows = h.Feed({{"a", 0, 1.0}, {"a", 2 * kMinute, 2.0}, {"a", 10 * kMinute, 4.0}}, 10, true, {0, 1, 1});
  EXPECT_EQ(rows, (Rows_{"0..5 a 2 3", "10..13 a 1 4"}));
  EXPECT_TRUE(h.late_.empty());
}

TEST(SessionOperator, SnapshotRestoreGivesTheSameResults) {
  const std::vector<Event> events = {{"a", 0, 1.0},           {"b", kMinute, 2.0},
                                     {"a", 2 * kMinute, 3.0}, {"a", 9 * kMinute, 4.0},
                                     {"b", 3 * kMinute, 5.0}, {"a", 5 * kMinute, 6.0}};
  Harness straight(Session(3), std::chrono::minutes(4), kCountSum);
  const auto expected = straight.Feed(events, 1, true);
  Harness before(Session(3), std::chrono::minutes(4), kCountSum);
  auto first = before.Feed({events.begin(), events.begin() + 3}, 1, false);
  auto snapshot = before.op_->Snapshot().ValueOrDie();
  ASSERT_EQ(snapshot.size(), 1u);
  Harness after(Session(3), std::chrono::minutes(4), kCountSum);
  ASSERT_TRUE(after.op_->Restore(0, *snapshot[0].state).ok());
  EXPECT_FALSE(after.op_->Restore(0, *snapshot[0].state).ok()) << "partition 0 already holds state";
  after.tracker_.RestorePartition(PartitionId(0), 2 * kMinute, kWatermarkMin.value());
  auto rest = after.Feed({events.begin() + 3, events.end()}, 1, true);
  first.insert(first.end(), rest.begin(), rest.end());
  EXPECT_EQ(first, expected);
}

}  // namespace
}  // namespace sluice
