#include "sink/parquet_sink.h"

#include <filesystem>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>

#include "io/local_store.h"
#include "schema/schema.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

class ParquetSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("sluice_parquet_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    store_ = LocalObjectStore::Open(root_.string()).ValueOrDie();
    schema_ = arrow::schema({arrow::field("t", TimestampType()), arrow::field("v", arrow::float64())});
  }
  void TearDown() override { fs::remove_all(root_); }

  std::shared_ptr<arrow::RecordBatch> Batch(const std::string& times, const std::string& values) {
    auto t = arrow::json::ArrayFromJSONString(TimestampType(), times).ValueOrDie();
    auto v = arrow::json::ArrayFromJSONString(arrow::float64(), values).ValueOrDie();
    return arrow::RecordBatch::Make(schema_, t->length(), {t, v});
  }

  std::vector<fs::path> Files(const std::string& extension) {
    std::vector<fs::path> out;
    for (auto& e : fs::recursive_directory_iterator(root_)) {
      std::string name = e.path().filename().string();
      if (e.is_regular_file() && name.size() >= extension.size() &&
          name.compare(name.size() - extension.size(), extension.size(), extension) == 0) {
        out.push_back(e.path());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::shared_ptr<arrow::Table> Read(const fs::path& path) {
    auto input = arrow::io::ReadableFile::Open(path.string()).ValueOrDie();
    auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
    return reader->ReadTable().ValueOrDie();
  }

  fs::path root_;
  std::shared_ptr<ObjectStore> store_;
  std::shared_ptr<arrow::Schema> schema_;
  ManualClock clock_{0};
};

TEST_F(ParquetSinkTest, StagedFilesStayUnderTheirStagedNamesAndAreListed) {
  ParquetSinkOptions options;
  options.partition_by = {{"hour", "date_format(t, '%H')", ""}};
  auto sink = ParquetSink::Make("raw", store_, "", schema_, options, "run1", &clock_).ValueOrDie();
  sink->StageUnder([](const std::string& path) { return "_staging/e1." + path + ".staged"; });
  ASSERT_TRUE(sink->Write(Batch("[1753712254000000, 1753715854000000]", "[1.5, 2.5]")).ok());
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_TRUE(Files(".parquet").empty());
  auto staged = sink->TakeStaged();
  ASSERT_EQ(staged.size(), 2u);
  EXPECT_EQ(staged[0].output, "raw");
  EXPECT_EQ(staged[0].final, "hour=14/part-run1-000001.parquet");
  EXPECT_EQ(staged[0].staged, "_staging/e1.hour=14/part-run1-000001.parquet.staged");
  EXPECT_EQ(staged[0].rows, 1);
  EXPECT_GT(staged[0].bytes, 0);
  EXPECT_TRUE(sink->TakeStaged().empty());
  ASSERT_TRUE(store_->Move(staged[1].staged, staged[1].final).ok());
  EXPECT_EQ(Read(root_ / staged[1].final)->num_rows(), 1);
  EXPECT_EQ(sink->stats().rows, 2);
}

TEST_F(ParquetSinkTest, PartitionedFilesAppearOnFlushAndReadBack) {
  ParquetSinkOptions options;
  options.partition_by = {{"day", "date_format(t, '%d')", ""}, {"hour", "date_format(t, '%H')", ""}};
  auto sink = ParquetSink::Make("raw", store_, "raw", schema_, options, "run1", &clock_).ValueOrDie();
  ASSERT_TRUE(sink->Write(Batch("[1753712254000000, 1753715854000000]", "[1.5, 2.5]")).ok());
  ASSERT_TRUE(sink->Write(Batch("[1753712255000000]", "[3.5]")).ok());
  EXPECT_TRUE(Files(".parquet").empty());
  EXPECT_EQ(Files(".inprogress").size(), 2u);
  EXPECT_EQ(sink->stats().rows, 0);  // rows count once their file is visible
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_TRUE(Files(".inprogress").empty());
  auto files = Files(".parquet");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].string(), (root_ / "raw/day=28/hour=14/part-run1-000001.parquet").string());
  EXPECT_EQ(files[1].string(), (root_ / "raw/day=28/hour=15/part-run1-000002.parquet").string());
  auto table = Read(files[0]);
  EXPECT_EQ(table->num_rows(), 2);
  EXPECT_TRUE(table->schema()->field(0)->type()->Equals(*TimestampType()));
  EXPECT_EQ(sink->stats().rows, 3);
  EXPECT_EQ(sink->stats().files, 2);
  EXPECT_GT(sink->stats().bytes, 0);
}

TEST_F(ParquetSinkTest, RollsByRowsAndKeepsRowGroupSize) {
  ParquetSinkOptions options;
  options.file_max_rows = 3;
  options.row_group_rows = 2;
  auto sink = ParquetSink::Make("raw", store_, "raw", schema_, options, "r", &clock_).ValueOrDie();
  ASSERT_TRUE(sink->Write(Batch("[1,2,3,4,5,6,7]", "[1,2,3,4,5,6,7]")).ok());
  EXPECT_EQ(Files(".parquet").size(), 2u);  // two full files complete at once
  ASSERT_TRUE(sink->Close().ok());
  auto files = Files(".parquet");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(Read(files[0])->num_rows(), 3);
  EXPECT_EQ(Read(files[2])->num_rows(), 1);
  auto input = arrow::io::ReadableFile::Open(files[0].string()).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
  EXPECT_EQ(reader->num_row_groups(), 2);
}

TEST_F(ParquetSinkTest, RollsByAgeOnTick) {
  ParquetSinkOptions options;
  options.file_max_age = std::chrono::seconds(30);
  auto sink = ParquetSink::Make("raw", store_, "raw", schema_, options, "r", &clock_).ValueOrDie();
  ASSERT_TRUE(sink->Write(Batch("[1]", "[1]")).ok());
  clock_.Advance(29'000'000);
  ASSERT_TRUE(sink->Tick().ok());
  EXPECT_TRUE(Files(".parquet").empty());
  clock_.Advance(1'000'000);
  ASSERT_TRUE(sink->Tick().ok());
  EXPECT_EQ(sink->stats().files, 1);
}

TEST_F(ParquetSinkTest, PartitionNamedColumnsLiveOnlyInThePath) {
  ParquetSinkOptions options;
  options.partition_by = {{"v", "CAST(v AS int32)", ""}};
  auto sink = ParquetSink::Make("raw", store_, "raw", schema_, options, "r", &clock_).ValueOrDie();
  ASSERT_TRUE(sink->Write(Batch("[1]", "[7]")).ok());
  ASSERT_TRUE(sink->Flush().ok());
  auto files = Files(".parquet");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].parent_path().filename(), "v=7");
  EXPECT_EQ(Read(files[0])->num_columns(), 1);
}

TEST_F(ParquetSinkTest, TooManyOpenFilesCompletesTheLeastRecent) {
  ParquetSinkOptions options;
  options.partition_by = {{"v", "CAST(v AS int32)", ""}};
  options.max_open_files = 2;
  auto sink = ParquetSink::Make("raw", store_, "raw", schema_, options, "r", &clock_).ValueOrDie();
  ASSERT_TRUE(sink->Write(Batch("[1, 2, 3]", "[1, 2, 3]")).ok());
  EXPECT_EQ(sink->stats().files, 1);
  ASSERT_TRUE(sink->Flush().ok());
  EXPECT_EQ(sink->stats().files, 3);
}

}  // namespace
}  // namespace sluice
