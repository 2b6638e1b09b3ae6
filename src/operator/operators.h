#pragma once

#include <memory>

#include <arrow/result.h>

#include "operator/operator.h"
#include "window/aggregation_plan.h"

namespace sluice {

// The operator that computes `plan` (the one place that maps plans to operators).
arrow::Result<std::unique_ptr<Operator>> MakeOperator(const AggregationPlan& plan);

}  // namespace sluice
