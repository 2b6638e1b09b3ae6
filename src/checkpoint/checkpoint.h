#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/buffer.h>
#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "sink/sink.h"
#include "source/source.h"

namespace sluice {

// Where one source partition stands at the end of an epoch. Kafka partitions are
// named by topic and partition number; a files source has one partition (topic "",
// partition 0).
struct PartitionCheckpoint {
  std::string topic;
  int32_t partition = 0;
  // Kafka: the next offset to read (every record before it is in this epoch or an
  // earlier one). Unused for files (see FileCheckpoint).
  int64_t next_offset = 0;
  // The partition's watermark state: its largest event time, and the floor no judging
  // watermark of its records goes below (the watermark up to which windows of it were
  // emitted).
  std::optional<int64_t> max_event_time;
  std::optional<int64_t> watermark_floor;
  // The first offset whose record still lives only in operator state, with the
  // partition's largest event time before it: where --rebuild-state replays from.
  std::optional<int64_t> replay_from;
  std::optional<int64_t> replay_max_event_time;
};

// How far a files source has read one file.
struct FileCheckpoint {
  std::string path;
  int64_t lines = 0;  // lines consumed (blank ones included): the next record is line + 1
  int64_t bytes = 0;  // bytes consumed of the (decompressed) content
  bool finished = false;
};

// The state one operator holds for one source partition.
struct OperatorStateCheckpoint {
  std::string output;
  std::string topic;
  int32_t partition = 0;
  std::shared_ptr<arrow::RecordBatch> state;
};

// Everything a pipeline needs to continue after an epoch as if it had never stopped
// (docs/exactly-once.md): source positions, watermarks, operator state and the
// epoch's staged files.
struct Checkpoint {
  int64_t epoch = 0;
  std::string writer;           // the run that wrote it
  int64_t processing_time = 0;  // the epoch's processing time (µs since the epoch)
  int64_t created_at = 0;       // wall-clock time it was written
  std::string source;           // the source's identity (CheckpointIdentity)
  std::optional<int64_t> emitted_watermark;
  // Output name -> the operator state signature (outputs with an operator only).
  std::vector<std::pair<std::string, std::string>> signatures;
  std::vector<PartitionCheckpoint> partitions;
  std::vector<FilePosition> files;
  std::vector<StagedOutputFile> staged;
  std::vector<OperatorStateCheckpoint> states;

  // The open results held, over every state batch.
  int64_t state_rows() const;
};

// Serialises a checkpoint into one buffer (docs/formats/checkpoint.md).
arrow::Result<std::shared_ptr<arrow::Buffer>> EncodeCheckpoint(const Checkpoint& checkpoint);
// Parses a buffer written by EncodeCheckpoint. A truncated or corrupt buffer, or one
// of an unknown format version, is an error (kIOError for damage, kNotImplemented for
// a newer version) that says which.
arrow::Result<Checkpoint> DecodeCheckpoint(const std::shared_ptr<arrow::Buffer>& buffer);

}  // namespace sluice
