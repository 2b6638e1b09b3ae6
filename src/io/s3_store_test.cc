// S3ObjectStore against a real S3-compatible server: MinIO from scripts/s3-dev.sh, whose
// address `make test` passes in SLUICE_TEST_S3_ENDPOINT (tests are skipped without it,
// and fail instead when SLUICE_TEST_S3_REQUIRED is set, as in `make test`).
#include "io/s3_store.h"

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include <arrow/buffer.h>
#include <arrow/filesystem/s3fs.h>
#include <gtest/gtest.h>

#include "io/object_store_contract.h"
#include "io/storage.h"

namespace sluice {
namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

// Shuts Arrow's S3 support down after the last test (before static destruction).
class ShutdownS3AtExit : public ::testing::Environment {
 public:
  void TearDown() override { ShutdownS3(); }
};
[[maybe_unused]] auto* const kShutdownS3 = ::testing::AddGlobalTestEnvironment(new ShutdownS3AtExit);

class S3StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = EnvOr("SLUICE_TEST_S3_ENDPOINT", "");
    if (endpoint_.empty()) {
      if (std::getenv("SLUICE_TEST_S3_REQUIRED")) FAIL() << "SLUICE_TEST_S3_ENDPOINT is not set";
      GTEST_SKIP() << "no S3 server: set SLUICE_TEST_S3_ENDPOINT (scripts/s3-dev.sh start)";
    }
    config_.endpoint = endpoint_;
    config_.access_key_id = EnvOr("SLUICE_TEST_S3_ACCESS_KEY", "sluice-test");
    config_.secret_access_key = EnvOr("SLUICE_TEST_S3_SECRET_KEY", "sluice-test-secret");
    config_.retry_timeout = std::chrono::seconds(2);
    prefix_ = "store-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name();
    admin_ = Admin();
    ASSERT_TRUE(admin_->CreateDir(kBucket).ok());
  }

  // A filesystem of its own for checking what the bucket shows (and making buckets).
  std::shared_ptr<arrow::fs::S3FileSystem> Admin() {
    EXPECT_TRUE(arrow::fs::EnsureS3Initialized().ok());
    arrow::fs::S3Options options;
    options.ConfigureAccessKey(config_.access_key_id, config_.secret_access_key);
    options.scheme = "http";
    options.endpoint_override = endpoint_.substr(endpoint_.find("://") + 3);
    options.allow_bucket_creation = options.allow_bucket_deletion = true;
    return arrow::fs::S3FileSystem::Make(options).ValueOrDie();
  }

  std::string Uri(const std::string& bucket = kBucket) const { return "s3://" + bucket + "/" + prefix_; }
  arrow::fs::FileType TypeOf(const std::string& relative) {
    return admin_->GetFileInfo(std::string(kBucket) + "/" + prefix_ + "/" + relative).ValueOrDie().type();
  }
  static std::string RandomBytes(int64_t size) {
    std::mt19937_64 random(42);
    std::string out(static_cast<size_t>(size), '\0');
    for (auto& c : out) c = static_cast<char>(random());
    return out;
  }
  void WriteInPieces(StagedFile* file, const std::string& data) {
    for (size_t at = 0; at < data.size(); at += 65536) {
      ASSERT_TRUE(file->stream()->Write(data.data() + at, std::min<size_t>(65536, data.size() - at)).ok());
    }
  }
  std::string ReadBack(const std::string& relative) {
    auto input = admin_->OpenInputFile(std::string(kBucket) + "/" + prefix_ + "/" + relative).ValueOrDie();
    auto buffer = input->Read(input->GetSize().ValueOrDie()).ValueOrDie();
    return buffer->ToString();
  }

  static constexpr char kBucket[] = "sluice-unit";
  std::string endpoint_;
  std::string prefix_;
  S3Config config_;
  std::shared_ptr<arrow::fs::S3FileSystem> admin_;
};

TEST_F(S3StoreTest, ASmallFileAppearsWholeOnCommit) {
  Storage storage(config_);
  auto store = storage.Open(Uri()).ValueOrDie();
  EXPECT_EQ(store->FullPath("raw/part-1.parquet"), Uri() + "/raw/part-1.parquet");
  auto file = store->Create("raw/year=2025/part-1.parquet").ValueOrDie();
  const std::string data = RandomBytes(1000);
  WriteInPieces(file.get(), data);
  ASSERT_TRUE(file->stream()->Close().ok());  // as a Parquet writer does: publishes nothing
  EXPECT_EQ(file->bytes_written(), 1000);
  EXPECT_EQ(TypeOf("raw/year=2025/part-1.parquet"), arrow::fs::FileType::NotFound);
  ASSERT_TRUE(file->Commit().status().ok());
  EXPECT_EQ(ReadBack("raw/year=2025/part-1.parquet"), data);
  // No directory marker objects: the prefix holds exactly the file.
  arrow::fs::FileSelector all;
  all.base_dir = std::string(kBucket) + "/" + prefix_;
  all.recursive = true;
  int files = 0;
  for (const auto& info : admin_->GetFileInfo(all).ValueOrDie()) files += info.IsFile();
  EXPECT_EQ(files, 1);
  auto stats = storage.s3_stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->objects, 1);
  EXPECT_EQ(stats->bytes, 1000);
}

TEST_F(S3StoreTest, KeepsTheFileOperationsContract) {
  Storage storage(config_);
  auto store = storage.Open(Uri()).ValueOrDie();
  CheckFileOperations(*store);
  // Arrow's S3 filesystem keeps a marker object for a directory it empties; staging is
  // one flat directory, so no marker accumulates per epoch or partition.
  arrow::fs::FileSelector selector;
  selector.base_dir = std::string(kBucket) + "/" + prefix_;
  selector.recursive = true;
  selector.allow_not_found = true;
  auto left = admin_->GetFileInfo(selector).ValueOrDie();
  std::vector<std::string> paths;
  for (const auto& info : left) paths.push_back(info.path().substr(selector.base_dir.size() + 1));
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"_staging", "year=2025"}));
}

TEST_F(S3StoreTest, ALargeFileIsVisibleOnlyWhenItsMultipartUploadCompletes) {
  Storage storage(config_);
  auto store = storage.Open(Uri()).ValueOrDie();
  auto file = store->Create("big.parquet").ValueOrDie();
  const std::string data = RandomBytes(25 << 20);  // two full parts and a last one
  WriteInPieces(file.get(), data);
  // The first parts are uploading or uploaded; the object does not exist yet.
  EXPECT_EQ(TypeOf("big.parquet"), arrow::fs::FileType::NotFound);
  ASSERT_TRUE(file->Commit().status().ok());
  EXPECT_EQ(ReadBack("big.parquet"), data);
  EXPECT_EQ(storage.s3_stats()->bytes, 25 << 20);
  EXPECT_GE(storage.s3_stats()->peak_buffered, 10 << 20);
}

TEST_F(S3StoreTest, UploadsNeverHoldMoreThanTheBuffer) {
  S3Config small = config_;
  small.upload_buffer = kS3PartSize;  // one part waiting or in flight at a time
  small.max_uploads = 1;
  Storage storage(small);
  auto store = storage.Open(Uri()).ValueOrDie();
  const std::string first = RandomBytes(45 << 20), second = RandomBytes(3 << 20);
  auto a = store->Create("a.parquet").ValueOrDie();
  auto b = store->Create("b.parquet").ValueOrDie();
  WriteInPieces(a.get(), first);  // each full part waits for the one before it
  WriteInPieces(b.get(), second);
  auto a_visible = a->Commit();
  auto b_visible = b->Commit();
  ASSERT_TRUE(a_visible.status().ok());
  ASSERT_TRUE(b_visible.status().ok());
  EXPECT_EQ(ReadBack("a.parquet"), first);
  EXPECT_EQ(ReadBack("b.parquet"), second);
  EXPECT_EQ(storage.s3_stats()->peak_buffered, kS3PartSize);
  EXPECT_EQ(storage.s3_stats()->objects, 2);
}

TEST_F(S3StoreTest, AbortedAndAbandonedFilesLeaveNothing) {
  {
    Storage storage(config_);
    auto store = storage.Open(Uri()).ValueOrDie();
    auto aborted = store->Create("aborted.parquet").ValueOrDie();
    WriteInPieces(aborted.get(), RandomBytes(15 << 20));
    ASSERT_TRUE(aborted->Abort().ok());
    auto abandoned = store->Create("abandoned.parquet").ValueOrDie();
    WriteInPieces(abandoned.get(), RandomBytes(12 << 20));
  }  // every upload task has run when the last store is gone
  EXPECT_EQ(TypeOf("aborted.parquet"), arrow::fs::FileType::NotFound);
  EXPECT_EQ(TypeOf("abandoned.parquet"), arrow::fs::FileType::NotFound);
}

TEST_F(S3StoreTest, AFailedUploadFailsTheCommitAndShowsNothing) {
  const std::string bucket = "sluice-unit-doomed-" + std::to_string(::getpid());
  ASSERT_TRUE(admin_->CreateDir(bucket).ok());
  Storage storage(config_);
  auto store = storage.Open(Uri(bucket)).ValueOrDie();
  auto file = store->Create("lost.parquet").ValueOrDie();
  WriteInPieces(file.get(), RandomBytes(1000));
  ASSERT_TRUE(admin_->DeleteDir(bucket).ok());
  auto published = file->Commit().status();
  ASSERT_FALSE(published.ok());
  EXPECT_NE(published.message().find("cannot publish " + Uri(bucket) + "/lost.parquet: bucket '" + bucket +
                                     "' does not exist"),
            std::string::npos)
      << published.message();
}

TEST_F(S3StoreTest, AFileWhosePublishingFailsIsNeverCompletedLater) {
  // Parts went up; then the endpoint is found unreachable: the commit fails and the
  // multipart upload is aborted, not completed by Arrow's stream when it is destroyed.
  auto connection = S3Connection::Make(config_, kBucket).ValueOrDie();
  auto store = S3ObjectStore::Open(Uri(), connection).ValueOrDie();
  auto file = store->Create("half.parquet").ValueOrDie();
  WriteInPieces(file.get(), RandomBytes(15 << 20));
  // The first part is uploaded (its task has finished) before the endpoint "goes away".
  for (int i = 0; i < 1000 && connection->uploads()->stats().tasks < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(connection->uploads()->stats().tasks, 1);
  (void)connection->Explain(
      arrow::Status::IOError("AWS Error NETWORK_CONNECTION during UploadPart operation"), "cannot upload",
      Uri() + "/other.parquet");
  auto published = file->Commit().status();
  EXPECT_TRUE(published.IsIOError()) << published.ToString();
  file.reset();
  store.reset();
  connection.reset();
  EXPECT_EQ(TypeOf("half.parquet"), arrow::fs::FileType::NotFound);
}

TEST_F(S3StoreTest, StartUpErrorsNameTheBucketAndTheFixButNoSecret) {
  {
    Storage storage(config_);
    auto missing = storage.Open(Uri("no-such-bucket-here"));
    ASSERT_TRUE(missing.status().IsInvalid());
    EXPECT_NE(missing.status().message().find("bucket 'no-such-bucket-here' does not exist at " + endpoint_),
              std::string::npos)
        << missing.status().message();
  }
  S3Config wrong = config_;
  wrong.secret_access_key = "not-the-secret-0123456789";
  Storage storage(wrong);
  auto refused = storage.Open(Uri());
  ASSERT_TRUE(refused.status().IsInvalid());
  EXPECT_NE(refused.status().message().find("refused the credentials"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("SIGNATURE_DOES_NOT_MATCH"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("not-the-secret"), std::string::npos);
}

TEST_F(S3StoreTest, AnUnreachableEndpointFailsAfterTheRetryTimeout) {
  S3Config nowhere = config_;
  nowhere.endpoint = "http://127.0.0.1:1";
  nowhere.retry_timeout = std::chrono::seconds(1);
  Storage storage(nowhere);
  const auto start = std::chrono::steady_clock::now();
  auto opened = storage.Open(Uri());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(opened.status().IsIOError());
  EXPECT_NE(opened.status().message().find("http://127.0.0.1:1 did not answer for 1 second"),
            std::string::npos)
      << opened.status().message();
  EXPECT_GE(seconds, 0.3);  // retried with backoff (planned waits 100+200+400 ms, jittered)
  EXPECT_GT(storage.s3_stats()->retries, 0);
}

}  // namespace
}  // namespace sluice
