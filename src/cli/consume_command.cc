#include <iostream>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/text.h"
#include "io/kafka_client.h"

namespace sluice {

// Reads partitions directly (no consumer group, nothing committed), so watching a
// topic never moves a pipeline's offsets.
int ConsumeCommand(const ConsumeCommandOptions& options, const std::atomic<bool>& stop) {
  auto fail = [](const std::string& message, int code) {
    std::cerr << "error: " << message << "\n";
    return code;
  };
  auto address = ParseKafkaAddress(options.from);
  if (!address.ok()) return fail(address.status().message(), 2);
  if (options.start != "earliest" && options.start != "latest")
    return fail("--start must be earliest or latest", 2);
  // assign() needs a group id, but no group is joined and nothing is committed.
  auto conf = MakeKafkaConf({{"bootstrap.servers", address->bootstrap},
                             {"group.id", "sluice-consume"},
                             {"enable.auto.commit", "false"},
                             {"enable.auto.offset.store", "false"}});
  if (!conf.ok()) return fail(conf.status().message(), 2);
  auto consumer = MakeKafkaHandle(RD_KAFKA_CONSUMER, std::move(*conf), "sluice-consume");
  if (!consumer.ok()) return fail(consumer.status().message(), 2);
  rd_kafka_t* rk = consumer->get();

  auto topics = ListTopics(rk, 30'000);
  if (!topics.ok())
    return fail("cannot reach Kafka at " + address->bootstrap + ": " + topics.status().message(), 1);
  auto topic = topics->find(address->topic);
  if (topic == topics->end()) {
    return fail("topic '" + address->topic + "' does not exist on " + address->bootstrap, 2);
  }
  KafkaPartitionList assignment(rd_kafka_topic_partition_list_new(topic->second));
  for (int32_t p = 0; p < topic->second; ++p) {
    rd_kafka_topic_partition_list_add(assignment.get(), address->topic.c_str(), p)->offset =
        options.start == "earliest" ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(rk, assignment.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return fail(KafkaError(err, "cannot read " + address->topic).message(), 1);
  }

  int64_t printed = 0;
  const int64_t idle_limit = options.idle_timeout_ms;
  int64_t idle = 0;
  std::string line;
  while (!stop.load() && (options.max_messages <= 0 || printed < options.max_messages)) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 200);
    if (message == nullptr) {
      idle += 200;
      if (idle_limit > 0 && idle >= idle_limit) break;
      continue;
    }
    idle = 0;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "warning: " << rd_kafka_message_errstr(message) << "\n";
    } else {
      std::string_view key(static_cast<const char*>(message->key), message->key ? message->key_len : 0);
      std::string_view value(static_cast<const char*>(message->payload), message->payload ? message->len : 0);
      line = fmt::format("{}@{} key={} ", PartitionName(address->topic, message->partition), message->offset,
                         message->key ? Abbreviate(key, 200) : "(none)");
      if (message->payload == nullptr) {
        line += "(null value)";
      } else {
        line += Abbreviate(value, 4096);
        if (value.size() > 4096) line += fmt::format(" ({} bytes)", value.size());
      }
      std::cout << line << "\n";
      ++printed;
    }
    rd_kafka_message_destroy(message);
  }
  std::cout << std::flush;
  rd_kafka_consumer_close(rk);
  std::cerr << fmt::format("consumed {} messages from {}\n", printed, options.from);
  return 0;
}

}  // namespace sluice
