#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

#include "checkpoint/checkpoint.h"
#include "io/object_store.h"

namespace sluice {

// The checkpoints of a pipeline in one location (a local directory or an S3 prefix):
//   <location>/checkpoints/epoch-<epoch, 20 digits>-<writer>.ckpt
// plus an empty "<name>.published" marker once the epoch's staged files are published.
// Writes are atomic (ObjectStore): a reader sees a whole checkpoint or none. Several
// processes may share a location: names carry the writer.
//
// Thread-safe as far as the ObjectStore is; one pipeline thread uses it.
class CheckpointStore {
 public:
  explicit CheckpointStore(std::shared_ptr<ObjectStore> store) : store_(std::move(store)) {}

  static std::string NameFor(int64_t epoch, const std::string& writer);
  // The epoch and writer of a checkpoint name; nullopt for other names.
  struct ParsedName {
    int64_t epoch;
    std::string writer;
  };
  static std::optional<ParsedName> ParseName(std::string_view name);

  // Writes `checkpoint` as NameFor(epoch, writer), returning once it is visible; the
  // result is its size in bytes.
  arrow::Result<int64_t> Write(const Checkpoint& checkpoint);
  // Reads and verifies a checkpoint: kKeyError when absent, kIOError when damaged.
  arrow::Result<Checkpoint> Read(const std::string& name);
  // Every checkpoint name, oldest epoch first.
  arrow::Result<std::vector<std::string>> List();
  arrow::Status MarkPublished(const std::string& name);
  arrow::Result<bool> IsPublished(const std::string& name);
  // Deletes a checkpoint and its marker.
  arrow::Status Delete(const std::string& name);

  // Where a checkpoint is, for messages.
  std::string Where(const std::string& name) const;
  const std::string& uri() const { return store_->uri(); }

 private:
  arrow::Status WriteObject(const std::string& path, std::shared_ptr<arrow::Buffer> data);

  std::shared_ptr<ObjectStore> store_;
};

}  // namespace sluice
