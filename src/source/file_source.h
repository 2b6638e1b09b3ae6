#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <arrow/io/interfaces.h>
#include <arrow/util/compression.h>

#include "common/clock.h"
#include "source/source.h"

namespace sluice {

struct FileSourceOptions {
  std::string pattern;  // a path or glob ("landing/2025-*/*.ndjson"); may list several, comma-separated
  // Keep watching the pattern for new files after the current ones are read (a landing
  // zone). Files must appear complete (written elsewhere, then moved in).
  bool follow = false;
  Duration poll_interval = std::chrono::seconds(1);
};

// Reads NDJSON files: one record per line, in file-name order, each file once. Lines
// end with \n (a \r before it is dropped); blank lines are skipped; the last line may
// lack its newline. Files ending in .gz are decompressed on the fly. Positions:
// partition 0, offset = 1-based line number, source = the file's path.
class FileSource final : public Source {
 public:
  // Fails when the pattern matches no file and `follow` is off.
  static arrow::Result<std::unique_ptr<FileSource>> Make(FileSourceOptions options, Clock* clock);

  arrow::Result<bool> Next(int64_t max_records, Duration timeout, RawBatch* batch) override;
  std::vector<FilePosition> FilePositions() const override;
  arrow::Status ResumeFiles(const std::vector<FilePosition>& positions) override;
  // Bounded runs (no follow): the sizes of the listed files.
  std::optional<InputBytes> InputProgress() const override;
  const SourceStats& stats() const override { return stats_; }
  std::string Describe() const override;

  // Paths the pattern matches now, sorted.
  static arrow::Result<std::vector<std::string>> Expand(const std::string& pattern);

 private:
  FileSourceOptions options_;
  Clock* clock_;
  explicit FileSource(FileSourceOptions options, Clock* clock)
      : options_(std::move(options)), clock_(clock) {}
  arrow::Status OpenNextFile();
  arrow::Result<bool> Poll();
  // Appends the complete lines in buffer_ to `batch` (at most `room`); returns how many.
  int64_t TakeLines(int64_t room, RawBatch* batch);

  // Skips the first `bytes` of the current file's content (resuming it).
  arrow::Status Skip(int64_t bytes);

  std::vector<std::string> queue_;  // files still to read, in order
  std::set<std::string> seen_;
  std::vector<FilePosition> finished_;          // files read to their end, in order
  std::map<std::string, FilePosition> resume_;  // partly read files to continue
  int64_t read_ = 0;                            // content bytes of the current file read into buffer_
  std::shared_ptr<arrow::io::InputStream> input_;
  std::shared_ptr<arrow::io::RandomAccessFile> file_;  // the stored file under input_
  int64_t total_bytes_ = 0;                            // sizes of the listed files
  int64_t finished_bytes_ = 0;                         // ... of those finished
  std::unique_ptr<arrow::util::Codec> codec_;          // borrowed by input_ for .gz files
  std::string path_;
  int32_t source_index_ = -1;
  int64_t line_ = 0;
  // Bytes read and not yet returned: [begin_, end_) of buffer_ (not zero-initialised).
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  int64_t last_poll_ = 0;
  SourceStats stats_;
};

}  // namespace sluice
