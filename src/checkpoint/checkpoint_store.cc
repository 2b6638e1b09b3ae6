#include "checkpoint/checkpoint_store.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "checkpoint/checkpoint_format.h"

namespace sluice {
namespace {

namespace cf = checkpoint_format;

constexpr std::string_view kPublishedSuffix = ".published";

std::string PathOf(const std::string& name) { return std::string(cf::kDirectory) + "/" + name; }

}  // namespace

std::string CheckpointStore::NameFor(int64_t epoch, const std::string& writer) {
  return fmt::format("{}{:020d}-{}{}", cf::kFilePrefix, epoch, writer, cf::kFileSuffix);
}

std::optional<CheckpointStore::ParsedName> CheckpointStore::ParseName(std::string_view name) {
  if (name.size() < cf::kFilePrefix.size() + 22 + cf::kFileSuffix.size() ||
      !name.starts_with(cf::kFilePrefix) || !name.ends_with(cf::kFileSuffix)) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(cf::kFilePrefix.size(), 20);
  int64_t epoch = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), epoch);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  std::string_view rest = name.substr(cf::kFilePrefix.size() + 20);
  if (rest.empty() || rest[0] != '-') return std::nullopt;
  rest = rest.substr(1, rest.size() - 1 - cf::kFileSuffix.size());
  if (rest.empty()) return std::nullopt;
  return ParsedName{epoch, std::string(rest)};
}

std::string CheckpointStore::Where(const std::string& name) const { return store_->FullPath(PathOf(name)); }

arrow::Status CheckpointStore::WriteObject(const std::string& path, std::shared_ptr<arrow::Buffer> data) {
  ARROW_ASSIGN_OR_RAISE(auto file, store_->Create(path));
  ARROW_RETURN_NOT_OK(file->stream()->Write(data));
  return file->Commit().status();
}

arrow::Result<int64_t> CheckpointStore::Write(const Checkpoint& checkpoint) {
  ARROW_ASSIGN_OR_RAISE(auto data, EncodeCheckpoint(checkpoint));
  const int64_t size = data->size();
  ARROW_RETURN_NOT_OK(WriteObject(PathOf(NameFor(checkpoint.epoch, checkpoint.writer)), std::move(data)));
  return size;
}

arrow::Result<Checkpoint> CheckpointStore::Read(const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(auto data, store_->Read(PathOf(name)));
  auto decoded = DecodeCheckpoint(data);
  if (!decoded.ok()) return decoded.status().WithMessage(Where(name), ": ", decoded.status().message());
  return decoded;
}

arrow::Result<std::vector<std::string>> CheckpointStore::List() {
  ARROW_ASSIGN_OR_RAISE(auto paths, store_->List(std::string(cf::kDirectory)));
  std::vector<std::pair<int64_t, std::string>> found;
  for (const auto& listed : paths) {
    std::string name = listed.path.substr(listed.path.rfind('/') + 1);
    if (auto parsed = ParseName(name)) found.emplace_back(parsed->epoch, std::move(name));
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> names;
  for (auto& [epoch, name] : found) names.push_back(std::move(name));
  return names;
}

arrow::Status CheckpointStore::MarkPublished(const std::string& name) {
  return WriteObject(PathOf(name) + std::string(kPublishedSuffix),
                     std::make_shared<arrow::Buffer>(nullptr, 0));
}

arrow::Result<bool> CheckpointStore::IsPublished(const std::string& name) {
  return store_->Exists(PathOf(name) + std::string(kPublishedSuffix));
}

arrow::Status CheckpointStore::Delete(const std::string& name) {
  ARROW_RETURN_NOT_OK(store_->Delete(PathOf(name) + std::string(kPublishedSuffix)));
  return store_->Delete(PathOf(name));
}

}  // namespace sluice
