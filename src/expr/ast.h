#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace sluice {

// A literal value in an expression. Timestamps and intervals are microseconds.
struct NullLiteral {};
struct TimestampLiteral {
  int64_t micros;
};
struct IntervalLiteral {
  int64_t micros;
};
using LiteralValue =
    std::variant<NullLiteral, bool, int64_t, double, std::string, TimestampLiteral, IntervalLiteral>;

// The syntax tree of a SQL expression, as written (no types yet).
//
// kCall covers operators and functions alike, by lower-case name:
//   operators  "and", "or", "not", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
//              "||", "negate", "is_null", "is_not_null", "between", "in", "like"
//              ("between"/"in"/"like" carry `negated`)
//   CASE       "case": children are cond1, value1, cond2, value2, ..., [else]
//   CAST       "cast": one child, `type_name` holds the target type
//   functions  their name, e.g. "avg", "coalesce", "date_trunc"
// kStar is the `*` of count(*).
struct Node {
  enum class Kind { kLiteral, kColumn, kCall, kStar };

  Kind kind = Kind::kLiteral;
  std::string name;  // column or function name
  LiteralValue literal;
  std::vector<Node> children;
  bool negated = false;   // NOT BETWEEN / NOT IN / NOT LIKE
  bool has_else = false;  // CASE ... ELSE
  std::string type_name;  // CAST target
  size_t position = 0;    // byte offset in the expression text, for error messages

  static Node Literal(LiteralValue value, size_t position) {
    Node n;
    n.kind = Kind::kLiteral;
    n.literal = std::move(value);
    n.position = position;
    return n;
  }
  static Node Column(std::string name, size_t position) {
    Node n;
    n.kind = Kind::kColumn;
    n.name = std::move(name);
    n.position = position;
    return n;
  }
  static Node Call(std::string name, std::vector<Node> children, size_t position) {
    Node n;
    n.kind = Kind::kCall;
    n.name = std::move(name);
    n.children = std::move(children);
    n.position = position;
    return n;
  }
};

// Renders a node back to SQL (normalised spacing and case), for plans and messages.
std::string ToSql(const Node& node);

}  // namespace sluice
