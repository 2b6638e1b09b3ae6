#include "source/file_source.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace sluice {
namespace {

namespace fs = std::filesystem;

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice_files_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Write(const std::string& name, const std::string& content) { std::ofstream(dir_ / name) << content; }

  // Every record as "file:line:text", reading `per_batch` records at a time.
  std::vector<std::string> ReadAll(FileSource* source, int64_t per_batch) {
    std::vector<std::string> out;
    RawBatch batch;
    while (source->Next(per_batch, Duration(0), &batch).ValueOrDie()) {
      EXPECT_LE(static_cast<int64_t>(batch.size()), per_batch);
      for (size_t i = 0; i < batch.size(); ++i) {
        out.push_back(fs::path(batch.source_name(i)).filename().string() + ":" +
                      std::to_string(batch.position(i).offset.value()) + ":" + std::string(batch.record(i)));
      }
    }
    return out;
  }

  fs::path dir_;
  ManualClock clock_{0};
};

TEST_F(FileSourceTest, LinesInFileOrderWithLineNumbers) {
  Write("b.ndjson", "\xEF\xBB\xBF{\"n\":3}\n");       // a byte order mark
  Write("a.ndjson", "{\"n\":1}\r\n\n  \n{\"n\":2}");  // CRLF, blank lines, no final newline
  Write("c.txt", "ignored\n");
  for (int64_t per_batch : {1, 2, 1000}) {
    auto source = FileSource::Make({(dir_ / "*.ndjson").string()}, &clock_).ValueOrDie();
    EXPECT_EQ(
        ReadAll(source.get(), per_batch),
        (std::vector<std::string>{"a.ndjson:1:{\"n\":1}", "a.ndjson:4:{\"n\":2}", "b.ndjson:1:{\"n\":3}"}))
        << per_batch;
    EXPECT_EQ(source->stats().records, 3);
  }
}

TEST_F(FileSourceTest, LongLinesAcrossReadChunks) {
  std::string long_line(9 << 20, 'x');
  Write("big.ndjson", "first\n" + long_line + "\nlast\n");
  auto source = FileSource::Make({(dir_ / "big.ndjson").string()}, &clock_).ValueOrDie();
  auto records = ReadAll(source.get(), 10);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].size(), long_line.size() + std::string("big.ndjson:2:").size());
  EXPECT_EQ(records[2], "big.ndjson:3:last");
}

TEST_F(FileSourceTest, GzipFiles) {
  std::string path = (dir_ / "landing.ndjson.gz").string();
  gzFile gz = gzopen(path.c_str(), "wb");
  std::string content = "{\"a\":1}\n{\"a\":2}\n";
  gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
  gzclose(gz);
  auto source = FileSource::Make({path}, &clock_).ValueOrDie();
  EXPECT_EQ(ReadAll(source.get(), 10),
            (std::vector<std::string>{"landing.ndjson.gz:1:{\"a\":1}", "landing.ndjson.gz:2:{\"a\":2}"}));
}

TEST_F(FileSourceTest, NoMatchIsAClearError) {
  auto st = FileSource::Make({(dir_ / "nothing-*.ndjson").string()}, &clock_);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("no file matches"), std::string::npos);
}

TEST_F(FileSourceTest, FollowPicksUpNewFiles) {
  Write("1.ndjson", "one\n");
  FileSourceOptions options{(dir_ / "*.ndjson").string(), /*follow=*/true, Duration(0)};
  auto source = FileSource::Make(options, &clock_).ValueOrDie();
  RawBatch batch;
  ASSERT_TRUE(source->Next(10, Duration(0), &batch).ValueOrDie());
  EXPECT_EQ(batch.size(), 1u);
  ASSERT_TRUE(source->Next(10, Duration(0), &batch).ValueOrDie());  // nothing new, still open
  EXPECT_EQ(batch.size(), 0u);
  Write("2.ndjson", "two\n");
  clock_.Advance(1);
  ASSERT_TRUE(source->Next(10, Duration(0), &batch).ValueOrDie());
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.record(0), "two");
}

TEST_F(FileSourceTest, ResumesAfterTheLastConsumedLineOfEveryFile) {
  Write("a.ndjson", "a1\n\na3\na4\n");
  Write("b.ndjson", "b1\r\nb2\nb3");
  {
    std::string path = (dir_ / "c.ndjson.gz").string();
    gzFile gz = gzopen(path.c_str(), "wb");
    const std::string content = "c1\nc2\nc3\n";
    gzwrite(gz, content.data(), static_cast<unsigned>(content.size()));
    gzclose(gz);
  }
  const std::string pattern = (dir_ / "*.ndjson*").string();
  auto whole = FileSource::Make({pattern}, &clock_).ValueOrDie();
  const std::vector<std::string> expected = ReadAll(whole.get(), 1000);
  ASSERT_EQ(expected.size(), 9u);
  // Stop after every possible record, resume in a new source: the same records, once.
  for (size_t stop = 0; stop <= expected.size(); ++stop) {
    auto first = FileSource::Make({pattern}, &clock_).ValueOrDie();
    std::vector<std::string> got;
    RawBatch batch;
    while (got.size() < stop && first->Next(1, Duration(0), &batch).ValueOrDie()) {
      for (size_t i = 0; i < batch.size(); ++i) {
        got.push_back(fs::path(batch.source_name(i)).filename().string() + ":" +
                      std::to_string(batch.position(i).offset.value()) + ":" + std::string(batch.record(i)));
      }
    }
    const std::vector<FilePosition> positions = first->FilePositions();
    auto second = FileSource::Make({pattern}, &clock_).ValueOrDie();
    ASSERT_TRUE(second->ResumeFiles(positions).ok());
    for (auto& record : ReadAll(second.get(), 2)) got.push_back(record);
    EXPECT_EQ(got, expected) << "stopped after " << stop << " records";
    // Positions carry over a resumed source that read nothing.
    auto idle = FileSource::Make({pattern}, &clock_).ValueOrDie();
    ASSERT_TRUE(idle->ResumeFiles(positions).ok());
    auto again = idle->FilePositions();
    EXPECT_EQ(again.size(), positions.size());
  }
}

TEST_F(FileSourceTest, AResumedFileThatShrankIsAnError) {
  Write("a.ndjson", "a1\na2\n");
  auto source = FileSource::Make({(dir_ / "*.ndjson").string()}, &clock_).ValueOrDie();
  ASSERT_TRUE(source->ResumeFiles({{(dir_ / "a.ndjson").string(), 5, 100, false}}).ok());
  RawBatch batch;
  auto next = source->Next(10, Duration(0), &batch);
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.status().message().find("files must not change"), std::string::npos);
}

}  // namespace
}  // namespace sluice
