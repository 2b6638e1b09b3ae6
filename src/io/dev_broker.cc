#include "io/dev_broker.h"

#include <charconv>
#include <string_view>

#include <spdlog/spdlog.h>

namespace sluice {

arrow::Result<std::unique_ptr<DevBroker>> DevBroker::Start(int port) {
  auto broker = std::unique_ptr<DevBroker>(new DevBroker());
  // The host client only carries the mock cluster and never connects anywhere: its own
  // notices (it has no bootstrap.servers) are noise. The mock's errors are kept.
  ARROW_ASSIGN_OR_RAISE(KafkaConf conf, MakeKafkaConf({}));
  rd_kafka_conf_set_log_cb(
      conf.get(), [](const rd_kafka_t*, int level, const char* facility, const char* message) {
        if (level <= 3 && std::string_view(facility).find("MOCK") != std::string_view::npos) {
          spdlog::error("development broker: {}", message);
        }
      });
  ARROW_ASSIGN_OR_RAISE(broker->host_,
                        MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(conf), "sluice-dev-broker"));
  broker->cluster_ = rd_kafka_mock_cluster_new(broker->host_.get(), 1);
  if (broker->cluster_ == nullptr) return arrow::Status::IOError("cannot start the development broker");
  std::string own = rd_kafka_mock_cluster_bootstraps(broker->cluster_);  // "127.0.0.1:PORT"
  int own_port = 0;
  size_t colon = own.rfind(':');
  std::from_chars(own.data() + colon + 1, own.data() + own.size(), own_port);
  if (port == 0) {
    broker->bootstrap_ = own;
    return broker;
  }
  ARROW_ASSIGN_OR_RAISE(broker->forwarder_, TcpForwarder::Start(port, own_port));
  broker->bootstrap_ = "127.0.0.1:" + std::to_string(broker->forwarder_->port());
  return broker;
}

DevBroker::~DevBroker() {
  forwarder_.reset();
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

arrow::Status DevBroker::CreateTopic(const std::string& topic, int partitions) {
  if (partitions < 1) return arrow::Status::Invalid("a topic needs at least one partition");
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, "cannot create topic '" + topic + "'");
  return arrow::Status::OK();
}

arrow::Status DevBroker::SetDown(bool down) {
  rd_kafka_resp_err_t err =
      down ? rd_kafka_mock_broker_set_down(cluster_, 1) : rd_kafka_mock_broker_set_up(cluster_, 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, "development broker");
  return arrow::Status::OK();
}

void DevBroker::PushRequestErrors(int16_t api_key, const std::vector<rd_kafka_resp_err_t>& errors) {
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, errors.size(), errors.data());
}

}  // namespace sluice
