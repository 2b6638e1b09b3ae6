#include "window/aggregation_plan.h"

#include <set>

#include "expr/compiler.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
#include "schema/schema.h"
#include "state/key_encoder.h"
#include "window/accumulator.h"

namespace sluice {
namespace {

arrow::Status WithLocation(const std::string& location, const std::string& what,
                           const arrow::Status& status) {
  std::string prefix = location.empty() ? "" : location + ": ";
  return arrow::Status::Invalid(prefix, what, ": ", status.message());
}

}  // namespace

arrow::Result<AggregationPlan> AggregationPlan::Make(std::string name, WindowSpec window,
                                                     std::vector<std::string> group_by,
                                                     const std::string& group_by_location,
                                                     const std::vector<AggregateOutput>& outputs,
                                                     const std::shared_ptr<arrow::Schema>& input_schema,
                                                     AggregationOptions options) {
  AggregationPlan plan;
  plan.name = std::move(name);
  plan.window = window;
  plan.options = options;
  plan.group_by = std::move(group_by);

  std::vector<std::string> input_names;
  for (const auto& f : input_schema->fields()) input_names.push_back(f->name());
  arrow::FieldVector key_fields;
  std::set<std::string> taken = {"window_start", "window_end", "emitted_at"};
  for (const auto& column : plan.group_by) {
    int index = input_schema->GetFieldIndex(column);
    if (index < 0) {
      return WithLocation(
          group_by_location, "group_by",
          arrow::Status::Invalid("unknown column '", column, "'", DidYouMean(column, input_names)));
    }
    if (!taken.insert(column).second) {
      return WithLocation(group_by_location, "group_by",
                          arrow::Status::Invalid("'", column, "' is listed twice"));
    }
    plan.group_columns.push_back(index);
    key_fields.push_back(arrow::field(column, input_schema->field(index)->type()));
  }
  std::vector<std::shared_ptr<arrow::DataType>> key_types;
  for (const auto& f : key_fields) key_types.push_back(f->type());
  auto encoder = KeyEncoder::Make(key_types);
  if (!encoder.ok()) return WithLocation(group_by_location, "group_by", encoder.status());

  // Extract aggregate calls from every output expression.
  ExprCompiler row_compiler(WithProcessingTime(input_schema));
  std::vector<Node> rewritten;
  std::vector<std::shared_ptr<arrow::DataType>> result_types;  // per call
  for (const auto& output : outputs) {
    auto what = "aggregates." + output.name;
    if (!taken.insert(output.name).second) {
      return WithLocation(
          output.location, what,
          arrow::Status::Invalid("the name '", output.name,
                                 "' is already used by a window bound, grouping column or output"));
    }
    auto node = ParseExpression(output.expression);
    if (!node.ok()) return WithLocation(output.location, what, node.status());
    if (auto st = CheckFunctionNames(*node); !st.ok()) return WithLocation(output.location, what, st);
    size_t calls_before = plan.calls.size();
    auto extracted = ExtractAggregates(*node, &plan.calls);
    if (!extracted.ok()) return WithLocation(output.location, what, extracted.status());
    for (const auto& column : ColumnsOutsideAggregates(*extracted)) {
      bool grouped = window.has_bounds() && (column == "window_start" || column == "window_end");
      for (const auto& g : plan.group_by) grouped |= g == column;
      if (!grouped) {
        return WithLocation(output.location, what,
                            arrow::Status::Invalid("'", column,
                                                   "' is neither grouped nor aggregated: use it inside an "
                                                   "aggregate such as avg(",
                                                   column, "), or add it to group_by"));
      }
    }
    // Compile the arguments of the calls this output introduced.
    for (size_t c = calls_before; c < plan.calls.size(); ++c) {
      const AggregateCall& call = plan.calls[c];
      if (call.kind == AggregateKind::kCountStar) {
        plan.arguments.emplace_back();
        plan.argument_columns.push_back(-1);
        plan.argument_types.push_back(arrow::null());
      } else {
        auto argument = row_compiler.Compile(call.argument);
        if (!argument.ok()) return WithLocation(output.location, what, argument.status());
        plan.argument_types.push_back(argument->type()->GetSharedPtr());
        plan.argument_columns.push_back(
            call.argument.kind == Node::Kind::kColumn ? input_schema->GetFieldIndex(call.argument.name) : -1);
        plan.arguments.push_back(std::move(*argument));
      }
      // Checks the argument type suits the aggregate; the result type shapes the state.
      auto accumulator = MakeAccumulator(call.kind, plan.argument_types.back());
      if (!accumulator.ok()) return WithLocation(output.location, what, accumulator.status());
      result_types.push_back((*accumulator)->result_type());
    }
    rewritten.push_back(std::move(*extracted));
  }
  if (outputs.empty()) {
    return WithLocation(
        group_by_location, "aggregates",
        arrow::Status::Invalid("an aggregation needs at least one aggregate, e.g. count: count(*)"));
  }

  arrow::FieldVector intermediate;
  if (window.has_bounds()) {
    intermediate = {arrow::field("window_start", TimestampType(), false),
                    arrow::field("window_end", TimestampType(), false)};
  }
  intermediate.insert(intermediate.end(), key_fields.begin(), key_fields.end());
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    intermediate.push_back(arrow::field(AggregateColumnName(c), result_types[c]));
  }
  plan.intermediate_schema = arrow::schema(intermediate);

  ExprCompiler output_compiler(WithProcessingTime(plan.intermediate_schema));
  arrow::FieldVector output_fields(intermediate.begin(),
                                   intermediate.begin() + plan.key_offset() + key_fields.size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    auto compiled = output_compiler.Compile(rewritten[o]);
    if (!compiled.ok())
      return WithLocation(outputs[o].location, "aggregates." + outputs[o].name, compiled.status());
    output_fields.push_back(arrow::field(outputs[o].name, compiled->type()->GetSharedPtr()));
    plan.outputs.push_back(std::move(*compiled));
  }
  if (plan.has_emitted_at()) output_fields.push_back(arrow::field("emitted_at", TimestampType(), false));
  plan.output_schema = arrow::schema(output_fields);
  return plan;
}

arrow::Result<arrow::ArrayVector> AggregationPlan::EvaluateArguments(const arrow::RecordBatch& batch,
                                                                     int64_t processing_time,
                                                                     int64_t* expression_errors) const {
  arrow::ArrayVector values(calls.size());
  for (size_t c = 0; c < calls.size(); ++c) {
    if (calls[c].kind == AggregateKind::kCountStar) continue;
    if (argument_columns[c] >= 0) {
      values[c] = batch.column(argument_columns[c]);
      continue;
    }
    std::vector<RowError> errors;
    ARROW_ASSIGN_OR_RAISE(values[c], EvaluateIsolatingErrors(arguments[c], batch, processing_time, &errors));
    *expression_errors += static_cast<int64_t>(errors.size());
  }
  return values;
}

std::string AggregationPlan::Signature() const {
  std::string out = "window " + window.ToString();
  if (options.timeout.enabled()) out += " timeout " + options.timeout.ToString();
  out += " group_by";
  for (size_t k = 0; k < group_by.size(); ++k) out += " " + group_by[k] + ":" + key_type(k)->ToString();
  out += " aggregates";
  for (size_t c = 0; c < calls.size(); ++c) out += " " + calls[c].sql + ":" + argument_types[c]->ToString();
  return out;
}

const char* OutputModeName(OutputMode mode) {
  switch (mode) {
    case OutputMode::kAppend:
      return "append";
    case OutputMode::kUpdate:
      return "update";
    case OutputMode::kComplete:
      return "complete";
  }
  return "?";
}

std::string StateTimeout::ToString() const {
  return FormatDuration(after) + (event_time ? " of event time" : " of processing time");
}

}  // namespace sluice
