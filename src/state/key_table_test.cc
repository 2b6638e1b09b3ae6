#include "state/key_table.h"

#include <string>

#include <gtest/gtest.h>

#include "state/key_encoder.h"

namespace sluice {
namespace {

TEST(KeyTable, DenseIdsInInsertionOrderAcrossGrowth) {
  KeyTable table;
  for (int i = 0; i < 10000; ++i) {
    std::string key = "key-" + std::to_string(i);
    bool inserted = false;
    EXPECT_EQ(table.FindOrInsert(key, KeyEncoder::Hash(key), &inserted), static_cast<uint32_t>(i));
    EXPECT_TRUE(inserted);
  }
  for (int i = 0; i < 10000; i += 7) {
    std::string key = "key-" + std::to_string(i);
    bool inserted = true;
    EXPECT_EQ(table.FindOrInsert(key, KeyEncoder::Hash(key), &inserted), static_cast<uint32_t>(i));
    EXPECT_FALSE(inserted);
    EXPECT_EQ(table.key(i), key);
  }
  EXPECT_EQ(table.size(), 10000u);
}

TEST(KeyTable, CollidingHashesStayDistinct) {
  KeyTable table;
  bool inserted = false;
  EXPECT_EQ(table.FindOrInsert("a", 42, &inserted), 0u);
  EXPECT_EQ(table.FindOrInsert("b", 42, &inserted), 1u);
  EXPECT_EQ(table.FindOrInsert("a", 42, &inserted), 0u);
  EXPECT_FALSE(inserted);
}

}  // namespace
}  // namespace sluice
