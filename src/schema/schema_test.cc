#include "schema/schema.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(ColumnType, SpellingsAndHints) {
  EXPECT_EQ(ParseColumnType("BIGINT").ValueOrDie(), ColumnType::kInt64);
  EXPECT_EQ(ParseColumnType("boolean").ValueOrDie(), ColumnType::kBool);
  auto bad = ParseColumnType("timestmap");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("did you mean 'timestamp'"), std::string::npos);
}

TEST(DeclaredSchema, ArrowSchemaCarriesNullability) {
  auto schema =
      DeclaredSchema::Make({{"id", ColumnType::kString, true}, {"t", ColumnType::kTimestamp}}).ValueOrDie();
  EXPECT_EQ(schema.arrow_schema()->ToString(), "id: string not null\nt: timestamp[us, tz=UTC]");
  EXPECT_EQ(schema.FieldIndex("t"), 1);
  EXPECT_EQ(schema.FieldIndex("x"), -1);
}

TEST(DeclaredSchema, RejectsDuplicates) {
  auto st = DeclaredSchema::Make({{"a", ColumnType::kString}, {"a", ColumnType::kInt32}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("'a' is declared twice"), std::string::npos);
}

TEST(DidYouMean, OnlyCloseWords) {
  EXPECT_EQ(DidYouMean("batery_level", {"battery_level", "value"}), " (did you mean 'battery_level'?)");
  EXPECT_EQ(DidYouMean("zzz", {"battery_level", "value"}), "");
}

}  // namespace
}  // namespace sluice
