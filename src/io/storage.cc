#include "io/storage.h"

#include <arrow/filesystem/localfs.h>

#include "io/local_store.h"
#include "io/s3_store.h"

namespace sluice {

arrow::Status Storage::CheckUri(const std::string& uri) {
  if (IsS3Uri(uri)) return ParseS3Uri(uri).status();
  const size_t scheme = uri.find("://");
  if (scheme != std::string::npos && uri.rfind("file://", 0) != 0) {
    const std::string name = uri.substr(0, scheme);
    return arrow::Status::Invalid(
        "'", uri, "': ", name,
        ":// is not a storage sluice writes to; use a local path or s3://bucket/prefix",
        name == "s3a" || name == "s3n" ? " (s3a:// and s3n:// are s3://)" : "");
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<S3Connection>> Storage::Connect(const std::string& uri) {
  if (!s3_) {
    ARROW_ASSIGN_OR_RAISE(S3Location location, ParseS3Uri(uri));
    ARROW_ASSIGN_OR_RAISE(s3_, S3Connection::Make(s3_config_, location.bucket));
  }
  return s3_;
}

arrow::Result<std::shared_ptr<ObjectStore>> Storage::Open(const std::string& uri) {
  ARROW_RETURN_NOT_OK(CheckUri(uri));
  if (!IsS3Uri(uri)) return LocalObjectStore::Open(uri);
  ARROW_ASSIGN_OR_RAISE(auto connection, Connect(uri));
  return S3ObjectStore::Open(uri, std::move(connection));
}

arrow::Result<Storage::ReadLocation> Storage::Locate(const std::string& uri) {
  ARROW_RETURN_NOT_OK(CheckUri(uri));
  if (!IsS3Uri(uri)) {
    ARROW_ASSIGN_OR_RAISE(std::string path, LocalPath(uri));
    return ReadLocation{std::make_shared<arrow::fs::LocalFileSystem>(), std::move(path)};
  }
  ARROW_ASSIGN_OR_RAISE(auto connection, Connect(uri));
  ARROW_ASSIGN_OR_RAISE(S3Location location, ParseS3Uri(uri));
  return ReadLocation{connection->filesystem(), location.FileSystemPath()};
}

arrow::Status Storage::Explain(const arrow::Status& status, const std::string& action,
                               const std::string& uri) {
  if (IsS3Uri(uri) && s3_) return s3_->Explain(status, action, uri);
  return status.WithMessage(action, " ", uri, ": ", status.message());
}

std::optional<S3Stats> Storage::s3_stats() const {
  if (!s3_) return std::nullopt;
  return s3_->stats();
}

}  // namespace sluice
