#pragma once

#include <string_view>

#include <arrow/result.h>

#include "expr/ast.h"

namespace sluice {

// Parses a SQL expression: comparisons, AND/OR/NOT, arithmetic (+ - * /), string
// concatenation (||), BETWEEN, IN (...), LIKE, IS [NOT] NULL, CASE WHEN ... END,
// CAST(x AS type), function calls (including count(*)), literals (numbers, 'strings',
// TRUE/FALSE/NULL, TIMESTAMP '2025-07-28T14:00:00Z', INTERVAL '1 minute') and column
// names (bare, "double-quoted" or `back-quoted`). Keywords are case-insensitive.
//
// Errors say what was expected and where: "at column 12: expected ')' after the
// arguments of 'avg'".
arrow::Result<Node> ParseExpression(std::string_view text);

}  // namespace sluice
