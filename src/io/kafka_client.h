#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/result.h>
#include <arrow/status.h>
#include <librdkafka/rdkafka.h>

namespace sluice {

// Thin ownership and error helpers over librdkafka's C API, shared by the Kafka
// source, `sluice produce`, `sluice consume` and the development broker. Everything
// Kafka-specific that is not a pipeline concept lives here.

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct KafkaPartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct KafkaQueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;
using KafkaPartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaPartitionListDeleter>;
using KafkaQueue = std::unique_ptr<rd_kafka_queue_t, KafkaQueueDeleter>;

// librdkafka properties ("bootstrap.servers", "sasl.password", ...), in the order
// they are applied; later entries win.
using KafkaProperties = std::vector<std::pair<std::string, std::string>>;

// True for properties whose values are secrets (passwords, keys, tokens): they are
// never logged, printed in plans or quoted in error messages.
bool IsSecretKafkaProperty(std::string_view name);

// "name=value, ..." with secret values replaced by "***".
std::string DescribeKafkaProperties(const KafkaProperties& properties);

// A configuration with `properties` applied. An unknown property or an invalid value
// fails with a message naming the property (never a secret value).
arrow::Result<KafkaConf> MakeKafkaConf(const KafkaProperties& properties);

// A client of `type` owning `conf`. librdkafka's own log lines go to spdlog
// (prefixed with `name`).
arrow::Result<KafkaHandle> MakeKafkaHandle(rd_kafka_type_t type, KafkaConf conf, const std::string& name);

// kInvalid for what the user must fix (unknown topic, authentication, authorisation),
// kIOError otherwise. The message is "<context>: <librdkafka's text>".
arrow::Status KafkaError(rd_kafka_resp_err_t err, const std::string& context);

// True for errors that go away by themselves (broker down or restarting, timeouts,
// leader or coordinator moves): callers retry them until their deadline.
bool IsRetryableKafkaError(rd_kafka_resp_err_t err);

// "topic[partition]" for logs and messages.
std::string PartitionName(std::string_view topic, int32_t partition);

// A parsed kafka://HOST:PORT[,HOST:PORT...]/TOPIC address (`sluice produce --to`,
// `sluice consume`).
struct KafkaAddress {
  std::string bootstrap;
  std::string topic;
};
arrow::Result<KafkaAddress> ParseKafkaAddress(const std::string& uri);

// The cluster's topics and their partition counts (topics the cluster reports with an
// error are left out). Waits up to `timeout_ms` for a broker; never creates a topic.
arrow::Result<std::map<std::string, int32_t>> ListTopics(rd_kafka_t* rk, int timeout_ms);

}  // namespace sluice
