#include "expr/functions.h"

#include <cstdio>
#include <mutex>
#include <string>

#include <arrow/array/builder_binary.h>
#include <arrow/compute/api.h>
#include <arrow/compute/initialize.h>
#include <arrow/compute/registry.h>
#include <arrow/scalar.h>

#include "common/time_util.h"

namespace sluice {
namespace {

namespace cp = arrow::compute;

constexpr int64_t kSecond = 1'000'000;

arrow::Result<int64_t> UnitMicros(const arrow::DataType& type) {
  switch (static_cast<const arrow::TimestampType&>(type).unit()) {
    case arrow::TimeUnit::SECOND:
      return kSecond;
    case arrow::TimeUnit::MILLI:
      return 1000;
    case arrow::TimeUnit::MICRO:
      return 1;
    case arrow::TimeUnit::NANO:
      return -1000;  // divide
  }
  return arrow::Status::Invalid("unknown time unit");
}

void AppendNumber(std::string* out, int64_t value, int width) {
  char buf[24];
  int n = std::snprintf(buf, sizeof(buf), "%0*lld", width, static_cast<long long>(value));
  out->append(buf, n);
}

void Format(int64_t micros, std::string_view format, std::string* out) {
  out->clear();
  CivilTime t = CivilFromMicros(micros);
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out->push_back(format[i]);
      continue;
    }
    switch (format[++i]) {
      case 'Y':
        AppendNumber(out, t.year, 4);
        break;
      case 'y':
        AppendNumber(out, ((t.year % 100) + 100) % 100, 2);
        break;
      case 'm':
        AppendNumber(out, t.month, 2);
        break;
      case 'd':
        AppendNumber(out, t.day, 2);
        break;
      case 'H':
        AppendNumber(out, t.hour, 2);
        break;
      case 'M':
        AppendNumber(out, t.minute, 2);
        break;
      case 'S':
        AppendNumber(out, t.second, 2);
        break;
      case 'j':
        AppendNumber(out, DaysFromCivil(t.year, t.month, t.day) - DaysFromCivil(t.year, 1, 1) + 1, 3);
        break;
      case 'F':
        AppendNumber(out, t.year, 4);
        out->push_back('-');
        AppendNumber(out, t.month, 2);
        out->push_back('-');
        AppendNumber(out, t.day, 2);
        break;
      case 'T':
        AppendNumber(out, t.hour, 2);
        out->push_back(':');
        AppendNumber(out, t.minute, 2);
        out->push_back(':');
        AppendNumber(out, t.second, 2);
        break;
      default:
        out->push_back(format[i]);  // '%%' and anything validated away
        break;
    }
  }
}

arrow::Status DateFormatExec(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  if (!batch[1].is_scalar() || !batch[1].scalar->is_valid) {
    return arrow::Status::Invalid("date_format: the format must be a constant string");
  }
  std::string_view format = static_cast<const arrow::StringScalar&>(*batch[1].scalar).view();
  ARROW_ASSIGN_OR_RAISE(int64_t granularity, DateFormatGranularity(format));
  ARROW_ASSIGN_OR_RAISE(int64_t unit, UnitMicros(*batch[0].type()));
  auto to_micros = [unit](int64_t v) { return unit > 0 ? v * unit : FloorDiv(v, -unit); };

  arrow::StringBuilder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  std::string text;
  int64_t last_bucket = 0;
  bool have_last = false;
  auto append = [&](int64_t micros) -> arrow::Status {
    int64_t bucket = FloorDiv(micros, granularity);
    if (!have_last || bucket != last_bucket) {
      Format(micros, format, &text);
      last_bucket = bucket;
      have_last = true;
    }
    return builder.Append(text);
  };
  if (batch[0].is_scalar()) {
    const auto& scalar = static_cast<const arrow::TimestampScalar&>(*batch[0].scalar);
    for (int64_t i = 0; i < batch.length; ++i) {
      if (scalar.is_valid) {
        ARROW_RETURN_NOT_OK(append(to_micros(scalar.value)));
      } else {
        ARROW_RETURN_NOT_OK(builder.AppendNull());
      }
    }
  } else {
    const arrow::ArraySpan& values = batch[0].array;
    const int64_t* data = values.GetValues<int64_t>(1);
    for (int64_t i = 0; i < values.length; ++i) {
      if (values.IsValid(i)) {
        ARROW_RETURN_NOT_OK(append(to_micros(data[i])));
      } else {
        ARROW_RETURN_NOT_OK(builder.AppendNull());
      }
    }
  }
  std::shared_ptr<arrow::ArrayData> result;
  ARROW_RETURN_NOT_OK(builder.FinishInternal(&result));
  out->value = std::move(result);
  return arrow::Status::OK();
}

arrow::Status Register() {
  ARROW_RETURN_NOT_OK(cp::Initialize());
  auto* registry = cp::GetFunctionRegistry();
  static const cp::FunctionDoc kDoc{"Format timestamps (UTC) with a strftime subset",
                                    "Supports %Y %y %m %d %H %M %S %j %F %T %%.",
                                    {"timestamps", "format"}};
  auto function = std::make_shared<cp::ScalarFunction>(kDateFormatFunction, cp::Arity::Binary(), kDoc);
  cp::ScalarKernel kernel({cp::InputType(arrow::Type::TIMESTAMP), cp::InputType(arrow::Type::STRING)},
                          arrow::utf8(), DateFormatExec);
  kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
  kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
  ARROW_RETURN_NOT_OK(function->AddKernel(std::move(kernel)));
  return registry->AddFunction(std::move(function));
}

}  // namespace

arrow::Status RegisterSluiceFunctions() {
  static std::once_flag once;
  static arrow::Status status;
  std::call_once(once, [] { status = Register(); });
  return status;
}

arrow::Result<int64_t> DateFormatGranularity(std::string_view format) {
  int64_t granularity = 86'400 * kSecond;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 == format.size()) return arrow::Status::Invalid("date_format: '%' at the end of the format");
    switch (format[++i]) {
      case 'Y':
      case 'y':
      case 'm':
      case 'd':
      case 'j':
      case 'F':
      case '%':
        break;
      case 'H':
        granularity = std::min<int64_t>(granularity, 3600 * kSecond);
        break;
      case 'M':
        granularity = std::min<int64_t>(granularity, 60 * kSecond);
        break;
      case 'S':
      case 'T':
        granularity = kSecond;
        break;
      default:
        return arrow::Status::Invalid("date_format: '%", format[i],
                                      "' is not supported; use %Y %y %m %d %H %M %S %j %F %T or %%");
    }
  }
  return granularity;
}

}  // namespace sluice
