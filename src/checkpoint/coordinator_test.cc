#include "checkpoint/coordinator.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "io/local_store.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sluice-coordinator-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    lake_ = LocalObjectStore::Open((root_ / "lake").string()).ValueOrDie();
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<CheckpointCoordinator> Open(const std::string& source = "files pattern=in/*.ndjson",
                                              const std::string& writer = "w", bool self_committing = true) {
    CheckpointOptions options;
    options.location = (root_ / "checkpoint").string();
    options.writer = writer;
    options.source = source;
    options.self_committing = self_committing;
    auto coordinator = CheckpointCoordinator::Open(&storage_, options, Clock::System());
    EXPECT_TRUE(coordinator.ok()) << coordinator.status().ToString();
    if (!coordinator.ok()) return nullptr;
    (*coordinator)->AddOutput("raw", lake_);
    return std::move(*coordinator);
  }

  // Stages a file as a sink does and returns its entry.
  StagedOutputFile Stage(CheckpointCoordinator* c, int64_t epoch, const std::string& final_path) {
    StagedOutputFile file{"raw", c->StagedPath(epoch, final_path), final_path, 1, 5};
    auto staged = lake_->Create(file.staged).ValueOrDie();
    EXPECT_TRUE(staged->stream()->Write("hello", 5).ok());
    EXPECT_TRUE(staged->Commit().status().ok());
    return file;
  }

  Checkpoint Epoch(CheckpointCoordinator* c, int64_t epoch,
                   const std::string& source = "files pattern=in/*.ndjson") {
    Checkpoint checkpoint;
    checkpoint.epoch = epoch;
    checkpoint.writer = c->options().writer;
    checkpoint.source = source;
    checkpoint.files = {{"in/a.ndjson", epoch * 10, epoch * 100, false}};
    return checkpoint;
  }

  bool InLake(const std::string& path) { return fs::exists(root_ / "lake" / path); }

  // The checkpoints in the store, oldest first.
  std::vector<std::string> CheckpointNames() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(root_ / "checkpoint" / "checkpoints")) {
      if (entry.path().extension() == ".ckpt") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  Storage storage_;
  fs::path root_;
  std::shared_ptr<LocalObjectStore> lake_;
};

TEST_F(CoordinatorTest, PublishMovesStagedFilesAndRecoveryResumesFromTheNewest) {
  auto c = Open();
  EXPECT_FALSE(c->RecoverNewest().ValueOrDie().has_value());
  const int64_t epoch = c->NextEpoch();
  EXPECT_EQ(epoch, 1);
  Checkpoint checkpoint = Epoch(c.get(), epoch);
  checkpoint.staged = {Stage(c.get(), epoch, "year=2025/part-a.parquet")};
  EXPECT_FALSE(InLake("year=2025/part-a.parquet"));
  ASSERT_TRUE(c->Write(checkpoint).ok());
  EXPECT_FALSE(InLake("year=2025/part-a.parquet"));  // committed, not yet published
  ASSERT_TRUE(c->Publish(checkpoint).ok());
  EXPECT_TRUE(InLake("year=2025/part-a.parquet"));
  EXPECT_FALSE(InLake(checkpoint.staged[0].staged));

  auto again = Open();
  auto recovered = again->RecoverNewest().ValueOrDie();
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->epoch, 1);
  EXPECT_EQ(recovered->files[0].lines, 10);
  EXPECT_EQ(again->NextEpoch(), 2);
}

TEST_F(CoordinatorTest, RecoveryPublishesACommittedEpochAndRemovesUncommittedStagedFiles) {
  auto c = Open();
  ASSERT_TRUE(c->RecoverNewest().ok());
  Checkpoint first = Epoch(c.get(), c->NextEpoch());
  first.staged = {Stage(c.get(), first.epoch, "part-1.parquet")};
  ASSERT_TRUE(c->Write(first).ok());
  // Crash before publishing epoch 1, while epoch 2 was being staged.
  StagedOutputFile orphan = Stage(c.get(), c->NextEpoch(), "part-2.parquet");
  c.reset();

  auto recovering = Open();
  auto recovered = recovering->RecoverNewest().ValueOrDie();
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->epoch, 1);
  EXPECT_TRUE(InLake("part-1.parquet"));
  EXPECT_FALSE(InLake("part-2.parquet"));
  EXPECT_FALSE(InLake(orphan.staged));
  // Publishing again (a second crash before the marker) is harmless.
  EXPECT_TRUE(recovering->Publish(*recovered).ok());
  EXPECT_TRUE(InLake("part-1.parquet"));
}

TEST_F(CoordinatorTest, StagedNamesAreFlatAndMatchNoParquetGlob) {
  auto c = Open("files pattern=x", "run-1");
  EXPECT_EQ(c->StagedPath(7, "year=2025/month=07/part-a%1.parquet"),
            "_staging/run-1.7.year=2025%2Fmonth=07%2Fpart-a%251.parquet.staged");
}

TEST_F(CoordinatorTest, ADamagedNewestCheckpointFallsBackToThePreviousOne) {
  auto c = Open();
  ASSERT_TRUE(c->RecoverNewest().ok());
  for (int i = 0; i < 2; ++i) {
    Checkpoint checkpoint = Epoch(c.get(), c->NextEpoch());
    ASSERT_TRUE(c->Write(checkpoint).ok());
    ASSERT_TRUE(c->Publish(checkpoint).ok());
  }
  const fs::path newest = root_ / "checkpoint" / "checkpoints" / CheckpointStore::NameFor(2, "w");
  fs::resize_file(newest, fs::file_size(newest) - 3);
  auto recovered = Open()->RecoverNewest().ValueOrDie();
  ASSERT_TRUE(recovered.has_value());
  EXPECT_EQ(recovered->epoch, 1);
}

TEST_F(CoordinatorTest, ACheckpointOfAnotherSourceIsRefusedNamingBoth) {
  auto c = Open();
  Checkpoint checkpoint = Epoch(c.get(), c->NextEpoch());
  ASSERT_TRUE(c->Write(checkpoint).ok());
  CheckpointOptions options;
  options.location = (root_ / "checkpoint").string();
  options.writer = "w";
  options.source = "kafka topics=iot-events group=g";
  auto other = CheckpointCoordinator::Open(&storage_, options, Clock::System());
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(other.status().IsInvalid());
  EXPECT_NE(other.status().message().find("belongs to another source (files pattern=in/*.ndjson) than this "
                                          "run's (kafka topics=iot-events group=g)"),
            std::string::npos)
      << other.status().message();
}

TEST_F(CoordinatorTest, KafkaGroupsKeepTheNewestCheckpointsOfTheirWriterOnly) {
  // Another member's checkpoint may still be named by a committed offset.
  auto other = Open("files pattern=in/*.ndjson", "other", false);
  Checkpoint foreign = Epoch(other.get(), other->NextEpoch());
  ASSERT_TRUE(other->Write(foreign).ok());
  auto c = Open("files pattern=in/*.ndjson", "w", false);
  for (int i = 0; i < 6; ++i) {
    Checkpoint checkpoint = Epoch(c.get(), c->NextEpoch());
    ASSERT_TRUE(c->Write(checkpoint).ok());
    ASSERT_TRUE(c->Publish(checkpoint).ok());
  }
  const std::vector<std::string> names = CheckpointNames();
  EXPECT_EQ(names,
            (std::vector<std::string>{CheckpointStore::NameFor(1, "other"), CheckpointStore::NameFor(5, "w"),
                                      CheckpointStore::NameFor(6, "w"), CheckpointStore::NameFor(7, "w")}));
}

TEST_F(CoordinatorTest, AMissingCommittedCheckpointNamesTheWaysOut) {
  CheckpointOptions options;
  options.location = (root_ / "checkpoint").string();
  options.writer = "w";
  options.source = "kafka topics=t group=g";
  auto c = CheckpointCoordinator::Open(&storage_, options, Clock::System()).ValueOrDie();
  auto loaded = c->Load(CheckpointStore::NameFor(3, "gone"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_TRUE(loaded.status().IsInvalid());
  EXPECT_NE(loaded.status().message().find("--rebuild-state"), std::string::npos);
  EXPECT_NE(loaded.status().message().find("does not exist"), std::string::npos);
}

TEST_F(CoordinatorTest, SelfCommittingKeepsTheNewestCheckpointsOfEveryRun) {
  // Each run of a files pipeline writes under its own run id; older runs' checkpoints
  // are superseded as well.
  for (const char* writer : {"run-a", "run-b", "run-c"}) {
    auto c = Open("files pattern=in/*.ndjson", writer);
    for (int i = 0; i < 2; ++i) {
      Checkpoint checkpoint = Epoch(c.get(), c->NextEpoch());
      ASSERT_TRUE(c->Write(checkpoint).ok());
      ASSERT_TRUE(c->Publish(checkpoint).ok());
    }
  }
  const std::vector<std::string> left = CheckpointNames();
  ASSERT_EQ(left.size(), 3u);
  EXPECT_EQ(left[0], CheckpointStore::NameFor(4, "run-b"));
  EXPECT_EQ(left[2], CheckpointStore::NameFor(6, "run-c"));
}

}  // namespace
}  // namespace sluice
