#include "io/object_store.h"

#include <algorithm>

namespace sluice {

arrow::Status ObjectStore::Explain(const arrow::Status& status, const std::string& action,
                                   const std::string& relative_path) const {
  return status.WithMessage(action, " ", FullPath(relative_path), ": ", status.message());
}

arrow::Result<std::shared_ptr<arrow::Buffer>> ObjectStore::Read(const std::string& relative_path) {
  auto info = filesystem()->GetFileInfo(FileSystemPath(relative_path));
  if (!info.ok()) return Explain(info.status(), "cannot read", relative_path);
  if (info->type() != arrow::fs::FileType::File) {
    return arrow::Status::KeyError(FullPath(relative_path), " does not exist");
  }
  auto file = filesystem()->OpenInputFile(*info);
  if (!file.ok()) return Explain(file.status(), "cannot read", relative_path);
  auto size = (*file)->GetSize();
  if (!size.ok()) return Explain(size.status(), "cannot read", relative_path);
  auto data = (*file)->ReadAt(0, *size);
  if (!data.ok()) return Explain(data.status(), "cannot read", relative_path);
  if ((*data)->size() != *size) {
    return arrow::Status::IOError("cannot read ", FullPath(relative_path), ": it ended after ",
                                  (*data)->size(), " of ", *size, " bytes");
  }
  return std::move(*data);
}

arrow::Result<bool> ObjectStore::Exists(const std::string& relative_path) {
  auto info = filesystem()->GetFileInfo(FileSystemPath(relative_path));
  if (!info.ok()) return Explain(info.status(), "cannot look up", relative_path);
  return info->type() == arrow::fs::FileType::File;
}

arrow::Result<std::vector<ObjectStore::Listed>> ObjectStore::List(const std::string& dir) {
  arrow::fs::FileSelector selector;
  selector.base_dir = FileSystemPath(dir);
  selector.recursive = true;
  selector.allow_not_found = true;
  auto infos = filesystem()->GetFileInfo(selector);
  if (!infos.ok()) return Explain(infos.status(), "cannot list", dir);
  const std::string root = FileSystemPath("");
  std::vector<Listed> out;
  for (const auto& info : *infos) {
    if (info.type() != arrow::fs::FileType::File) continue;
    const std::string& path = info.path();
    if (path.size() > root.size() && path.compare(0, root.size(), root) == 0) {
      const auto modified =
          std::chrono::duration_cast<std::chrono::microseconds>(info.mtime().time_since_epoch());
      out.push_back(Listed{path.substr(root.size() + (root.empty() ? 0 : 1)), modified.count()});
    }
  }
  std::sort(out.begin(), out.end(), [](const Listed& a, const Listed& b) { return a.path < b.path; });
  return out;
}

arrow::Status ObjectStore::Delete(const std::string& relative_path) {
  auto st = filesystem()->DeleteFile(FileSystemPath(relative_path));
  if (st.ok()) return st;
  // Arrow fails on a missing file: absent (or deleted meanwhile by someone else) is fine.
  auto exists = Exists(relative_path);
  if (exists.ok() && !*exists) return arrow::Status::OK();
  return Explain(st, "cannot delete", relative_path);
}

}  // namespace sluice
