#pragma once

#include <memory>
#include <optional>
#include <string>

#include <arrow/filesystem/filesystem.h>
#include <arrow/result.h>

#include "io/object_store.h"
#include "io/s3_config.h"
#include "io/s3_connection.h"

namespace sluice {

// Opens the ObjectStores of a run by URI: local paths and file:// URIs on the local
// disk, s3://bucket/prefix through one S3Connection shared by every S3 output (made
// on first use from the S3Config given here).
//
// Lifetime: the stores and their files may outlive the Storage; the S3 connection
// lives until the last of them is gone. Not thread-safe (one pipeline thread opens).
class Storage {
 public:
  explicit Storage(S3Config s3 = {}) : s3_config_(std::move(s3)) {}

  // Opens `uri`, checking at once that it can be written (local: the directory is
  // created; S3: see S3Connection::CheckAccess). Errors say what to fix.
  arrow::Result<std::shared_ptr<ObjectStore>> Open(const std::string& uri);

  // A location opened for reading: the filesystem holding it and the path within.
  struct ReadLocation {
    std::shared_ptr<arrow::fs::FileSystem> filesystem;
    std::string path;
  };
  // Opens `uri` for reading, without a request (errors come with the first read; pass
  // them through Explain).
  arrow::Result<ReadLocation> Locate(const std::string& uri);
  // An error met doing `action` ("cannot read") on `uri`, with its cause and fix (S3
  // errors as S3Connection::Explain words them).
  arrow::Status Explain(const arrow::Status& status, const std::string& action, const std::string& uri);

  // Upload statistics; unset when nothing went to S3.
  std::optional<S3Stats> s3_stats() const;

  static bool IsS3Uri(const std::string& uri) { return uri.rfind("s3://", 0) == 0; }
  // Checks the form of a location without touching it: a local path, file://, or
  // s3:// with a valid bucket name. Invalid, with the fix, otherwise.
  static arrow::Status CheckUri(const std::string& uri);

 private:
  // The shared connection for the bucket of `uri` (made on first use).
  arrow::Result<std::shared_ptr<S3Connection>> Connect(const std::string& uri);

  S3Config s3_config_;
  std::shared_ptr<S3Connection> s3_;
};

}  // namespace sluice
