#include "common/env.h"

#include <cstdlib>
#include <fstream>
#include <vector>

namespace sluice {
namespace {

bool IsNameChar(char c, bool first) {
  return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r')) --e;
  return std::string(s.substr(b, e - b));
}

// Finds the `}` closing a reference whose body starts at `pos`, honouring nesting.
size_t FindClose(std::string_view text, size_t pos) {
  int depth = 1;
  for (size_t i = pos; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

}  // namespace

arrow::Status Environment::LoadDotEnv(const std::string& path) {
  std::ifstream in(path);
  if (!in) return arrow::Status::IOError("cannot read ", path);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (t.rfind("export ", 0) == 0) t = Trim(std::string_view(t).substr(7));
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      return arrow::Status::Invalid(path, ":", line_no, ": expected KEY=VALUE, got '", t, "'");
    }
    std::string key = Trim(std::string_view(t).substr(0, eq));
    for (size_t i = 0; i < key.size(); ++i) {
      if (!IsNameChar(key[i], i == 0)) {
        return arrow::Status::Invalid(path, ":", line_no, ": '", key,
                                      "' is not a variable name (letters, digits, _)");
      }
    }
    std::string raw = Trim(std::string_view(t).substr(eq + 1));
    std::string value;
    if (!raw.empty() && (raw[0] == '"' || raw[0] == '\'')) {
      char quote = raw[0];
      size_t i = 1;
      bool closed = false;
      for (; i < raw.size(); ++i) {
        char c = raw[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
          char n = raw[++i];
          value += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        } else {
          value += c;
        }
      }
      if (!closed) {
        return arrow::Status::Invalid(path, ":", line_no, ": unterminated ", quote, "-quoted value for ",
                                      key);
      }
    } else {
      // Unquoted: an inline comment starts at " #".
      size_t hash = raw.find(" #");
      value = Trim(hash == std::string::npos ? raw : raw.substr(0, hash));
    }
    dotenv_[key] = value;
  }
  return arrow::Status::OK();
}

void Environment::SetVar(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }

std::optional<std::string> Environment::Lookup(std::string_view name) const {
  if (auto it = vars_.find(name); it != vars_.end()) return it->second;
  std::string key(name);
  if (const char* v = std::getenv(key.c_str())) return std::string(v);
  if (auto it = dotenv_.find(name); it != dotenv_.end()) return it->second;
  return std::nullopt;
}

arrow::Result<std::string> Environment::Expand(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '$') {
      out += c;
      continue;
    }
    if (i + 2 < text.size() && text[i + 1] == '$' && text[i + 2] == '{') {
      out += "${";
      i += 2;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out += c;
      continue;
    }
    size_t body = i + 2;
    size_t close = FindClose(text, body);
    if (close == std::string_view::npos) {
      return arrow::Status::Invalid("unterminated '${' in '", text, "'; close it with '}'");
    }
    std::string_view ref = text.substr(body, close - body);
    size_t name_len = 0;
    while (name_len < ref.size() && IsNameChar(ref[name_len], name_len == 0)) ++name_len;
    if (name_len == 0) {
      return arrow::Status::Invalid("'${", ref, "}' does not start with a variable name");
    }
    std::string name(ref.substr(0, name_len));
    std::string_view rest = ref.substr(name_len);
    std::optional<std::string> value = Lookup(name);
    bool set_nonempty = value.has_value() && !value->empty();
    if (rest.empty()) {
      if (!value) {
        return arrow::Status::Invalid("environment variable ", name,
                                      " is not set; set it in the environment or in .env, or give a "
                                      "default with ${",
                                      name, ":-value}");
      }
      out += *value;
    } else if (rest.size() >= 2 && rest[0] == ':' && (rest[1] == '-' || rest[1] == '+' || rest[1] == '?')) {
      std::string_view arg = rest.substr(2);
      if (rest[1] == '-') {
        if (set_nonempty) {
          out += *value;
        } else {
          ARROW_ASSIGN_OR_RAISE(std::string def, Expand(arg));
          out += def;
        }
      } else if (rest[1] == '+') {
        if (set_nonempty) {
          ARROW_ASSIGN_OR_RAISE(std::string alt, Expand(arg));
          out += alt;
        }
      } else {
        if (!set_nonempty) {
          ARROW_ASSIGN_OR_RAISE(std::string msg, Expand(arg));
          return arrow::Status::Invalid("environment variable ", name, " is required: ", msg);
        }
        out += *value;
      }
    } else {
      return arrow::Status::Invalid("'${", ref, "}' is not understood; use ${", name, "}, ${", name,
                                    ":-default}, ${", name, ":+alternative} or ${", name, ":?message}");
    }
    i = close;
  }
  return out;
}

std::vector<std::string> Environment::ReferencedNames(std::string_view text) {
  std::vector<std::string> names;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '$' && text[i + 1] == '{' && (i == 0 || text[i - 1] != '$')) {
      size_t j = i + 2;
      while (j < text.size() && IsNameChar(text[j], j == i + 2)) ++j;
      if (j > i + 2) names.emplace_back(text.substr(i + 2, j - i - 2));
    }
  }
  return names;
}

}  // namespace sluice
