#include "state/watermark.h"

#include <vector>

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(WatermarkTracker, ThresholdIsTheWatermarkBeforeEachRecord) {
  WatermarkTracker tracker(Duration(10));
  std::vector<int64_t> times = {100, 95, 130, 119, 121};
  std::vector<int64_t> thresholds(times.size());
  tracker.Advance(times.data(), nullptr, 5, thresholds.data());
  EXPECT_EQ(thresholds, (std::vector<int64_t>{kWatermarkMin.value(), 90, 90, 120, 120}));
  EXPECT_EQ(tracker.Current(), Watermark(120));
}

TEST(WatermarkTracker, BatchingDoesNotChangeThresholds) {
  std::vector<int64_t> times = {5, 50, 20, 70, 61, 90, 10, 100};
  std::vector<int64_t> whole(times.size());
  WatermarkTracker a(Duration(15));
  a.Advance(times.data(), nullptr, static_cast<int64_t>(times.size()), whole.data());
  for (int64_t batch : {1, 3}) {
    WatermarkTracker b(Duration(15));
    std::vector<int64_t> pieces(times.size());
    for (int64_t i = 0; i < static_cast<int64_t>(times.size()); i += batch) {
      int64_t n = std::min<int64_t>(batch, static_cast<int64_t>(times.size()) - i);
      b.Advance(times.data() + i, nullptr, n, pieces.data() + i);
      b.Current();  // emission between batches must not change judgements
    }
    EXPECT_EQ(pieces, whole) << batch;
  }
}

TEST(WatermarkTracker, PipelineIsMinimumOverActivePartitions) {
  WatermarkTracker tracker(Duration(0));
  tracker.AddPartition(PartitionId(0));
  tracker.AddPartition(PartitionId(1));
  std::vector<int64_t> times = {100, 200};
  std::vector<int32_t> parts = {0, 0};
  std::vector<int64_t> thresholds(2);
  tracker.Advance(times.data(), parts.data(), 2, thresholds.data());
  EXPECT_EQ(tracker.Current(), kWatermarkMin);  // partition 1 has no data yet
  tracker.SetIdle(PartitionId(1), true);
  EXPECT_EQ(tracker.Current(), Watermark(200));
  // Partition 1 wakes up behind: the pipeline watermark does not move back, and its
  // records are judged against it.
  std::vector<int64_t> late = {50};
  std::vector<int32_t> p1 = {1};
  tracker.Advance(late.data(), p1.data(), 1, thresholds.data());
  EXPECT_EQ(thresholds[0], 200);
  EXPECT_EQ(tracker.Current(), Watermark(200));
  tracker.Finish();
  EXPECT_EQ(tracker.Current(), kWatermarkMax);
}

}  // namespace
}  // namespace sluice
