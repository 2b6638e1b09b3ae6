#include "window/window_aggregator.h"

#include <set>

#include <arrow/array/util.h>
#include <arrow/scalar.h>

#include "expr/compiler.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
#include "schema/schema.h"

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
                                                     const std::shared_ptr<arrow::Schema>& input_schema) {
  AggregationPlan plan;
  plan.name = std::move(name);
  plan.window = window;
  plan.group_by = std::move(group_by);

  std::vector<std::string> input_names;
  for (const auto& f : input_schema->fields()) input_names.push_back(f->name());
  arrow::FieldVector key_fields;
  std::set<std::string> taken = {"window_start", "window_end"};
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
      bool grouped = column == "window_start" || column == "window_end";
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

  arrow::FieldVector intermediate = {arrow::field("window_start", TimestampType(), false),
                                     arrow::field("window_end", TimestampType(), false)};
  intermediate.insert(intermediate.end(), key_fields.begin(), key_fields.end());
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    intermediate.push_back(arrow::field(AggregateColumnName(c), result_types[c]));
  }
  plan.intermediate_schema = arrow::schema(intermediate);

  ExprCompiler output_compiler(WithProcessingTime(plan.intermediate_schema));
  arrow::FieldVector output_fields(intermediate.begin(), intermediate.begin() + 2 + key_fields.size());
  for (size_t o = 0; o < outputs.size(); ++o) {
    auto compiled = output_compiler.Compile(rewritten[o]);
    if (!compiled.ok())
      return WithLocation(outputs[o].location, "aggregates." + outputs[o].name, compiled.status());
    output_fields.push_back(arrow::field(outputs[o].name, compiled->type()->GetSharedPtr()));
    plan.outputs.push_back(std::move(*compiled));
  }
  plan.output_schema = arrow::schema(output_fields);
  return plan;
}

arrow::Result<std::unique_ptr<WindowAggregator>> WindowAggregator::Make(AggregationPlan plan) {
  std::vector<std::shared_ptr<arrow::DataType>> key_types;
  for (size_t k = 0; k < plan.group_columns.size(); ++k) {
    key_types.push_back(plan.intermediate_schema->field(2 + static_cast<int>(k))->type());
  }
  ARROW_ASSIGN_OR_RAISE(KeyEncoder encoder, KeyEncoder::Make(key_types));
  std::vector<std::unique_ptr<Accumulator>> accumulators;
  for (size_t c = 0; c < plan.calls.size(); ++c) {
    ARROW_ASSIGN_OR_RAISE(auto acc, MakeAccumulator(plan.calls[c].kind, plan.argument_types[c]));
    accumulators.push_back(std::move(acc));
  }
  return std::unique_ptr<WindowAggregator>(
      new WindowAggregator(std::move(plan), std::move(encoder), std::move(accumulators)));
}

WindowAggregator::WindowAggregator(AggregationPlan plan, KeyEncoder encoder,
                                   std::vector<std::unique_ptr<Accumulator>> accumulators)
    : plan_(std::move(plan)), encoder_(std::move(encoder)), state_(std::move(accumulators)) {}

arrow::Status WindowAggregator::Consume(const arrow::RecordBatch& batch, const int64_t* event_times,
                                        const int64_t* thresholds, const int32_t* partitions,
                                        int64_t processing_time, std::vector<int32_t>* late_rows) {
  const int64_t n = batch.num_rows();
  if (n == 0) return arrow::Status::OK();
  arrow::ArrayVector key_columns;
  for (int c : plan_.group_columns) key_columns.push_back(batch.column(c));
  ARROW_RETURN_NOT_OK(encoder_.Encode(key_columns, n, &keys_));

  rows_.clear();
  slots_.clear();
  const int64_t size = plan_.window.size.count();
  const int64_t slide = plan_.window.slide.count();
  WindowState::Window* window = nullptr;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = event_times[i];
    int64_t start = plan_.window.LastStart(t);
    if (start + size <= thresholds[i]) {
      late_rows->push_back(static_cast<int32_t>(i));
      continue;
    }
    // Windows containing t, latest first; stop at the first that has already ended.
    for (; start > t - size && start + size > thresholds[i]; start -= slide) {
      if (window == nullptr || window->start != start) window = state_.FindOrCreate(start, start + size);
      rows_.push_back(static_cast<int32_t>(i));
      const uint32_t slot = state_.SlotFor(window, keys_.key(i), keys_.hashes[i]);
      state_.NotePartition(slot, partitions ? partitions[i] : 0);
      slots_.push_back(slot);
    }
  }
  if (rows_.empty()) return arrow::Status::OK();

  auto& accumulators = state_.accumulators();
  for (size_t c = 0; c < plan_.calls.size(); ++c) {
    std::shared_ptr<arrow::Array> values;
    if (plan_.calls[c].kind != AggregateKind::kCountStar) {
      if (plan_.argument_columns[c] >= 0) {
        values = batch.column(plan_.argument_columns[c]);
      } else {
        std::vector<RowError> errors;
        ARROW_ASSIGN_OR_RAISE(values,
                              EvaluateIsolatingErrors(plan_.arguments[c], batch, processing_time, &errors));
        expression_errors_ += static_cast<int64_t>(errors.size());
      }
    }
    accumulators[c]->Update(values.get(), event_times, rows_.data(), slots_.data(),
                            static_cast<int64_t>(rows_.size()));
  }
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::RecordBatch>> WindowAggregator::Emit(Watermark watermark,
                                                                          int64_t processing_time) {
  arrow::RecordBatchVector batches;
  while (!state_.empty() && state_.front().end <= watermark.value()) {
    const WindowState::Window& window = state_.front();
    const int64_t groups = window.groups.size();
    std::vector<std::string_view> keys(groups);
    for (uint32_t id = 0; id < groups; ++id) keys[id] = window.groups.key(id);
    arrow::ArrayVector columns;
    ARROW_ASSIGN_OR_RAISE(auto starts, arrow::MakeArrayFromScalar(
                                           arrow::TimestampScalar(window.start, TimestampType()), groups));
    ARROW_ASSIGN_OR_RAISE(
        auto ends, arrow::MakeArrayFromScalar(arrow::TimestampScalar(window.end, TimestampType()), groups));
    columns.push_back(std::move(starts));
    columns.push_back(std::move(ends));
    ARROW_ASSIGN_OR_RAISE(auto key_arrays, encoder_.Decode(keys));
    for (auto& k : key_arrays) columns.push_back(std::move(k));
    size_t key_end = columns.size();
    for (const auto& acc : state_.accumulators()) {
      ARROW_ASSIGN_OR_RAISE(auto result, acc->Finalize(window.slots.data(), groups));
      columns.push_back(std::move(result));
    }
    auto intermediate = arrow::RecordBatch::Make(plan_.intermediate_schema, groups, columns);
    arrow::ArrayVector output(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(key_end));
    for (const auto& expr : plan_.outputs) {
      std::vector<RowError> errors;
      ARROW_ASSIGN_OR_RAISE(auto values,
                            EvaluateIsolatingErrors(expr, *intermediate, processing_time, &errors));
      expression_errors_ += static_cast<int64_t>(errors.size());
      output.push_back(std::move(values));
    }
    batches.push_back(arrow::RecordBatch::Make(plan_.output_schema, groups, std::move(output)));
    state_.PopFront();
  }
  if (batches.empty()) return nullptr;
  if (batches.size() == 1) return batches[0];
  return arrow::ConcatenateRecordBatches(batches);
}

}  // namespace sluice
