#include "operator/window_operator.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "operator/operator_test_util.h"

namespace sluice {
namespace {

TEST(WindowOperator, TumblingBoundariesAreHalfOpen) {
  Harness h(WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie(), std::chrono::minutes(2));
  auto rows = h.Feed({{"a", 0, 1.0}, {"a", kMinute - 1, 3.0}, {"a", kMinute, 10.0}, {"b", 0, std::nullopt}},
                     100, true);
  EXPECT_EQ(rows, (std::vector<std::string>{"0..1 a 2 2", "0..1 b 1 null", "1..2 a 1 10"}));
}

TEST(WindowOperator, EmitsOnlyWhenTheWatermarkPassesTheEnd) {
  Harness h(WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie(), std::chrono::minutes(2));
  EXPECT_TRUE(h.Feed({{"a", 0, 1.0}, {"a", 3 * kMinute - 1, 1.0}}, 10, false).empty());
  // max event time 3:00 -> watermark 1:00 = end of window [0, 1)
  EXPECT_EQ(h.Feed({{"a", 3 * kMinute, 1.0}}, 10, false), std::vector<std::string>{"0..1 a 1 1"});
}

TEST(WindowOperator, OutOfOrderWithinTheWatermarkAndLateRows) {
  Harness h(WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie(), std::chrono::minutes(2));
  auto rows = h.Feed({{"a", 5 * kMinute, 1.0},
                      {"a", 3 * kMinute + 1, 2.0},  // 1:59 behind: on time for [3, 4)
                      {"a", 3 * kMinute - 1, 3.0},  // window [2, 3) ended at watermark 3:00: late
                      {"a", 10 * kMinute, 4.0},
                      {"a", 8 * kMinute, 5.0}},  // window [8, 9) ends after watermark 8:00: on time
                     100, true);
  EXPECT_EQ(h.late_, std::vector<int>{2});
  EXPECT_EQ(rows, (std::vector<std::string>{"3..4 a 1 2", "5..6 a 1 1", "8..9 a 1 5", "10..11 a 1 4"}));
}

TEST(WindowOperator, ResultsDoNotDependOnBatchSize) {
  std::vector<Event> events;
  uint64_t x = 12345;
  for (int i = 0; i < 3000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    int64_t jitter = static_cast<int64_t>((x >> 33) % (4 * kMinute));
    events.push_back({std::string(1, static_cast<char>('a' + (x >> 60) % 5)), int64_t{i} * 2'000'000 - jitter,
                      static_cast<double>(x >> 54)});
  }
  std::vector<std::string> reference;
  std::vector<int> reference_late;
  for (size_t batch : {size_t{1}, size_t{7}, size_t{1000}, size_t{3000}}) {
    Harness h(WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie(), std::chrono::minutes(2));
    auto rows = h.Feed(events, batch, true);
    std::sort(rows.begin(), rows.end());
    if (reference.empty()) {
      reference = rows;
      reference_late = h.late_;
      EXPECT_FALSE(reference_late.empty());
    }
    EXPECT_EQ(rows, reference) << "batch size " << batch;
    EXPECT_EQ(h.late_, reference_late) << "batch size " << batch;
  }
}

TEST(WindowOperator, SlidingWindowsAndPartialLateness) {
  Harness h(WindowSpec::Sliding(std::chrono::minutes(3), std::chrono::minutes(1)).ValueOrDie(), Duration(0),
            {{"n", "count(*)", ""}});
  // t=5:30 belongs to [3,6) [4,7) [5,8). After t=7:00, windows ending at or before 7:00 are
  // closed, so a second t=5:30 only lands in [5,8).
  auto rows = h.Feed(
      {{"a", 5 * kMinute + kMinute / 2, 1.0}, {"a", 7 * kMinute, 1.0}, {"a", 5 * kMinute + kMinute / 2, 1.0}},
      1, true);
  EXPECT_TRUE(h.late_.empty());
  EXPECT_EQ(rows, (std::vector<std::string>{"3..6 a 1", "4..7 a 1", "5..8 a 3", "6..9 a 1", "7..10 a 1"}));
}

TEST(WindowOperator, ExpressionsOverAggregatesAndWindowBounds) {
  Harness h(WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie(), Duration(0),
            {{"ratio", "sum(v) / count(v)", ""},
             {"label", "device || '@' || date_format(window_start, '%H:%M')", ""},
             {"spread", "max(v) - min(v)", ""}});
  auto rows = h.Feed({{"a", 0, 2.0}, {"a", 1, 4.0}, {"a", 2, std::nullopt}}, 10, true);
  EXPECT_EQ(rows, std::vector<std::string>{"0..1 a 3 a@00:00 2"});
}

TEST(WindowOperator, PlanErrorsNameTheOutput) {
  auto window = WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie();
  auto make = [&](std::vector<std::string> group_by, std::vector<AggregateOutput> outputs) {
    return AggregationPlan::Make("agg", window, group_by, "f.yaml:3", outputs, InputSchema())
        .status()
        .message();
  };
  EXPECT_EQ(make({"devise"}, {{"n", "count(*)", "f.yaml:5"}}),
            "f.yaml:3: group_by: unknown column 'devise' (did you mean 'device'?)");
  EXPECT_EQ(
      make({"device"}, {{"x", "v + 1", "f.yaml:5"}}),
      "f.yaml:5: aggregates.x: 'v' is neither grouped nor aggregated: use it inside an aggregate such as "
      "avg(v), or add it to group_by");
  EXPECT_EQ(make({"device"}, {{"x", "avg(device)", "f.yaml:6"}}),
            "f.yaml:6: aggregates.x: avg() needs a number, but its argument is string");
  EXPECT_EQ(
      make({"device"}, {{"device", "count(*)", "f.yaml:7"}}),
      "f.yaml:7: aggregates.device: the name 'device' is already used by a window bound, grouping column or "
      "output");
  EXPECT_EQ(make({"device"}, {{"x", "avgg(v)", "f.yaml:8"}}),
            "f.yaml:8: aggregates.x: at column 1: unknown function 'avgg' (did you mean 'avg'?)");
}

TEST(WindowOperator, SnapshotRestoreGivesTheSameResults) {
  auto window = WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie();
  std::vector<AggregateOutput> outputs = {
      {"n", "count(*)", ""}, {"sd", "stddev(v)", ""}, {"last_v", "last(v)", ""}};
  std::vector<Event> first = {{"a", 0, 1.0}, {"b", 10, 2.0}, {"a", kMinute + 1, 5.0}};
  std::vector<Event> second = {{"a", 20, 4.0}, {"b", kMinute + 2, 8.0}};

  Harness straight(window, std::chrono::minutes(5), outputs);
  straight.Feed(first, 10, false);
  auto expected = straight.Feed(second, 10, true);

  Harness before(window, std::chrono::minutes(5), outputs);
  before.Feed(first, 10, false);
  auto snapshot = before.op_->Snapshot().ValueOrDie();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].state->num_rows(), 3);
  Harness after(window, std::chrono::minutes(5), outputs);
  ASSERT_TRUE(after.op_->Restore(0, *snapshot[0].state).ok());
  std::vector<int64_t> times = {0, kMinute + 1};  // watermark state travels separately
  std::vector<int64_t> thresholds(2);
  after.tracker_.Advance(times.data(), nullptr, 2, thresholds.data());
  EXPECT_EQ(after.Feed(second, 10, true), expected);
  // A state restored twice, or of another shape, is refused.
  EXPECT_FALSE(before.op_->Restore(0, *snapshot[0].state).ok());
  Harness other(window, std::chrono::minutes(5), {{"n", "count(*)", ""}});
  EXPECT_FALSE(other.op_->Restore(0, *snapshot[0].state).ok());
}

TEST(WindowOperator, PartialsOfSeveralPartitionsMergeAtEmission) {
  auto window = WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie();
  std::vector<AggregateOutput> outputs = {{"n", "count(*)", ""}, {"avg_v", "avg(v)", ""}};
  std::vector<Event> events = {{"a", 0, 1.0}, {"a", 1, 3.0}, {"b", 2, 5.0}, {"a", 3, 8.0}};
  Harness one(window, Duration(0), outputs);
  auto expected = one.Feed(events, 10, true);
  Harness split(window, Duration(0), outputs);
  EXPECT_EQ(split.Feed(events, 10, false, {0, 1, 1, 2}), std::vector<std::string>{});
  EXPECT_EQ(split.op_->open_groups(), 4);  // a@0, a@1, b@1, a@2
  EXPECT_EQ(split.op_->Snapshot().ValueOrDie().size(), 3u);
  split.tracker_.Finish();
  EXPECT_EQ(Rows(split.op_->AdvanceWatermark(split.tracker_.Current(), 0).ValueOrDie()), expected);
  EXPECT_EQ(expected, (std::vector<std::string>{"0..1 a 3 4", "0..1 b 1 5"}));
}

TEST(WindowOperator, DroppingAPartitionKeepsTheOthersAndRestoresElsewhere) {
  auto window = WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie();
  std::vector<Event> events = {{"a", 0, 1.0}, {"b", 1, 2.0}, {"a", 2, 4.0}, {"c", kMinute, 1.0}};
  Harness h(window, std::chrono::minutes(5));
  h.Feed(events, 10, false, {0, 1, 1, 1});
  auto snapshot = h.op_->Snapshot().ValueOrDie();
  ASSERT_EQ(snapshot.size(), 2u);
  ASSERT_EQ(snapshot[1].partition, 1);
  int64_t shared = -1;
  EXPECT_EQ(h.op_->DropPartitions({1}, &shared), 3);  // a@1, b@1, c@1
  EXPECT_EQ(shared, 1);                               // a is also fed by partition 0
  h.tracker_.Finish();
  EXPECT_EQ(Rows(h.op_->AdvanceWatermark(h.tracker_.Current(), 0).ValueOrDie()),
            std::vector<std::string>{"0..1 a 1 1"});
  // The new owner of partition 1 continues from its state alone.
  Harness next(window, std::chrono::minutes(5));
  ASSERT_TRUE(next.op_->Restore(7, *snapshot[1].state).ok());
  next.tracker_.Finish();
  EXPECT_EQ(Rows(next.op_->AdvanceWatermark(next.tracker_.Current(), 0).ValueOrDie()),
            (std::vector<std::string>{"0..1 b 1 2", "0..1 a 1 4", "1..2 c 1 1"}));
}

TEST(WindowOperator, SignatureNamesWindowGroupsAndAggregates) {
  Harness h(WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie(), Duration(0));
  EXPECT_EQ(h.op_->StateSignature(),
            "window tumbling 1 minute group_by device:string aggregates count(*):null avg(v):double");
}

TEST(WindowOperator, UpdateModeReturnsTheWindowsThatChanged) {
  AggregationOptions options;
  options.mode = OutputMode::kUpdate;
  Harness h(WindowSpec::Tumbling(std::chrono::minutes(1)).ValueOrDie(), std::chrono::minutes(5),
            {{"n", "count(*)", ""}}, options);
  h.Feed({{"a", 0, 1.0}, {"b", 0, 1.0}, {"a", kMinute, 1.0}}, 10, false);
  EXPECT_EQ(h.EndTrigger(), (std::vector<std::string>{"0..1 a 1", "0..1 b 1", "1..2 a 1"}));
  h.Feed({{"a", 0, 1.0}}, 10, false);
  EXPECT_EQ(h.EndTrigger(), (std::vector<std::string>{"0..1 a 2"}));
  // A window closing returns what changed since the last trigger only.
  h.Feed({{"b", 0, 1.0}}, 10, false);
  EXPECT_EQ(h.Feed({}, 1, true), (std::vector<std::string>{"0..1 b 2"}));
}

}  // namespace
}  // namespace sluice
