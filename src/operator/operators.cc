#include "operator/operators.h"

#include "operator/window_operator.h"

namespace sluice {

arrow::Result<std::unique_ptr<Operator>> MakeOperator(const AggregationPlan& plan) {
  ARROW_ASSIGN_OR_RAISE(auto op, WindowOperator::Make(plan));
  return std::unique_ptr<Operator>(std::move(op));
}

}  // namespace sluice
