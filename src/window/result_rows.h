#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/result.h>

#include "state/key_encoder.h"
#include "window/accumulator.h"
#include "window/aggregation_plan.h"

namespace sluice {

// Results of an aggregation about to be written: per row its window bounds (ignored for
// global windows), its encoded group key and the accumulator slot holding its state.
// Keys are views into operator state that must stay valid until Build returns.
struct ResultRows {
  std::vector<int64_t> starts;
  std::vector<int64_t> ends;
  std::vector<std::string_view> keys;
  std::vector<uint32_t> slots;

  void Add(int64_t start, int64_t end, std::string_view key, uint32_t slot) {
    starts.push_back(start);
    ends.push_back(end);
    keys.push_back(key);
    slots.push_back(slot);
  }
  size_t size() const { return slots.size(); }
  bool empty() const { return slots.empty(); }
  void Clear();
  // Puts the rows in a deterministic order: by end, start, then key bytes (emission
  // order does not depend on slot numbers, which differ after a restore).
  void Sort();
};

// The output rows (plan.output_schema) of `rows`: window bounds, decoded keys, each
// accumulator's result, the output expressions and, in update and complete modes,
// emitted_at = `processing_time`. Values that cannot be computed are null and counted
// in `expression_errors`. Returns null for no rows.
arrow::Result<std::shared_ptr<arrow::RecordBatch>> BuildResults(
    const AggregationPlan& plan, const KeyEncoder& encoder,
    const std::vector<std::unique_ptr<Accumulator>>& accumulators, const ResultRows& rows,
    int64_t processing_time, int64_t* expression_errors);

// The grouping keys of every row of `batch` (rows of the plan's input schema).
arrow::Status EncodeGroupKeys(const AggregationPlan& plan, const KeyEncoder& encoder,
                              const arrow::RecordBatch& batch, KeyEncoder::EncodedKeys* keys);

// The encoder of `plan`'s grouping columns and one accumulator per aggregate call.
arrow::Result<KeyEncoder> MakeKeyEncoder(const AggregationPlan& plan);
arrow::Result<std::vector<std::unique_ptr<Accumulator>>> MakeAccumulators(const AggregationPlan& plan);

}  // namespace sluice
