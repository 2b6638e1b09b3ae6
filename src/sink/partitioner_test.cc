#include "sink/partitioner.h"

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "schema/schema.h"

namespace sluice {
namespace {

std::shared_ptr<arrow::RecordBatch> Batch() {
  auto schema = arrow::schema({arrow::field("t", TimestampType()), arrow::field("kind", arrow::utf8()),
                               arrow::field("n", arrow::int32())});
  return arrow::RecordBatch::Make(
      schema, 5,
      {arrow::json::ArrayFromJSONString(
           TimestampType(), "[1753712254000000, 1753712255000000, 1753715854000000, 1753712256000000, null]")
           .ValueOrDie(),
       arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["a/b", "a/b", "x=y", "", null])").ValueOrDie(),
       arrow::json::ArrayFromJSONString(arrow::int32(), "[1, 2, 3, 4, 5]").ValueOrDie()});
}

TEST(Partitioner, HiveLayoutZeroPaddedFromDateFormat) {
  auto p = Partitioner::Make({{"year", "date_format(t, '%Y')", ""},
                              {"month", "date_format(t, '%m')", ""},
                              {"hour", "date_format(t, '%H')", ""}},
                             Batch()->schema())
               .ValueOrDie();
  int64_t errors = 0;
  auto parts = p.Split(Batch(), 0, &errors).ValueOrDie();
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].path, "year=2025/month=07/hour=14");
  EXPECT_EQ(parts[0].batch->num_rows(), 3);  // rows 0, 1 and 3, in input order
  EXPECT_EQ(parts[0].batch->column(2)->ToString(),
            arrow::json::ArrayFromJSONString(arrow::int32(), "[1,2,4]").ValueOrDie()->ToString());
  EXPECT_EQ(parts[1].path, "year=2025/month=07/hour=15");
  EXPECT_EQ(
      parts[2].path,
      "year=__HIVE_DEFAULT_PARTITION__/month=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__");
}

TEST(Partitioner, EscapesValuesAndRendersNumbers) {
  auto p = Partitioner::Make({{"kind", "kind", ""}, {"n", "n * 10", ""}}, Batch()->schema()).ValueOrDie();
  int64_t errors = 0;
  auto parts = p.Split(Batch(), 0, &errors).ValueOrDie();
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_EQ(parts[0].path, "kind=a%2Fb/n=10");
  EXPECT_EQ(parts[2].path, "kind=x%3Dy/n=30");
  EXPECT_EQ(parts[3].path, "kind=__HIVE_DEFAULT_PARTITION__/n=40");
}

TEST(Partitioner, NoColumnsMeansOnePart) {
  auto p = Partitioner::Make({}, Batch()->schema()).ValueOrDie();
  int64_t errors = 0;
  auto parts = p.Split(Batch(), 0, &errors).ValueOrDie();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].path, "");
}

TEST(Partitioner, AValueThatFailsToComputeGoesToTheDefaultPartition) {
  // CAST(kind AS int32) fails for every non-numeric string.
  auto p = Partitioner::Make({{"bucket", "CAST(kind AS int32)", ""}}, Batch()->schema()).ValueOrDie();
  int64_t errors = 0;
  auto parts = p.Split(Batch(), 0, &errors).ValueOrDie();
  EXPECT_EQ(errors, 4);  // "a/b", "a/b", "x=y", "" fail; null is null
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].path, "bucket=__HIVE_DEFAULT_PARTITION__");
  EXPECT_EQ(parts[0].batch->num_rows(), 5);
}

TEST(Partitioner, ErrorsNameTheColumn) {
  auto st = Partitioner::Make({{"day", "date_format(tt, '%d')", "p.yaml:9"}}, Batch()->schema());
  EXPECT_EQ(st.status().message(),
            "p.yaml:9: partition_by.day: at column 13: unknown column 'tt' (did you mean 't'?)");
}

}  // namespace
}  // namespace sluice
