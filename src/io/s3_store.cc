#include "io/s3_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>

#include <arrow/buffer.h>
#include <spdlog/spdlog.h>

namespace sluice {
namespace {

// What a file and its upload tasks share; the tasks may outlive the file object.
// Tasks of one file run one at a time (its strand), so `out` and `sent` need no lock.
struct Upload {
  S3Connection* connection;                      // outlives every task: its destructor waits for them
  std::string key;                               // "bucket/prefix/path" in Arrow's S3 filesystem
  std::string uri;                               // "s3://bucket/prefix/path", for messages
  std::shared_ptr<arrow::io::OutputStream> out;  // opened by the first task
  int64_t sent = 0;
  std::atomic<bool> aborted{false};

  // Hands `data` to Arrow's stream, which uploads a part whenever it holds 10 MiB.
  arrow::Status Send(const std::shared_ptr<arrow::Buffer>& data) {
    ARROW_RETURN_NOT_OK(connection->Unreachable());
    if (!out) {
      auto opened = connection->filesystem()->OpenOutputStream(key);
      if (!opened.ok()) return connection->Explain(opened.status(), "cannot upload", uri);
      out = *opened;
    }
    if (data && data->size() > 0) {
      auto written = out->Write(data);
      if (!written.ok()) return connection->Explain(written, "cannot upload", uri);
      sent += data->size();
      if (data->size() == kS3PartSize) spdlog::debug("{}: part {} uploaded", uri, sent / kS3PartSize);
    }
    return arrow::Status::OK();
  }

  // Arrow's stream completes an upload when destroyed unclosed (it calls Close, not
  // Abort): a file dropped on any path must never become visible half written.
  ~Upload() { Drop(); }

  // Sends the last bytes and completes the upload: the object becomes visible. On any
  // failure the upload is dropped.
  arrow::Status Publish(const std::shared_ptr<arrow::Buffer>& rest) {
    if (auto sent_rest = Send(rest); !sent_rest.ok()) {
      Drop();
      return sent_rest;
    }
    auto closed = out->Close();
    if (closed.ok()) {
      connection->CountPublished(sent);
      return arrow::Status::OK();
    }
    if (ClassifyS3Error(closed) == S3ErrorKind::kNoSuchUpload) {
      // A retried CompleteMultipartUpload whose first attempt went through (its answer
      // was lost) finds the upload gone: the object is there if its size says so.
      auto info = connection->filesystem()->GetFileInfo(key);
      if (info.ok() && info->IsFile() && info->size() == sent) {
        connection->CountPublished(sent);
        return arrow::Status::OK();
      }
    }
    // Arrow's failed Close leaves a multipart upload unfinished and gives no handle to
    // abort it: it stays invisible until a lifecycle rule removes it.
    return connection->Explain(closed, "cannot publish", uri);
  }

  // Drops what was uploaded: aborts a multipart upload (nothing was visible).
  void Drop() {
    if (out && !out->closed()) (void)out->Abort();
  }
};

// The file's byte stream: collects writes into part-sized buffers and hands each full
// one to `send`. Close only ends the writing (see StagedFile).
class PartStream final : public arrow::io::OutputStream {
 public:
  using Send = std::function<arrow::Status(std::shared_ptr<arrow::Buffer>)>;
  explicit PartStream(Send send) : send_(std::move(send)) {}

  arrow::Status Write(const void* data, int64_t nbytes) override {
    if (closed_) return arrow::Status::Invalid("write to a closed file");
    const auto* bytes = static_cast<const uint8_t*>(data);
    while (nbytes > 0) {
      if (!part_) {
        ARROW_ASSIGN_OR_RAISE(part_, arrow::AllocateResizableBuffer(0));
      }
      const int64_t take = std::min(nbytes, kS3PartSize - part_->size());
      const int64_t size = part_->size() + take;
      if (size > part_->capacity()) {
        // Grow geometrically: Arrow's Resize reserves exactly what it is asked for.
        ARROW_RETURN_NOT_OK(part_->Reserve(std::min(kS3PartSize, std::max(size, part_->capacity() * 2))));
      }
      const int64_t at = part_->size();
      ARROW_RETURN_NOT_OK(part_->Resize(size, /*shrink_to_fit=*/false));
      std::memcpy(part_->mutable_data() + at, bytes, static_cast<size_t>(take));
      bytes += take;
      nbytes -= take;
      position_ += take;
      if (part_->size() == kS3PartSize) ARROW_RETURN_NOT_OK(send_(std::move(part_)));
    }
    return arrow::Status::OK();
  }
  arrow::Result<int64_t> Tell() const override { return position_; }
  arrow::Status Close() override {
    closed_ = true;
    return arrow::Status::OK();
  }
  bool closed() const override { return closed_; }

  int64_t position() const { return position_; }
  // The bytes not yet handed on (null when none).
  std::shared_ptr<arrow::Buffer> TakeRest() {
    closed_ = true;
    return std::move(part_);
  }

 private:
  Send send_;
  std::shared_ptr<arrow::ResizableBuffer> part_;
  int64_t position_ = 0;
  bool closed_ = false;
};

class S3StagedFile final : public StagedFile {
 public:
  S3StagedFile(std::string relative_path, std::shared_ptr<S3Connection> connection,
               std::shared_ptr<Upload> upload)
      : relative_path_(std::move(relative_path)),
        connection_(std::move(connection)),
        upload_(std::move(upload)),
        stream_([this](std::shared_ptr<arrow::Buffer> part) { return SendPart(std::move(part)); }) {}

  ~S3StagedFile() override {
    if (!done_) (void)Abort();
  }

  arrow::io::OutputStream* stream() override { return &stream_; }
  int64_t bytes_written() const override { return stream_.position(); }
  const std::string& path() const override { return relative_path_; }

  arrow::Future<> Commit() override {
    if (done_) return arrow::Status::Invalid("file ", upload_->uri, " was already committed or aborted");
    done_ = true;
    std::shared_ptr<arrow::Buffer> rest = stream_.TakeRest();
    return connection_->uploads()->SubmitAlways(&strand_, rest ? rest->size() : 0,
                                                [upload = upload_, rest](const arrow::Status& before) {
                                                  if (!before.ok()) {
                                                    upload->Drop();
                                                    return before;
                                                  }
                                                  return upload->Publish(rest);
                                                });
  }

  arrow::Status Abort() override {
    if (done_) return arrow::Status::OK();
    done_ = true;
    (void)stream_.TakeRest();
    upload_->aborted = true;  // parts still queued are skipped
    (void)connection_->uploads()->SubmitAlways(&strand_, 0, [upload = upload_](const arrow::Status&) {
      upload->Drop();
      return arrow::Status::OK();
    });
    return arrow::Status::OK();
  }

 private:
  // Queues a full part; blocks while the upload buffer is full. Fails when an earlier
  // part of this file failed.
  arrow::Status SendPart(std::shared_ptr<arrow::Buffer> part) {
    const int64_t bytes = part->size();
    arrow::Future<> sent =
        connection_->uploads()->Submit(&strand_, bytes, [upload = upload_, part = std::move(part)] {
          return upload->aborted ? arrow::Status::OK() : upload->Send(part);
        });
    return sent.is_finished() ? sent.status() : arrow::Status::OK();
  }

  std::string relative_path_;
  std::shared_ptr<S3Connection> connection_;
  std::shared_ptr<Upload> upload_;
  UploadQueue::Strand strand_;
  PartStream stream_;
  bool done_ = false;
};

}  // namespace

arrow::Result<std::shared_ptr<S3ObjectStore>> S3ObjectStore::Open(const std::string& uri,
                                                                  std::shared_ptr<S3Connection> connection) {
  ARROW_ASSIGN_OR_RAISE(S3Location location, ParseS3Uri(uri));
  ARROW_RETURN_NOT_OK(connection->CheckAccess(location, uri));
  return std::shared_ptr<S3ObjectStore>(new S3ObjectStore(uri, std::move(location), std::move(connection)));
}

S3ObjectStore::S3ObjectStore(std::string uri, S3Location location, std::shared_ptr<S3Connection> connection)
    : uri_(std::move(uri)), location_(std::move(location)), connection_(std::move(connection)) {}

std::string S3ObjectStore::FullPath(const std::string& relative_path) const {
  std::string out = "s3://" + location_.bucket;
  for (const std::string* part : {&location_.prefix, &relative_path}) {
    if (!part->empty()) out += "/" + *part;
  }
  return out;
}

std::string S3ObjectStore::FileSystemPath(const std::string& relative_path) const {
  return FullPath(relative_path).substr(5);  // without "s3://"
}

arrow::Status S3ObjectStore::Explain(const arrow::Status& status, const std::string& action,
                                     const std::string& relative_path) const {
  return connection_->Explain(status, action, FullPath(relative_path));
}

arrow::Status S3ObjectStore::Move(const std::string& from, const std::string& to) {
  ARROW_RETURN_NOT_OK(connection_->Unreachable());
  auto copied = connection_->filesystem()->CopyFile(FileSystemPath(from), FileSystemPath(to));
  if (!copied.ok()) return Explain(copied, "cannot copy " + FullPath(from) + " to", to);
  return Delete(from);
}

arrow::Result<std::unique_ptr<StagedFile>> S3ObjectStore::Create(const std::string& relative_path) {
  ARROW_RETURN_NOT_OK(connection_->Unreachable());
  auto upload = std::make_shared<Upload>();
  upload->connection = connection_.get();
  upload->uri = FullPath(relative_path);
  upload->key = FileSystemPath(relative_path);
  return std::unique_ptr<StagedFile>(new S3StagedFile(relative_path, connection_, std::move(upload)));
}

}  // namespace sluice
