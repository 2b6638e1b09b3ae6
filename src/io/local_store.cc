#include "io/local_store.h"

#include <filesystem>

#include <arrow/filesystem/localfs.h>

namespace sluice {
namespace {

// A file written under a hidden staging name and renamed into place on Commit.
class LocalStagedFile final : public StagedFile {
 public:
  LocalStagedFile(arrow::fs::FileSystem* fs, std::string relative_path, std::string final_path,
                  std::string staging_path, std::shared_ptr<arrow::io::OutputStream> stream)
      : fs_(fs),
        relative_path_(std::move(relative_path)),
        final_path_(std::move(final_path)),
        staging_path_(std::move(staging_path)),
        stream_(std::move(stream)) {}

  ~LocalStagedFile() override {
    if (!done_) (void)Abort();
  }

  arrow::io::OutputStream* stream() override { return stream_.get(); }
  int64_t bytes_written() const override {
    auto position = stream_->Tell();
    return position.ok() ? *position : 0;
  }

  arrow::Future<> Commit() override { return Publish(); }

  arrow::Status Abort() override {
    if (done_) return arrow::Status::OK();
    done_ = true;
    (void)stream_->Close();
    auto st = fs_->DeleteFile(staging_path_);
    return st.IsIOError() ? arrow::Status::OK() : st;
  }

  const std::string& path() const override { return relative_path_; }

 private:
  arrow::Status Publish() {
    if (done_) return arrow::Status::Invalid("file ", final_path_, " was already committed or aborted");
    done_ = true;
    ARROW_RETURN_NOT_OK(stream_->Close());
    auto moved = fs_->Move(staging_path_, final_path_);
    if (!moved.ok()) {
      (void)fs_->DeleteFile(staging_path_);
      return arrow::Status::IOError("cannot publish ", final_path_, ": ", moved.message());
    }
    return arrow::Status::OK();
  }

  arrow::fs::FileSystem* fs_;
  std::string relative_path_;
  std::string final_path_;
  std::string staging_path_;
  std::shared_ptr<arrow::io::OutputStream> stream_;
  bool done_ = false;
};

}  // namespace

arrow::Result<std::string> LocalPath(const std::string& uri) {
  if (uri.empty()) return arrow::Status::Invalid("the location is empty");
  std::string path = uri;
  if (uri.rfind("file://", 0) == 0) path = uri.substr(7);
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) return arrow::Status::IOError("cannot resolve '", uri, "': ", ec.message());
  std::string normal = absolute.lexically_normal().generic_string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

arrow::Result<std::shared_ptr<LocalObjectStore>> LocalObjectStore::Open(const std::string& uri) {
  ARROW_ASSIGN_OR_RAISE(std::string root, LocalPath(uri));
  auto fs = std::make_shared<arrow::fs::LocalFileSystem>();
  auto created = fs->CreateDir(root, /*recursive=*/true);
  if (!created.ok()) {
    return arrow::Status::IOError("cannot create output directory '", uri, "': ", created.message(),
                                  "; check the path and its permissions");
  }
  return std::shared_ptr<LocalObjectStore>(new LocalObjectStore(uri, std::move(fs), std::move(root)));
}

LocalObjectStore::LocalObjectStore(std::string uri, std::shared_ptr<arrow::fs::FileSystem> fs,
                                   std::string root)
    : uri_(std::move(uri)), fs_(std::move(fs)), root_(std::move(root)) {}

std::string LocalObjectStore::FullPath(const std::string& relative_path) const {
  return relative_path.empty() ? root_ : root_ + "/" + relative_path;
}

arrow::Status LocalObjectStore::EnsureDir(const std::string& dir) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (created_dirs_.count(dir)) return arrow::Status::OK();
  }
  auto st = fs_->CreateDir(dir, /*recursive=*/true);
  if (!st.ok()) return arrow::Status::IOError("cannot create directory ", dir, ": ", st.message());
  std::lock_guard<std::mutex> lock(mutex_);
  created_dirs_.insert(dir);
  return arrow::Status::OK();
}

arrow::Status LocalObjectStore::Move(const std::string& from, const std::string& to) {
  const std::string target = FullPath(to);
  ARROW_RETURN_NOT_OK(EnsureDir(target.substr(0, target.rfind('/'))));
  auto st = fs_->Move(FullPath(from), target);
  if (!st.ok())
    return arrow::Status::IOError("cannot move ", FullPath(from), " to ", target, ": ", st.message());
  return arrow::Status::OK();
}

arrow::Result<std::unique_ptr<StagedFile>> LocalObjectStore::Create(const std::string& relative_path) {
  std::string final_path = FullPath(relative_path);
  size_t slash = final_path.rfind('/');
  std::string dir = final_path.substr(0, slash);
  std::string name = final_path.substr(slash + 1);
  ARROW_RETURN_NOT_OK(EnsureDir(dir));
  std::string staging_path = dir + "/." + name + kStagingSuffix;
  auto stream = fs_->OpenOutputStream(staging_path);
  if (!stream.ok())
    return arrow::Status::IOError("cannot write ", staging_path, ": ", stream.status().message());
  return std::unique_ptr<StagedFile>(new LocalStagedFile(fs_.get(), relative_path, std::move(final_path),
                                                         std::move(staging_path), std::move(*stream)));
}

}  // namespace sluice
