#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/result.h>
#include <arrow/status.h>
#include <arrow/util/future.h>

namespace sluice {

// A file being written that becomes visible under its final path only when published:
// readers see either nothing or the whole file, never a part of it.
//
// Lifecycle: write to stream(), then exactly one of Commit() or Abort(). Destroying a
// file before either aborts it. Closing stream() (as a Parquet writer does) only ends
// the writing; it publishes nothing. Used by one thread at a time.
class StagedFile {
 public:
  virtual ~StagedFile() = default;
  virtual arrow::io::OutputStream* stream() = 0;
  // Bytes written so far.
  virtual int64_t bytes_written() const = 0;
  // Starts publishing the file; the future completes once it is visible, or fails
  // with a message naming the file, the cause and the fix (nothing is visible then).
  // Local files are published before Commit returns; S3 uploads finish in the
  // background. The StagedFile may be destroyed while publishing goes on.
  virtual arrow::Future<> Commit() = 0;
  // Drops the file: nothing becomes visible.
  virtual arrow::Status Abort() = 0;
  // The final path, relative to the store's root.
  virtual const std::string& path() const = 0;
};

// Where sluice writes files: a directory of the local disk or a bucket prefix on S3
// (src/io/local_store.h, src/io/s3_store.h). Paths are relative to the root and use
// '/'. Thread-safe.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Starts writing `relative_path` (nothing is visible before the Commit).
  virtual arrow::Result<std::unique_ptr<StagedFile>> Create(const std::string& relative_path) = 0;

  // The root as the user wrote it.
  virtual const std::string& uri() const = 0;
  // Where `relative_path` is, for messages: "/data/lake/raw/x.parquet" or
  // "s3://bucket/lake/raw/x.parquet".
  virtual std::string FullPath(const std::string& relative_path) const = 0;

  // Operations on visible files (checkpoints, staged output files). Errors name the
  // file, the cause and the fix; transient S3 errors are retried (S3RetryPolicy).

  // Renames `from` to `to` (replacing `to`): atomic on a local disk (parent directories
  // are created); on S3 a server-side copy then a delete of `from`, so a crash may leave
  // both (moving again is harmless). Objects up to 5 GiB (one CopyObject).
  virtual arrow::Status Move(const std::string& from, const std::string& to) = 0;
  // The whole content of a file; kKeyError when it does not exist.
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(const std::string& relative_path);
  arrow::Result<bool> Exists(const std::string& relative_path);
  // Every file below `dir` (recursively), with paths relative to the root, sorted by
  // path; empty when `dir` does not exist.
  struct Listed {
    std::string path;
    int64_t modified_micros = 0;  // last modification, µs since the epoch
  };
  arrow::Result<std::vector<Listed>> List(const std::string& dir);
  // Deletes a file; a missing file is not an error.
  arrow::Status Delete(const std::string& relative_path);

 protected:
  // The filesystem holding the store and the path of `relative_path` within it.
  virtual arrow::fs::FileSystem* filesystem() const = 0;
  virtual std::string FileSystemPath(const std::string& relative_path) const = 0;
  // `status`, met doing `action` ("cannot read") on `relative_path`, worded with the
  // file's full path, cause and fix.
  virtual arrow::Status Explain(const arrow::Status& status, const std::string& action,
                                const std::string& relative_path) const;
};

}  // namespace sluice
