#include "expr/parser.h"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <arrow/status.h>

#include "common/time_util.h"

namespace sluice {
namespace {

enum class TokenKind { kIdentifier, kQuotedIdentifier, kNumber, kString, kOperator, kEnd };

struct Token {
  TokenKind kind;
  std::string text;  // identifiers keep their case; keywords are matched case-insensitively
  size_t position;
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

arrow::Status ErrorAt(size_t position, const std::string& message) {
  return arrow::Status::Invalid("at column ", position + 1, ": ", message);
}

arrow::Result<std::vector<Token>> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) ++i;
      tokens.push_back({TokenKind::kIdentifier, std::string(text.substr(start, i - start)), start});
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
      if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
      }
      tokens.push_back({TokenKind::kNumber, std::string(text.substr(start, i - start)), start});
    } else if (c == '\'' || c == '"' || c == '`') {
      // 'string'; "identifier" / `identifier`; a doubled quote inside is one quote.
      std::string value;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        if (text[i] == c) {
          if (i + 1 < text.size() && text[i + 1] == c) {
            value += c;
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        value += text[i++];
      }
      if (!closed) {
        return ErrorAt(start, std::string("unterminated ") + (c == '\'' ? "string" : "quoted name") +
                                  "; close it with " + c);
      }
      tokens.push_back({c == '\'' ? TokenKind::kString : TokenKind::kQuotedIdentifier, value, start});
    } else {
      static constexpr std::string_view kTwoChar[] = {"<=", ">=", "<>", "!=", "==", "||"};
      std::string op;
      for (auto two : kTwoChar) {
        if (text.substr(i, 2) == two) op = std::string(two);
      }
      if (op.empty()) {
        if (std::string_view("=<>+-*/(),").find(c) == std::string_view::npos) {
          return ErrorAt(start, std::string("unexpected character '") + c + "'" +
                                    (c == '%' ? " (the % operator is not supported)" : ""));
        }
        op = std::string(1, c);
      }
      i += op.size();
      tokens.push_back({TokenKind::kOperator, op, start});
    }
  }
  tokens.push_back({TokenKind::kEnd, "", text.size()});
  return tokens;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  arrow::Result<Node> ParseAll() {
    ARROW_ASSIGN_OR_RAISE(Node node, ParseOr());
    if (Peek().kind != TokenKind::kEnd) {
      return ErrorAt(Peek().position, "unexpected '" + Peek().text + "' after a complete expression");
    }
    return node;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& Next() { return tokens_[std::min(pos_++, tokens_.size() - 1)]; }

  bool IsKeyword(const Token& t, std::string_view keyword) const {
    return t.kind == TokenKind::kIdentifier && Lower(t.text) == keyword;
  }
  bool IsOp(const Token& t, std::string_view op) const {
    return t.kind == TokenKind::kOperator && t.text == op;
  }
  bool AcceptKeyword(std::string_view keyword) {
    if (!IsKeyword(Peek(), keyword)) return false;
    ++pos_;
    return true;
  }
  bool AcceptOp(std::string_view op) {
    if (!IsOp(Peek(), op)) return false;
    ++pos_;
    return true;
  }
  arrow::Status ExpectOp(std::string_view op, const std::string& context) {
    if (AcceptOp(op)) return arrow::Status::OK();
    return ErrorAt(Peek().position, "expected '" + std::string(op) + "' " + context + Found());
  }
  arrow::Status ExpectKeyword(std::string_view keyword, const std::string& context) {
    if (AcceptKeyword(keyword)) return arrow::Status::OK();
    std::string upper(keyword);
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return ErrorAt(Peek().position, "expected " + upper + " " + context + Found());
  }
  std::string Found() const {
    return Peek().kind == TokenKind::kEnd ? ", found the end of the expression"
                                          : ", found '" + Peek().text + "'";
  }

  arrow::Result<Node> ParseOr() {
    ARROW_ASSIGN_OR_RAISE(Node left, ParseAnd());
    while (IsKeyword(Peek(), "or")) {
      size_t at = Next().position;
      ARROW_ASSIGN_OR_RAISE(Node right, ParseAnd());
      left = Node::Call("or", {std::move(left), std::move(right)}, at);
    }
    return left;
  }

  arrow::Result<Node> ParseAnd() {
    ARROW_ASSIGN_OR_RAISE(Node left, ParseNot());
    while (IsKeyword(Peek(), "and")) {
      size_t at = Next().position;
      ARROW_ASSIGN_OR_RAISE(Node right, ParseNot());
      left = Node::Call("and", {std::move(left), std::move(right)}, at);
    }
    return left;
  }

  arrow::Result<Node> ParseNot() {
    if (IsKeyword(Peek(), "not")) {
      size_t at = Next().position;
      ARROW_ASSIGN_OR_RAISE(Node operand, ParseNot());
      return Node::Call("not", {std::move(operand)}, at);
    }
    return ParsePredicate();
  }

  arrow::Result<Node> ParsePredicate() {
    ARROW_ASSIGN_OR_RAISE(Node left, ParseAdditive());
    const Token& t = Peek();
    if (t.kind == TokenKind::kOperator) {
      static constexpr std::string_view kComparisons[] = {"=", "==", "!=", "<>", "<", "<=", ">", ">="};
      for (auto op : kComparisons) {
        if (t.text != op) continue;
        size_t at = Next().position;
        ARROW_ASSIGN_OR_RAISE(Node right, ParseAdditive());
        std::string name = op == "==" ? "=" : op == "<>" ? "!=" : std::string(op);
        return Node::Call(name, {std::move(left), std::move(right)}, at);
      }
      return left;
    }
    if (IsKeyword(t, "is")) {
      size_t at = Next().position;
      bool negated = AcceptKeyword("not");
      ARROW_RETURN_NOT_OK(ExpectKeyword("null", "after IS"));
      return Node::Call(negated ? "is_not_null" : "is_null", {std::move(left)}, at);
    }
    bool negated = false;
    size_t at = t.position;
    if (IsKeyword(t, "not") &&
        (IsKeyword(Peek(1), "between") || IsKeyword(Peek(1), "in") || IsKeyword(Peek(1), "like"))) {
      Next();
      negated = true;
    }
    if (AcceptKeyword("between")) {
      ARROW_ASSIGN_OR_RAISE(Node low, ParseAdditive());
      ARROW_RETURN_NOT_OK(ExpectKeyword("and", "between the bounds of BETWEEN"));
      ARROW_ASSIGN_OR_RAISE(Node high, ParseAdditive());
      Node n = Node::Call("between", {std::move(left), std::move(low), std::move(high)}, at);
      n.negated = negated;
      return n;
    }
    if (AcceptKeyword("in")) {
      ARROW_RETURN_NOT_OK(ExpectOp("(", "after IN"));
      std::vector<Node> children{std::move(left)};
      do {
        ARROW_ASSIGN_OR_RAISE(Node item, ParseOr());
        children.push_back(std::move(item));
      } while (AcceptOp(","));
      ARROW_RETURN_NOT_OK(ExpectOp(")", "to close the IN list"));
      Node n = Node::Call("in", std::move(children), at);
      n.negated = negated;
      return n;
    }
    if (AcceptKeyword("like")) {
      ARROW_ASSIGN_OR_RAISE(Node pattern, ParseAdditive());
      Node n = Node::Call("like", {std::move(left), std::move(pattern)}, at);
      n.negated = negated;
      return n;
    }
    if (negated) return ErrorAt(at, "expected BETWEEN, IN or LIKE after NOT");
    return left;
  }

  arrow::Result<Node> ParseAdditive() {
    ARROW_ASSIGN_OR_RAISE(Node left, ParseMultiplicative());
    while (IsOp(Peek(), "+") || IsOp(Peek(), "-") || IsOp(Peek(), "||")) {
      const Token& op = Next();
      ARROW_ASSIGN_OR_RAISE(Node right, ParseMultiplicative());
      left = Node::Call(op.text, {std::move(left), std::move(right)}, op.position);
    }
    return left;
  }

  arrow::Result<Node> ParseMultiplicative() {
    ARROW_ASSIGN_OR_RAISE(Node left, ParseUnary());
    while (IsOp(Peek(), "*") || IsOp(Peek(), "/")) {
      const Token& op = Next();
      ARROW_ASSIGN_OR_RAISE(Node right, ParseUnary());
      left = Node::Call(op.text, {std::move(left), std::move(right)}, op.position);
    }
    return left;
  }

  arrow::Result<Node> ParseUnary() {
    if (IsOp(Peek(), "-")) {
      size_t at = Next().position;
      ARROW_ASSIGN_OR_RAISE(Node operand, ParseUnary());
      // Fold negative numeric literals so that -9223372036854775808 and IN (-1, -2) work.
      if (operand.kind == Node::Kind::kLiteral) {
        if (auto* i = std::get_if<int64_t>(&operand.literal)) {
          operand.literal = -*i;
          operand.position = at;
          return operand;
        }
        if (auto* d = std::get_if<double>(&operand.literal)) {
          // INT64_MIN's magnitude does not fit int64 and was read as a double.
          if (operand.name == "9223372036854775808") {
            operand.literal = std::numeric_limits<int64_t>::min();
          } else {
            operand.literal = -*d;
          }
          operand.position = at;
          return operand;
        }
      }
      return Node::Call("negate", {std::move(operand)}, at);
    }
    if (AcceptOp("+")) return ParseUnary();
    return ParsePrimary();
  }

  arrow::Result<Node> ParseNumber(const Token& t) {
    bool is_integer = t.text.find_first_of(".eE") == std::string::npos;
    if (is_integer) {
      int64_t value = 0;
      auto [ptr, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
      if (ec == std::errc() && ptr == t.text.data() + t.text.size()) return Node::Literal(value, t.position);
      // Too large for int64: read it as a double.
    }
    char* end = nullptr;
    double value = std::strtod(t.text.c_str(), &end);
    if (end != t.text.c_str() + t.text.size()) return ErrorAt(t.position, "'" + t.text + "' is not a number");
    Node node = Node::Literal(value, t.position);
    node.name = t.text;  // source text, for exact folding of -9223372036854775808
    return node;
  }

  arrow::Result<Node> ParsePrimary() {
    const Token& t = Next();
    switch (t.kind) {
      case TokenKind::kNumber:
        return ParseNumber(t);
      case TokenKind::kString:
        return Node::Literal(t.text, t.position);
      case TokenKind::kQuotedIdentifier:
        return Node::Column(t.text, t.position);
      case TokenKind::kEnd:
        return ErrorAt(t.position, "the expression ends where a value was expected");
      case TokenKind::kOperator:
        if (t.text == "(") {
          ARROW_ASSIGN_OR_RAISE(Node inner, ParseOr());
          ARROW_RETURN_NOT_OK(ExpectOp(")", "to close '('"));
          return inner;
        }
        if (t.text == "*") return Node{Node::Kind::kStar, "*", {}, {}, false, false, {}, t.position};
        return ErrorAt(t.position, "unexpected '" + t.text + "' where a value was expected");
      case TokenKind::kIdentifier:
        break;
    }
    std::string word = Lower(t.text);
    if (word == "true" || word == "false") return Node::Literal(word == "true", t.position);
    if (word == "null") return Node::Literal(NullLiteral{}, t.position);
    if ((word == "timestamp" || word == "interval") && Peek().kind == TokenKind::kString) {
      const Token& text = Next();
      if (word == "timestamp") {
        auto micros = ParseIsoTimestamp(text.text);
        if (!micros) {
          return ErrorAt(text.position,
                         "'" + text.text + "' is not an ISO-8601 timestamp (e.g. 2025-07-28T14:00:00Z)");
        }
        return Node::Literal(TimestampLiteral{*micros}, t.position);
      }
      auto duration = ParseDuration(text.text);
      if (!duration.ok()) return ErrorAt(text.position, duration.status().message());
      return Node::Literal(IntervalLiteral{duration->count()}, t.position);
    }
    if (word == "case") return ParseCase(t.position);
    if (word == "cast" && IsOp(Peek(), "(")) return ParseCast(t.position);
    if (word == "current_timestamp" && !IsOp(Peek(), "(")) return Node::Call("now", {}, t.position);
    if (IsOp(Peek(), "(")) return ParseCall(t);
    static constexpr std::string_view kReserved[] = {"and",  "or",   "not",  "is",   "between", "in",
                                                     "like", "when", "then", "else", "end",     "as"};
    for (auto reserved : kReserved) {
      if (word == reserved) {
        return ErrorAt(t.position, "unexpected keyword '" + t.text + "' where a value was expected");
      }
    }
    return Node::Column(t.text, t.position);
  }

  arrow::Result<Node> ParseCall(const Token& name) {
    Next();  // (
    std::vector<Node> args;
    std::string function = Lower(name.text);
    if (AcceptKeyword("distinct")) {
      return ErrorAt(name.position, function + "(DISTINCT ...) is not supported");
    }
    if (!AcceptOp(")")) {
      do {
        ARROW_ASSIGN_OR_RAISE(Node arg, ParseOr());
        args.push_back(std::move(arg));
      } while (AcceptOp(","));
      ARROW_RETURN_NOT_OK(ExpectOp(")", "after the arguments of '" + function + "'"));
    }
    return Node::Call(function, std::move(args), name.position);
  }

  arrow::Result<Node> ParseCase(size_t at) {
    std::vector<Node> children;
    std::optional<Node> subject;
    if (!IsKeyword(Peek(), "when")) {
      ARROW_ASSIGN_OR_RAISE(Node s, ParseOr());
      subject = std::move(s);
    }
    bool has_else = false;
    if (!IsKeyword(Peek(), "when")) return ErrorAt(Peek().position, "expected WHEN after CASE" + Found());
    while (AcceptKeyword("when")) {
      ARROW_ASSIGN_OR_RAISE(Node cond, ParseOr());
      if (subject) cond = Node::Call("=", {*subject, std::move(cond)}, cond.position);
      ARROW_RETURN_NOT_OK(ExpectKeyword("then", "after the WHEN condition"));
      ARROW_ASSIGN_OR_RAISE(Node value, ParseOr());
      children.push_back(std::move(cond));
      children.push_back(std::move(value));
    }
    if (AcceptKeyword("else")) {
      ARROW_ASSIGN_OR_RAISE(Node value, ParseOr());
      children.push_back(std::move(value));
      has_else = true;
    }
    ARROW_RETURN_NOT_OK(ExpectKeyword("end", "to close CASE"));
    Node n = Node::Call("case", std::move(children), at);
    n.has_else = has_else;
    return n;
  }

  arrow::Result<Node> ParseCast(size_t at) {
    Next();  // (
    ARROW_ASSIGN_OR_RAISE(Node operand, ParseOr());
    ARROW_RETURN_NOT_OK(ExpectKeyword("as", "in CAST(value AS type)"));
    const Token& type = Next();
    if (type.kind != TokenKind::kIdentifier) return ErrorAt(type.position, "expected a type name after AS");
    ARROW_RETURN_NOT_OK(ExpectOp(")", "to close CAST"));
    Node n = Node::Call("cast", {std::move(operand)}, at);
    n.type_name = Lower(type.text);
    return n;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

arrow::Result<Node> ParseExpression(std::string_view text) {
  ARROW_ASSIGN_OR_RAISE(auto tokens, Tokenize(text));
  if (tokens.size() == 1) return arrow::Status::Invalid("the expression is empty");
  return Parser(std::move(tokens)).ParseAll();
}

namespace {

std::string QuoteString(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

bool IsPlainName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string LiteralToSql(const LiteralValue& v) {
  struct Visitor {
    std::string operator()(NullLiteral) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "TRUE" : "FALSE"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const {
      char buf[32];
      std::snprintf(buf, sizeof(buf), "%.17g", d);
      std::string s = buf;
      if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
      return s;
    }
    std::string operator()(const std::string& s) const { return QuoteString(s); }
    std::string operator()(TimestampLiteral t) const {
      return "TIMESTAMP '" + FormatTimestamp(t.micros) + "'";
    }
    std::string operator()(IntervalLiteral i) const {
      return "INTERVAL '" + FormatDuration(Duration(i.micros)) + "'";
    }
  };
  return std::visit(Visitor{}, v);
}

}  // namespace

std::string ToSql(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      return LiteralToSql(node.literal);
    case Node::Kind::kColumn:
      return IsPlainName(node.name) ? node.name : "\"" + node.name + "\"";
    case Node::Kind::kStar:
      return "*";
    case Node::Kind::kCall:
      break;
  }
  const auto& c = node.children;
  const std::string& n = node.name;
  auto binary = [&](const std::string& op) { return "(" + ToSql(c[0]) + " " + op + " " + ToSql(c[1]) + ")"; };
  if (n == "and" || n == "or" || n == "like") {
    std::string op = n == "and" ? "AND" : n == "or" ? "OR" : (node.negated ? "NOT LIKE" : "LIKE");
    return binary(op);
  }
  if (n == "=" || n == "!=" || n == "<" || n == "<=" || n == ">" || n == ">=" || n == "+" || n == "-" ||
      n == "*" || n == "/" || n == "||") {
    return binary(n);
  }
  if (n == "not") return "(NOT " + ToSql(c[0]) + ")";
  if (n == "negate") return "(-" + ToSql(c[0]) + ")";
  if (n == "is_null") return "(" + ToSql(c[0]) + " IS NULL)";
  if (n == "is_not_null") return "(" + ToSql(c[0]) + " IS NOT NULL)";
  if (n == "between") {
    return "(" + ToSql(c[0]) + (node.negated ? " NOT" : "") + " BETWEEN " + ToSql(c[1]) + " AND " +
           ToSql(c[2]) + ")";
  }
  if (n == "in") {
    std::string out = "(" + ToSql(c[0]) + (node.negated ? " NOT IN (" : " IN (");
    for (size_t i = 1; i < c.size(); ++i) out += (i > 1 ? ", " : "") + ToSql(c[i]);
    return out + "))";
  }
  if (n == "case") {
    std::string out = "CASE";
    size_t pairs = (c.size() - (node.has_else ? 1 : 0)) / 2;
    for (size_t i = 0; i < pairs; ++i) out += " WHEN " + ToSql(c[2 * i]) + " THEN " + ToSql(c[2 * i + 1]);
    if (node.has_else) out += " ELSE " + ToSql(c.back());
    return out + " END";
  }
  if (n == "cast") return "CAST(" + ToSql(c[0]) + " AS " + node.type_name + ")";
  std::string out = n + "(";
  for (size_t i = 0; i < c.size(); ++i) out += (i ? ", " : "") + ToSql(c[i]);
  return out + ")";
}

}  // namespace sluice
