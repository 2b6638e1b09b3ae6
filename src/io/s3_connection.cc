#include "io/s3_connection.h"

#include <algorithm>
#include <mutex>

#include <spdlog/spdlog.h>

#include "common/time_util.h"

namespace sluice {
namespace {

std::mutex g_s3_init_mutex;

arrow::Status EnsureArrowS3() {
  std::lock_guard<std::mutex> lock(g_s3_init_mutex);
  if (arrow::fs::IsS3Initialized()) return arrow::Status::OK();
  if (arrow::fs::IsS3Finalized()) return arrow::Status::Invalid("S3 was already shut down in this process");
  arrow::fs::S3GlobalOptions global = arrow::fs::S3GlobalOptions::Defaults();  // ARROW_S3_LOG_LEVEL
  // A peer closing a connection must fail the request (and be retried), not kill the
  // process with SIGPIPE.
  global.install_sigpipe_handler = true;
  return arrow::fs::InitializeS3(global);
}

}  // namespace

S3ErrorKind ClassifyS3Error(const arrow::Status& status) {
  // Arrow words errors "<what, with bucket and key>: AWS Error <NAME> during <operation>
  // operation: <S3's message>"; keys hold user data, so only what follows the last
  // "AWS Error " counts. For codes the AWS SDK does not know, NAME is "UNKNOWN" and the
  // HTTP status and S3's code follow ("UNKNOWN (HTTP status 403) ... InvalidTokenId").
  const std::string& message = status.message();
  const size_t at = message.rfind("AWS Error ");
  if (at == std::string::npos) return S3ErrorKind::kOther;
  const std::string_view error = std::string_view(message).substr(at + 10);
  const std::string_view name = error.substr(0, error.find_first_of(" :"));
  auto is = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  auto mentions = [&](std::initializer_list<std::string_view> words) {
    for (std::string_view word : words) {
      if (error.find(word) != std::string_view::npos) return true;
    }
    return false;
  };
  if (is({"INVALID_ACCESS_KEY_ID", "SIGNATURE_DOES_NOT_MATCH", "MISSING_AUTHENTICATION_TOKEN",
          "INVALID_CLIENT_TOKEN_ID", "EXPIRED_TOKEN"}) ||
      (name == "UNKNOWN" && mentions({"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidTokenId",
                                      "InvalidToken", "ExpiredToken"}))) {
    return S3ErrorKind::kCredentials;
  }
  if (is({"ACCESS_DENIED"}) || (name == "UNKNOWN" && mentions({"(HTTP status 403)"}))) {
    return S3ErrorKind::kAccessDenied;
  }
  if (is({"NO_SUCH_BUCKET"})) return S3ErrorKind::kNoSuchBucket;
  if (is({"NO_SUCH_UPLOAD"})) return S3ErrorKind::kNoSuchUpload;
  if (is({"NETWORK_CONNECTION", "REQUEST_TIMEOUT", "SERVICE_UNAVAILABLE", "SLOW_DOWN", "THROTTLING",
          "INTERNAL_FAILURE"}) ||
      (name == "UNKNOWN" && mentions({"(HTTP status 5"}))) {
    return S3ErrorKind::kUnreachable;
  }
  return S3ErrorKind::kOther;
}

void ShutdownS3() {
  std::lock_guard<std::mutex> lock(g_s3_init_mutex);
  if (arrow::fs::IsS3Initialized()) (void)arrow::fs::FinalizeS3();
}

arrow::Result<std::shared_ptr<S3Connection>> S3Connection::Make(S3Config config, const std::string& bucket) {
  ARROW_RETURN_NOT_OK(ValidateS3Config(config));
  ARROW_RETURN_NOT_OK(EnsureArrowS3());
  arrow::fs::S3Options options;
  if (config.access_key_id.empty()) {
    options.ConfigureDefaultCredentials();
  } else {
    options.ConfigureAccessKey(config.access_key_id, config.secret_access_key, config.session_token);
  }
  if (!config.endpoint.empty()) {
    ARROW_ASSIGN_OR_RAISE(S3Endpoint endpoint, ParseS3Endpoint(config.endpoint, config.endpoint_origin));
    options.scheme = endpoint.scheme;
    options.endpoint_override = endpoint.host;
  }
  options.region = config.region;
  if (options.region.empty() && config.endpoint.empty()) {
    auto region = arrow::fs::ResolveS3BucketRegion(bucket);
    if (region.ok()) {
      options.region = *region;
    } else {
      spdlog::warn("cannot find the region of bucket '{}' ({}); using us-east-1 (set AWS_REGION)", bucket,
                   RedactSecrets(region.status().message(), config.Secrets()));
    }
  }
  if (options.region.empty()) options.region = "us-east-1";
  if (!config.PathStyle()) options.force_virtual_addressing = true;
  if (config.PathStyle() && config.endpoint.empty()) {
    // Arrow addresses buckets by path whenever an endpoint is given.
    options.endpoint_override = "s3." + options.region + ".amazonaws.com";
  }
  // Uploads run on sluice's own queue, which bounds the bytes they hold; Arrow's
  // background writes would buffer without limit. Delayed open lets files up to one
  // part go up in a single PUT and keeps network requests off the pipeline thread.
  options.background_writes = false;
  options.allow_delayed_open = true;
  options.connect_timeout = 5;
  options.request_timeout = 30;
  auto retry = std::make_shared<S3RetryPolicy>(config.retry_timeout, config.Secrets(), Clock::System());
  options.retry_strategy = retry;
  auto fs = arrow::fs::S3FileSystem::Make(options);
  if (!fs.ok()) return fs.status().WithMessage(RedactSecrets(fs.status().message(), config.Secrets()));
  ARROW_ASSIGN_OR_RAISE(auto uploads, UploadQueue::Make(config.max_uploads, config.upload_buffer));
  return std::shared_ptr<S3Connection>(
      new S3Connection(std::move(config), std::move(*fs), std::move(retry), std::move(uploads)));
}

S3Connection::S3Connection(S3Config config, std::shared_ptr<arrow::fs::S3FileSystem> fs,
                           std::shared_ptr<S3RetryPolicy> retry, std::unique_ptr<UploadQueue> uploads)
    : config_(std::move(config)),
      fs_(std::move(fs)),
      retry_(std::move(retry)),
      uploads_(std::move(uploads)) {}

S3Connection::~S3Connection() = default;

arrow::Status S3Connection::CheckAccess(const S3Location& location, const std::string& uri) {
  // Listing the prefix tells refused credentials apart from missing permissions (a
  // HEAD answer has no body); it succeeds, empty, for a bucket that does not exist.
  arrow::fs::FileSelector selector;
  selector.base_dir = location.FileSystemPath();
  selector.allow_not_found = true;
  selector.recursive = false;
  auto listed = fs_->GetFileInfo(selector);
  if (!listed.ok()) return Explain(listed.status(), "cannot write", uri);
  auto bucket = fs_->GetFileInfo(location.bucket);
  if (!bucket.ok()) return Explain(bucket.status(), "cannot write", uri);
  if (bucket->type() == arrow::fs::FileType::NotFound) {
    return Explain(arrow::Status::IOError("AWS Error NO_SUCH_BUCKET: the bucket does not exist"),
                   "cannot write", uri);
  }
  return arrow::Status::OK();
}

arrow::Status S3Connection::Explain(const arrow::Status& status, const std::string& action,
                                    const std::string& uri) {
  const std::string detail = RedactSecrets(status.message(), config_.Secrets());
  const std::string endpoint = config_.endpoint.empty() ? std::string("AWS S3") : config_.endpoint;
  std::string keys;
  if (config_.access_key_id.empty()) {
    keys =
        "the AWS credential chain (no keys given: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the "
        "environment or .env)";
  } else if (config_.credentials_origin.empty() || config_.credentials_origin.rfind("AWS_", 0) == 0) {
    keys = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (environment or .env)";
  } else {
    keys = "the keys at " + config_.credentials_origin;
  }
  switch (ClassifyS3Error(status)) {
    case S3ErrorKind::kCredentials:
      return arrow::Status::Invalid(action, " ", uri, ": ", endpoint, " refused the credentials (", detail,
                                    "); check ", keys);
    case S3ErrorKind::kAccessDenied:
      return arrow::Status::Invalid(action, " ", uri, ": access denied by ", endpoint, " (", detail,
                                    "); check ", keys,
                                    " and that they may list and write the bucket (s3:ListBucket, "
                                    "s3:PutObject, s3:AbortMultipartUpload)");
    case S3ErrorKind::kNoSuchBucket: {
      auto location = ParseS3Uri(uri);
      const std::string bucket = location.ok() ? location->bucket : uri;
      return arrow::Status::Invalid(action, " ", uri, ": bucket '", bucket, "' does not exist at ", endpoint,
                                    "; create it (aws s3 mb s3://", bucket,
                                    ", mc mb) or correct the output URI",
                                    " (OUTPUT_URI, AWS_S3_BUCKET_DATA)");
    }
    case S3ErrorKind::kUnreachable: {
      auto error = arrow::Status::IOError(
          action, " ", uri, ": ", endpoint, " did not answer for ", FormatDuration(retry_->timeout()), " (",
          detail, "); check that it runs and is reachable",
          config_.endpoint.empty() ? "" : " (AWS_ENDPOINT, storage.s3.endpoint)",
          ", or allow longer outages with storage.s3.retry_timeout");
      std::lock_guard<std::mutex> lock(mutex_);
      if (unreachable_.ok()) unreachable_ = error;
      return error;
    }
    case S3ErrorKind::kNoSuchUpload:
    case S3ErrorKind::kOther:
      break;
  }
  return arrow::Status::IOError(action, " ", uri, ": ", detail);
}

arrow::Status S3Connection::Unreachable() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unreachable_;
}

void S3Connection::CountPublished(int64_t bytes) {
  objects_.fetch_add(1);
  bytes_.fetch_add(bytes);
}

S3Stats S3Connection::stats() const {
  S3Stats stats;
  stats.objects = objects_.load();
  stats.bytes = bytes_.load();
  stats.retries = retry_->retries();
  const UploadQueue::Stats queue = uploads_->stats();
  stats.wait_seconds = static_cast<double>(queue.waited_micros) / 1e6;
  stats.peak_buffered = queue.peak_bytes;
  stats.buffered = queue.held_bytes;
  return stats;
}

}  // namespace sluice
