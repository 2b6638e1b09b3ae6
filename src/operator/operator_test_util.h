#pragma once

// Test support for operators: events of (device, t, v), a harness that feeds them in
// batches through an operator with a real WatermarkTracker, and a compact rendering of
// emitted rows.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "common/time_util.h"
#include "operator/operators.h"
#include "schema/schema.h"
#include "state/watermark.h"

namespace sluice {

inline constexpr int64_t kMinute = 60'000'000;

inline std::shared_ptr<arrow::Schema> InputSchema() {
  return arrow::schema({arrow::field("device", arrow::utf8()), arrow::field("t", TimestampType()),
                        arrow::field("v", arrow::float64())});
}

struct Event {
  std::string device;
  int64_t t;
  std::optional<double> v;
};

inline std::shared_ptr<arrow::RecordBatch> MakeBatch(const std::vector<Event>& events) {
  arrow::StringBuilder devices;
  arrow::TimestampBuilder times(TimestampType(), arrow::default_memory_pool());
  arrow::DoubleBuilder values;
  for (const auto& e : events) {
    EXPECT_TRUE(devices.Append(e.device).ok());
    EXPECT_TRUE(times.Append(e.t).ok());
    EXPECT_TRUE((e.v ? values.Append(*e.v) : values.AppendNull()).ok());
  }
  arrow::ArrayVector columns(3);
  EXPECT_TRUE(devices.Finish(&columns[0]).ok());
  EXPECT_TRUE(times.Finish(&columns[1]).ok());
  EXPECT_TRUE(values.Finish(&columns[2]).ok());
  return arrow::RecordBatch::Make(InputSchema(), static_cast<int64_t>(events.size()), columns);
}

// Renders every row as "start..end device a b ..." with times as minutes (without
// bounds, running aggregates: "device a b ...").
inline std::vector<std::string> Rows(const std::shared_ptr<arrow::RecordBatch>& batch) {
  std::vector<std::string> rows;
  if (!batch) return rows;
  const bool bounds = batch->schema()->field(0)->name() == "window_start";
  for (int64_t r = 0; r < batch->num_rows(); ++r) {
    std::string row;
    if (bounds) {
      auto start = std::static_pointer_cast<arrow::TimestampArray>(batch->column(0))->Value(r) / kMinute;
      auto end = std::static_pointer_cast<arrow::TimestampArray>(batch->column(1))->Value(r) / kMinute;
      row = std::to_string(start) + ".." + std::to_string(end);
    }
    for (int c = bounds ? 2 : 0; c < batch->num_columns(); ++c) {
      if (batch->schema()->field(c)->name() == "emitted_at") continue;
      if (!row.empty()) row += " ";
      row += batch->column(c)->GetScalar(r).ValueOrDie()->ToString();
    }
    rows.push_back(row);
  }
  return rows;
}

class Harness {
 public:
  Harness(WindowSpec window, Duration delay,
          std::vector<AggregateOutput> outputs = {{"n", "count(*)", ""}, {"avg_v", "avg(v)", ""}},
          AggregationOptions options = {})
      : tracker_(delay) {
    auto plan =
        AggregationPlan::Make("agg", window, {"device"}, "", outputs, InputSchema(), options).ValueOrDie();
    op_ = MakeOperator(plan).ValueOrDie();
  }

  // Feeds events in batches of `batch_size`, emitting after each batch; returns every
  // emitted row and (in late_) the late events' indexes.
  // `partition_of` gives each event's source partition (default: all in 0).
  std::vector<std::string> Feed(const std::vector<Event>& events, size_t batch_size, bool drain,
                                const std::vector<int32_t>& partition_of = {}) {
    std::vector<std::string> out;
    for (size_t begin = 0; begin < events.size(); begin += batch_size) {
      std::vector<Event> part(events.begin() + begin,
                              events.begin() + std::min(events.size(), begin + batch_size));
      auto batch = MakeBatch(part);
      auto times = std::static_pointer_cast<arrow::TimestampArray>(batch->column(1));
      std::vector<int64_t> thresholds(part.size());
      tracker_.Advance(times->raw_values(), nullptr, batch->num_rows(), thresholds.data());
      std::vector<int32_t> partitions;
      for (size_t i = 0; i < part.size(); ++i)
        partitions.push_back(partition_of.empty() ? 0 : partition_of[begin + i]);
      std::vector<int32_t> late;
      OperatorInput input{*batch, times->raw_values(), thresholds.data(), partitions.data(), now_};
      EXPECT_TRUE(op_->Process(input, &late).ok());
      for (int32_t r : late) late_.push_back(static_cast<int>(begin) + r);
      auto emitted = op_->AdvanceWatermark(tracker_.Current(), now_).ValueOrDie();
      for (auto& row : Rows(emitted)) out.push_back(row);
    }
    if (drain) {
      tracker_.Finish();
      for (auto& row : Rows(op_->AdvanceWatermark(tracker_.Current(), now_).ValueOrDie())) out.push_back(row);
    }
    return out;
  }

  // The rows a trigger ending now returns (update and complete modes).
  std::vector<std::string> EndTrigger() { return Rows(op_->EndTrigger(now_).ValueOrDie()); }
  // What the watermark as it stands emits at processing time now_.
  std::vector<std::string> Advance() {
    return Rows(op_->AdvanceWatermark(tracker_.Current(), now_).ValueOrDie());
  }

  int64_t now_ = 0;  // processing time of every call
  std::vector<int> late_;
  WatermarkTracker tracker_;
  std::unique_ptr<Operator> op_;
};

}  // namespace sluice
