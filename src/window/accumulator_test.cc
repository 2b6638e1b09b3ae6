#include "window/accumulator.h"

#include <cmath>
#include <numeric>

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "schema/schema.h"

namespace sluice {
namespace {

std::shared_ptr<arrow::Array> Json(const std::shared_ptr<arrow::DataType>& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

// Feeds rows 0..n-1 of `values` with event times `times` into slot assignment `slots`
// and returns the finalized results of slots 0..num_slots-1 as text.
std::string Aggregate(AggregateKind kind, const std::shared_ptr<arrow::Array>& values,
                      std::vector<uint32_t> slots, uint32_t num_slots, std::vector<int64_t> times = {}) {
  auto acc = MakeAccumulator(kind, values ? values->type() : arrow::null()).ValueOrDie();
  acc->Resize(num_slots);
  int64_t n = static_cast<int64_t>(slots.size());
  std::vector<int32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  if (times.empty()) times.assign(n, 0);
  acc->Update(values.get(), times.data(), rows.data(), slots.data(), n);
  std::vector<uint32_t> all(num_slots);
  std::iota(all.begin(), all.end(), 0);
  std::string out = acc->Finalize(all.data(), num_slots).ValueOrDie()->ToString();
  std::string compact;
  for (char c : out) {
    if (c != '\n' && c != ' ') compact += c;
  }
  return compact;
}

TEST(Accumulator, CountsSumsAverages) {
  auto v = Json(arrow::int32(), "[1, null, 3, 4]");
  EXPECT_EQ(Aggregate(AggregateKind::kCountStar, nullptr, {0, 0, 1, 1}, 3), "[2,2,0]");
  EXPECT_EQ(Aggregate(AggregateKind::kCount, v, {0, 0, 1, 1}, 2), "[1,2]");
  EXPECT_EQ(Aggregate(AggregateKind::kSum, v, {0, 0, 1, 1}, 3), "[1,7,null]");
  EXPECT_EQ(Aggregate(AggregateKind::kAvg, v, {0, 0, 1, 1}, 3), "[1,3.5,null]");
  EXPECT_EQ(Aggregate(AggregateKind::kCountIf, Json(arrow::boolean(), "[true, false, null, true]"),
                      {0, 0, 0, 1}, 2),
            "[1,1]");
}

TEST(Accumulator, SampleStddevIsNullForOneValue) {
  auto v = Json(arrow::float64(), "[2, 4, 4, 4, 5, 5, 7, 9, 42]");
  EXPECT_EQ(Aggregate(AggregateKind::kStddevSamp, v, {0, 0, 0, 0, 0, 0, 0, 0, 1}, 3),
            "[2.138089935299395,null,null]");
  EXPECT_EQ(Aggregate(AggregateKind::kStddevPop, v, {0, 0, 0, 0, 0, 0, 0, 0, 1}, 2), "[2,0]");
  EXPECT_EQ(Aggregate(AggregateKind::kVarSamp, v, {0, 0, 0, 0, 0, 0, 0, 0, 1}, 2),
            "[4.571428571428571,null]");
}

TEST(Accumulator, VarianceIsNumericallyStable) {
  // A naive sum-of-squares formula loses every digit here.
  auto v = Json(arrow::float64(), "[1000000004, 1000000007, 1000000013, 1000000016]");
  EXPECT_EQ(Aggregate(AggregateKind::kVarSamp, v, {0, 0, 0, 0}, 1), "[30]");
}

TEST(Accumulator, MinMaxFirstLastOnStringsAndTimestamps) {
  auto s = Json(arrow::utf8(), R"(["b", "a", null, "c"])");
  EXPECT_EQ(Aggregate(AggregateKind::kMin, s, {0, 0, 0, 0}, 1), R"(["a"])");
  EXPECT_EQ(Aggregate(AggregateKind::kMax, s, {0, 0, 0, 0}, 1), R"(["c"])");
  // first/last by event time; ties: first keeps the earlier arrival, last the later.
  EXPECT_EQ(Aggregate(AggregateKind::kFirst, s, {0, 0, 0, 0}, 1, {20, 10, 5, 10}), R"(["a"])");
  EXPECT_EQ(Aggregate(AggregateKind::kLast, s, {0, 0, 0, 0}, 1, {20, 10, 30, 20}), R"(["c"])");
  auto t = Json(TimestampType(), "[30, 10, 20]");
  auto acc = MakeAccumulator(AggregateKind::kMax, t->type()).ValueOrDie();
  EXPECT_TRUE(acc->result_type()->Equals(*TimestampType()));
}

TEST(Accumulator, MergeEqualsUpdatingTogether) {
  auto v = Json(arrow::float64(), "[1.5, 2.5, 10, -3, 7, 0.25]");
  for (auto kind :
       {AggregateKind::kStddevSamp, AggregateKind::kAvg, AggregateKind::kMin, AggregateKind::kLast}) {
    std::string together = Aggregate(kind, v, {0, 0, 0, 0, 0, 0}, 1, {1, 2, 3, 4, 5, 6});
    auto acc = MakeAccumulator(kind, v->type()).ValueOrDie();
    acc->Resize(2);
    std::vector<int32_t> rows = {0, 1, 2, 3, 4, 5};
    std::vector<uint32_t> slots = {0, 1, 0, 1, 1, 0};
    std::vector<int64_t> times = {1, 2, 3, 4, 5, 6};
    acc->Update(v.get(), times.data(), rows.data(), slots.data(), 6);
    acc->Merge(0, 1);
    uint32_t zero = 0;
    auto merged = acc->Finalize(&zero, 1).ValueOrDie()->ToString();
    std::string compact;
    for (char c : merged) {
      if (c != '\n' && c != ' ') compact += c;
    }
    EXPECT_EQ(compact, together) << AggregateKindName(kind);
  }
}

TEST(Accumulator, ExportImportRoundTrip) {
  auto v = Json(arrow::utf8(), R"(["x", "y", "z"])");
  for (auto kind : {AggregateKind::kCount, AggregateKind::kMax, AggregateKind::kFirst}) {
    auto a = MakeAccumulator(kind, v->type()).ValueOrDie();
    a->Resize(2);
    std::vector<int32_t> rows = {0, 1, 2};
    std::vector<uint32_t> slots = {0, 1, 1};
    std::vector<int64_t> times = {3, 2, 1};
    a->Update(v.get(), times.data(), rows.data(), slots.data(), 3);
    std::vector<uint32_t> order = {1, 0};
    auto state = a->ExportState(order.data(), 2).ValueOrDie();
    auto b = MakeAccumulator(kind, v->type()).ValueOrDie();
    b->Resize(8);
    std::vector<uint32_t> targets = {5, 7};
    ASSERT_TRUE(b->ImportState(state, targets.data()).ok());
    EXPECT_TRUE(
        a->Finalize(order.data(), 2).ValueOrDie()->Equals(*b->Finalize(targets.data(), 2).ValueOrDie()))
        << AggregateKindName(kind);
  }
}

TEST(Accumulator, TypeErrorsNameFunctionAndType) {
  EXPECT_EQ(MakeAccumulator(AggregateKind::kAvg, arrow::utf8()).status().message(),
            "avg() needs a number, but its argument is string");
  EXPECT_EQ(MakeAccumulator(AggregateKind::kCountIf, arrow::int32()).status().message(),
            "count_if() needs a condition (true/false), but its argument is int32");
  EXPECT_EQ(MakeAccumulator(AggregateKind::kMin, arrow::boolean()).status().message(),
            "min() needs a number, timestamp or string, but its argument is bool");
}

}  // namespace
}  // namespace sluice
