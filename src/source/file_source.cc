#include "source/file_source.h"

#include <glob.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>

#include <arrow/io/compressed.h>
#include <arrow/io/file.h>
#include <arrow/util/compression.h>

namespace sluice {
namespace {

constexpr int64_t kReadChunk = 4 << 20;

std::vector<std::string> SplitPatterns(const std::string& patterns) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= patterns.size()) {
    size_t comma = patterns.find(',', begin);
    if (comma == std::string::npos) comma = patterns.size();
    std::string p = patterns.substr(begin, comma - begin);
    while (!p.empty() && p.front() == ' ') p.erase(p.begin());
    while (!p.empty() && p.back() == ' ') p.pop_back();
    if (!p.empty()) out.push_back(p);
    begin = comma + 1;
  }
  return out;
}

}  // namespace

arrow::Result<std::vector<std::string>> FileSource::Expand(const std::string& patterns) {
  std::vector<std::string> paths;
  for (const auto& pattern : SplitPatterns(patterns)) {
    glob_t result{};
    int rc = ::glob(pattern.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &result);
    if (rc == 0) {
      for (size_t i = 0; i < result.gl_pathc; ++i) paths.emplace_back(result.gl_pathv[i]);
    }
    globfree(&result);
    if (rc != 0 && rc != GLOB_NOMATCH) return arrow::Status::IOError("cannot list '", pattern, "'");
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

arrow::Result<std::unique_ptr<FileSource>> FileSource::Make(FileSourceOptions options, Clock* clock) {
  auto source = std::unique_ptr<FileSource>(new FileSource(std::move(options), clock));
  ARROW_ASSIGN_OR_RAISE(auto paths, Expand(source->options_.pattern));
  if (paths.empty() && !source->options_.follow) {
    return arrow::Status::Invalid("no file matches '", source->options_.pattern,
                                  "'; check the path (globs such as data/*.ndjson are allowed)");
  }
  for (auto& p : paths) {
    std::error_code error;
    const auto size = std::filesystem::file_size(p, error);
    if (!error) source->total_bytes_ += static_cast<int64_t>(size);
    source->seen_.insert(p);
    source->queue_.push_back(std::move(p));
  }
  source->last_poll_ = clock->MonotonicMicros();
  return source;
}

arrow::Status FileSource::OpenNextFile() {
  path_ = queue_.front();
  queue_.erase(queue_.begin());
  auto file = arrow::io::ReadableFile::Open(path_);
  if (!file.ok()) return arrow::Status::IOError("cannot read ", path_, ": ", file.status().message());
  input_ = file_ = *file;
  if (path_.size() > 3 && path_.compare(path_.size() - 3, 3, ".gz") == 0) {
    ARROW_ASSIGN_OR_RAISE(codec_, arrow::util::Codec::Create(arrow::Compression::GZIP));
    ARROW_ASSIGN_OR_RAISE(input_, arrow::io::CompressedInputStream::Make(codec_.get(), input_));
  }
  line_ = 0;
  read_ = 0;
  begin_ = end_ = 0;
  eof_ = false;
  source_index_ = -1;
  if (auto it = resume_.find(path_); it != resume_.end()) {
    ARROW_RETURN_NOT_OK(Skip(it->second.bytes));
    line_ = it->second.lines;
    resume_.erase(it);
  }
  return arrow::Status::OK();
}

arrow::Status FileSource::Skip(int64_t bytes) {
  std::unique_ptr<char[]> scratch(new char[kReadChunk]);
  while (read_ < bytes) {
    auto read = input_->Read(std::min(kReadChunk, bytes - read_), scratch.get());
    if (!read.ok()) return arrow::Status::IOError("cannot read ", path_, ": ", read.status().message());
    if (*read == 0) {
      return arrow::Status::Invalid("cannot resume ", path_, ": the checkpoint read ", bytes,
                                    " bytes of it, but it now has ", read_,
                                    "; files must not change once they are in the input");
    }
    read_ += *read;
  }
  return arrow::Status::OK();
}

std::vector<FilePosition> FileSource::FilePositions() const {
  std::vector<FilePosition> out = finished_;
  if (input_ != nullptr) {
    out.push_back(FilePosition{path_, line_, read_ - static_cast<int64_t>(end_ - begin_), false});
  }
  for (const auto& [path, position] : resume_) out.push_back(position);  // not reached yet
  return out;
}

arrow::Status FileSource::ResumeFiles(const std::vector<FilePosition>& positions) {
  std::set<std::string> finished;
  for (const FilePosition& position : positions) {
    if (position.finished) {
      finished.insert(position.path);
      finished_.push_back(position);
      std::error_code error;
      const auto size = std::filesystem::file_size(position.path, error);
      if (!error) finished_bytes_ += static_cast<int64_t>(size);
    } else {
      resume_[position.path] = position;
    }
  }
  std::erase_if(queue_, [&](const std::string& path) { return finished.count(path) > 0; });
  for (const auto& path : finished) seen_.insert(path);
  return arrow::Status::OK();
}

arrow::Result<bool> FileSource::Poll() {
  ARROW_ASSIGN_OR_RAISE(auto paths, Expand(options_.pattern));
  bool found = false;
  for (auto& p : paths) {
    if (seen_.insert(p).second) {
      queue_.push_back(std::move(p));
      found = true;
    }
  }
  return found;
}

int64_t FileSource::TakeLines(int64_t room, RawBatch* batch) {
  int64_t taken = 0;
  while (taken < room && begin_ < end_) {
    const char* start = buffer_.get() + begin_;
    size_t available = end_ - begin_;
    const char* newline = static_cast<const char*>(std::memchr(start, '\n', available));
    size_t length;
    if (newline != nullptr) {
      length = static_cast<size_t>(newline - start);
    } else if (eof_) {
      length = available;  // last line without a newline
    } else {
      break;
    }
    begin_ += length + (newline != nullptr ? 1 : 0);
    ++line_;
    size_t content = length;
    if (content > 0 && start[content - 1] == '\r') --content;
    // A byte order mark (written by some Windows tools) is not part of the first record.
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (line_ == 1 && std::string_view(start, content).starts_with(kBom)) {
      start += kBom.size();
      content -= kBom.size();
    }
    bool blank = true;
    for (size_t i = 0; i < content && blank; ++i) blank = start[i] == ' ' || start[i] == '\t';
    if (blank) continue;
    if (source_index_ < 0) source_index_ = batch->AddSource(path_);
    batch->Append(std::string_view(start, content),
                  RecordPosition{source_index_, 0, KafkaOffset(line_), PartitionId(0)});
    stats_.bytes += static_cast<int64_t>(length) + 1;
    ++taken;
  }
  return taken;
}

arrow::Result<bool> FileSource::Next(int64_t max_records, Duration timeout, RawBatch* batch) {
  batch->Clear();
  source_index_ = -1;
  const int64_t deadline = clock_->MonotonicMicros() + timeout.count();
  while (static_cast<int64_t>(batch->size()) < max_records) {
    if (input_ == nullptr) {
      if (queue_.empty()) {
        if (!options_.follow) break;
        int64_t now = clock_->MonotonicMicros();
        if (now - last_poll_ >= options_.poll_interval.count()) {
          last_poll_ = now;
          ARROW_ASSIGN_OR_RAISE(bool found, Poll());
          if (found) continue;
        }
        if (!batch->empty() || now >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      ARROW_RETURN_NOT_OK(OpenNextFile());
    }
    stats_.records += TakeLines(max_records - static_cast<int64_t>(batch->size()), batch);
    if (static_cast<int64_t>(batch->size()) >= max_records) break;
    if (eof_ && begin_ >= end_) {
      finished_.push_back(FilePosition{path_, line_, read_, true});
      ARROW_ASSIGN_OR_RAISE(int64_t size, file_->GetSize());
      finished_bytes_ += size;
      ARROW_RETURN_NOT_OK(input_->Close());
      input_.reset();
      file_.reset();
      codec_.reset();
      source_index_ = -1;
      continue;
    }
    // Need more bytes: keep the partial line, read the next chunk.
    size_t pending = end_ - begin_;
    if (pending + kReadChunk > capacity_) {
      size_t capacity = std::max(capacity_ * 2, pending + kReadChunk);
      std::unique_ptr<char[]> grown(new char[capacity]);
      if (pending > 0) std::memcpy(grown.get(), buffer_.get() + begin_, pending);
      buffer_ = std::move(grown);
      capacity_ = capacity;
    } else if (pending > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, pending);
    }
    begin_ = 0;
    end_ = pending;
    auto read = input_->Read(kReadChunk, buffer_.get() + end_);
    if (!read.ok()) return arrow::Status::IOError("cannot read ", path_, ": ", read.status().message());
    end_ += static_cast<size_t>(*read);
    read_ += *read;
    if (*read == 0) eof_ = true;
  }
  bool exhausted = !options_.follow && input_ == nullptr && queue_.empty();
  return !(exhausted && batch->empty());
}

std::optional<Source::InputBytes> FileSource::InputProgress() const {
  if (options_.follow) return std::nullopt;
  InputBytes progress{finished_bytes_, total_bytes_};
  if (file_ != nullptr) {
    auto position = file_->Tell();
    if (position.ok()) progress.done += *position;
  }
  progress.done = std::min(progress.done, progress.total);
  return progress;
}

std::string FileSource::Describe() const {
  return "ndjson files " + options_.pattern + (options_.follow ? " (following new files)" : "");
}

}  // namespace sluice
