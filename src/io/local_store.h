#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <arrow/filesystem/filesystem.h>

#include "io/object_store.h"

namespace sluice {

// `uri` (a path or file:// URI) as an absolute, normalised path without a trailing '/'.
arrow::Result<std::string> LocalPath(const std::string& uri);

// An ObjectStore in a local directory. A file is written as ".<name>.inprogress" in its
// final directory and renamed into place on Commit (rename is atomic within a
// filesystem). Names starting with '.' are ignored by Spark, Hive, DuckDB globs ending in
// *.parquet and pyarrow. Thread-safe.
class LocalObjectStore final : public ObjectStore {
 public:
  // Opens `uri`: a local path ("./lake", "/data/lake") or file:// URI. The root
  // directory is created if missing.
  static arrow::Result<std::shared_ptr<LocalObjectStore>> Open(const std::string& uri);

  // Creates parent directories as needed.
  arrow::Result<std::unique_ptr<StagedFile>> Create(const std::string& relative_path) override;
  const std::string& uri() const override { return uri_; }
  std::string FullPath(const std::string& relative_path) const override;
  arrow::Status Move(const std::string& from, const std::string& to) override;

  static constexpr char kStagingSuffix[] = ".inprogress";

 private:
  LocalObjectStore(std::string uri, std::shared_ptr<arrow::fs::FileSystem> fs, std::string root);
  arrow::fs::FileSystem* filesystem() const override { return fs_.get(); }
  std::string FileSystemPath(const std::string& relative_path) const override {
    return FullPath(relative_path);
  }
  arrow::Status EnsureDir(const std::string& dir);

  std::string uri_;
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::string root_;  // filesystem path of the root, no trailing '/'
  std::mutex mutex_;
  std::set<std::string> created_dirs_;
};

}  // namespace sluice
