#include "state/retained_offsets.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(RetainedOffsets, FirstIsTheLowestOffsetOfAnOpenWindow) {
  RetainedOffsets retained;
  EXPECT_FALSE(retained.First(PartitionId(0)).has_value());
  // Partition 0: records 10, 11 in the window ending at 60; 12 (out of order) in the
  // window ending at 30; 13 in the window ending at 60 again.
  retained.Hold(PartitionId(0), 10, 60, 1000);
  retained.Hold(PartitionId(0), 11, 60, 1100);
  retained.Hold(PartitionId(0), 12, 30, 1200);
  retained.Hold(PartitionId(0), 13, 60, 1300);
  retained.Hold(PartitionId(1), 7, 90, 700);
  EXPECT_EQ(retained.First(PartitionId(0))->offset, KafkaOffset(10));
  EXPECT_EQ(retained.First(PartitionId(1))->offset, KafkaOffset(7));
  EXPECT_EQ(retained.size(), 3u);

  retained.Release(Watermark(30));  // the window ending at 30 is emitted
  EXPECT_EQ(retained.First(PartitionId(0))->offset, KafkaOffset(10));
  EXPECT_EQ(retained.First(PartitionId(0))->max_before, 1000);  // where a reader resuming at 10 restarts
  retained.Release(Watermark(60));
  EXPECT_FALSE(retained.First(PartitionId(0)).has_value());
  EXPECT_EQ(retained.First(PartitionId(1))->offset, KafkaOffset(7));
}

TEST(RetainedOffsets, AWindowReleasedLaterKeepsEarlierOffsetsRetained) {
  RetainedOffsets retained;
  retained.Hold(PartitionId(0), 5, 120, 500);  // a late-closing window holds offset 5
  retained.Hold(PartitionId(0), 6, 60, 600);
  retained.Release(Watermark(60));
  EXPECT_EQ(retained.First(PartitionId(0))->offset, KafkaOffset(5));
}

TEST(RetainedOffsets, ForgetDropsOnePartition) {
  RetainedOffsets retained;
  retained.Hold(PartitionId(0), 1, 60, 100);
  retained.Hold(PartitionId(2), 3, 60, 300);
  retained.Forget(PartitionId(2));
  EXPECT_FALSE(retained.First(PartitionId(2)).has_value());
  EXPECT_EQ(retained.First(PartitionId(0))->offset, KafkaOffset(1));
  // The fast path must not remember a forgotten partition.
  retained.Hold(PartitionId(2), 9, 60, 900);
  EXPECT_EQ(retained.First(PartitionId(2))->offset, KafkaOffset(9));
}

}  // namespace
}  // namespace sluice
