#pragma once

// The contract every ObjectStore keeps for visible files (Move, Read, Exists, List,
// Delete), checked through the interface alone: local_store_test and s3_store_test run
// it against the local disk and a real S3 server.

#include <gtest/gtest.h>

#include "io/object_store.h"

namespace sluice {

inline void WriteVisible(ObjectStore& store, const std::string& path, const std::string& content) {
  auto file = store.Create(path).ValueOrDie();
  ASSERT_TRUE(file->stream()->Write(content.data(), static_cast<int64_t>(content.size())).ok());
  ASSERT_TRUE(file->Commit().status().ok());
}

inline std::vector<std::string> ListedPaths(ObjectStore& store, const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& listed : store.List(dir).ValueOrDie()) out.push_back(listed.path);
  return out;
}

inline void CheckFileOperations(ObjectStore& store) {
  WriteVisible(store, "_staging/w.1.year=2025%2Fpart-1.parquet.staged", "first");
  WriteVisible(store, "_staging/w.1.part-2.parquet.staged", "second");
  EXPECT_EQ(ListedPaths(store, "_staging"),
            (std::vector<std::string>{"_staging/w.1.part-2.parquet.staged",
                                      "_staging/w.1.year=2025%2Fpart-1.parquet.staged"}));
  EXPECT_TRUE(ListedPaths(store, "nowhere").empty());
  EXPECT_GT(store.List("_staging").ValueOrDie()[0].modified_micros, 0);

  ASSERT_TRUE(store.Move("_staging/w.1.year=2025%2Fpart-1.parquet.staged", "year=2025/part-1.parquet").ok());
  EXPECT_FALSE(store.Exists("_staging/w.1.year=2025%2Fpart-1.parquet.staged").ValueOrDie());
  EXPECT_TRUE(store.Exists("year=2025/part-1.parquet").ValueOrDie());
  EXPECT_EQ(store.Read("year=2025/part-1.parquet").ValueOrDie()->ToString(), "first");
  // A move onto an existing file replaces it.
  ASSERT_TRUE(store.Move("_staging/w.1.part-2.parquet.staged", "year=2025/part-1.parquet").ok());
  EXPECT_EQ(store.Read("year=2025/part-1.parquet").ValueOrDie()->ToString(), "second");
  EXPECT_TRUE(ListedPaths(store, "_staging").empty());

  EXPECT_TRUE(store.Read("missing.parquet").status().IsKeyError());
  EXPECT_FALSE(store.Exists("missing.parquet").ValueOrDie());
  EXPECT_TRUE(store.Delete("missing.parquet").ok());
  ASSERT_TRUE(store.Delete("year=2025/part-1.parquet").ok());
  EXPECT_FALSE(store.Exists("year=2025/part-1.parquet").ValueOrDie());
  EXPECT_FALSE(store.Move("missing.parquet", "elsewhere.parquet").ok());
}

}  // namespace sluice
