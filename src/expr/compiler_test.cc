#include "expr/compiler.h"

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "expr/evaluator.h"
#include "schema/schema.h"

namespace sluice {
namespace {

class CompilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = arrow::schema({
        arrow::field("i", arrow::int32()),
        arrow::field("l", arrow::int64()),
        arrow::field("d", arrow::float64()),
        arrow::field("s", arrow::utf8()),
        arrow::field("b", arrow::boolean()),
        arrow::field("t", TimestampType()),
    });
    auto columns = std::vector<std::shared_ptr<arrow::Array>>{
        Array(arrow::int32(), "[10, -5, null, 0]"),
        Array(arrow::int64(), "[1, 2, 3, 0]"),
        Array(arrow::float64(), "[1.5, null, -2.0, 0.0]"),
        Array(arrow::utf8(), R"(["temperature", "humidity", null, "12"])"),
        Array(arrow::boolean(), "[true, false, null, true]"),
        Array(TimestampType(), "[1753712254000000, 1753715854500000, null, 0]"),
    };
    batch_ = arrow::RecordBatch::Make(schema, 4, columns);
    compiler_ = std::make_unique<ExprCompiler>(WithProcessingTime(schema));
  }

  static std::shared_ptr<arrow::Array> Array(const std::shared_ptr<arrow::DataType>& type,
                                             const std::string& json) {
    return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
  }

  // The values of `text` over the batch, as Arrow prints them on one line.
  std::string Eval(const std::string& text) {
    auto expr = compiler_->CompileText(text, false);
    if (!expr.ok()) return "error: " + expr.status().message();
    auto result = Evaluate(*expr, *batch_, /*processing_time=*/1'000'000);
    if (!result.ok()) return "eval error: " + result.status().message();
    std::string out = (*result)->ToString();
    std::string compact;
    for (char c : out) {
      if (c != '\n' && c != ' ') compact += c;
    }
    return compact;
  }

  std::shared_ptr<arrow::RecordBatch> batch_;
  std::unique_ptr<ExprCompiler> compiler_;
};

TEST_F(CompilerTest, ComparisonsAcrossIntegerWidthsAndThreeValuedLogic) {
  EXPECT_EQ(Eval("i >= 0"), "[true,false,null,true]");
  EXPECT_EQ(Eval("i BETWEEN 0 AND 100"), "[true,false,null,true]");
  EXPECT_EQ(Eval("i > 0 OR b"), "[true,false,null,true]");
  EXPECT_EQ(Eval("NOT b AND l < 3"), "[false,true,false,false]");
  EXPECT_EQ(Eval("d IS NULL"), "[false,true,false,false]");
  EXPECT_EQ(Eval("i = l * 10"), "[true,false,null,true]");
}

TEST_F(CompilerTest, DivisionIsFloatingAndNullOnZero) {
  EXPECT_EQ(Eval("i / l"), "[10,-2.5,null,null]");
  EXPECT_EQ(Eval("d / 0"), "[null,null,null,null]");
}

TEST_F(CompilerTest, InLikeCaseCoalesce) {
  EXPECT_EQ(Eval("s IN ('humidity', 'x')"), "[false,true,null,false]");
  EXPECT_EQ(Eval("i NOT IN (10, 0)"), "[false,true,null,false]");
  EXPECT_EQ(Eval("i IN (l, 0)"), "[false,false,null,true]");
  EXPECT_EQ(Eval("s LIKE 'temp%'"), "[true,false,null,false]");
  EXPECT_EQ(Eval("CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' END"), R"(["pos","neg",null,null])");
  EXPECT_EQ(Eval("CASE WHEN b THEN i ELSE 2.5 END"), "[10,2.5,2.5,0]");
  EXPECT_EQ(Eval("coalesce(i, 7)"), "[10,-5,7,0]");
}

TEST_F(CompilerTest, TimestampFunctions) {
  EXPECT_EQ(Eval("hour(t)"), "[14,15,null,0]");
  EXPECT_EQ(
      Eval("date_format(t, 'year=%Y/month=%m/day=%d/hour=%H')"),
      R"(["year=2025/month=07/day=28/hour=14","year=2025/month=07/day=28/hour=15",null,"year=1970/month=01/day=01/hour=00"])");
  EXPECT_EQ(Eval("t > '2025-07-28T15:00:00Z'"), "[false,true,null,false]");
  EXPECT_EQ(Eval("date_trunc('hour', t) = TIMESTAMP '2025-07-28T14:00:00Z'"), "[true,false,null,false]");
  EXPECT_EQ(Eval("t + INTERVAL '1 hour' > TIMESTAMP '2025-07-28T15:30:00Z'"), "[false,true,null,false]");
  EXPECT_EQ(Eval("now() = TIMESTAMP '1970-01-01T00:00:01Z'"), "[true,true,true,true]");
}

TEST_F(CompilerTest, StringsAndCasts) {
  EXPECT_EQ(Eval("upper(s) || '-' || i"), R"(["TEMPERATURE-10","HUMIDITY--5",null,"12-0"])");
  EXPECT_EQ(Eval("CAST(l AS double) / 2"), "[0.5,1,1.5,0]");
  EXPECT_EQ(Eval("round(d * 1.234, 1)"), "[1.9,null,-2.5,0]");
}

TEST_F(CompilerTest, CastFailuresAreIsolatedPerRow) {
  auto expr = compiler_->CompileText("CAST(s AS int32) + 1", false).ValueOrDie();
  std::vector<RowError> errors;
  auto result = EvaluateIsolatingErrors(expr, *batch_, 0, &errors).ValueOrDie();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].row, 0);
  EXPECT_EQ(errors[1].row, 1);
  EXPECT_NE(errors[0].message.find("temperature"), std::string::npos);
  EXPECT_EQ(result->length(), 4);
  EXPECT_TRUE(result->IsNull(0));
  EXPECT_EQ(std::static_pointer_cast<arrow::Int32Array>(result)->Value(3), 13);
}

TEST_F(CompilerTest, ErrorsAreReadable) {
  EXPECT_EQ(Eval("batery >= 20"), "error: at column 1: unknown column 'batery'");
  EXPECT_EQ(Eval("ii >= 20"), "error: at column 1: unknown column 'ii' (did you mean 'i'?)");
  EXPECT_EQ(
      Eval("s >= 20"),
      "error: at column 3: '(s >= 20)' cannot be computed for (string, int64): the operand types do not fit");
  EXPECT_EQ(Eval("i AND b"), "error: at column 1: AND needs true/false, but 'i' is int32");
  EXPECT_EQ(Eval("avg(i)"),
            "error: at column 1: aggregate function avg() is not allowed here; aggregates belong in an "
            "aggregation's 'aggregates'");
  EXPECT_EQ(Eval("lowr(s)"), "error: at column 1: unknown function 'lowr' (did you mean 'lower'?)");
  EXPECT_EQ(
      Eval("date_format(t, '%Q')"),
      "error: at column 16: date_format: '%Q' is not supported; use %Y %y %m %d %H %M %S %j %F %T or %%");
  EXPECT_EQ(Eval("round(d, 1, 2)"), "error: at column 1: round() takes 1 to 2 arguments, got 3");
  auto not_bool = compiler_->CompileText("i + 1", true);
  EXPECT_EQ(not_bool.status().message(),
            "'i + 1' is int32, not true/false; write a condition such as 'x >= 0'");
}

}  // namespace
}  // namespace sluice
