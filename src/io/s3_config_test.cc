#include "io/s3_config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "io/s3_connection.h"
#include "io/s3_retry.h"

namespace sluice {
namespace {

TEST(S3Config, ComesFromTheStandardVariablesOfTheEnvironmentAndDotEnv) {
  auto dotenv = std::filesystem::temp_directory_path() / ("sluice_s3_" + std::to_string(::getpid()) + ".env");
  std::ofstream(dotenv) << "AWS_ENDPOINT=http://minio:9000\nAWS_ACCESS_KEY_ID=from-dotenv\n"
                           "AWS_SECRET_ACCESS_KEY=dotenv-secret\nAWS_DEFAULT_REGION=eu-west-1\n";
  Environment env;
  ASSERT_TRUE(env.LoadDotEnv(dotenv.string()).ok());
  setenv("AWS_ENDPOINT_URL", "http://override:9000", 1);
  S3Config config = S3ConfigFromEnvironment(env);
  unsetenv("AWS_ENDPOINT_URL");
  std::filesystem::remove(dotenv);
  EXPECT_EQ(config.endpoint, "http://override:9000");  // AWS_ENDPOINT_URL before seed 000's AWS_ENDPOINT
  EXPECT_EQ(config.endpoint_origin, "AWS_ENDPOINT_URL");
  EXPECT_EQ(config.access_key_id, "from-dotenv");
  EXPECT_EQ(config.credentials_origin, "AWS_ACCESS_KEY_ID");
  EXPECT_EQ(config.secret_access_key, "dotenv-secret");
  EXPECT_EQ(config.region, "eu-west-1");
  EXPECT_TRUE(ValidateS3Config(config).ok());
}

// Static keys with a secret and a session token, for an endpoint that is never asked.
S3Config WithSecrets(const std::string& endpoint) {
  S3Config config;
  config.endpoint = endpoint;
  config.access_key_id = "AKIAEXAMPLE";
  config.secret_access_key = "wJalrXUtnFEMI-the-secret";
  config.session_token = "FwoGZX-the-token";
  config.credentials_origin = "AWS_ACCESS_KEY_ID";
  return config;
}

TEST(S3Config, DescribeNeverShowsASecret) {
  S3Config config = WithSecrets("http://127.0.0.1:9000");
  const std::string text = config.Describe();
  EXPECT_EQ(text,
            "endpoint http://127.0.0.1:9000 (path-style), region us-east-1, keys from AWS_ACCESS_KEY_ID; "
            "4 uploads at once, 64 MiB buffer, retries for 2 minutes");
  config.endpoint.clear();
  config.access_key_id.clear();
  EXPECT_EQ(config.Describe(),
            "AWS (virtual-hosted), region of the bucket, credentials from the AWS credential chain; "
            "4 uploads at once, 64 MiB buffer, retries for 2 minutes");
}

TEST(S3Config, ValidationNamesTheSettingAndTheFix) {
  S3Config config;
  config.endpoint = "minio:9000";
  config.endpoint_origin = "AWS_ENDPOINT";
  EXPECT_EQ(
      ValidateS3Config(config).message(),
      "AWS_ENDPOINT: the S3 endpoint 'minio:9000' needs http:// or https://, e.g. http://127.0.0.1:9000 "
      "for a local MinIO");
  config.endpoint = "http://minio:9000/bucket";
  EXPECT_NE(ValidateS3Config(config).message().find("without a path"), std::string::npos);
  config.endpoint = "https://minio.example.com/";
  EXPECT_TRUE(ValidateS3Config(config).ok());
  config.access_key_id = "key";
  EXPECT_NE(ValidateS3Config(config).message().find("AWS_SECRET_ACCESS_KEY / secret_access_key is missing"),
            std::string::npos);
}

TEST(S3Config, ParsesBucketAndPrefix) {
  auto location = ParseS3Uri("s3://my-lake/iot/raw/").ValueOrDie();
  EXPECT_EQ(location.bucket, "my-lake");
  EXPECT_EQ(location.prefix, "iot/raw");
  EXPECT_EQ(ParseS3Uri("s3://my-lake").ValueOrDie().prefix, "");
  EXPECT_NE(ParseS3Uri("s3://My_Lake/x").status().message().find("not a valid bucket name"),
            std::string::npos);
  EXPECT_FALSE(ParseS3Uri("s3:///x").ok());
  EXPECT_FALSE(ParseS3Uri("s3://lake/a//b").ok());
}

TEST(S3Errors, AreClassifiedFromArrowsMessages) {
  // Messages as Arrow's S3 filesystem words them (seen against MinIO).
  auto kind = [](const std::string& message) { return ClassifyS3Error(arrow::Status::IOError(message)); };
  EXPECT_EQ(kind("When listing objects under key 'x/' in bucket 'b': AWS Error INVALID_ACCESS_KEY_ID during "
                 "ListObjectsV2 operation: The Access Key Id you provided does not exist in our records."),
            S3ErrorKind::kCredentials);
  EXPECT_EQ(kind("AWS Error SIGNATURE_DOES_NOT_MATCH during ListObjectsV2 operation: The request signature"),
            S3ErrorKind::kCredentials);
  EXPECT_EQ(
      kind("When getting information for bucket 'b': AWS Error ACCESS_DENIED during HeadBucket operation: "
           "No response body."),
      S3ErrorKind::kAccessDenied);
  EXPECT_EQ(kind("AWS Error NO_SUCH_BUCKET during CreateMultipartUpload operation: The specified bucket does "
                 "not exist"),
            S3ErrorKind::kNoSuchBucket);
  EXPECT_EQ(kind("AWS Error NETWORK_CONNECTION during PutObject operation: curlCode: 7, Could not connect"),
            S3ErrorKind::kUnreachable);
  EXPECT_EQ(kind("AWS Error SLOW_DOWN during UploadPart operation"), S3ErrorKind::kUnreachable);
  EXPECT_EQ(kind("AWS Error NO_SUCH_UPLOAD during CompleteMultipartUpload operation"),
            S3ErrorKind::kNoSuchUpload);
  EXPECT_EQ(
      kind("AWS Error UNKNOWN (HTTP status 403) during ListObjectsV2 operation: Unable to parse "
           "ExceptionName: InvalidTokenId Message: The security token included in the request is invalid"),
      S3ErrorKind::kCredentials);
  EXPECT_EQ(kind("AWS Error UNKNOWN (HTTP status 403) during PutObject operation: Forbidden"),
            S3ErrorKind::kAccessDenied);
  EXPECT_EQ(kind("AWS Error UNKNOWN (HTTP status 502) during PutObject operation"),
            S3ErrorKind::kUnreachable);
  EXPECT_EQ(kind("Path does not exist"), S3ErrorKind::kOther);
  // Keys hold user data: only what Arrow says after "AWS Error" counts.
  EXPECT_EQ(kind("When uploading part for key 'raw/kind=ExpiredToken/AWS Error ACCESS_DENIED/p.parquet' in "
                 "bucket 'b': AWS Error NETWORK_CONNECTION during UploadPart operation: curlCode: 28"),
            S3ErrorKind::kUnreachable);
}

TEST(S3RetryPolicy, RetriesTransientErrorsWithBackoffUntilTheTimeout) {
  ManualClock clock(1'000'000);
  S3RetryPolicy policy(std::chrono::seconds(5), {}, &clock);
  arrow::fs::S3RetryStrategy::AWSErrorDetail transient{0, "curlCode: 7", "", true};
  arrow::fs::S3RetryStrategy::AWSErrorDetail denied{15, "Access Denied", "AccessDenied", false};
  EXPECT_FALSE(policy.ShouldRetry(denied, 0));
  // Instant failures: the planned waits 100, 200, 400, 800, 1600, 2000 ms ... are
  // retried while they add up to 5 s.
  int retried = 0;
  while (policy.ShouldRetry(transient, retried)) ++retried;
  EXPECT_EQ(retried, 5);  // 100+200+400+800+1600 = 3100; +2000 = 5100 > 5000
  EXPECT_EQ(policy.retries(), 5);
  for (int attempt = 0; attempt < 8; ++attempt) {
    int64_t delay = policy.CalculateDelayBeforeNextRetry(transient, attempt);
    EXPECT_GE(delay, S3RetryPolicy::BackoffMillis(attempt) / 2);
    EXPECT_LE(delay, S3RetryPolicy::BackoffMillis(attempt));
  }
  EXPECT_EQ(S3RetryPolicy::BackoffMillis(40), 2000);
  arrow::fs::S3RetryStrategy::AWSErrorDetail starting{99, "Server not initialized",
                                                      "XMinioServerNotInitialized", false};
  EXPECT_TRUE(policy.ShouldRetry(starting, 0));
}

TEST(S3RetryPolicy, SlowAttemptsCountAgainstTheTimeout) {
  ManualClock clock(1'000'000);
  S3RetryPolicy policy(std::chrono::seconds(5), {}, &clock);
  arrow::fs::S3RetryStrategy::AWSErrorDetail timeout{0, "Request timeout", "", true};
  // Each attempt takes 2 s (a timed-out connection): after the first failure the
  // retries stop once 5 s have passed, whatever the planned waits say.
  int retried = 0;
  while (policy.ShouldRetry(timeout, retried)) {
    ++retried;
    clock.Advance(2'000'000);
  }
  EXPECT_EQ(retried, 3);  // after failures at 0, 2 and 4 s; not after the one at 6 s
}

TEST(S3Connection, ExplainsErrorsWithoutSecrets) {
  auto connection =
      S3Connection::Make(WithSecrets("http://127.0.0.1:1"), "lake").ValueOrDie();  // no request yet
  auto explained = connection->Explain(
      arrow::Status::IOError("When listing objects under key 'x/' in bucket 'lake': AWS Error ACCESS_DENIED "
                             "during ListObjectsV2 operation: denied for wJalrXUtnFEMI-the-secret and "
                             "FwoGZX-the-token"),
      "cannot write", "s3://lake/x");
  EXPECT_TRUE(explained.IsInvalid());
  EXPECT_EQ(explained.message().find("the-secret"), std::string::npos) << explained.message();
  EXPECT_EQ(explained.message().find("the-token"), std::string::npos) << explained.message();
  EXPECT_NE(explained.message().find("cannot write s3://lake/x: access denied by http://127.0.0.1:1"),
            std::string::npos)
      << explained.message();
  EXPECT_TRUE(connection->Unreachable().ok());
  auto unreachable = connection->Explain(
      arrow::Status::IOError("AWS Error NETWORK_CONNECTION during PutObject operation: curlCode: 7"),
      "cannot upload", "s3://lake/x/a.parquet");
  EXPECT_TRUE(unreachable.IsIOError());
  EXPECT_EQ(connection->Unreachable().message(), unreachable.message());  // later uploads fail at once
}

}  // namespace
}  // namespace sluice
