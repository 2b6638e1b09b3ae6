#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>

namespace sluice {

// Where `${NAME}` references in a pipeline file get their values, highest priority
// first: variables defined in the pipeline's `vars:` section, the process environment,
// then a `.env` file (KEY=VALUE lines, as python-dotenv reads them). The process
// environment wins over `.env`, as with docker compose and python-dotenv.
//
// Not thread-safe for mutation; const methods may be called concurrently.
class Environment {
 public:
  // An environment backed by the process environment only.
  Environment() = default;

  // Loads KEY=VALUE lines from a .env file. Blank lines and `#` comments are skipped,
  // `export ` prefixes allowed, values may be 'single' or "double" quoted (double
  // quotes understand \n, \t, \", \\). A malformed line is an error naming path:line.
  arrow::Status LoadDotEnv(const std::string& path);

  // Defines a pipeline variable (highest priority).
  void SetVar(std::string name, std::string value);

  // The value of `name`, or nullopt when it is defined nowhere.
  std::optional<std::string> Lookup(std::string_view name) const;

  // Expands references in `text`:
  //   ${NAME}           the value; an error when NAME is undefined
  //   ${NAME:-default}  the value, or `default` when NAME is undefined or empty
  //   ${NAME:+other}    `other` when NAME is defined and not empty, otherwise empty
  //   ${NAME:?message}  the value, or an error carrying `message`
  //   $${               a literal "${"
  // Defaults and alternatives may themselves contain references. A lone `$` is
  // literal. Errors say which variable and how to provide it.
  arrow::Result<std::string> Expand(std::string_view text) const;

  // Names of the variables `text` references (for the plan), in order of appearance.
  static std::vector<std::string> ReferencedNames(std::string_view text);

 private:
  std::map<std::string, std::string, std::less<>> vars_;
  std::map<std::string, std::string, std::less<>> dotenv_;
};

}  // namespace sluice
