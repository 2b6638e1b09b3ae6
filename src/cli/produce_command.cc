#include <array>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/file_records.h"
#include "common/clock.h"
#include "common/time_util.h"
#include "io/dev_broker.h"
#include "io/kafka_producer.h"
#include "ops/progress_bar.h"

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

// Where produced events go: an NDJSON file (or standard output) or a Kafka topic.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual arrow::Status Write(std::string_view key, std::string_view value) = 0;
  // Called every few thousand events and while pacing: lets deliveries progress.
  virtual void Service() {}
  virtual arrow::Status Finish() = 0;
  // ", 12,345 delivered" or "".
  virtual std::string Report() const { return ""; }
};

class FileEventSink final : public EventSink {
 public:
  static arrow::Result<std::unique_ptr<FileEventSink>> Open(const std::string& path) {
    std::FILE* out = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (out == nullptr) return arrow::Status::IOError("cannot write ", path);
    return std::unique_ptr<FileEventSink>(new FileEventSink(out, path));
  }
  arrow::Status Write(std::string_view, std::string_view value) override {
    if (std::fwrite(value.data(), 1, value.size(), out_) != value.size() || std::fputc('\n', out_) == EOF) {
      return arrow::Status::IOError("cannot write ", path_);
    }
    return arrow::Status::OK();
  }
  void Service() override { std::fflush(out_); }
  arrow::Status Finish() override {
    const bool ok = out_ == stdout ? std::fflush(out_) == 0 : std::fclose(out_) == 0;
    out_ = nullptr;
    return ok ? arrow::Status::OK() : arrow::Status::IOError("cannot write ", path_);
  }
  ~FileEventSink() override {
    if (out_ != nullptr && out_ != stdout) std::fclose(out_);
  }

 private:
  FileEventSink(std::FILE* out, std::string path) : out_(out), path_(std::move(path)) {
    std::setvbuf(out_, buffer_.data(), _IOFBF, buffer_.size());
  }
  std::FILE* out_;
  std::string path_;
  std::array<char, 1 << 20> buffer_{};
};

class KafkaEventSink final : public EventSink {
 public:
  static arrow::Result<std::unique_ptr<KafkaEventSink>> Open(const std::string& uri) {
    ARROW_ASSIGN_OR_RAISE(KafkaAddress address, ParseKafkaAddress(uri));
    ARROW_ASSIGN_OR_RAISE(
        auto producer, KafkaProducer::Make(address.bootstrap, address.topic, {}, std::chrono::seconds(30)));
    if (producer->IsDevBroker()) {
      spdlog::info("{} is sluice's development broker: it keeps only 5 MiB per partition ({} MiB in all)",
                   address.bootstrap, DevBroker::kPartitionBytes * producer->partitions() >> 20);
    }
    auto sink = std::unique_ptr<KafkaEventSink>(new KafkaEventSink(std::move(producer)));
    if (sink->producer_->IsDevBroker()) {
      ARROW_ASSIGN_OR_RAISE(sink->initial_low_, sink->producer_->LowOffsets());
      sink->last_check_ = Clock::System()->MonotonicMicros();
    }
    return sink;
  }
  arrow::Status Write(std::string_view key, std::string_view value) override {
    return producer_->Send(key, value);
  }
  void Service() override {
    producer_->Poll();
    if (!producer_->IsDevBroker()) return;
    // Early warning from the bytes sent this run (uncompressed: batches take less).
    for (const auto& [partition, bytes] : producer_->partition_bytes()) {
      if (bytes < DevBroker::kPartitionBytes * 4 / 5 || !near_limit_.insert(partition).second) continue;
      spdlog::warn(
          "partition {} of the development broker received {:.1f} MiB (uncompressed); it keeps about 5 MiB "
          "of batches per partition and drops the oldest records beyond that",
          partition, static_cast<double>(bytes) / (1 << 20));
    }
    // What it really dropped: a partition's first offset moves up (asked once a second).
    const int64_t now = Clock::System()->MonotonicMicros();
    if (now - last_check_ < 1'000'000) return;
    last_check_ = now;
    auto low = producer_->LowOffsets();
    if (!low.ok()) return;
    for (const auto& [partition, offset] : *low) {
      if (offset <= initial_low_[partition] || !dropped_.insert(partition).second) continue;
      spdlog::warn(
          "partition {} of the development broker is full and has dropped its oldest records (it now starts "
          "at offset {}); use a real Kafka broker for this much data",
          partition, offset);
    }
  }
  arrow::Status Finish() override {
    arrow::Status status = producer_->Flush(std::chrono::seconds(60));
    last_check_ = 0;
    Service();
    return status;
  }
  std::string Report() const override {
    return fmt::format(": {} delivered, {} failed", producer_->stats().delivered, producer_->stats().failed);
  }

 private:
  explicit KafkaEventSink(std::unique_ptr<KafkaProducer> producer) : producer_(std::move(producer)) {}
  std::unique_ptr<KafkaProducer> producer_;
  std::set<int32_t> near_limit_;            // partitions warned about as close to the limit
  std::set<int32_t> dropped_;               // partitions warned about as dropping data
  std::map<int32_t, int64_t> initial_low_;  // each partition's first offset before this run
  int64_t last_check_ = 0;
};

}  // namespace

int ProduceCommand(const ProduceCommandOptions& options, const std::atomic<bool>& stop) {
  auto fail = [](const std::string& message, int code = 2) {
    std::cerr << "error: " << message << "\n";
    return code;
  };
  if (options.to.empty()) {
    return fail(
        "--to is required: kafka://HOST:PORT/TOPIC, a file such as events.ndjson, or - for standard output");
  }
  if (options.pattern != "steady" && options.pattern != "burst")
    return fail("--pattern must be steady or burst");
  auto rate = ParseRate(options.rate);
  if (!rate.ok()) return fail(rate.status().message());
  ScenarioOptions scenario = options.scenario;
  if (!options.start.empty()) {
    auto start = ParseIsoTimestamp(options.start);
    if (!start) return fail("--start '" + options.start + "' is not an ISO-8601 timestamp");
    scenario.start_micros = *start;
  }
  Duration delay(0);
  if (!options.delay.empty()) {
    auto parsed = ParseDuration(options.delay);
    if (!parsed.ok()) return fail("--delay: " + parsed.status().message());
    delay = *parsed;
  }
  // What to produce: a scenario's events or a file's records.
  std::unique_ptr<ScenarioGenerator> generator;
  std::vector<FileRecord> records;
  int64_t total = scenario.count;
  if (!options.from.empty()) {
    auto read = ReadFileRecords(options.from, options.key);
    if (!read.ok()) return fail(read.status().message(), read.status().IsInvalid() ? 2 : 1);
    records = std::move(*read);
    total = options.count_given ? std::min<int64_t>(scenario.count, static_cast<int64_t>(records.size()))
                                : static_cast<int64_t>(records.size());
  } else {
    if (!options.count_given) return fail("--count is required with a scenario (or give --from FILE)");
    if (!options.key.empty()) return fail("--key keys --from records; scenario events have their own keys");
    auto made = ScenarioGenerator::Make(scenario);
    if (!made.ok()) return fail(made.status().message());
    generator = std::move(*made);
  }
  int64_t produced = 0;
  auto next = [&](std::string* value, std::string* key) {
    if (generator) return generator->Next(value, key) && ++produced > 0;
    if (produced >= total) return false;
    *value = std::move(records[produced].value);
    *key = std::move(records[produced].key);
    ++produced;
    return true;
  };

  std::unique_ptr<EventSink> sink;
  if (options.to.rfind("kafka://", 0) == 0) {
    auto opened = KafkaEventSink::Open(options.to);
    if (!opened.ok()) return fail(opened.status().message(), opened.status().IsInvalid() ? 2 : 1);
    sink = std::move(*opened);
  } else {
    auto opened = FileEventSink::Open(options.to);
    if (!opened.ok()) return fail(opened.status().message(), 1);
    sink = std::move(*opened);
  }

  // Pacing: `rate` events per second on average; `burst` alternates 2 s at 4x the rate
  // with 8 s at a quarter of it (same average).
  Clock* clock = Clock::System();
  const int64_t started = clock->MonotonicMicros();
  double allowance = 0;
  int64_t last = started;
  std::string value, key;
  // On a terminal only, and not over events written to the terminal.
  ProgressBar bar("producing", ProgressBar::Unit::kRecords);
  if (options.to == "-") bar.Finish();
  while (!stop.load() && next(&value, &key)) {
    if (auto status = sink->Write(key, value); !status.ok()) {
      bar.Finish();
      return fail(status.message(), 1);
    }
    if (produced % 4096 == 0 || delay.count() > 0) {
      sink->Service();
      bar.Update(produced, total, clock->MonotonicMicros());
    }
    if (delay.count() > 0 && produced < total) {
      // The seed's time.sleep between messages; deliveries go on meanwhile.
      const int64_t until = clock->MonotonicMicros() + delay.count();
      while (!stop.load() && clock->MonotonicMicros() < until) {
        sink->Service();
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::min<int64_t>(50, delay.count() / 1000 + 1)));
      }
    }
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
          sink->Service();
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      }
    }
  }
  bar.Finish();
  arrow::Status finished = sink->Finish();
  double seconds = static_cast<double>(clock->MonotonicMicros() - started) / 1e6;
  if (generator) {
    std::cerr << fmt::format("produced {} {} events ({} late, {} bad) to {} in {:.2f} s{}\n",
                             generator->produced(), scenario.scenario, generator->late_produced(),
                             generator->bad_produced(), options.to, seconds, sink->Report());
  } else {
    std::cerr << fmt::format("produced {} records of {} to {} in {:.2f} s{}\n", produced, options.from,
                             options.to, seconds, sink->Report());
  }
  if (!finished.ok()) return fail(finished.message(), 1);
  return 0;
}

}  // namespace sluice
