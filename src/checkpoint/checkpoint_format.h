#pragma once

// Constants of the checkpoint file format (docs/formats/checkpoint.md).

#include <cstdint>
#include <string_view>

namespace sluice::checkpoint_format {

// A checkpoint file: kMagic, u32 version, u32 section count, sections, u32 CRC-32 (zlib
// polynomial) of every byte before it. A section: u32 name length, name, u64 payload
// length, payload. All integers little-endian. Every payload is an Arrow IPC stream of
// one table.
inline constexpr std::string_view kMagic = "SLUICECK";
inline constexpr uint32_t kVersion = 1;

// Section names. "meta": one row (the kMeta* columns); "outputs": the operator state
// signature of each output; "partitions": source positions and watermarks per source
// partition; "files": per-file positions of a files source; "staged": the epoch's
// staged output files; "states": which "state.<n>" section holds the operator state of
// which (output, partition).
inline constexpr std::string_view kMetaSection = "meta";
inline constexpr std::string_view kOutputsSection = "outputs";
inline constexpr std::string_view kPartitionsSection = "partitions";
inline constexpr std::string_view kFilesSection = "files";
inline constexpr std::string_view kStagedSection = "staged";
inline constexpr std::string_view kStatesSection = "states";
inline constexpr std::string_view kStateSectionPrefix = "state.";

// Upper bounds a reader enforces before allocating (a corrupt length is an error).
inline constexpr uint32_t kMaxSections = 1u << 20;
inline constexpr uint32_t kMaxSectionName = 1024;

// Checkpoint objects in the store: "<kFilePrefix><epoch, 20 digits>-<writer>.ckpt",
// so that names sort by epoch; a file being written carries kTempSuffix until it is
// complete (local disk; S3 objects appear whole).
inline constexpr std::string_view kDirectory = "checkpoints";
inline constexpr std::string_view kFilePrefix = "epoch-";
inline constexpr std::string_view kFileSuffix = ".ckpt";
inline constexpr std::string_view kTempSuffix = ".tmp";

}  // namespace sluice::checkpoint_format
