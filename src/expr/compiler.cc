#include "expr/compiler.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <arrow/array/builder_base.h>
#include <arrow/compute/api.h>
#include <arrow/scalar.h>

#include "common/time_util.h"
#include "expr/functions.h"
#include "expr/parser.h"
#include "schema/schema.h"

namespace sluice {
namespace {

namespace cp = arrow::compute;

arrow::Status ErrorAt(const Node& node, const std::string& message) {
  return arrow::Status::Invalid("at column ", node.position + 1, ": ", message);
}

std::shared_ptr<arrow::Scalar> LiteralScalar(const LiteralValue& value) {
  struct Visitor {
    std::shared_ptr<arrow::Scalar> operator()(NullLiteral) const {
      return arrow::MakeNullScalar(arrow::null());
    }
    std::shared_ptr<arrow::Scalar> operator()(bool b) const {
      return std::make_shared<arrow::BooleanScalar>(b);
    }
    std::shared_ptr<arrow::Scalar> operator()(int64_t i) const {
      return std::make_shared<arrow::Int64Scalar>(i);
    }
    std::shared_ptr<arrow::Scalar> operator()(double d) const {
      return std::make_shared<arrow::DoubleScalar>(d);
    }
    std::shared_ptr<arrow::Scalar> operator()(const std::string& s) const {
      return std::make_shared<arrow::StringScalar>(s);
    }
    std::shared_ptr<arrow::Scalar> operator()(TimestampLiteral t) const {
      return std::make_shared<arrow::TimestampScalar>(t.micros, TimestampType());
    }
    std::shared_ptr<arrow::Scalar> operator()(IntervalLiteral i) const {
      return std::make_shared<arrow::DurationScalar>(i.micros, arrow::TimeUnit::MICRO);
    }
  };
  return std::visit(Visitor{}, value);
}

bool IsNumeric(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || arrow::is_floating(type.id());
}

const std::set<std::string, std::less<>>& AggregateNames() {
  static const std::set<std::string, std::less<>> kNames = {
      "count",      "sum",      "avg",      "mean",    "min",      "max",   "stddev", "stddev_samp",
      "stddev_pop", "variance", "var_samp", "var_pop", "count_if", "first", "last"};
  return kNames;
}

struct SimpleFunction {
  std::string_view sql;
  std::string_view arrow;
  size_t min_args;
  size_t max_args;  // 0 = unlimited
};

constexpr SimpleFunction kSimpleFunctions[] = {
    {"abs", "abs", 1, 1},
    {"ceil", "ceil", 1, 1},
    {"floor", "floor", 1, 1},
    {"sqrt", "sqrt", 1, 1},
    {"ln", "ln", 1, 1},
    {"log10", "log10", 1, 1},
    {"exp", "exp", 1, 1},
    {"power", "power", 2, 2},
    {"pow", "power", 2, 2},
    {"lower", "utf8_lower", 1, 1},
    {"upper", "utf8_upper", 1, 1},
    {"length", "utf8_length", 1, 1},
    {"trim", "utf8_trim_whitespace", 1, 1},
    {"year", "year", 1, 1},
    {"month", "month", 1, 1},
    {"day", "day", 1, 1},
    {"hour", "hour", 1, 1},
    {"minute", "minute", 1, 1},
    {"second", "second", 1, 1},
    {"coalesce", "coalesce", 1, 0},
    {"greatest", "max_element_wise", 1, 0},
    {"least", "min_element_wise", 1, 0},
    {"if", "if_else", 3, 3},
    {"is_nan", "is_nan", 1, 1},
};

constexpr std::string_view kSpecialFunctions[] = {"round",  "date_trunc",  "date_format", "concat",
                                                  "now",    "starts_with", "ends_with",   "contains",
                                                  "substr", "substring",   "day_of_week"};

std::vector<std::string> AllFunctionNames() {
  std::vector<std::string> names;
  for (const auto& f : kSimpleFunctions) names.emplace_back(f.sql);
  for (auto f : kSpecialFunctions) names.emplace_back(f);
  for (const auto& a : AggregateNames()) names.push_back(a);
  return names;
}

const std::string* StringLiteral(const Node& node) {
  return node.kind == Node::Kind::kLiteral ? std::get_if<std::string>(&node.literal) : nullptr;
}

}  // namespace

struct ExprCompiler::Typed {
  cp::Expression expr;
  std::shared_ptr<arrow::DataType> type;
};

bool IsAggregateFunction(std::string_view name) { return AggregateNames().count(name) > 0; }

arrow::Status CheckFunctionNames(const Node& node) {
  if (node.kind == Node::Kind::kCall) {
    static const std::set<std::string> kOperators = {
        "and", "or", "not", "=",      "!=",      "<",           "<=",      ">",  ">=",   "+",    "-",
        "*",   "/",  "||",  "negate", "is_null", "is_not_null", "between", "in", "like", "case", "cast"};
    auto names = AllFunctionNames();
    if (!kOperators.count(node.name) && std::find(names.begin(), names.end(), node.name) == names.end()) {
      return ErrorAt(node, "unknown function '" + node.name + "'" + DidYouMean(node.name, names));
    }
  }
  for (const auto& child : node.children) ARROW_RETURN_NOT_OK(CheckFunctionNames(child));
  return arrow::Status::OK();
}

ExprCompiler::ExprCompiler(std::shared_ptr<arrow::Schema> schema) : schema_(std::move(schema)) {}

arrow::Result<cp::Expression> ExprCompiler::Compile(const Node& node) const {
  ARROW_RETURN_NOT_OK(RegisterSluiceFunctions());
  ARROW_ASSIGN_OR_RAISE(Typed typed, CompileNode(node));
  return typed.expr.Bind(*schema_);
}

arrow::Result<cp::Expression> ExprCompiler::CompileText(std::string_view text, bool want_boolean) const {
  ARROW_ASSIGN_OR_RAISE(Node node, ParseExpression(text));
  ARROW_ASSIGN_OR_RAISE(cp::Expression expr, Compile(node));
  if (want_boolean && expr.type()->id() != arrow::Type::BOOL) {
    return arrow::Status::Invalid("'", text, "' is ", ArrowTypeName(*expr.type()),
                                  ", not true/false; write a condition such as 'x >= 0'");
  }
  return expr;
}

arrow::Result<ExprCompiler::Typed> ExprCompiler::Bind(cp::Expression expr, const Node& node) const {
  auto bound = expr.Bind(*schema_);
  if (!bound.ok()) {
    std::string types;
    for (const auto& child : node.children) {
      auto child_typed = CompileNode(child);
      if (!child_typed.ok()) continue;
      types += (types.empty() ? "" : ", ") + ArrowTypeName(*child_typed->type);
    }
    return ErrorAt(
        node, "'" + ToSql(node) + "' cannot be computed for (" + types + "): the operand types do not fit");
  }
  return Typed{std::move(expr), bound->type()->GetSharedPtr()};
}

arrow::Result<ExprCompiler::Typed> ExprCompiler::CompileNode(const Node& node) const {
  switch (node.kind) {
    case Node::Kind::kLiteral: {
      auto scalar = LiteralScalar(node.literal);
      return Typed{cp::literal(scalar), scalar->type};
    }
    case Node::Kind::kColumn: {
      auto field = schema_->GetFieldByName(node.name);
      if (!field || node.name == kProcessingTimeColumn) {
        std::vector<std::string> names;
        for (const auto& f : schema_->fields()) {
          if (f->name() != kProcessingTimeColumn) names.push_back(f->name());
        }
        return ErrorAt(node, "unknown column '" + node.name + "'" + DidYouMean(node.name, names));
      }
      return Typed{cp::field_ref(node.name), field->type()};
    }
    case Node::Kind::kStar:
      return ErrorAt(node, "'*' is only allowed in count(*)");
    case Node::Kind::kCall:
      return CompileCall(node);
  }
  return arrow::Status::Invalid("unknown expression node");
}

arrow::Result<ExprCompiler::Typed> ExprCompiler::CompileCall(const Node& node) const {
  const std::string& name = node.name;
  const auto& children = node.children;

  // Operators whose operands need rewriting before compilation.
  if (name == "between") {
    Node low = Node::Call(">=", {children[0], children[1]}, node.position);
    Node high = Node::Call("<=", {children[0], children[2]}, node.position);
    Node both = Node::Call("and", {std::move(low), std::move(high)}, node.position);
    if (node.negated) both = Node::Call("not", {std::move(both)}, node.position);
    return CompileNode(both);
  }

  std::vector<Typed> args;
  for (const auto& child : children) {
    if (name == "count" && child.kind == Node::Kind::kStar) continue;
    ARROW_ASSIGN_OR_RAISE(Typed arg, CompileNode(child));
    args.push_back(std::move(arg));
  }

  auto require_bool = [&](size_t i, std::string_view what) -> arrow::Status {
    if (args[i].type->id() == arrow::Type::BOOL || args[i].type->id() == arrow::Type::NA) {
      return arrow::Status::OK();
    }
    return ErrorAt(children[i], std::string(what) + " needs true/false, but '" + ToSql(children[i]) +
                                    "' is " + ArrowTypeName(*args[i].type));
  };

  if (name == "and" || name == "or") {
    ARROW_RETURN_NOT_OK(require_bool(0, name == "and" ? "AND" : "OR"));
    ARROW_RETURN_NOT_OK(require_bool(1, name == "and" ? "AND" : "OR"));
    return Bind(cp::call(name == "and" ? "and_kleene" : "or_kleene", {args[0].expr, args[1].expr}), node);
  }
  if (name == "not") {
    ARROW_RETURN_NOT_OK(require_bool(0, "NOT"));
    return Bind(cp::call("invert", {args[0].expr}), node);
  }
  if (name == "=" || name == "!=" || name == "<" || name == "<=" || name == ">" || name == ">=") {
    // A string literal compared with a timestamp is a timestamp literal.
    for (int side = 0; side < 2; ++side) {
      const std::string* text = StringLiteral(children[side]);
      if (text && args[1 - side].type->id() == arrow::Type::TIMESTAMP) {
        auto micros = ParseIsoTimestamp(*text);
        if (!micros) {
          return ErrorAt(children[side],
                         "'" + *text + "' is not an ISO-8601 timestamp (e.g. 2025-07-28T14:00:00Z)");
        }
        args[side] =
            CompileNode(Node::Literal(TimestampLiteral{*micros}, children[side].position)).ValueOrDie();
      }
    }
    static const std::map<std::string, std::string> kArrowNames = {{"=", "equal"},   {"!=", "not_equal"},
                                                                   {"<", "less"},    {"<=", "less_equal"},
                                                                   {">", "greater"}, {">=", "greater_equal"}};
    return Bind(cp::call(kArrowNames.at(name), {args[0].expr, args[1].expr}), node);
  }
  if (name == "+" || name == "-" || name == "*") {
    std::string fn = name == "+" ? "add" : name == "-" ? "subtract" : "multiply";
    return Bind(cp::call(fn, {args[0].expr, args[1].expr}), node);
  }
  if (name == "/") {
    for (size_t i = 0; i < 2; ++i) {
      if (!IsNumeric(*args[i].type) && args[i].type->id() != arrow::Type::NA) {
        return ErrorAt(children[i], "'/' needs numbers, but '" + ToSql(children[i]) + "' is " +
                                        ArrowTypeName(*args[i].type));
      }
    }
    auto numerator = cp::call("cast", {args[0].expr}, cp::CastOptions::Safe(arrow::float64()));
    auto denominator = cp::call("cast", {args[1].expr}, cp::CastOptions::Safe(arrow::float64()));
    auto is_zero = cp::call("equal", {denominator, cp::literal(0.0)});
    auto quotient = cp::call("divide", {numerator, denominator});
    return Bind(
        cp::call("if_else", {is_zero, cp::literal(arrow::MakeNullScalar(arrow::float64())), quotient}), node);
  }
  if (name == "negate") return Bind(cp::call("negate", {args[0].expr}), node);
  if (name == "||") {
    return CompileFunction(Node::Call("concat", children, node.position), std::move(args));
  }
  if (name == "is_null") return Bind(cp::call("is_null", {args[0].expr}), node);
  if (name == "is_not_null") return Bind(cp::call("is_valid", {args[0].expr}), node);
  if (name == "in") {
    // Literal lists become a set lookup; anything else an OR of equalities.
    bool all_literal = true;
    for (size_t i = 1; i < children.size(); ++i) all_literal &= children[i].kind == Node::Kind::kLiteral;
    if (!all_literal) {
      Node any;
      for (size_t i = 1; i < children.size(); ++i) {
        Node eq = Node::Call("=", {children[0], children[i]}, children[i].position);
        any = i == 1 ? std::move(eq) : Node::Call("or", {std::move(any), std::move(eq)}, node.position);
      }
      if (node.negated) any = Node::Call("not", {std::move(any)}, node.position);
      return CompileNode(any);
    }
    const auto& target = args[0].type;
    std::unique_ptr<arrow::ArrayBuilder> builder;
    ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), target, &builder));
    for (size_t i = 1; i < children.size(); ++i) {
      std::shared_ptr<arrow::Scalar> scalar = LiteralScalar(children[i].literal);
      if (!scalar->is_valid) continue;
      if (target->id() == arrow::Type::TIMESTAMP && scalar->type->id() == arrow::Type::STRING) {
        auto micros = ParseIsoTimestamp(static_cast<const arrow::StringScalar&>(*scalar).view());
        if (!micros) return ErrorAt(children[i], "'" + ToSql(children[i]) + "' is not an ISO-8601 timestamp");
        scalar = std::make_shared<arrow::TimestampScalar>(*micros, target);
      }
      auto cast = scalar->CastTo(target);
      if (!cast.ok()) {
        return ErrorAt(children[i], ToSql(children[i]) + " cannot be compared with '" + ToSql(children[0]) +
                                        "' (" + ArrowTypeName(*target) + ")");
      }
      ARROW_RETURN_NOT_OK(builder->AppendScalar(**cast));
    }
    std::shared_ptr<arrow::Array> value_set;
    ARROW_RETURN_NOT_OK(builder->Finish(&value_set));
    cp::SetLookupOptions options(value_set, cp::SetLookupOptions::INCONCLUSIVE);
    auto expr = cp::call("is_in", {args[0].expr}, options);
    if (node.negated) expr = cp::call("invert", {expr});
    return Bind(std::move(expr), node);
  }
  if (name == "like") {
    const std::string* pattern = StringLiteral(children[1]);
    if (!pattern) return ErrorAt(children[1], "the pattern of LIKE must be a 'string'");
    if (args[0].type->id() != arrow::Type::STRING) {
      return ErrorAt(children[0], "LIKE needs a string, but '" + ToSql(children[0]) + "' is " +
                                      ArrowTypeName(*args[0].type));
    }
    auto expr = cp::call("match_like", {args[0].expr}, cp::MatchSubstringOptions(*pattern));
    if (node.negated) expr = cp::call("invert", {expr});
    return Bind(std::move(expr), node);
  }
  if (name == "case") {
    size_t pairs = (children.size() - (node.has_else ? 1 : 0)) / 2;
    std::vector<cp::Expression> conditions;
    std::vector<std::string> names;
    std::vector<size_t> value_idx;
    for (size_t i = 0; i < pairs; ++i) {
      ARROW_RETURN_NOT_OK(require_bool(2 * i, "WHEN"));
      conditions.push_back(args[2 * i].expr);
      names.push_back("c" + std::to_string(i));
      value_idx.push_back(2 * i + 1);
    }
    if (node.has_else) value_idx.push_back(children.size() - 1);
    // One result type for every branch: the common numeric type, or the only non-null type.
    std::shared_ptr<arrow::DataType> result;
    for (size_t i : value_idx) {
      const auto& t = args[i].type;
      if (t->id() == arrow::Type::NA) continue;
      if (!result) {
        result = t;
      } else if (!result->Equals(*t)) {
        if (IsNumeric(*result) && IsNumeric(*t)) {
          bool floating = arrow::is_floating(result->id()) || arrow::is_floating(t->id());
          result = floating ? arrow::float64() : arrow::int64();
        } else {
          return ErrorAt(children[i], "CASE branches have different types (" + ArrowTypeName(*result) +
                                          " and " + ArrowTypeName(*t) + ")");
        }
      }
    }
    if (!result) result = arrow::null();
    std::vector<cp::Expression> call_args{cp::call("make_struct", conditions, cp::MakeStructOptions(names))};
    for (size_t i : value_idx) {
      if (args[i].type->Equals(*result)) {
        call_args.push_back(args[i].expr);
      } else if (args[i].type->id() == arrow::Type::NA) {
        call_args.push_back(cp::literal(arrow::MakeNullScalar(result)));
      } else {
        call_args.push_back(cp::call("cast", {args[i].expr}, cp::CastOptions::Safe(result)));
      }
    }
    return Bind(cp::call("case_when", std::move(call_args)), node);
  }
  if (name == "cast") {
    auto type = ParseColumnType(node.type_name);
    if (!type.ok()) return ErrorAt(node, type.status().message());
    if (*type == ColumnType::kJson)
      return ErrorAt(node, "CAST to json is not supported; json columns are strings");
    return Bind(cp::call("cast", {args[0].expr}, cp::CastOptions::Safe(ToArrowType(*type))), node);
  }
  return CompileFunction(node, std::move(args));
}

arrow::Result<ExprCompiler::Typed> ExprCompiler::CompileFunction(const Node& node,
                                                                 std::vector<Typed> args) const {
  const std::string& name = node.name;
  const auto& children = node.children;
  auto arity = [&](size_t min, size_t max) -> arrow::Status {
    if (args.size() >= min && (max == 0 || args.size() <= max)) return arrow::Status::OK();
    std::string expected = min == max ? std::to_string(min)
                           : max == 0 ? "at least " + std::to_string(min)
                                      : std::to_string(min) + " to " + std::to_string(max);
    return ErrorAt(node, name + "() takes " + expected + " argument" + (min == 1 && max == 1 ? "" : "s") +
                             ", got " + std::to_string(args.size()));
  };
  if (IsAggregateFunction(name)) {
    return ErrorAt(node, "aggregate function " + name +
                             "() is not allowed here; aggregates belong in an aggregation's 'aggregates'");
  }
  for (const auto& f : kSimpleFunctions) {
    if (f.sql != name) continue;
    ARROW_RETURN_NOT_OK(arity(f.min_args, f.max_args));
    std::vector<cp::Expression> exprs;
    for (auto& a : args) exprs.push_back(a.expr);
    return Bind(cp::call(std::string(f.arrow), std::move(exprs)), node);
  }
  if (name == "round") {
    ARROW_RETURN_NOT_OK(arity(1, 2));
    int64_t digits = 0;
    if (args.size() == 2) {
      const auto* d =
          children[1].kind == Node::Kind::kLiteral ? std::get_if<int64_t>(&children[1].literal) : nullptr;
      if (!d) return ErrorAt(children[1], "round()'s second argument must be an integer literal");
      digits = *d;
    }
    return Bind(cp::call("round", {args[0].expr},
                         cp::RoundOptions(static_cast<int>(digits), cp::RoundMode::HALF_TO_EVEN)),
                node);
  }
  if (name == "now") {
    ARROW_RETURN_NOT_OK(arity(0, 0));
    if (!schema_->GetFieldByName(kProcessingTimeColumn)) return ErrorAt(node, "now() is not available here");
    return Bind(cp::field_ref(kProcessingTimeColumn), node);
  }
  if (name == "concat") {
    ARROW_RETURN_NOT_OK(arity(1, 0));
    std::vector<cp::Expression> exprs;
    for (auto& a : args) {
      exprs.push_back(a.type->id() == arrow::Type::STRING
                          ? a.expr
                          : cp::call("cast", {a.expr}, cp::CastOptions::Safe(arrow::utf8())));
    }
    exprs.push_back(cp::literal(""));
    return Bind(cp::call("binary_join_element_wise", std::move(exprs)), node);
  }
  if (name == "date_trunc") {
    ARROW_RETURN_NOT_OK(arity(2, 2));
    const std::string* unit = StringLiteral(children[0]);
    static const std::map<std::string, cp::CalendarUnit> kUnits = {
        {"second", cp::CalendarUnit::SECOND},   {"minute", cp::CalendarUnit::MINUTE},
        {"hour", cp::CalendarUnit::HOUR},       {"day", cp::CalendarUnit::DAY},
        {"week", cp::CalendarUnit::WEEK},       {"month", cp::CalendarUnit::MONTH},
        {"quarter", cp::CalendarUnit::QUARTER}, {"year", cp::CalendarUnit::YEAR}};
    if (!unit || !kUnits.count(*unit)) {
      return ErrorAt(children[0],
                     "date_trunc()'s first argument must be one of 'second', 'minute', 'hour', "
                     "'day', 'week', 'month', 'quarter', 'year'");
    }
    cp::RoundTemporalOptions options(1, kUnits.at(*unit));
    options.week_starts_monday = true;
    return Bind(cp::call("floor_temporal", {args[1].expr}, options), node);
  }
  if (name == "date_format") {
    ARROW_RETURN_NOT_OK(arity(2, 2));
    const std::string* format = StringLiteral(children[1]);
    if (!format) return ErrorAt(children[1], "date_format()'s format must be a 'string' literal");
    auto granularity = DateFormatGranularity(*format);
    if (!granularity.ok()) return ErrorAt(children[1], granularity.status().message());
    if (args[0].type->id() != arrow::Type::TIMESTAMP) {
      return ErrorAt(children[0], "date_format() needs a timestamp, but '" + ToSql(children[0]) + "' is " +
                                      ArrowTypeName(*args[0].type));
    }
    return Bind(cp::call(kDateFormatFunction, {args[0].expr, args[1].expr}), node);
  }
  if (name == "day_of_week") {
    ARROW_RETURN_NOT_OK(arity(1, 1));
    // ISO: Monday = 1 ... Sunday = 7.
    return Bind(cp::call("day_of_week", {args[0].expr}, cp::DayOfWeekOptions(/*count_from_zero=*/false, 1)),
                node);
  }
  if (name == "starts_with" || name == "ends_with" || name == "contains") {
    ARROW_RETURN_NOT_OK(arity(2, 2));
    const std::string* pattern = StringLiteral(children[1]);
    if (!pattern) return ErrorAt(children[1], name + "()'s second argument must be a 'string' literal");
    std::string fn = name == "contains" ? "match_substring" : name;
    return Bind(cp::call(fn, {args[0].expr}, cp::MatchSubstringOptions(*pattern)), node);
  }
  if (name == "substr" || name == "substring") {
    ARROW_RETURN_NOT_OK(arity(2, 3));
    int64_t bounds[2] = {1, std::numeric_limits<int64_t>::max()};
    for (size_t i = 1; i < args.size(); ++i) {
      const auto* v =
          children[i].kind == Node::Kind::kLiteral ? std::get_if<int64_t>(&children[i].literal) : nullptr;
      if (!v) return ErrorAt(children[i], name + "()'s start and length must be integer literals");
      bounds[i - 1] = *v;
    }
    if (bounds[0] < 1) return ErrorAt(children[1], name + "() counts from 1");
    int64_t start = bounds[0] - 1;
    int64_t stop = bounds[1] == std::numeric_limits<int64_t>::max() ? bounds[1] : start + bounds[1];
    return Bind(cp::call("utf8_slice_codeunits", {args[0].expr}, cp::SliceOptions(start, stop)), node);
  }
  return ErrorAt(node, "unknown function '" + name + "'" + DidYouMean(name, AllFunctionNames()));
}

}  // namespace sluice
