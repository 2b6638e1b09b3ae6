#include "io/local_store.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "io/object_store_contract.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sluice_store_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(LocalObjectStoreTest, FilesAppearOnlyOnCommit) {
  auto store = LocalObjectStore::Open(root_.string()).ValueOrDie();
  auto file = store->Create("raw/year=2025/part-1.parquet").ValueOrDie();
  ASSERT_TRUE(file->stream()->Write("hello", 5).ok());
  EXPECT_FALSE(fs::exists(root_ / "raw/year=2025/part-1.parquet"));
  EXPECT_TRUE(fs::exists(root_ / "raw/year=2025/.part-1.parquet.inprogress"));
  EXPECT_EQ(file->bytes_written(), 5);
  ASSERT_TRUE(file->Commit().status().ok());
  EXPECT_TRUE(fs::exists(root_ / "raw/year=2025/part-1.parquet"));
  EXPECT_FALSE(fs::exists(root_ / "raw/year=2025/.part-1.parquet.inprogress"));
  EXPECT_EQ(fs::file_size(root_ / "raw/year=2025/part-1.parquet"), 5u);
}

TEST_F(LocalObjectStoreTest, KeepsTheFileOperationsContract) {
  auto store = LocalObjectStore::Open(root_.string()).ValueOrDie();
  CheckFileOperations(*store);
}

TEST_F(LocalObjectStoreTest, AbortAndDestructionLeaveNothing) {
  auto store = LocalObjectStore::Open(root_.string()).ValueOrDie();
  {
    auto dropped = store->Create("a/x.parquet").ValueOrDie();
    ASSERT_TRUE(dropped->stream()->Write("x", 1).ok());
  }
  auto aborted = store->Create("a/y.parquet").ValueOrDie();
  ASSERT_TRUE(aborted->Abort().ok());
  EXPECT_TRUE(fs::is_empty(root_ / "a"));
}

}  // namespace
}  // namespace sluice
