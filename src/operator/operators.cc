#include "operator/operators.h"

#include "operator/running_operator.h"
#include "operator/session_operator.h"
#include "operator/window_operator.h"
#include "window/result_rows.h"

namespace sluice {
namespace {

template <typename Op>
arrow::Result<std::unique_ptr<Operator>> Make(const AggregationPlan& plan) {
  ARROW_ASSIGN_OR_RAISE(KeyEncoder encoder, MakeKeyEncoder(plan));
  ARROW_ASSIGN_OR_RAISE(auto accumulators, MakeAccumulators(plan));
  return std::unique_ptr<Operator>(new Op(plan, std::move(encoder), std::move(accumulators)));
}

}  // namespace

arrow::Result<std::unique_ptr<Operator>> MakeOperator(const AggregationPlan& plan) {
  switch (plan.window.kind) {
    case WindowSpec::Kind::kSession:
      return Make<SessionOperator>(plan);
    case WindowSpec::Kind::kGlobal:
      return Make<RunningOperator>(plan);
    case WindowSpec::Kind::kTumbling:
    case WindowSpec::Kind::kSliding:
      break;
  }
  return Make<WindowOperator>(plan);
}

}  // namespace sluice
