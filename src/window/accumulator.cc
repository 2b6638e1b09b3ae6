#include "window/accumulator.h"

#include <cmath>
#include <string>
#include <vector>

#include <arrow/builder.h>
#include <arrow/status.h>

#include "schema/schema.h"

namespace sluice {
namespace {

// ---------------------------------------------------------------------------------
// Array helpers

template <typename ArrowType>
const typename ArrowType::c_type* RawValues(const arrow::Array& values) {
  return static_cast<const arrow::NumericArray<ArrowType>&>(values).raw_values();
}

// Builds an array of `type` from n values, value(i) giving the value of position i
// and valid(i) whether it is non-null.
template <typename ArrowType, typename ValueFn, typename ValidFn>
arrow::Result<std::shared_ptr<arrow::Array>> BuildNumeric(const std::shared_ptr<arrow::DataType>& type,
                                                          int64_t n, ValueFn value, ValidFn valid) {
  std::unique_ptr<arrow::ArrayBuilder> base;
  ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &base));
  auto* builder = static_cast<arrow::NumericBuilder<ArrowType>*>(base.get());
  ARROW_RETURN_NOT_OK(builder->Reserve(n));
  for (int64_t i = 0; i < n; ++i) {
    if (valid(i)) {
      builder->UnsafeAppend(value(i));
    } else {
      builder->UnsafeAppendNull();
    }
  }
  std::shared_ptr<arrow::Array> out;
  ARROW_RETURN_NOT_OK(builder->Finish(&out));
  return out;
}

arrow::Result<std::shared_ptr<arrow::Array>> Int64Column(const std::vector<int64_t>& source,
                                                         const uint32_t* slots, int64_t n) {
  return BuildNumeric<arrow::Int64Type>(
      arrow::int64(), n, [&](int64_t i) { return source[slots[i]]; }, [](int64_t) { return true; });
}

arrow::Result<std::shared_ptr<arrow::Array>> DoubleColumn(const std::vector<double>& source,
                                                          const uint32_t* slots, int64_t n) {
  return BuildNumeric<arrow::DoubleType>(
      arrow::float64(), n, [&](int64_t i) { return source[slots[i]]; }, [](int64_t) { return true; });
}

// Calls fn(slot, value) for each of the n (row, slot) pairs whose input value is not
// null: the loop every numeric accumulator's Update runs.
template <typename ArrowType, typename Fn>
void ForEachValue(const arrow::Array& values, const int32_t* rows, const uint32_t* slots, int64_t n, Fn fn) {
  const auto* data = RawValues<ArrowType>(values);
  const bool all_valid = values.null_count() == 0;
  for (int64_t k = 0; k < n; ++k) {
    const int32_t row = rows[k];
    if (!all_valid && values.IsNull(row)) continue;
    fn(slots[k], data[row]);
  }
}

arrow::Status ExpectColumns(const arrow::ArrayVector& columns, size_t count) {
  if (columns.size() != count)
    return arrow::Status::Invalid("accumulator state has ", columns.size(), " columns, expected ", count);
  return arrow::Status::OK();
}

// ---------------------------------------------------------------------------------
// count(*), count(x), count_if(x)

class CountAccumulator final : public Accumulator {
 public:
  enum class Mode { kRows, kNonNull, kTrue };
  explicit CountAccumulator(Mode mode) : mode_(mode) {}

  std::shared_ptr<arrow::DataType> result_type() const override { return arrow::int64(); }
  void Resize(uint32_t n) override { counts_.resize(n, 0); }
  void Reset(uint32_t slot) override { counts_[slot] = 0; }

  void Update(const arrow::Array* values, const int64_t*, const int32_t* rows, const uint32_t* slots,
              int64_t n) override {
    if (mode_ == Mode::kRows || (mode_ == Mode::kNonNull && values->null_count() == 0)) {
      for (int64_t k = 0; k < n; ++k) ++counts_[slots[k]];
    } else if (mode_ == Mode::kNonNull) {
      for (int64_t k = 0; k < n; ++k) counts_[slots[k]] += values->IsValid(rows[k]);
    } else {
      const auto& bools = static_cast<const arrow::BooleanArray&>(*values);
      for (int64_t k = 0; k < n; ++k) counts_[slots[k]] += bools.IsValid(rows[k]) && bools.Value(rows[k]);
    }
  }
  void Merge(uint32_t dst, uint32_t src) override { counts_[dst] += counts_[src]; }
  arrow::Result<std::shared_ptr<arrow::Array>> Finalize(const uint32_t* slots, int64_t n) const override {
    return Int64Column(counts_, slots, n);
  }
  arrow::FieldVector state_fields() const override { return {arrow::field("count", arrow::int64())}; }
  arrow::Result<arrow::ArrayVector> ExportState(const uint32_t* slots, int64_t n) const override {
    ARROW_ASSIGN_OR_RAISE(auto counts, Int64Column(counts_, slots, n));
    return arrow::ArrayVector{counts};
  }
  arrow::Status ImportState(const arrow::ArrayVector& columns, const uint32_t* slots) override {
    ARROW_RETURN_NOT_OK(ExpectColumns(columns, 1));
    const int64_t* counts = RawValues<arrow::Int64Type>(*columns[0]);
    for (int64_t i = 0; i < columns[0]->length(); ++i) counts_[slots[i]] = counts[i];
    return arrow::Status::OK();
  }

 private:
  Mode mode_;
  std::vector<int64_t> counts_;
};

// ---------------------------------------------------------------------------------
// sum(x), avg(x): a sum (int64 for integers, double otherwise) and a count.

template <typename InType, typename SumType, bool kAverage>
class SumAccumulator final : public Accumulator {
  using In = typename InType::c_type;
  using Sum = typename SumType::c_type;

 public:
  std::shared_ptr<arrow::DataType> result_type() const override {
    return kAverage ? arrow::float64() : arrow::TypeTraits<SumType>::type_singleton();
  }
  void Resize(uint32_t n) override {
    sums_.resize(n, 0);
    counts_.resize(n, 0);
  }
  void Reset(uint32_t slot) override {
    sums_[slot] = 0;
    counts_[slot] = 0;
  }
  void Update(const arrow::Array* values, const int64_t*, const int32_t* rows, const uint32_t* slots,
              int64_t n) override {
    ForEachValue<InType>(*values, rows, slots, n, [this](uint32_t s, In x) {
      Add(&sums_[s], static_cast<Sum>(x));
      ++counts_[s];
    });
  }
  void Merge(uint32_t dst, uint32_t src) override {
    Add(&sums_[dst], sums_[src]);
    counts_[dst] += counts_[src];
  }
  arrow::Result<std::shared_ptr<arrow::Array>> Finalize(const uint32_t* slots, int64_t n) const override {
    auto valid = [&](int64_t i) { return counts_[slots[i]] > 0; };
    if constexpr (kAverage) {
      return BuildNumeric<arrow::DoubleType>(
          arrow::float64(), n,
          [&](int64_t i) {
            return static_cast<double>(sums_[slots[i]]) / static_cast<double>(counts_[slots[i]]);
          },
          valid);
    } else {
      return BuildNumeric<SumType>(
          result_type(), n, [&](int64_t i) { return sums_[slots[i]]; }, valid);
    }
  }
  arrow::FieldVector state_fields() const override {
    return {arrow::field("sum", arrow::TypeTraits<SumType>::type_singleton()),
            arrow::field("count", arrow::int64())};
  }
  arrow::Result<arrow::ArrayVector> ExportState(const uint32_t* slots, int64_t n) const override {
    ARROW_ASSIGN_OR_RAISE(auto sums,
                          BuildNumeric<SumType>(
                              arrow::TypeTraits<SumType>::type_singleton(), n,
                              [&](int64_t i) { return sums_[slots[i]]; }, [](int64_t) { return true; }));
    ARROW_ASSIGN_OR_RAISE(auto counts, Int64Column(counts_, slots, n));
    return arrow::ArrayVector{sums, counts};
  }
  arrow::Status ImportState(const arrow::ArrayVector& columns, const uint32_t* slots) override {
    ARROW_RETURN_NOT_OK(ExpectColumns(columns, 2));
    const Sum* sums = RawValues<SumType>(*columns[0]);
    const int64_t* counts = RawValues<arrow::Int64Type>(*columns[1]);
    for (int64_t i = 0; i < columns[0]->length(); ++i) {
      sums_[slots[i]] = sums[i];
      counts_[slots[i]] = counts[i];
    }
    return arrow::Status::OK();
  }

 private:
  static void Add(Sum* acc, Sum v) {
    if constexpr (std::is_integral_v<Sum>) {
      // Two's-complement wraparound, without signed-overflow UB.
      *acc = static_cast<Sum>(static_cast<uint64_t>(*acc) + static_cast<uint64_t>(v));
    } else {
      *acc += v;
    }
  }
  std::vector<Sum> sums_;
  std::vector<int64_t> counts_;
};

// ---------------------------------------------------------------------------------
// var_samp, var_pop, stddev_samp, stddev_pop: Welford's running mean and M2, merged
// with Chan et al.'s parallel formula.

template <typename InType>
class MomentsAccumulator final : public Accumulator {
  using In = typename InType::c_type;

 public:
  MomentsAccumulator(bool sample, bool sqrt) : sample_(sample), sqrt_(sqrt) {}

  std::shared_ptr<arrow::DataType> result_type() const override { return arrow::float64(); }
  void Resize(uint32_t n) override {
    counts_.resize(n, 0);
    means_.resize(n, 0);
    m2_.resize(n, 0);
  }
  void Reset(uint32_t slot) override {
    counts_[slot] = 0;
    means_[slot] = 0;
    m2_[slot] = 0;
  }
  void Update(const arrow::Array* values, const int64_t*, const int32_t* rows, const uint32_t* slots,
              int64_t n) override {
    ForEachValue<InType>(*values, rows, slots, n, [this](uint32_t s, In value) {
      const double x = static_cast<double>(value);
      const int64_t count = ++counts_[s];
      const double delta = x - means_[s];
      means_[s] += delta / static_cast<double>(count);
      m2_[s] += delta * (x - means_[s]);
    });
  }
  void Merge(uint32_t dst, uint32_t src) override {
    int64_t na = counts_[dst], nb = counts_[src];
    if (nb == 0) return;
    if (na == 0) {
      counts_[dst] = nb;
      means_[dst] = means_[src];
      m2_[dst] = m2_[src];
      return;
    }
    double n = static_cast<double>(na + nb);
    double delta = means_[src] - means_[dst];
    means_[dst] += delta * static_cast<double>(nb) / n;
    m2_[dst] += m2_[src] + delta * delta * static_cast<double>(na) * static_cast<double>(nb) / n;
    counts_[dst] = na + nb;
  }
  arrow::Result<std::shared_ptr<arrow::Array>> Finalize(const uint32_t* slots, int64_t n) const override {
    const int64_t min_count = sample_ ? 2 : 1;
    return BuildNumeric<arrow::DoubleType>(
        arrow::float64(), n,
        [&](int64_t i) {
          uint32_t s = slots[i];
          double variance = m2_[s] / static_cast<double>(counts_[s] - (sample_ ? 1 : 0));
          if (variance < 0) variance = 0;  // rounding on constant inputs
          return sqrt_ ? std::sqrt(variance) : variance;
        },
        [&](int64_t i) { return counts_[slots[i]] >= min_count; });
  }
  arrow::FieldVector state_fields() const override {
    return {arrow::field("count", arrow::int64()), arrow::field("mean", arrow::float64()),
            arrow::field("m2", arrow::float64())};
  }
  arrow::Result<arrow::ArrayVector> ExportState(const uint32_t* slots, int64_t n) const override {
    ARROW_ASSIGN_OR_RAISE(auto counts, Int64Column(counts_, slots, n));
    ARROW_ASSIGN_OR_RAISE(auto means, DoubleColumn(means_, slots, n));
    ARROW_ASSIGN_OR_RAISE(auto m2, DoubleColumn(m2_, slots, n));
    return arrow::ArrayVector{counts, means, m2};
  }
  arrow::Status ImportState(const arrow::ArrayVector& columns, const uint32_t* slots) override {
    ARROW_RETURN_NOT_OK(ExpectColumns(columns, 3));
    const int64_t* counts = RawValues<arrow::Int64Type>(*columns[0]);
    const double* means = RawValues<arrow::DoubleType>(*columns[1]);
    const double* m2 = RawValues<arrow::DoubleType>(*columns[2]);
    for (int64_t i = 0; i < columns[0]->length(); ++i) {
      counts_[slots[i]] = counts[i];
      means_[slots[i]] = means[i];
      m2_[slots[i]] = m2[i];
    }
    return arrow::Status::OK();
  }

 private:
  bool sample_;
  bool sqrt_;
  std::vector<int64_t> counts_;
  std::vector<double> means_;
  std::vector<double> m2_;
};

// ---------------------------------------------------------------------------------
// min, max, first, last: one kept value per slot, chosen by a rule.
//
// Storage is `Value` per slot: the C type for numbers and timestamps, std::string for
// strings. Choose(...) says whether a candidate replaces the kept value.

enum class Pick { kMin, kMax, kFirst, kLast };

template <Pick kPick, typename Value>
bool Replaces(const Value& candidate, int64_t candidate_time, const Value& kept, int64_t kept_time) {
  if constexpr (kPick == Pick::kMin) return candidate < kept;
  if constexpr (kPick == Pick::kMax) return kept < candidate;
  if constexpr (kPick == Pick::kFirst) return candidate_time < kept_time;
  return candidate_time >= kept_time;
}

template <typename InType>
struct KeptValue {
  using type = typename arrow::TypeTraits<InType>::CType;
};
template <>
struct KeptValue<arrow::StringType> {
  using type = std::string;
};

template <typename InType, Pick kPick>
class PickAccumulator final : public Accumulator {
  static constexpr bool kIsString = std::is_same_v<InType, arrow::StringType>;
  using Value = typename KeptValue<InType>::type;
  using ArrayType = typename arrow::TypeTraits<InType>::ArrayType;

 public:
  explicit PickAccumulator(std::shared_ptr<arrow::DataType> type) : type_(std::move(type)) {}

  std::shared_ptr<arrow::DataType> result_type() const override { return type_; }
  void Resize(uint32_t n) override {
    values_.resize(n);
    times_.resize(n, 0);
    has_.resize(n, 0);
  }
  void Reset(uint32_t slot) override {
    values_[slot] = Value{};
    has_[slot] = 0;
  }
  void Update(const arrow::Array* values, const int64_t* event_times, const int32_t* rows,
              const uint32_t* slots, int64_t n) override {
    const auto& array = static_cast<const ArrayType&>(*values);
    for (int64_t k = 0; k < n; ++k) {
      int32_t row = rows[k];
      if (array.IsNull(row)) continue;
      Offer(slots[k], array.GetView(row), event_times[row]);
    }
  }
  void Merge(uint32_t dst, uint32_t src) override {
    if (has_[src]) Offer(dst, values_[src], times_[src]);
  }
  arrow::Result<std::shared_ptr<arrow::Array>> Finalize(const uint32_t* slots, int64_t n) const override {
    return ValueColumn(slots, n);
  }
  arrow::FieldVector state_fields() const override {
    return {arrow::field("value", type_), arrow::field("time", arrow::int64())};
  }
  arrow::Result<arrow::ArrayVector> ExportState(const uint32_t* slots, int64_t n) const override {
    ARROW_ASSIGN_OR_RAISE(auto values, ValueColumn(slots, n));
    ARROW_ASSIGN_OR_RAISE(auto times, Int64Column(times_, slots, n));
    return arrow::ArrayVector{values, times};
  }
  arrow::Status ImportState(const arrow::ArrayVector& columns, const uint32_t* slots) override {
    ARROW_RETURN_NOT_OK(ExpectColumns(columns, 2));
    const auto& values = static_cast<const ArrayType&>(*columns[0]);
    const int64_t* times = RawValues<arrow::Int64Type>(*columns[1]);
    for (int64_t i = 0; i < values.length(); ++i) {
      uint32_t s = slots[i];
      has_[s] = values.IsValid(i);
      if (has_[s]) values_[s] = Value(values.GetView(i));
      times_[s] = times[i];
    }
    return arrow::Status::OK();
  }

 private:
  template <typename Candidate>
  void Offer(uint32_t slot, const Candidate& candidate, int64_t time) {
    if (!has_[slot] || Replaces<kPick, Candidate>(candidate, time, Candidate(values_[slot]), times_[slot])) {
      values_[slot] = Value(candidate);
      times_[slot] = time;
      has_[slot] = 1;
    }
  }

  arrow::Result<std::shared_ptr<arrow::Array>> ValueColumn(const uint32_t* slots, int64_t n) const {
    if constexpr (kIsString) {
      arrow::StringBuilder builder;
      ARROW_RETURN_NOT_OK(builder.Reserve(n));
      for (int64_t i = 0; i < n; ++i) {
        if (has_[slots[i]]) {
          ARROW_RETURN_NOT_OK(builder.Append(values_[slots[i]]));
        } else {
          ARROW_RETURN_NOT_OK(builder.AppendNull());
        }
      }
      std::shared_ptr<arrow::Array> out;
      ARROW_RETURN_NOT_OK(builder.Finish(&out));
      return out;
    } else {
      return BuildNumeric<InType>(
          type_, n, [&](int64_t i) { return values_[slots[i]]; },
          [&](int64_t i) { return has_[slots[i]] != 0; });
    }
  }

  std::shared_ptr<arrow::DataType> type_;
  std::vector<Value> values_;
  std::vector<int64_t> times_;
  std::vector<uint8_t> has_;
};

// ---------------------------------------------------------------------------------
// Factory

template <template <typename> class Make>
std::unique_ptr<Accumulator> ForNumeric(const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::INT32:
      return Make<arrow::Int32Type>::Get(type);
    case arrow::Type::INT64:
      return Make<arrow::Int64Type>::Get(type);
    case arrow::Type::DOUBLE:
      return Make<arrow::DoubleType>::Get(type);
    default:
      return nullptr;
  }
}

template <typename T>
struct MakeSum {
  static std::unique_ptr<Accumulator> Get(const std::shared_ptr<arrow::DataType>&) {
    if constexpr (std::is_same_v<T, arrow::DoubleType>) {
      return std::make_unique<SumAccumulator<T, arrow::DoubleType, false>>();
    } else {
      return std::make_unique<SumAccumulator<T, arrow::Int64Type, false>>();
    }
  }
};
template <typename T>
struct MakeAvg {
  static std::unique_ptr<Accumulator> Get(const std::shared_ptr<arrow::DataType>&) {
    return std::make_unique<SumAccumulator<T, arrow::DoubleType, true>>();
  }
};

template <Pick kPick>
std::unique_ptr<Accumulator> MakePick(const std::shared_ptr<arrow::DataType>& type) {
  switch (type->id()) {
    case arrow::Type::INT32:
      return std::make_unique<PickAccumulator<arrow::Int32Type, kPick>>(type);
    case arrow::Type::INT64:
      return std::make_unique<PickAccumulator<arrow::Int64Type, kPick>>(type);
    case arrow::Type::DOUBLE:
      return std::make_unique<PickAccumulator<arrow::DoubleType, kPick>>(type);
    case arrow::Type::TIMESTAMP:
      return std::make_unique<PickAccumulator<arrow::TimestampType, kPick>>(type);
    case arrow::Type::STRING:
      return std::make_unique<PickAccumulator<arrow::StringType, kPick>>(type);
    default:
      return nullptr;
  }
}

std::unique_ptr<Accumulator> MakeMoments(const std::shared_ptr<arrow::DataType>& type, bool sample,
                                         bool sqrt) {
  switch (type->id()) {
    case arrow::Type::INT32:
      return std::make_unique<MomentsAccumulator<arrow::Int32Type>>(sample, sqrt);
    case arrow::Type::INT64:
      return std::make_unique<MomentsAccumulator<arrow::Int64Type>>(sample, sqrt);
    case arrow::Type::DOUBLE:
      return std::make_unique<MomentsAccumulator<arrow::DoubleType>>(sample, sqrt);
    default:
      return nullptr;
  }
}

}  // namespace

arrow::Result<std::unique_ptr<Accumulator>> MakeAccumulator(
    AggregateKind kind, const std::shared_ptr<arrow::DataType>& input_type) {
  std::unique_ptr<Accumulator> out;
  std::string needs = "a number";
  switch (kind) {
    case AggregateKind::kCountStar:
      return std::make_unique<CountAccumulator>(CountAccumulator::Mode::kRows);
    case AggregateKind::kCount:
      return std::make_unique<CountAccumulator>(CountAccumulator::Mode::kNonNull);
    case AggregateKind::kCountIf:
      if (input_type->id() == arrow::Type::BOOL)
        return std::make_unique<CountAccumulator>(CountAccumulator::Mode::kTrue);
      needs = "a condition (true/false)";
      break;
    case AggregateKind::kSum:
      out = ForNumeric<MakeSum>(input_type);
      break;
    case AggregateKind::kAvg:
      out = ForNumeric<MakeAvg>(input_type);
      break;
    case AggregateKind::kStddevSamp:
    case AggregateKind::kStddevPop:
    case AggregateKind::kVarSamp:
    case AggregateKind::kVarPop: {
      bool sample = kind == AggregateKind::kStddevSamp || kind == AggregateKind::kVarSamp;
      bool sqrt = kind == AggregateKind::kStddevSamp || kind == AggregateKind::kStddevPop;
      out = MakeMoments(input_type, sample, sqrt);
      break;
    }
    case AggregateKind::kMin:
      out = MakePick<Pick::kMin>(input_type);
      needs = "a number, timestamp or string";
      break;
    case AggregateKind::kMax:
      out = MakePick<Pick::kMax>(input_type);
      needs = "a number, timestamp or string";
      break;
    case AggregateKind::kFirst:
      out = MakePick<Pick::kFirst>(input_type);
      needs = "a number, timestamp or string";
      break;
    case AggregateKind::kLast:
      out = MakePick<Pick::kLast>(input_type);
      needs = "a number, timestamp or string";
      break;
  }
  if (!out) {
    return arrow::Status::Invalid(AggregateKindName(kind), "() needs ", needs, ", but its argument is ",
                                  ArrowTypeName(*input_type));
  }
  return out;
}

}  // namespace sluice
