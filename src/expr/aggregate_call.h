#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>

#include "expr/ast.h"

namespace sluice {

enum class AggregateKind {
  kCountStar,  // count(*): rows
  kCount,      // count(x): non-null values
  kCountIf,    // count_if(cond): rows where cond is true
  kSum,
  kAvg,
  kMin,
  kMax,
  kStddevSamp,  // stddev, stddev_samp
  kStddevPop,
  kVarSamp,  // variance, var_samp
  kVarPop,
  kFirst,  // value at the earliest event time (ties: first arrival), nulls skipped
  kLast,   // value at the latest event time (ties: last arrival), nulls skipped
};

std::string_view AggregateKindName(AggregateKind kind);

// One aggregate function applied to one argument expression, e.g. avg(value).
struct AggregateCall {
  AggregateKind kind;
  Node argument;    // unused for count(*)
  std::string sql;  // canonical text, e.g. "avg(value)"; equal calls are shared
};

// The column name standing for the i-th aggregate call in rewritten expressions.
std::string AggregateColumnName(size_t index);

// Replaces every aggregate call in `node` by a column reference to its result
// (AggregateColumnName), appending calls not seen before to `calls` (equal calls by
// canonical SQL are computed once). Errors: an aggregate inside an aggregate, wrong
// arity, an unknown aggregate, `*` outside count(*).
arrow::Result<Node> ExtractAggregates(const Node& node, std::vector<AggregateCall>* calls);

// Column names `node` references outside aggregate calls (after extraction: the
// grouping columns and window bounds it needs).
std::vector<std::string> ColumnsOutsideAggregates(const Node& node);

}  // namespace sluice
