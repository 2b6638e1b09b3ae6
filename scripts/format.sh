#!/usr/bin/env bash
# clang-format over every C++ file we own: `check` fails listing unformatted files,
# `fix` rewrites them in place.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-check}
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h')
if ((${#files[@]} == 0)); then exit 0; fi
if [[ $mode == fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if ((${#bad[@]})); then
  echo "format: these files are not clang-formatted (run 'make format'):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
# ARROW_ASSIGN_OR_RAISE expands to several statements: under a brace-less if/for/while
# only the first would be conditional.
if grep -nE '^\s*(\}\s*else\s*)?(if|for|while)\s*\(.*\)\s*ARROW_ASSIGN_OR_RAISE|else\s+ARROW_ASSIGN_OR_RAISE' "${files[@]}"; then
  echo "lint: ARROW_ASSIGN_OR_RAISE under a brace-less if/for/while/else (add braces)" >&2
  exit 1
fi
echo "format: ${#files[@]} files clang-formatted, lint clean"
