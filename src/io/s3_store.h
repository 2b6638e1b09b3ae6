#pragma once

#include <memory>
#include <string>

#include "io/object_store.h"
#include "io/s3_config.h"
#include "io/s3_connection.h"

namespace sluice {

// An ObjectStore under an S3 bucket prefix ("s3://bucket/lake/raw"), through Arrow's S3
// filesystem.
//
// A file is written straight to its final key and becomes visible only when its upload
// completes: files up to one part (10 MiB) go up in a single PUT at Commit, larger ones
// as a multipart upload whose parts leave while the file is still being written and
// which S3 shows only once completed. No rename, no staging name, no directory marker
// objects. An aborted file, or one whose upload fails, leaves nothing visible (an
// upload interrupted by a crash stays invisible; a bucket lifecycle rule
// AbortIncompleteMultipartUpload reclaims its parts, see docs/storage.md).
//
// Uploads run on the connection's UploadQueue: the pipeline thread only copies bytes
// into part buffers and waits when the upload buffer is full. A failed upload fails the
// file's next write or its Commit future. Thread-safe.
class S3ObjectStore final : public ObjectStore {
 public:
  // Opens "s3://bucket/prefix" after checking access (S3Connection::CheckAccess).
  static arrow::Result<std::shared_ptr<S3ObjectStore>> Open(const std::string& uri,
                                                            std::shared_ptr<S3Connection> connection);

  arrow::Result<std::unique_ptr<StagedFile>> Create(const std::string& relative_path) override;
  const std::string& uri() const override { return uri_; }
  std::string FullPath(const std::string& relative_path) const override;
  // Server-side copy (CopyObject), then a delete of `from`.
  arrow::Status Move(const std::string& from, const std::string& to) override;

 private:
  S3ObjectStore(std::string uri, S3Location location, std::shared_ptr<S3Connection> connection);
  arrow::fs::FileSystem* filesystem() const override { return connection_->filesystem().get(); }
  std::string FileSystemPath(const std::string& relative_path) const override;
  arrow::Status Explain(const arrow::Status& status, const std::string& action,
                        const std::string& relative_path) const override;

  std::string uri_;
  S3Location location_;
  std::shared_ptr<S3Connection> connection_;
};

}  // namespace sluice
