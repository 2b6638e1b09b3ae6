#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/result.h>
#include <arrow/status.h>

namespace sluice {

// A file being written that becomes visible under its final path only when committed:
// readers see either nothing or the whole file, never a part of it.
//
// Lifecycle: write to stream(), then exactly one of Commit() or Abort(). Destroying an
// uncommitted file aborts it. Not thread-safe.
class StagedFile {
 public:
  virtual ~StagedFile() = default;
  virtual arrow::io::OutputStream* stream() = 0;
  // Bytes written so far.
  virtual int64_t bytes_written() const = 0;
  virtual arrow::Status Commit() = 0;
  virtual arrow::Status Abort() = 0;
  // The final path, relative to the store's root.
  virtual const std::string& path() const = 0;
};

// Where sluice writes files: a local directory (S3 and S3-compatible stores arrive with
// their own issue). Paths are relative to the root and use '/'.
//
// Local staging: a file is written as ".<name>.inprogress" in its final directory and
// renamed into place on Commit (rename is atomic within a filesystem). Names starting
// with '.' are ignored by Spark, Hive, DuckDB globs ending in *.parquet and pyarrow.
//
// Thread-safe.
class ObjectStore {
 public:
  // Opens `uri`: a local path ("./lake", "/data/lake") or file:// URI. The root
  // directory is created if missing.
  static arrow::Result<std::shared_ptr<ObjectStore>> Open(const std::string& uri);

  // Starts writing `relative_path`, creating parent directories as needed.
  arrow::Result<std::unique_ptr<StagedFile>> Create(const std::string& relative_path);

  // The root as the user wrote it (for messages) and the full path of `relative_path`.
  const std::string& uri() const { return uri_; }
  std::string FullPath(const std::string& relative_path) const;

  arrow::fs::FileSystem* filesystem() const { return fs_.get(); }

  static constexpr char kStagingSuffix[] = ".inprogress";

 private:
  ObjectStore(std::string uri, std::shared_ptr<arrow::fs::FileSystem> fs, std::string root);
  arrow::Status EnsureDir(const std::string& dir);

  std::string uri_;
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::string root_;  // filesystem path of the root, no trailing '/'
  std::mutex mutex_;
  std::set<std::string> created_dirs_;
};

}  // namespace sluice
