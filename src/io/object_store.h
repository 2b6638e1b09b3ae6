#pragma once

#include <memory>
#include <string>

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
};

}  // namespace sluice
