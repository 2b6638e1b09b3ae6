#include "format/json_decoder.h"

#include <cmath>
#include <string>
#include <unordered_map>

#include <arrow/builder.h>
#include <simdjson.h>

#include "common/text.h"
#include "common/time_util.h"

namespace sluice {
namespace {

namespace od = simdjson::ondemand;

std::string_view JsonTypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "a value";
}

// Shortens a value quoted in an error message.
std::string Quote(std::string_view text) { return "'" + Abbreviate(text, 64) + "'"; }

// A raw JSON token includes the whitespace after it.
std::string_view TrimRight(std::string_view token) {
  while (!token.empty() &&
         (token.back() == ' ' || token.back() == '\n' || token.back() == '\t' || token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

// Consumes a scalar that simdjson typed by its first byte, to check it is well formed
// ("tru" looks like a boolean, "not json" like null).
template <typename Value>
simdjson::error_code CheckScalar(Value& value, od::json_type type) {
  switch (type) {
    case od::json_type::null: {
      bool is_null = false;
      auto error = value.is_null().get(is_null);
      return error ? error : (is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR);
    }
    case od::json_type::boolean: {
      bool b = false;
      return value.get_bool().get(b);
    }
    case od::json_type::number: {
      double d = 0;
      return value.get_double().get(d);
    }
    case od::json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    default:
      return simdjson::SUCCESS;
  }
}

std::string ParseError(simdjson::error_code error) {
  switch (error) {
    case simdjson::UTF8_ERROR:
      return "not valid UTF-8";
    case simdjson::EMPTY:
      return "empty record (no JSON value)";
    case simdjson::UNCLOSED_STRING:
      return "not valid JSON: unclosed string";
    default:
      return std::string("not valid JSON: ") + simdjson::error_message(error);
  }
}

// Consumes `value` to its end, checking every scalar inside it: On-Demand skips what
// it is not asked for without checking atoms such as `tru`, so undeclared fields and
// JSON-text columns are walked with this to keep malformed records out of the output.
// A malformed scalar is reported as INCORRECT_TYPE with its text in `*bad_token`.
simdjson::error_code CheckValue(od::value& value, std::string_view* bad_token) {
  od::json_type type;
  if (auto error = value.type().get(type)) return error;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto error = value.get_object().get(object)) return error;
      for (auto field_result : object) {
        od::field field;
        if (auto error = std::move(field_result).get(field)) return error;
        od::value child = field.value();
        if (auto error = CheckValue(child, bad_token)) return error;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto error = value.get_array().get(array)) return error;
      for (auto element_result : array) {
        od::value child;
        if (auto error = std::move(element_result).get(child)) return error;
        if (auto error = CheckValue(child, bad_token)) return error;
      }
      return simdjson::SUCCESS;
    }
    default: {
      std::string_view token = TrimRight(value.raw_json_token());
      auto error = CheckScalar(value, type);
      if (error) *bad_token = token;
      return error;
    }
  }
}

// The reason for a CheckValue failure.
std::string CheckValueError(simdjson::error_code error, std::string_view bad_token) {
  return bad_token.empty() ? ParseError(error)
                           : "not valid JSON: " + Quote(bad_token) + " is not a JSON value";
}

// Converts an epoch number in `unit` to microseconds; false when out of range.
bool EpochToMicros(double value, EpochUnit unit, int64_t* out) {
  if (!std::isfinite(value)) return false;
  if (unit == EpochUnit::kAuto) {
    double magnitude = std::fabs(value);
    unit = magnitude < 1e11   ? EpochUnit::kSeconds
           : magnitude < 1e14 ? EpochUnit::kMillis
           : magnitude < 1e17 ? EpochUnit::kMicros
                              : EpochUnit::kNanos;
  }
  double micros = 0;
  switch (unit) {
    case EpochUnit::kSeconds:
      micros = value * 1e6;
      break;
    case EpochUnit::kMillis:
      micros = value * 1e3;
      break;
    case EpochUnit::kMicros:
      micros = value;
      break;
    case EpochUnit::kNanos:
      micros = value / 1e3;
      break;
    case EpochUnit::kAuto:
      break;
  }
  if (!(micros > -9.2e18 && micros < 9.2e18)) return false;
  *out = static_cast<int64_t>(std::floor(micros));
  return true;
}

bool EpochToMicros(int64_t value, EpochUnit unit, int64_t* out) {
  if (unit == EpochUnit::kAuto) {
    uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    unit = magnitude < 100'000'000'000ULL           ? EpochUnit::kSeconds
           : magnitude < 100'000'000'000'000ULL     ? EpochUnit::kMillis
           : magnitude < 100'000'000'000'000'000ULL ? EpochUnit::kMicros
                                                    : EpochUnit::kNanos;
  }
  switch (unit) {
    case EpochUnit::kSeconds:
      return !__builtin_mul_overflow(value, int64_t{1'000'000}, out);
    case EpochUnit::kMillis:
      return !__builtin_mul_overflow(value, int64_t{1'000}, out);
    case EpochUnit::kMicros:
      *out = value;
      return true;
    case EpochUnit::kNanos:
      *out = FloorDiv(value, 1000);
      return true;
    case EpochUnit::kAuto:
      break;
  }
  return false;
}

}  // namespace

class JsonDecoder::Impl {
 public:
  Impl(DeclaredSchema schema, arrow::MemoryPool* pool) : schema_(std::move(schema)), pool_(pool) {}

  arrow::Status Init() {
    const auto& fields = schema_.fields();
    cells_.resize(fields.size());
    for (size_t i = 0; i < fields.size(); ++i) {
      std::unique_ptr<arrow::ArrayBuilder> builder;
      ARROW_RETURN_NOT_OK(arrow::MakeBuilder(pool_, ToArrowType(fields[i].type), &builder));
      builders_.push_back(std::move(builder));
      index_.emplace(fields[i].name, static_cast<int>(i));
      // A raw key can be compared byte for byte only with a name that needs no escaping.
      plain_name_.push_back(fields[i].name.find_first_of("\"\\") == std::string::npos);
    }
    return arrow::Status::OK();
  }

  arrow::Status Decode(const RawBatch& input, DecodedBatch* out) {
    out->record_index.clear();
    out->rejected.clear();
    for (auto& b : builders_) ARROW_RETURN_NOT_OK(b->Reserve(static_cast<int64_t>(input.size())));
    std::string reason;
    for (size_t r = 0; r < input.size(); ++r) {
      std::string_view bytes = input.record(r);
      reason.clear();
      if (DecodeRecord(bytes, input.readable_from(r), &reason)) {
        ARROW_RETURN_NOT_OK(CommitRow());
        out->record_index.push_back(static_cast<int32_t>(r));
      } else {
        out->rejected.push_back(
            Rejection{static_cast<int32_t>(r), Stage::kDecode, std::move(reason), {}, {}});
      }
    }
    arrow::ArrayVector columns;
    for (auto& b : builders_) {
      std::shared_ptr<arrow::Array> column;
      ARROW_RETURN_NOT_OK(b->Finish(&column));
      columns.push_back(std::move(column));
    }
    out->batch = arrow::RecordBatch::Make(schema_.arrow_schema(),
                                          static_cast<int64_t>(out->record_index.size()), std::move(columns));
    return arrow::Status::OK();
  }

 private:
  struct Cell {
    uint64_t generation = 0;  // == generation_ when set for the current record
    bool is_null = false;
    int64_t i = 0;
    double d = 0;
    std::string_view s;
  };

  // Parses one record into cells_; false with `reason` when it must be rejected.
  bool DecodeRecord(std::string_view bytes, size_t readable, std::string* reason) {
    ++generation_;
    if (bytes.empty()) {
      *reason = "empty record (no JSON value)";
      return false;
    }
    od::document doc;
    auto error = parser_.iterate(bytes.data(), bytes.size(), readable).get(doc);
    if (error) {
      *reason = ParseError(error);
      return false;
    }
    od::json_type type;
    if ((error = doc.type().get(type))) {
      *reason = ParseError(error);
      return false;
    }
    if (type != od::json_type::object) {
      if (CheckScalar(doc, type) != simdjson::SUCCESS) {
        *reason = "not valid JSON: the line is neither an object nor any other JSON value";
      } else {
        *reason = "expected a JSON object, got " + std::string(JsonTypeName(type));
      }
      return false;
    }
    od::object object;
    if ((error = doc.get_object().get(object))) {
      *reason = ParseError(error);
      return false;
    }
    const auto& fields = schema_.fields();
    for (auto field_result : object) {
      od::field field;
      if ((error = std::move(field_result).get(field))) {
        *reason = ParseError(error);
        return false;
      }
      std::string_view key;
      int column = FindColumn(field, &key);
      if (column == kUnknown) {
        *reason = ParseError(simdjson::STRING_ERROR);
        return false;
      }
      od::value value = field.value();
      if (column == kUndeclared) {
        std::string_view bad_token;
        if ((error = CheckValue(value, &bad_token))) {
          *reason =
              "field '" + Abbreviate(key, 64) + "' (not in the schema): " + CheckValueError(error, bad_token);
          return false;
        }
        continue;
      }
      if (!DecodeValue(fields[column], value, &cells_[column], reason)) return false;
      cells_[column].generation = generation_;
    }
    // After the root object the iterator must be at the end of the input.
    if (!doc.current_location().error()) {
      *reason = "not valid JSON: unexpected content after the object";
      return false;
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      Cell& cell = cells_[c];
      if (cell.generation != generation_) {
        if (fields[c].required) {
          *reason = "missing required field '" + fields[c].name + "'";
          return false;
        }
        cell.generation = generation_;
        cell.is_null = true;
      } else if (cell.is_null && fields[c].required) {
        *reason = "required field '" + fields[c].name + "' is null";
        return false;
      }
    }
    return true;
  }

  static constexpr int kUndeclared = -1;
  static constexpr int kUnknown = -2;  // the key could not be read

  // The declared column for this field's key (kUndeclared with the key in `*key`).
  // Producers usually write keys in a fixed order, so the column after the previous
  // match is tried first without unescaping.
  int FindColumn(od::field& field, std::string_view* key) {
    const auto& fields = schema_.fields();
    size_t hint = next_hint_ < fields.size() ? next_hint_ : 0;
    if (plain_name_[hint] && field.key().unsafe_is_equal(fields[hint].name)) {
      next_hint_ = hint + 1;
      return static_cast<int>(hint);
    }
    if (field.unescaped_key().get(*key)) return kUnknown;
    auto it = index_.find(*key);
    if (it == index_.end()) return kUndeclared;
    next_hint_ = static_cast<size_t>(it->second) + 1;
    return it->second;
  }

  // A value of the wrong JSON type, unless it is not a JSON value at all.
  bool TypeError(const FieldSpec& spec, std::string_view expected, od::value& value, od::json_type got,
                 std::string* reason) {
    std::string_view token = TrimRight(value.raw_json_token());
    if (CheckScalar(value, got) != simdjson::SUCCESS) {
      *reason = "field '" + spec.name + "': not valid JSON: " + Quote(token) + " is not a JSON value";
    } else {
      *reason = "field '" + spec.name + "': expected " + std::string(expected) + ", got " +
                std::string(JsonTypeName(got));
    }
    return false;
  }

  bool DecodeValue(const FieldSpec& spec, od::value& value, Cell* cell, std::string* reason) {
    od::json_type type;
    if (auto error = value.type().get(type)) {
      *reason = "field '" + spec.name + "': " + ParseError(error);
      return false;
    }
    cell->is_null = false;
    if (type == od::json_type::null) {
      // is_null() consumes the token so that a malformed literal is still caught.
      bool is_null = false;
      if (value.is_null().get(is_null) || !is_null) {
        *reason = "field '" + spec.name + "': not valid JSON: " + Quote(TrimRight(value.raw_json_token())) +
                  " is not a JSON value";
        return false;
      }
      cell->is_null = true;
      return true;
    }
    simdjson::error_code error = simdjson::SUCCESS;
    switch (spec.type) {
      case ColumnType::kString:
        if (type != od::json_type::string) return TypeError(spec, "a string", value, type, reason);
        error = value.get_string().get(cell->s);
        break;
      case ColumnType::kBool: {
        if (type != od::json_type::boolean) return TypeError(spec, "true or false", value, type, reason);
        bool b = false;
        error = value.get_bool().get(b);
        cell->i = b;
        break;
      }
      case ColumnType::kInt32:
      case ColumnType::kInt64:
        if (type != od::json_type::number) return TypeError(spec, "an integer", value, type, reason);
        return DecodeInteger(spec, value, cell, reason);
      case ColumnType::kDouble:
        if (type != od::json_type::number) return TypeError(spec, "a number", value, type, reason);
        error = value.get_double().get(cell->d);
        break;
      case ColumnType::kTimestamp:
        return DecodeTimestamp(spec, value, type, cell, reason);
      case ColumnType::kJson:
        return DecodeJsonText(spec, value, cell, reason);
    }
    if (error) {
      *reason = "field '" + spec.name + "': " + ParseError(error);
      return false;
    }
    return true;
  }

  bool DecodeInteger(const FieldSpec& spec, od::value& value, Cell* cell, std::string* reason) {
    od::number_type number_type;
    if (auto error = value.get_number_type().get(number_type)) {
      *reason = "field '" + spec.name + "': " + ParseError(error);
      return false;
    }
    int64_t v = 0;
    if (number_type == od::number_type::signed_integer) {
      if (auto error = value.get_int64().get(v)) {
        *reason = "field '" + spec.name + "': " + ParseError(error);
        return false;
      }
    } else if (number_type == od::number_type::floating_point_number) {
      double d = 0;
      if (auto error = value.get_double().get(d)) {
        *reason = "field '" + spec.name + "': " + ParseError(error);
        return false;
      }
      if (d != std::floor(d) || !(d >= -9.2e18 && d <= 9.2e18)) {
        *reason =
            "field '" + spec.name + "': expected an integer, got " + Quote(TrimRight(value.raw_json_token()));
        return false;
      }
      v = static_cast<int64_t>(d);
    } else {
      *reason =
          "field '" + spec.name + "': integer out of range for " + std::string(ColumnTypeName(spec.type));
      return false;
    }
    if (spec.type == ColumnType::kInt32 && (v < INT32_MIN || v > INT32_MAX)) {
      *reason = "field '" + spec.name + "': " + std::to_string(v) + " is out of range for int32";
      return false;
    }
    cell->i = v;
    return true;
  }

  bool DecodeTimestamp(const FieldSpec& spec, od::value& value, od::json_type type, Cell* cell,
                       std::string* reason) {
    if (type == od::json_type::string) {
      std::string_view text;
      if (auto error = value.get_string().get(text)) {
        *reason = "field '" + spec.name + "': " + ParseError(error);
        return false;
      }
      auto micros = ParseIsoTimestamp(text);
      if (!micros) {
        *reason = "field '" + spec.name + "': " + Quote(text) +
                  " is not an ISO-8601 timestamp (e.g. 2025-07-28T14:17:34Z)";
        return false;
      }
      cell->i = *micros;
      return true;
    }
    if (type != od::json_type::number) {
      return TypeError(spec, "an ISO-8601 string or epoch number", value, type, reason);
    }
    od::number_type number_type;
    if (auto error = value.get_number_type().get(number_type)) {
      *reason = "field '" + spec.name + "': " + ParseError(error);
      return false;
    }
    bool ok = false;
    if (number_type == od::number_type::signed_integer) {
      int64_t v = 0;
      ok = !value.get_int64().get(v) && EpochToMicros(v, spec.epoch_unit, &cell->i);
    } else {
      double d = 0;
      ok = !value.get_double().get(d) && EpochToMicros(d, spec.epoch_unit, &cell->i);
    }
    if (!ok) *reason = "field '" + spec.name + "': epoch number out of range";
    return ok;
  }

  // Keeps the value's JSON text as it is in the record, after checking it is valid.
  bool DecodeJsonText(const FieldSpec& spec, od::value& value, Cell* cell, std::string* reason) {
    const char* begin = value.raw_json_token().data();
    std::string_view bad_token;
    simdjson::error_code error = CheckValue(value, &bad_token);
    const char* end = nullptr;
    // The value is inside the root object, so a token (',' or '}') always follows it.
    if (!error) error = value.current_location().get(end);
    if (error) {
      *reason = "field '" + spec.name + "': " + CheckValueError(error, bad_token);
      return false;
    }
    cell->s = TrimRight(std::string_view(begin, static_cast<size_t>(end - begin)));
    return true;
  }

  arrow::Status CommitRow() {
    const auto& fields = schema_.fields();
    for (size_t c = 0; c < fields.size(); ++c) {
      const Cell& cell = cells_[c];
      arrow::ArrayBuilder* builder = builders_[c].get();
      if (cell.is_null) {
        ARROW_RETURN_NOT_OK(builder->AppendNull());
        continue;
      }
      switch (fields[c].type) {
        case ColumnType::kString:
        case ColumnType::kJson:
          ARROW_RETURN_NOT_OK(static_cast<arrow::StringBuilder*>(builder)->Append(cell.s));
          break;
        case ColumnType::kBool:
          static_cast<arrow::BooleanBuilder*>(builder)->UnsafeAppend(cell.i != 0);
          break;
        case ColumnType::kInt32:
          static_cast<arrow::Int32Builder*>(builder)->UnsafeAppend(static_cast<int32_t>(cell.i));
          break;
        case ColumnType::kInt64:
          static_cast<arrow::Int64Builder*>(builder)->UnsafeAppend(cell.i);
          break;
        case ColumnType::kDouble:
          static_cast<arrow::DoubleBuilder*>(builder)->UnsafeAppend(cell.d);
          break;
        case ColumnType::kTimestamp:
          static_cast<arrow::TimestampBuilder*>(builder)->UnsafeAppend(cell.i);
          break;
      }
    }
    return arrow::Status::OK();
  }

  DeclaredSchema schema_;
  arrow::MemoryPool* pool_;
  od::parser parser_;
  std::vector<Cell> cells_;
  uint64_t generation_ = 0;
  size_t next_hint_ = 0;
  std::vector<uint8_t> plain_name_;  // per field: its JSON key needs no escapes
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders_;
  std::unordered_map<std::string_view, int> index_;  // keys point into schema_
};

arrow::Result<std::unique_ptr<JsonDecoder>> JsonDecoder::Make(DeclaredSchema schema,
                                                              arrow::MemoryPool* pool) {
  auto impl = std::make_unique<Impl>(std::move(schema), pool);
  ARROW_RETURN_NOT_OK(impl->Init());
  return std::unique_ptr<JsonDecoder>(new JsonDecoder(std::move(impl)));
}

JsonDecoder::JsonDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonDecoder::~JsonDecoder() = default;

arrow::Status JsonDecoder::Decode(const RawBatch& input, DecodedBatch* out) {
  return impl_->Decode(input, out);
}

}  // namespace sluice
