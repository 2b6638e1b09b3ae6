#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <arrow/compute/expression.h>
#include <arrow/result.h>
#include <arrow/type.h>

#include "expr/ast.h"

namespace sluice {

// The name of the processing-time column: `now()` / `current_timestamp` refer to it.
// Evaluators supply it as a scalar (the time the batch is processed).
inline constexpr char kProcessingTimeColumn[] = "__processing_time";

// Compiles expression trees into Arrow compute expressions bound to one input schema.
//
// Semantics (SQL, as Spark and DuckDB):
//   * three-valued logic: AND/OR/NOT follow Kleene logic; comparisons with NULL are NULL
//   * `/` is floating-point division and x / 0 is NULL (never an error or infinity)
//   * +, -, * on integers wrap on overflow; a string compared with a timestamp is read
//     as an ISO-8601 timestamp literal
//   * IN (...) and BETWEEN take NULL inputs to NULL; LIKE uses % and _
//   * CASE without ELSE yields NULL; branches are unified to one type
//   * CAST(x AS type) uses the pipeline type names; an impossible cast is a row error
// Aggregate functions are rejected here: see aggregate_call.h.
//
// Immutable after construction; Compile may be called from any thread.
class ExprCompiler {
 public:
  explicit ExprCompiler(std::shared_ptr<arrow::Schema> schema);

  // Compiles `node`; the result is bound to the schema (its type() is known).
  // Errors name the position ("at column 5") and the problem.
  arrow::Result<arrow::compute::Expression> Compile(const Node& node) const;

  // Parses and compiles `text`; when `want_boolean`, the result must be true/false.
  arrow::Result<arrow::compute::Expression> CompileText(std::string_view text, bool want_boolean) const;

  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

 private:
  struct Typed;
  arrow::Result<Typed> CompileNode(const Node& node) const;
  arrow::Result<Typed> CompileCall(const Node& node) const;
  arrow::Result<Typed> CompileFunction(const Node& node, std::vector<Typed> args) const;
  arrow::Result<Typed> Bind(arrow::compute::Expression expr, const Node& node) const;

  std::shared_ptr<arrow::Schema> schema_;
};

// True for the names of aggregate functions (count, sum, avg, ...).
bool IsAggregateFunction(std::string_view name);

// Fails, naming the closest known function, when `node` calls a function that is
// neither a scalar function nor an aggregate.
arrow::Status CheckFunctionNames(const Node& node);

}  // namespace sluice
