#include "io/kafka_producer.h"

#include "common/time_util.h"
#include "io/dev_broker.h"

namespace sluice {

arrow::Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Make(const std::string& bootstrap,
                                                                  const std::string& topic,
                                                                  const KafkaProperties& properties,
                                                                  Duration connect_timeout) {
  KafkaProperties all = {
      {"bootstrap.servers", bootstrap},
      {"linger.ms", "20"},
      {"batch.num.messages", "10000"},
      {"compression.type", "lz4"},
      // Retries must not reorder or duplicate records.
      {"enable.idempotence", "true"},
  };
  all.insert(all.end(), properties.begin(), properties.end());
  auto producer = std::unique_ptr<KafkaProducer>(new KafkaProducer());
  producer->topic_ = topic;
  ARROW_ASSIGN_OR_RAISE(KafkaConf conf, MakeKafkaConf(all));
  rd_kafka_conf_set_opaque(conf.get(), producer.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaProducer::OnDelivery);
  ARROW_ASSIGN_OR_RAISE(producer->producer_,
                        MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(conf), "sluice-produce"));

  const int timeout_ms = static_cast<int>(std::max<int64_t>(1000, connect_timeout.count() / 1000));
  auto topics = ListTopics(producer->producer_.get(), timeout_ms);
  if (!topics.ok()) {
    return arrow::Status::IOError("cannot reach Kafka at ", bootstrap, " within ",
                                  FormatDuration(connect_timeout), ": ", topics.status().message());
  }
  auto it = topics->find(topic);
  if (it == topics->end()) {
    return arrow::Status::Invalid("topic '", topic, "' does not exist on ", bootstrap,
                                  "; create it first (sluice broker --topic ", topic,
                                  " creates it on the development broker)");
  }
  producer->partitions_ = it->second;
  if (char* id = rd_kafka_clusterid(producer->producer_.get(), timeout_ms)) {
    producer->dev_broker_ = std::string_view(id).rfind(DevBroker::kClusterIdPrefix, 0) == 0;
    rd_kafka_mem_free(producer->producer_.get(), id);
  }
  return producer;
}

void KafkaProducer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<KafkaProducer*>(opaque);
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++self->stats_.failed;
    if (self->stats_.first_error.empty()) self->stats_.first_error = rd_kafka_err2str(message->err);
    return;
  }
  ++self->stats_.delivered;
  const int64_t bytes = static_cast<int64_t>(message->len + message->key_len);
  self->stats_.bytes += bytes;
  self->partition_bytes_[message->partition] += bytes;
}

arrow::Status KafkaProducer::Send(std::string_view key, std::string_view value) {
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer_.get(), RD_KAFKA_V_TOPIC(topic_.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return arrow::Status::OK();
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return KafkaError(err, "cannot produce to '" + topic_ + "'");
    rd_kafka_poll(producer_.get(), 50);  // the local queue is full: let deliveries drain it
  }
}

arrow::Result<std::map<int32_t, int64_t>> KafkaProducer::LowOffsets() {
  std::map<int32_t, int64_t> low_offsets;
  for (int32_t p = 0; p < partitions_; ++p) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(producer_.get(), topic_.c_str(), p, &low, &high, 5000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, "cannot read the offsets of " + topic_);
    low_offsets[p] = low;
  }
  return low_offsets;
}

void KafkaProducer::Poll() { rd_kafka_poll(producer_.get(), 0); }

arrow::Status KafkaProducer::Flush(Duration timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), static_cast<int>(timeout.count() / 1000));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return arrow::Status::IOError(rd_kafka_outq_len(producer_.get()), " records were not delivered within ",
                                  FormatDuration(timeout), " (is the broker reachable?)");
  }
  if (stats_.failed > 0) {
    return arrow::Status::IOError(stats_.failed, " records could not be delivered: ", stats_.first_error);
  }
  return arrow::Status::OK();
}

}  // namespace sluice
