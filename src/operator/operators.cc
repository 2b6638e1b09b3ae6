#include "operator/operators.h"

#include "operator/running_operator.h"
#include "operator/session_operator.h"
#include "operator/window_operator.h"

namespace sluice {

arrow::Result<std::unique_ptr<Operator>> MakeOperator(const AggregationPlan& plan) {
  switch (plan.window.kind) {
    case WindowSpec::Kind::kSession: {
      ARROW_ASSIGN_OR_RAISE(auto op, SessionOperator::Make(plan));
      return std::unique_ptr<Operator>(std::move(op));
    }
    case WindowSpec::Kind::kGlobal: {
      ARROW_ASSIGN_OR_RAISE(auto op, RunningOperator::Make(plan));
      return std::unique_ptr<Operator>(std::move(op));
    }
    default: {
      ARROW_ASSIGN_OR_RAISE(auto op, WindowOperator::Make(plan));
      return std::unique_ptr<Operator>(std::move(op));
    }
  }
}

}  // namespace sluice
