#include <cstdio>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/time_util.h"

namespace sluice {
namespace {

// Events per second from "5000/s", "5000" or "" (unlimited: 0).
arrow::Result<double> ParseRate(const std::string& text) {
  if (text.empty()) return 0.0;
  std::string number = text;
  if (number.size() > 2 && number.compare(number.size() - 2, 2, "/s") == 0) number.resize(number.size() - 2);
  char* end = nullptr;
  double rate = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !(rate > 0)) {
    return arrow::Status::Invalid("--rate '", text, "' is not a rate; write e.g. --rate 5000/s");
  }
  return rate;
}

}  // namespace

int ProduceCommand(const ProduceCommandOptions& options, const std::atomic<bool>& stop) {
  auto fail = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return 2;
  };
  if (options.to.empty())
    return fail("--to is required: a file such as events.ndjson, or - for standard output");
  if (options.to.rfind("kafka://", 0) == 0) {
    return fail("kafka:// targets come with the Kafka source; write to a file such as events.ndjson for now");
  }
  if (options.pattern != "steady" && options.pattern != "burst") {
    return fail("--pattern must be steady or burst");
  }
  auto rate = ParseRate(options.rate);
  if (!rate.ok()) return fail(rate.status().message());
  ScenarioOptions scenario = options.scenario;
  if (!options.start.empty()) {
    auto start = ParseIsoTimestamp(options.start);
    if (!start) return fail("--start '" + options.start + "' is not an ISO-8601 timestamp");
    scenario.start_micros = *start;
  }
  auto generator = ScenarioGenerator::Make(scenario);
  if (!generator.ok()) return fail(generator.status().message());

  std::FILE* out = options.to == "-" ? stdout : std::fopen(options.to.c_str(), "wb");
  if (out == nullptr) return fail("cannot write " + options.to);
  static char buffer[1 << 20];
  std::setvbuf(out, buffer, _IOFBF, sizeof(buffer));

  // Pacing: `rate` events per second on average; `burst` alternates 2 s at 4x the rate
  // with 8 s at a quarter of it (same average).
  Clock* clock = Clock::System();
  const int64_t started = clock->MonotonicMicros();
  double allowance = 0;
  int64_t last = started;
  std::string value, key;
  while (!stop.load() && (*generator)->Next(&value, &key)) {
    value += '\n';
    if (std::fwrite(value.data(), 1, value.size(), out) != value.size())
      return fail("cannot write " + options.to);
    if (*rate > 0) {
      allowance -= 1;
      while (allowance < 0 && !stop.load()) {
        int64_t now = clock->MonotonicMicros();
        double current = *rate;
        if (options.pattern == "burst")
          current = ((now - started) / 1'000'000) % 10 < 2 ? *rate * 4 : *rate / 4;
        allowance += static_cast<double>(now - last) / 1e6 * current;
        last = now;
        if (allowance < 0) {
          std::fflush(out);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    }
  }
  if (out != stdout)
    std::fclose(out);
  else
    std::fflush(out);
  double seconds = static_cast<double>(clock->MonotonicMicros() - started) / 1e6;
  std::cerr << fmt::format("produced {} {} events ({} late, {} bad) to {} in {:.2f} s\n",
                           (*generator)->produced(), scenario.scenario, (*generator)->late_produced(),
                           (*generator)->bad_produced(), options.to, seconds);
  return 0;
}

}  // namespace sluice
