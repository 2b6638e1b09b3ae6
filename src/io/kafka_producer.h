#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <arrow/result.h>

#include "common/types.h"
#include "io/kafka_client.h"

namespace sluice {

struct KafkaProducerStats {
  int64_t delivered = 0;
  int64_t failed = 0;
  int64_t bytes = 0;  // values and keys delivered
  std::string first_error;
};

// Produces keyed records to one topic with delivery reports (`sluice produce`, the
// demo). Records with the same key go to the same partition (librdkafka's default
// partitioner). Not thread-safe.
class KafkaProducer {
 public:
  // Fails when the topic does not exist (after waiting up to `connect_timeout` for the
  // cluster). `properties` are applied after sluice's defaults.
  static arrow::Result<std::unique_ptr<KafkaProducer>> Make(const std::string& bootstrap,
                                                            const std::string& topic,
                                                            const KafkaProperties& properties,
                                                            Duration connect_timeout);

  // Queues one record; while librdkafka's queue is full, serves delivery reports and
  // waits.
  arrow::Status Send(std::string_view key, std::string_view value);
  // Serves delivery reports without waiting.
  void Poll();
  // Waits until every queued record is delivered or failed, up to `timeout`.
  arrow::Status Flush(Duration timeout);

  const KafkaProducerStats& stats() const { return stats_; }
  // Whether the cluster is sluice's development broker (its cluster id tells).
  bool IsDevBroker() const { return dev_broker_; }
  // Bytes delivered per partition so far (uncompressed).
  const std::map<int32_t, int64_t>& partition_bytes() const { return partition_bytes_; }
  int32_t partitions() const { return partitions_; }
  // The first offset each partition still holds (a broker that drops old data, such as
  // the development broker, moves it up). Asks the broker.
  arrow::Result<std::map<int32_t, int64_t>> LowOffsets();

 private:
  KafkaProducer() = default;
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);

  KafkaHandle producer_;
  std::string topic_;
  int32_t partitions_ = 0;
  bool dev_broker_ = false;
  std::map<int32_t, int64_t> partition_bytes_;
  KafkaProducerStats stats_;
};

}  // namespace sluice
