#pragma once

#include <string>
#include <vector>

#include <arrow/result.h>

namespace sluice {

// The records of a JSON file for `sluice produce --from`: a JSON array gives one record
// per element (written compactly, as Python's json.dumps does for seed 004's
// producers), anything else is NDJSON with one record per non-blank line, passed on
// byte for byte (so malformed lines reach the topic as they are).
struct FileRecord {
  std::string value;
  std::string key;  // the value of the key field (strings unquoted), empty when absent
};

// `key_field`: the top-level field whose value keys each message ("" = no key; NDJSON
// lines that are not JSON objects get no key). Errors name the file and, for a JSON
// array that does not parse, the byte where it fails.
arrow::Result<std::vector<FileRecord>> ReadFileRecords(const std::string& path, const std::string& key_field);

}  // namespace sluice
