#include "expr/parser.h"

#include <gtest/gtest.h>

#include "expr/aggregate_call.h"

namespace sluice {
namespace {

std::string RoundTrip(const std::string& text) {
  auto node = ParseExpression(text);
  if (!node.ok()) return "error: " + node.status().message();
  return ToSql(*node);
}

TEST(Parser, PrecedenceAndAssociativity) {
  EXPECT_EQ(RoundTrip("a + b * c - d"), "((a + (b * c)) - d)");
  EXPECT_EQ(RoundTrip("a OR b AND NOT c"), "(a OR (b AND (NOT c)))");
  EXPECT_EQ(RoundTrip("NOT a = 1"), "(NOT (a = 1))");
  EXPECT_EQ(RoundTrip("-x * 2"), "((-x) * 2)");
  EXPECT_EQ(RoundTrip("a || 'x' || b"), "((a || 'x') || b)");
}

TEST(Parser, Predicates) {
  EXPECT_EQ(RoundTrip("battery_level BETWEEN 0 AND 100"), "(battery_level BETWEEN 0 AND 100)");
  EXPECT_EQ(RoundTrip("x not between 1 and 2 and y"), "((x NOT BETWEEN 1 AND 2) AND y)");
  EXPECT_EQ(RoundTrip("t IN ('a', 'b')"), "(t IN ('a', 'b'))");
  EXPECT_EQ(RoundTrip("t NOT IN (-1, 2.5)"), "(t NOT IN (-1, 2.5))");
  EXPECT_EQ(RoundTrip("x IS NOT NULL AND y is null"), "((x IS NOT NULL) AND (y IS NULL))");
  EXPECT_EQ(RoundTrip("name LIKE 'temp%'"), "(name LIKE 'temp%')");
  EXPECT_EQ(RoundTrip("a <> b AND a == c"), "((a != b) AND (a = c))");
}

TEST(Parser, LiteralsAndNames) {
  EXPECT_EQ(RoundTrip("TIMESTAMP '2025-07-28 14:00:00+02:00'"), "TIMESTAMP '2025-07-28T12:00:00Z'");
  EXPECT_EQ(RoundTrip("interval '90 seconds'"), "INTERVAL '90 seconds'");
  EXPECT_EQ(RoundTrip("'it''s'"), "'it''s'");
  EXPECT_EQ(RoundTrip("\"odd name\" + `x`"), "(\"odd name\" + x)");
  EXPECT_EQ(RoundTrip("1e3 + .5"), "(1000.0 + 0.5)");
  EXPECT_EQ(RoundTrip("TRUE AND NULL"), "(TRUE AND NULL)");
  EXPECT_EQ(RoundTrip("-9223372036854775808"), "-9223372036854775808");
}

TEST(Parser, CaseCastAndCalls) {
  EXPECT_EQ(RoundTrip("CASE WHEN x > 1 THEN 'big' ELSE 'small' END"),
            "CASE WHEN (x > 1) THEN 'big' ELSE 'small' END");
  EXPECT_EQ(RoundTrip("case kind when 'a' then 1 when 'b' then 2 end"),
            "CASE WHEN (kind = 'a') THEN 1 WHEN (kind = 'b') THEN 2 END");
  EXPECT_EQ(RoundTrip("CAST(x AS BIGINT)"), "CAST(x AS bigint)");
  EXPECT_EQ(RoundTrip("count(*)"), "count(*)");
  EXPECT_EQ(RoundTrip("COALESCE(a, b, 0)"), "coalesce(a, b, 0)");
  EXPECT_EQ(RoundTrip("now()"), "now()");
  EXPECT_EQ(RoundTrip("current_timestamp"), "now()");
}

TEST(Parser, ErrorsPointAtTheProblem) {
  EXPECT_EQ(RoundTrip("a >"), "error: at column 4: the expression ends where a value was expected");
  EXPECT_EQ(
      RoundTrip("avg(value"),
      "error: at column 10: expected ')' after the arguments of 'avg', found the end of the expression");
  EXPECT_EQ(RoundTrip("x BETWEEN 1 OR 2"),
            "error: at column 13: expected AND between the bounds of BETWEEN, found 'OR'");
  EXPECT_EQ(RoundTrip("a b"), "error: at column 3: unexpected 'b' after a complete expression");
  EXPECT_EQ(RoundTrip("'open"), "error: at column 1: unterminated string; close it with '");
  EXPECT_EQ(RoundTrip("a % 2"),
            "error: at column 3: unexpected character '%' (the % operator is not supported)");
  EXPECT_EQ(RoundTrip("TIMESTAMP 'noon'"),
            "error: at column 11: 'noon' is not an ISO-8601 timestamp (e.g. 2025-07-28T14:00:00Z)");
  EXPECT_EQ(RoundTrip(""), "error: the expression is empty");
  EXPECT_EQ(RoundTrip("count(DISTINCT x)"), "error: at column 1: count(DISTINCT ...) is not supported");
  EXPECT_EQ(RoundTrip("CASE x END"), "error: at column 8: expected WHEN after CASE, found 'END'");
}

TEST(AggregateExtraction, SharesEqualCallsAndRewrites) {
  std::vector<AggregateCall> calls;
  auto a = ExtractAggregates(ParseExpression("sum(cost) / sum(views)").ValueOrDie(), &calls).ValueOrDie();
  auto b = ExtractAggregates(ParseExpression("SUM(cost)").ValueOrDie(), &calls).ValueOrDie();
  auto c = ExtractAggregates(ParseExpression("count(*)").ValueOrDie(), &calls).ValueOrDie();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(ToSql(a), "(__agg0 / __agg1)");
  EXPECT_EQ(ToSql(b), "__agg0");
  EXPECT_EQ(ToSql(c), "__agg2");
  EXPECT_EQ(calls[2].kind, AggregateKind::kCountStar);
  EXPECT_EQ(ToSql(calls[0].argument), "cost");
}

TEST(AggregateExtraction, Errors) {
  std::vector<AggregateCall> calls;
  auto nested = ExtractAggregates(ParseExpression("avg(max(x))").ValueOrDie(), &calls);
  EXPECT_EQ(nested.status().message(), "at column 1: aggregate functions cannot be nested: 'avg(max(x))'");
  auto star = ExtractAggregates(ParseExpression("sum(*)").ValueOrDie(), &calls);
  EXPECT_EQ(star.status().message(), "at column 1: '*' is only allowed in count(*)");
  auto arity = ExtractAggregates(ParseExpression("avg(a, b)").ValueOrDie(), &calls);
  EXPECT_EQ(arity.status().message(), "at column 1: avg() takes one argument, got 2");
  EXPECT_EQ(ColumnsOutsideAggregates(
                ExtractAggregates(ParseExpression("device_id || avg(v)").ValueOrDie(), &calls).ValueOrDie()),
            std::vector<std::string>{"device_id"});
}

}  // namespace
}  // namespace sluice
