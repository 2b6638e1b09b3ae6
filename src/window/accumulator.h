#pragma once

#include <cstdint>
#include <memory>

#include <arrow/array.h>
#include <arrow/result.h>
#include <arrow/type.h>

#include "expr/aggregate_call.h"

namespace sluice {

// The running state of one aggregate function for many groups at once. Each group's
// state lives in a numbered slot (struct-of-arrays storage indexed by slot), so that
// a batch updates many groups in one tight loop and window operators own only slot
// numbers. Every accumulator is mergeable (session windows) and can export its state
// as Arrow columns and import it back (checkpoints).
//
// Null inputs are skipped (SQL semantics); count(*) counts rows. Sample variance and
// standard deviation use Welford's algorithm and are null for fewer than two values.
// first/last pick the value at the earliest/latest event time; ties keep the earlier
// arrival for first and the later arrival for last. Integer sums wrap on overflow.
//
// Not thread-safe; owned by one operator.
class Accumulator {
 public:
  virtual ~Accumulator() = default;

  virtual std::shared_ptr<arrow::DataType> result_type() const = 0;

  // Makes slots [0, num_slots) addressable; slots beyond the old size start empty.
  virtual void Resize(uint32_t num_slots) = 0;
  // Returns a slot to the empty state (for reuse).
  virtual void Reset(uint32_t slot) = 0;

  // For k in [0, n): folds row rows[k] of `values` into slot slots[k]. `values` is
  // null for count(*); event_times[row] orders first/last.
  virtual void Update(const arrow::Array* values, const int64_t* event_times, const int32_t* rows,
                      const uint32_t* slots, int64_t n) = 0;

  // Folds the state of slot `src` into slot `dst` (`src` is left unchanged).
  virtual void Merge(uint32_t dst, uint32_t src) = 0;

  // The results of `slots`, in that order.
  virtual arrow::Result<std::shared_ptr<arrow::Array>> Finalize(const uint32_t* slots, int64_t n) const = 0;

  // Checkpoint support: the state of `slots` as columns described by state_fields(),
  // and the reverse (into the given slots, which must be addressable).
  virtual arrow::FieldVector state_fields() const = 0;
  virtual arrow::Result<arrow::ArrayVector> ExportState(const uint32_t* slots, int64_t n) const = 0;
  virtual arrow::Status ImportState(const arrow::ArrayVector& columns, const uint32_t* slots) = 0;
};

// An accumulator for `kind` over values of `input_type` (ignored for count(*)).
// Fails with a message naming the function and the type when they do not fit, e.g.
// "avg() needs a number, but its argument is string".
arrow::Result<std::unique_ptr<Accumulator>> MakeAccumulator(
    AggregateKind kind, const std::shared_ptr<arrow::DataType>& input_type);

}  // namespace sluice
