#include "state/key_encoder.h"

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "schema/schema.h"
#include "state/key_table.h"

namespace sluice {
namespace {

std::shared_ptr<arrow::Array> Json(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

TEST(KeyEncoder, SqlGroupingSemanticsAndRoundTrip) {
  std::vector<std::shared_ptr<arrow::DataType>> types = {arrow::utf8(), arrow::int32(), arrow::float64(),
                                                         arrow::boolean(), TimestampType()};
  auto encoder = KeyEncoder::Make(types).ValueOrDie();
  arrow::ArrayVector columns = {
      Json(arrow::utf8(), R"(["a", "a", null, null, "a"])"),
      Json(arrow::int32(), "[1, 1, null, null, 1]"),
      Json(arrow::float64(), "[0.0, -0.0, NaN, NaN, 0.0]"),
      Json(arrow::boolean(), "[true, true, null, null, false]"),
      Json(TimestampType(), "[5, 5, null, null, 5]"),
  };
  KeyEncoder::EncodedKeys keys;
  ASSERT_TRUE(encoder.Encode(columns, 5, &keys).ok());
  EXPECT_EQ(keys.key(0), keys.key(1));  // -0.0 groups with 0.0
  EXPECT_EQ(keys.key(2), keys.key(3));  // nulls and NaNs group together
  EXPECT_NE(keys.key(0), keys.key(4));
  EXPECT_EQ(keys.hashes[0], keys.hashes[1]);

  auto decoded = encoder.Decode({keys.key(0), keys.key(2), keys.key(4)}).ValueOrDie();
  ASSERT_EQ(decoded.size(), types.size());
  EXPECT_TRUE(decoded[0]->Equals(*Json(arrow::utf8(), R"(["a", null, "a"])")));
  EXPECT_TRUE(decoded[3]->Equals(*Json(arrow::boolean(), "[true, null, false]")));
  EXPECT_TRUE(decoded[4]->Equals(*Json(TimestampType(), "[5, null, 5]")));
}

TEST(KeyEncoder, StringBoundariesAreUnambiguous) {
  auto encoder = KeyEncoder::Make({arrow::utf8(), arrow::utf8()}).ValueOrDie();
  arrow::ArrayVector columns = {Json(arrow::utf8(), R"(["ab", "a"])"), Json(arrow::utf8(), R"(["c", "bc"])")};
  KeyEncoder::EncodedKeys keys;
  ASSERT_TRUE(encoder.Encode(columns, 2, &keys).ok());
  EXPECT_NE(keys.key(0), keys.key(1));
}

TEST(KeyEncoder, RejectsUngroupableTypes) {
  EXPECT_FALSE(KeyEncoder::Make({arrow::list(arrow::int32())}).ok());
}

}  // namespace
}  // namespace sluice
