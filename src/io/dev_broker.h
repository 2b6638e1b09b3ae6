#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/result.h>

#include "io/kafka_client.h"
// rdkafka_mock.h requires rdkafka.h (included by kafka_client.h) first.
#include <librdkafka/rdkafka_mock.h>
#include "io/tcp_forwarder.h"

namespace sluice {

// A Kafka broker for development and tests, inside this process: librdkafka's mock
// cluster (rdkafka_mock.h), one broker on 127.0.0.1. It speaks the Kafka protocol to
// any client (produce, fetch, consumer groups, committed offsets), but it is not a real
// broker:
//   - it keeps at most kPartitionBytes (5 MiB) per partition and silently drops the
//     oldest data beyond that;
//   - nothing is persisted: everything is gone when the process ends.
// Its cluster id starts with kClusterIdPrefix, which is how `sluice produce` recognises
// it and warns before a partition overflows.
//
// Threads: the mock cluster runs on librdkafka's threads; the methods may be called
// from any one thread at a time.
class DevBroker {
 public:
  static constexpr int64_t kPartitionBytes = 5LL << 20;
  static constexpr const char* kClusterIdPrefix = "mockCluster";

  // `port` 0 answers on the mock broker's own ephemeral port; any other port is
  // forwarded to it (see TcpForwarder).
  static arrow::Result<std::unique_ptr<DevBroker>> Start(int port);
  ~DevBroker();

  // "127.0.0.1:PORT", for bootstrap.servers.
  const std::string& bootstrap() const { return bootstrap_; }

  arrow::Status CreateTopic(const std::string& topic, int partitions);

  // Fault injection for tests: the broker stops answering (connections are closed) or
  // comes back; the next requests of `api_key` (e.g. RD_KAFKAP_Fetch) fail with `errors`.
  arrow::Status SetDown(bool down);
  void PushRequestErrors(int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors);

 private:
  DevBroker() = default;

  KafkaHandle host_;                            // the client instance that owns the mock cluster
  rd_kafka_mock_cluster_t* cluster_ = nullptr;  // destroyed before host_
  std::unique_ptr<TcpForwarder> forwarder_;
  std::string bootstrap_;
};

}  // namespace sluice
