#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "common/env.h"
#include "common/types.h"

namespace sluice {

// How sluice reaches S3 or an S3-compatible store (MinIO, Ceph, R2): the endpoint,
// credentials and the limits of background uploads. One configuration serves every
// s3:// output of a pipeline. See docs/storage.md.
struct S3Config {
  enum class Addressing { kAuto, kPath, kVirtual };

  // "" = AWS (the region's endpoint); else "http://host:port" or "https://host".
  std::string endpoint;
  // "" = from the bucket (AWS) or us-east-1 (with an endpoint).
  std::string region;
  // Static keys; when access_key_id is empty the AWS credential chain decides
  // (environment, ~/.aws, web identity, container and instance roles).
  std::string access_key_id;
  std::string secret_access_key;  // never printed
  std::string session_token;      // never printed
  // kAuto: path-style (http://endpoint/bucket/key) with an endpoint, as MinIO wants;
  // virtual-hosted (http://bucket.endpoint/key) on AWS.
  Addressing addressing = Addressing::kAuto;
  // How long a request is retried on transient errors (5xx, throttling, timeouts,
  // refused or reset connections) before the run fails.
  Duration retry_timeout = std::chrono::minutes(2);
  // Uploads (requests carrying file data) running at once.
  int max_uploads = 4;
  // Bytes of completed parts and files waiting for upload or being uploaded; past it
  // the pipeline waits (backpressure). At least one part (kS3PartSize).
  int64_t upload_buffer = 64LL << 20;
  // Where the settings came from, for messages: "AWS_ENDPOINT", "pipeline.yaml:12".
  std::string endpoint_origin;
  std::string credentials_origin;

  // "endpoint http://127.0.0.1:9000 (path-style), region us-east-1, keys from
  // AWS_ACCESS_KEY_ID; 4 uploads at once, 64 MiB buffer, retries for 2 minutes".
  // Never contains a secret.
  std::string Describe() const;
  // Whether buckets are addressed by path (http://endpoint/bucket/key).
  bool PathStyle() const {
    return addressing == Addressing::kPath || (addressing == Addressing::kAuto && !endpoint.empty());
  }
  // The values never to print: the secret key and the session token.
  std::vector<std::string> Secrets() const { return {secret_access_key, session_token}; }
};

// "http://host:port" split into scheme and host[:port]; Invalid (naming `origin` and the
// fix) for anything else.
struct S3Endpoint {
  std::string scheme;
  std::string host;
};
arrow::Result<S3Endpoint> ParseS3Endpoint(const std::string& endpoint, const std::string& origin);

// `text` with every occurrence of each secret (of four characters or more) replaced by
// "***".
std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets);

// The size of every part but the last of a multipart upload, fixed by Arrow's S3
// filesystem (files up to this size are uploaded with a single request).
inline constexpr int64_t kS3PartSize = 10LL << 20;

// The configuration given by the standard variables of `env` (process environment,
// then .env): AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or AWS_ENDPOINT (seed 000's name);
// AWS_REGION or AWS_DEFAULT_REGION; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN. Other settings keep their defaults.
S3Config S3ConfigFromEnvironment(const Environment& env);

// Checks what can be checked without a network: the endpoint's form, a secret key
// with its key id, positive limits. Messages name `where` and the fix.
arrow::Status ValidateS3Config(const S3Config& config);

// "s3://bucket/prefix" split; Invalid with the fix for anything that is not a valid
// bucket name (3-63 characters: lowercase letters, digits, '.', '-').
struct S3Location {
  std::string bucket;
  std::string prefix;  // no leading or trailing '/'; may be empty

  // The location in Arrow's S3 filesystem: "bucket/prefix" (or "bucket").
  std::string FileSystemPath() const { return prefix.empty() ? bucket : bucket + "/" + prefix; }
};
arrow::Result<S3Location> ParseS3Uri(const std::string& uri);

}  // namespace sluice
