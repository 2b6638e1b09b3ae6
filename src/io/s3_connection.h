#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <arrow/filesystem/s3fs.h>
#include <arrow/result.h>
#include <arrow/status.h>

#include "io/s3_config.h"
#include "io/s3_retry.h"
#include "io/upload_queue.h"

namespace sluice {

struct S3Stats {
  int64_t objects = 0;        // files published (visible)
  int64_t bytes = 0;          // bytes of published files
  int64_t retries = 0;        // requests retried after a transient error
  double wait_seconds = 0;    // time the pipeline waited for upload buffer space
  int64_t peak_buffered = 0;  // most bytes waiting for or in upload at once
  int64_t buffered = 0;       // bytes waiting for or in upload now
};

// One S3 endpoint with its credentials, shared by every s3:// output of a run: Arrow's
// S3 filesystem (one HTTP client with its connection pool, background_writes off),
// the retry policy, and the queue that runs uploads in the background within the
// configured buffer (upload_queue.h).
//
// Arrow's S3 support is initialised on first use; ShutdownS3 ends it. Thread-safe.
class S3Connection {
 public:
  // `bucket` is the first bucket the run writes to: without a region or an endpoint,
  // its region is asked of S3 (one HEAD request).
  static arrow::Result<std::shared_ptr<S3Connection>> Make(S3Config config, const std::string& bucket);
  ~S3Connection();

  // Checks at start-up that `location` can be used: the credentials are accepted, the
  // bucket exists and its prefix can be listed. Transient errors are retried for
  // retry_timeout. Errors name the bucket and the fix (Invalid for configuration,
  // IOError for an unreachable endpoint).
  arrow::Status CheckAccess(const S3Location& location, const std::string& uri);

  // Turns an error of Arrow's S3 filesystem while doing `action` ("cannot upload")
  // on `uri` into a message with the cause and the fix. Never contains a secret.
  // An endpoint still unreachable after the retries is remembered: later uploads fail
  // at once with the same error (Unreachable()) instead of retrying each in turn.
  arrow::Status Explain(const arrow::Status& status, const std::string& action, const std::string& uri);
  // OK, or the error that found the endpoint unreachable.
  arrow::Status Unreachable() const;

  const std::shared_ptr<arrow::fs::S3FileSystem>& filesystem() const { return fs_; }
  UploadQueue* uploads() const { return uploads_.get(); }
  const S3Config& config() const { return config_; }

  void CountPublished(int64_t bytes);
  S3Stats stats() const;

 private:
  S3Connection(S3Config config, std::shared_ptr<arrow::fs::S3FileSystem> fs,
               std::shared_ptr<S3RetryPolicy> retry, std::unique_ptr<UploadQueue> uploads);

  const S3Config config_;
  std::shared_ptr<arrow::fs::S3FileSystem> fs_;
  std::shared_ptr<S3RetryPolicy> retry_;
  std::atomic<int64_t> objects_{0};
  std::atomic<int64_t> bytes_{0};
  mutable std::mutex mutex_;
  arrow::Status unreachable_;
  // Declared last, destroyed first: waits for the uploads, which use the members above.
  std::unique_ptr<UploadQueue> uploads_;
};

// Shuts Arrow's S3 support down if it was started. Call once at exit (static
// destruction would crash in the AWS SDK), after every S3Connection is gone.
void ShutdownS3();

// The kind of an error of Arrow's S3 filesystem, from its "AWS Error <NAME>" text.
enum class S3ErrorKind { kCredentials, kAccessDenied, kNoSuchBucket, kNoSuchUpload, kUnreachable, kOther };
S3ErrorKind ClassifyS3Error(const arrow::Status& status);

}  // namespace sluice
