#include "expr/aggregate_call.h"

#include <map>

#include <arrow/status.h>

#include "expr/compiler.h"

namespace sluice {
namespace {

const std::map<std::string, AggregateKind, std::less<>>& KindsByName() {
  static const std::map<std::string, AggregateKind, std::less<>> kKinds = {
      {"count", AggregateKind::kCount},
      {"count_if", AggregateKind::kCountIf},
      {"sum", AggregateKind::kSum},
      {"avg", AggregateKind::kAvg},
      {"mean", AggregateKind::kAvg},
      {"min", AggregateKind::kMin},
      {"max", AggregateKind::kMax},
      {"stddev", AggregateKind::kStddevSamp},
      {"stddev_samp", AggregateKind::kStddevSamp},
      {"stddev_pop", AggregateKind::kStddevPop},
      {"variance", AggregateKind::kVarSamp},
      {"var_samp", AggregateKind::kVarSamp},
      {"var_pop", AggregateKind::kVarPop},
      {"first", AggregateKind::kFirst},
      {"last", AggregateKind::kLast},
  };
  return kKinds;
}

bool ContainsAggregate(const Node& node) {
  if (node.kind == Node::Kind::kCall && IsAggregateFunction(node.name)) return true;
  for (const auto& child : node.children) {
    if (ContainsAggregate(child)) return true;
  }
  return false;
}

void CollectColumns(const Node& node, std::vector<std::string>* out) {
  if (node.kind == Node::Kind::kColumn) {
    if (node.name.rfind("__agg", 0) != 0) out->push_back(node.name);
    return;
  }
  for (const auto& child : node.children) CollectColumns(child, out);
}

}  // namespace

std::string_view AggregateKindName(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCountStar:
      return "count(*)";
    case AggregateKind::kCount:
      return "count";
    case AggregateKind::kCountIf:
      return "count_if";
    case AggregateKind::kSum:
      return "sum";
    case AggregateKind::kAvg:
      return "avg";
    case AggregateKind::kMin:
      return "min";
    case AggregateKind::kMax:
      return "max";
    case AggregateKind::kStddevSamp:
      return "stddev_samp";
    case AggregateKind::kStddevPop:
      return "stddev_pop";
    case AggregateKind::kVarSamp:
      return "var_samp";
    case AggregateKind::kVarPop:
      return "var_pop";
    case AggregateKind::kFirst:
      return "first";
    case AggregateKind::kLast:
      return "last";
  }
  return "?";
}

std::string AggregateColumnName(size_t index) { return "__agg" + std::to_string(index); }

arrow::Result<Node> ExtractAggregates(const Node& node, std::vector<AggregateCall>* calls) {
  if (node.kind != Node::Kind::kCall) return node;
  if (!IsAggregateFunction(node.name)) {
    Node copy = node;
    for (auto& child : copy.children) {
      ARROW_ASSIGN_OR_RAISE(child, ExtractAggregates(child, calls));
    }
    return copy;
  }
  auto error = [&](const std::string& message) {
    return arrow::Status::Invalid("at column ", node.position + 1, ": ", message);
  };
  if (node.children.size() != 1) {
    return error(node.name + "() takes one argument, got " + std::to_string(node.children.size()));
  }
  const Node& argument = node.children[0];
  if (ContainsAggregate(argument)) {
    return error("aggregate functions cannot be nested: '" + ToSql(node) + "'");
  }
  AggregateKind kind = KindsByName().find(node.name)->second;
  if (argument.kind == Node::Kind::kStar) {
    if (kind != AggregateKind::kCount) return error("'*' is only allowed in count(*)");
    kind = AggregateKind::kCountStar;
  }
  std::string sql = kind == AggregateKind::kCountStar ? "count(*)" : ToSql(node);
  size_t index = calls->size();
  for (size_t i = 0; i < calls->size(); ++i) {
    if ((*calls)[i].sql == sql) index = i;
  }
  if (index == calls->size()) calls->push_back(AggregateCall{kind, argument, sql});
  return Node::Column(AggregateColumnName(index), node.position);
}

std::vector<std::string> ColumnsOutsideAggregates(const Node& node) {
  std::vector<std::string> out;
  CollectColumns(node, &out);
  return out;
}

}  // namespace sluice
