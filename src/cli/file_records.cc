#include "cli/file_records.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace sluice {
namespace {

using json = nlohmann::ordered_json;

std::string KeyOf(const json& record, const std::string& field) {
  if (field.empty() || !record.is_object()) return "";
  auto it = record.find(field);
  if (it == record.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

arrow::Result<std::vector<FileRecord>> ReadFileRecords(const std::string& path,
                                                       const std::string& key_field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return arrow::Status::IOError("cannot read ", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<FileRecord> records;
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '[') {
    json array;
    try {
      array = json::parse(text);
    } catch (const json::parse_error& e) {
      return arrow::Status::Invalid(path, ": not a JSON array (", e.what(),
                                    "); give a JSON array of records or NDJSON, one record per line");
    }
    records.reserve(array.size());
    for (const json& record : array) {
      records.push_back(
          FileRecord{record.dump(-1, ' ', false, json::error_handler_t::replace), KeyOf(record, key_field)});
    }
    return records;
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::string key;
    if (!key_field.empty()) key = KeyOf(json::parse(line, nullptr, false), key_field);
    records.push_back(FileRecord{std::move(line), std::move(key)});
  }
  return records;
}

}  // namespace sluice
