#include "io/kafka_client.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <spdlog/spdlog.h>

namespace sluice {
namespace {

// librdkafka log callback (its own threads): syslog levels onto spdlog levels. Names of
// clients are their `client.id`, set by MakeKafkaHandle.
void LogFromKafka(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  spdlog::level::level_enum mapped = level <= 3   ? spdlog::level::err
                                     : level <= 4 ? spdlog::level::warn
                                     : level <= 6 ? spdlog::level::info
                                                  : spdlog::level::debug;
  // librdkafka logs every failed connection attempt (facility FAIL) at level 3; they are
  // retried, and callers report them once when they matter (error callbacks).
  if (std::string_view(facility) == "FAIL") mapped = spdlog::level::debug;
  spdlog::log(mapped, "kafka {} {}: {}", rd_kafka_name(rk), facility, message);
}

}  // namespace

bool IsSecretKafkaProperty(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  static constexpr std::array<std::string_view, 6> kMarkers = {"password", "secret", "key.pem",
                                                               "token",    "jaas",   "private"};
  for (auto marker : kMarkers) {
    if (lower.find(marker) != std::string::npos) return true;
  }
  return lower == "sasl.oauthbearer.config";
}

std::string DescribeKafkaProperties(const KafkaProperties& properties) {
  std::string out;
  for (const auto& [name, value] : properties) {
    out += (out.empty() ? "" : ", ") + name + "=" + (IsSecretKafkaProperty(name) ? "***" : value);
  }
  return out;
}

arrow::Result<KafkaConf> MakeKafkaConf(const KafkaProperties& properties) {
  KafkaConf conf(rd_kafka_conf_new());
  char errstr[512];
  for (const auto& [name, value] : properties) {
    rd_kafka_conf_res_t res =
        rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof(errstr));
    if (res == RD_KAFKA_CONF_OK) continue;
    if (res == RD_KAFKA_CONF_UNKNOWN) {
      return arrow::Status::Invalid("unknown Kafka property '", name,
                                    "' (see librdkafka's CONFIGURATION.md for the properties it takes)");
    }
    if (IsSecretKafkaProperty(name)) {
      return arrow::Status::Invalid("Kafka property '", name, "' has an invalid value (not shown: a secret)");
    }
    return arrow::Status::Invalid("Kafka property '", name, "': ", errstr);
  }
  rd_kafka_conf_set_log_cb(conf.get(), LogFromKafka);
  return conf;
}

arrow::Result<KafkaHandle> MakeKafkaHandle(rd_kafka_type_t type, KafkaConf conf, const std::string& name) {
  char errstr[512];
  if (rd_kafka_conf_set(conf.get(), "client.id", name.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
    return arrow::Status::Invalid("client.id: ", errstr);
  }
  // rd_kafka_new takes ownership of the configuration only when it succeeds.
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr) return arrow::Status::Invalid("cannot create a Kafka client: ", errstr);
  conf.release();
  return KafkaHandle(rk);
}

bool IsRetryableKafkaError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
      return true;
    default:
      return false;
  }
}

arrow::Status KafkaError(rd_kafka_resp_err_t err, const std::string& context) {
  const char* text = rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      return arrow::Status::Invalid(context, ": ", text);
    default:
      return arrow::Status::IOError(context, ": ", text);
  }
}

std::string PartitionName(std::string_view topic, int32_t partition) {
  return std::string(topic) + "[" + std::to_string(partition) + "]";
}

arrow::Result<KafkaAddress> ParseKafkaAddress(const std::string& uri) {
  constexpr std::string_view kScheme = "kafka://";
  auto invalid = [&] {
    return arrow::Status::Invalid("'", uri, "' is not a Kafka address; write kafka://HOST:PORT/TOPIC");
  };
  if (uri.rfind(kScheme, 0) != 0) return invalid();
  std::string rest = uri.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) return invalid();
  KafkaAddress address{rest.substr(0, slash), rest.substr(slash + 1)};
  if (address.topic.find('/') != std::string::npos) return invalid();
  return address;
}

arrow::Result<std::map<std::string, int32_t>> ListTopics(rd_kafka_t* rk, int timeout_ms) {
  // Asking for all topics never creates one (a request naming a topic could, on brokers
  // with auto.create.topics.enable).
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &metadata, timeout_ms);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, "cannot read the cluster's metadata");
  std::map<std::string, int32_t> topics;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = metadata->topics[i];
    if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR) topics.emplace(t.topic, t.partition_cnt);
  }
  rd_kafka_metadata_destroy(metadata);
  return topics;
}

}  // namespace sluice
