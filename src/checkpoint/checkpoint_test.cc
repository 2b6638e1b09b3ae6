#include "checkpoint/checkpoint.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "checkpoint/checkpoint_store.h"

namespace sluice {
namespace {

std::shared_ptr<arrow::RecordBatch> StateBatch() {
  arrow::Int64Builder counts;
  EXPECT_TRUE(counts.AppendValues({3, 5, 8}).ok());
  arrow::BinaryBuilder keys;
  EXPECT_TRUE(keys.AppendValues({"a", std::string("b\0c", 3), ""}).ok());
  auto schema = arrow::schema({arrow::field("key", arrow::binary()), arrow::field("count", arrow::int64())});
  return arrow::RecordBatch::Make(schema, 3, {keys.Finish().ValueOrDie(), counts.Finish().ValueOrDie()});
}

Checkpoint Sample() {
  Checkpoint c;
  c.epoch = 412;
  c.writer = "20261201T100000Z-ab12";
  c.processing_time = 1'764'583'200'000'000;
  c.created_at = c.processing_time + 5;
  c.source = "kafka topics=iot-events group=g";
  c.emitted_watermark = 1'764'583'000'000'000;
  c.signatures = {
      {"aggregated", "window tumbling 1 minute group_by device_id:string aggregates count(*):null"}};
  c.partitions = {{"iot-events", 0, 1200, 99, 40, 1100, 38},
                  {"iot-events", 2, 7, std::nullopt, std::nullopt, std::nullopt, std::nullopt}};
  c.files = {{"landing/a.ndjson", 10, 2048, true}, {"landing/b.ndjson.gz", 3, 100, false}};
  c.staged = {{"raw", "_staging/w/412/year=2025/part-1.parquet.staged", "year=2025/part-1.parquet", 10, 999}};
  c.states = {{"aggregated", "iot-events", 0, StateBatch()},
              {"aggregated", "iot-events", 2, StateBatch()->Slice(1)}};
  return c;
}

TEST(Checkpoint, RoundTripsEveryField) {
  const Checkpoint c = Sample();
  auto buffer = EncodeCheckpoint(c).ValueOrDie();
  auto back = DecodeCheckpoint(buffer).ValueOrDie();
  EXPECT_EQ(back.epoch, c.epoch);
  EXPECT_EQ(back.writer, c.writer);
  EXPECT_EQ(back.processing_time, c.processing_time);
  EXPECT_EQ(back.created_at, c.created_at);
  EXPECT_EQ(back.source, c.source);
  EXPECT_EQ(back.emitted_watermark, c.emitted_watermark);
  EXPECT_EQ(back.signatures, c.signatures);
  ASSERT_EQ(back.partitions.size(), 2u);
  EXPECT_EQ(back.partitions[0].next_offset, 1200);
  EXPECT_EQ(back.partitions[0].max_event_time, 99);
  EXPECT_EQ(back.partitions[0].watermark_floor, 40);
  EXPECT_EQ(back.partitions[0].replay_from, 1100);
  EXPECT_EQ(back.partitions[0].replay_max_event_time, 38);
  EXPECT_EQ(back.partitions[1].partition, 2);
  EXPECT_FALSE(back.partitions[1].max_event_time.has_value());
  ASSERT_EQ(back.files.size(), 2u);
  EXPECT_EQ(back.files[1].path, "landing/b.ndjson.gz");
  EXPECT_EQ(back.files[1].lines, 3);
  EXPECT_EQ(back.files[1].bytes, 100);
  EXPECT_TRUE(back.files[0].finished);
  EXPECT_FALSE(back.files[1].finished);
  ASSERT_EQ(back.staged.size(), 1u);
  EXPECT_EQ(back.staged[0].final, "year=2025/part-1.parquet");
  EXPECT_EQ(back.staged[0].rows, 10);
  ASSERT_EQ(back.states.size(), 2u);
  EXPECT_TRUE(back.states[0].state->Equals(*StateBatch()));
  EXPECT_EQ(back.states[1].partition, 2);
  EXPECT_EQ(back.states[1].state->num_rows(), 2);
  EXPECT_EQ(back.state_rows(), 5);
}

TEST(Checkpoint, EmptyCheckpointRoundTrips) {
  Checkpoint c;
  c.epoch = 1;
  c.writer = "w";
  auto back = DecodeCheckpoint(EncodeCheckpoint(c).ValueOrDie()).ValueOrDie();
  EXPECT_EQ(back.epoch, 1);
  EXPECT_FALSE(back.emitted_watermark.has_value());
  EXPECT_TRUE(back.states.empty());
}

TEST(Checkpoint, EveryFlippedByteAndEveryTruncationIsDetected) {
  auto buffer = EncodeCheckpoint(Sample()).ValueOrDie();
  const std::string bytes = buffer->ToString();
  for (size_t at = 0; at < bytes.size(); at += 7) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x20);
    auto decoded = DecodeCheckpoint(arrow::Buffer::FromString(damaged));
    ASSERT_FALSE(decoded.ok()) << "byte " << at;
  }
  for (size_t size : {size_t{0}, size_t{5}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    auto decoded = DecodeCheckpoint(arrow::Buffer::FromString(bytes.substr(0, size)));
    ASSERT_FALSE(decoded.ok()) << "size " << size;
    EXPECT_TRUE(decoded.status().IsIOError()) << decoded.status().ToString();
  }
  EXPECT_NE(DecodeCheckpoint(arrow::Buffer::FromString(bytes.substr(0, bytes.size() / 2)))
                .status()
                .message()
                .find("truncated"),
            std::string::npos);
}

TEST(Checkpoint, NewerFormatVersionIsRefusedByName) {
  std::string bytes = EncodeCheckpoint(Sample()).ValueOrDie()->ToString();
  bytes[8] = 2;  // the version follows the 8 magic bytes
  auto decoded = DecodeCheckpoint(arrow::Buffer::FromString(bytes));
  EXPECT_TRUE(decoded.status().IsNotImplemented());
  EXPECT_NE(decoded.status().message().find("version 2"), std::string::npos);
  EXPECT_EQ(DecodeCheckpoint(arrow::Buffer::FromString("PAR1 not a checkpoint at all")).status().message(),
            "not a sluice checkpoint (bad magic bytes)");
}

TEST(CheckpointStore, NamesSortByEpochAndParseBack) {
  EXPECT_EQ(CheckpointStore::NameFor(412, "w-1"), "epoch-00000000000000000412-w-1.ckpt");
  auto parsed = CheckpointStore::ParseName("epoch-00000000000000000412-w-1.ckpt");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->epoch, 412);
  EXPECT_EQ(parsed->writer, "w-1");
  EXPECT_FALSE(CheckpointStore::ParseName("epoch-00000000000000000412-.ckpt").has_value());
  EXPECT_FALSE(CheckpointStore::ParseName(".epoch-00000000000000000412-w.ckpt.inprogress").has_value());
  EXPECT_FALSE(CheckpointStore::ParseName("epoch-0000000000000000041x-w.ckpt").has_value());
  EXPECT_LT(CheckpointStore::NameFor(9, "z"), CheckpointStore::NameFor(10, "a"));
}

}  // namespace
}  // namespace sluice
