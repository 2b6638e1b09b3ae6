#include "source/kafka_source.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/text.h"
#include "common/time_util.h"

namespace sluice {
namespace {

// Requests made from the rebalance callback (committed offsets, watermarks, times)
// wait this long for the broker.
constexpr int kRequestTimeoutMs = 10'000;
constexpr int kRequestAttempts = 4;
// Messages taken from librdkafka per consume call.
constexpr size_t kConsumeChunk = 8192;

std::string HeadersJson(rd_kafka_message_t* message, bool* present) {
  rd_kafka_headers_t* headers = nullptr;
  *present = rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers != nullptr;
  if (!*present) return {};
  std::string json = "{";
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    if (i > 0) json += ',';
    AppendJsonString(name, &json);
    json += ':';
    if (value == nullptr) {
      json += "null";
    } else {
      AppendJsonString(std::string_view(static_cast<const char*>(value), size), &json);
    }
  }
  json += '}';
  return json;
}

// Records the message's key, timestamp and headers for the record just appended.
void AppendMessageMetadata(rd_kafka_message_t* message, RawBatch* batch) {
  RecordMetadata metadata;
  if (message->key) metadata.key = std::string_view(static_cast<const char*>(message->key), message->key_len);
  rd_kafka_timestamp_type_t type;
  const int64_t timestamp_ms = rd_kafka_message_timestamp(message, &type);
  if (timestamp_ms >= 0) metadata.timestamp = timestamp_ms * 1000;
  bool has_headers = false;
  const std::string headers = HeadersJson(message, &has_headers);
  if (has_headers) metadata.headers = headers;
  batch->AppendMetadata(metadata);
}

std::string StartName(const KafkaSourceOptions& options) {
  switch (options.start) {
    case KafkaSourceOptions::Start::kEarliest:
      return "earliest";
    case KafkaSourceOptions::Start::kLatest:
      return "latest";
    case KafkaSourceOptions::Start::kTimestamp:
      return FormatTimestamp(options.start_timestamp_ms * 1000);
  }
  return "?";
}

bool Cooperative(rd_kafka_t* rk) { return std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0; }

}  // namespace

std::string EncodeCommitMetadata(const PartitionResume& resume) {
  std::string text = fmt::format("sluice:1 processed_until={}", resume.processed_until);
  if (resume.max_event_time) text += fmt::format(" max_event_time={}", *resume.max_event_time);
  if (resume.emitted_watermark) text += fmt::format(" emitted_watermark={}", *resume.emitted_watermark);
  if (resume.replay_from) text += fmt::format(" replay_from={}", *resume.replay_from);
  if (resume.checkpoint) text += " checkpoint=" + *resume.checkpoint;
  return text;
}

std::optional<PartitionResume> DecodeCommitMetadata(std::string_view text) {
  constexpr std::string_view kPrefix = "sluice:1 ";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  PartitionResume resume;
  bool has_processed = false;
  while (!text.empty()) {
    const size_t space = text.find(' ');
    std::string_view item = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    std::string_view name = item.substr(0, equals), value = item.substr(equals + 1);
    if (name == "checkpoint") {
      if (value.empty()) return std::nullopt;
      resume.checkpoint = std::string(value);
      continue;
    }
    int64_t number = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    if (name == "processed_until") {
      resume.processed_until = number;
      has_processed = true;
    } else if (name == "max_event_time") {
      resume.max_event_time = number;
    } else if (name == "emitted_watermark") {
      resume.emitted_watermark = number;
    } else if (name == "replay_from") {
      resume.replay_from = number;
    }
  }
  if (!has_processed) return std::nullopt;
  return resume;
}

KafkaProperties KafkaSource::ConsumerProperties(const KafkaSourceOptions& options) {
  KafkaProperties properties = {
      {"bootstrap.servers", options.bootstrap_servers},
      {"group.id", options.group_id},
      // Offsets are committed by Commit() only, after outputs are durable.
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // Applies only when a committed offset is out of range: start positions of new
      // partitions are resolved by the source itself (see ResolveStartOffsets).
      {"auto.offset.reset", options.offset_reset},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.partition.eof", options.bounded ? "true" : "false"},
      // Bounded memory: at most this much fetched ahead per partition.
      {"queued.max.messages.kbytes", "32768"},
  };
  // Since 2.2, librdkafka postpones a partition's next fetch by this much whenever its
  // local queue is over its thresholds (default 1 s); sluice drains a full queue in well
  // under that, so the default leaves the consumer idle most of the time (4x slower).
  if (rd_kafka_version() >= 0x020200ff) properties.emplace_back("fetch.queue.backoff.ms", "10");
  if (!options.instance_id.empty()) properties.emplace_back("group.instance.id", options.instance_id);
  properties.insert(properties.end(), options.properties.begin(), options.properties.end());
  return properties;
}

KafkaSource::KafkaSource(KafkaSourceOptions options, Clock* clock)
    : options_(std::move(options)), clock_(clock) {}

KafkaSource::~KafkaSource() {
  if (!closed_) {
    // Destroying a consumer that did not close would trigger a revoke callback into a
    // listener that may be gone: close without telling it.
    listener_ = nullptr;
    (void)Close();
  }
}

arrow::Result<std::unique_ptr<KafkaSource>> KafkaSource::Make(KafkaSourceOptions options, Clock* clock) {
  if (options.topics.empty() == options.pattern.empty()) {
    return arrow::Status::Invalid("a Kafka source needs either topics or a pattern");
  }
  auto source = std::unique_ptr<KafkaSource>(new KafkaSource(std::move(options), clock));
  ARROW_ASSIGN_OR_RAISE(KafkaConf conf, MakeKafkaConf(ConsumerProperties(source->options_)));
  rd_kafka_conf_set_opaque(conf.get(), source.get());
  rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaSource::OnRebalance);
  rd_kafka_conf_set_error_cb(conf.get(), &KafkaSource::OnError);
  ARROW_ASSIGN_OR_RAISE(source->consumer_,
                        MakeKafkaHandle(RD_KAFKA_CONSUMER, std::move(conf), "sluice-source"));
  ARROW_RETURN_NOT_OK(source->Connect());
  return source;
}

arrow::Status KafkaSource::Connect() {
  started_ = clock_->MonotonicMicros();
  const int64_t deadline = started_ + options_.connect_timeout.count();
  std::map<std::string, int32_t> topics;
  for (int attempt = 0;; ++attempt) {
    const int64_t now = clock_->MonotonicMicros();
    const int wait_ms = static_cast<int>(std::clamp<int64_t>((deadline - now) / 1000, 100, 5000));
    auto listed = ListTopics(consumer_.get(), wait_ms);
    rd_kafka_poll(consumer_.get(), 0);  // serves error callbacks (e.g. authentication)
    if (!callback_error_.ok()) return callback_error_;
    if (listed.ok()) {
      topics = std::move(*listed);
      break;
    }
    if (attempt == 0) {
      spdlog::warn("waiting for Kafka at {}: {} (retrying for up to {})", options_.bootstrap_servers,
                   listed.status().message(), FormatDuration(options_.connect_timeout));
    }
    if (options_.stop != nullptr && options_.stop->load()) {
      return arrow::Status::Cancelled("stopped while waiting for Kafka at ", options_.bootstrap_servers);
    }
    if (clock_->MonotonicMicros() >= deadline) {
      return arrow::Status::IOError("cannot reach Kafka at ", options_.bootstrap_servers, " within ",
                                    FormatDuration(options_.connect_timeout), ": ", listed.status().message(),
                                    "; check source.kafka.bootstrap_servers, that the brokers run, and the "
                                    "security properties (connect_timeout sets how long to wait)");
    }
  }
  for (const auto& topic : options_.topics) {
    if (topics.count(topic) == 0) {
      return arrow::Status::Invalid("topic '", topic, "' does not exist on ", options_.bootstrap_servers,
                                    "; create it (e.g. kafka-topics.sh --create --topic ", topic,
                                    ") or fix source.kafka.topics");
    }
  }
  KafkaPartitionList subscription(
      rd_kafka_topic_partition_list_new(static_cast<int>(options_.topics.size()) + 1));
  if (options_.pattern.empty()) {
    for (const auto& topic : options_.topics) {
      rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
  } else {
    // librdkafka treats a subscription starting with ^ as a regular expression; the
    // pattern must match whole topic names.
    std::string pattern = options_.pattern;
    if (pattern.front() == '^') pattern.erase(0, 1);
    if (!pattern.empty() && pattern.back() == '$') pattern.pop_back();
    std::string regex = "^(" + pattern + ")$";
    rd_kafka_topic_partition_list_add(subscription.get(), regex.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), subscription.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, "cannot subscribe");
  // Rebalance and error events are served by the consume calls on the consumer queue.
  rd_kafka_poll_set_consumer(consumer_.get());
  queue_.reset(rd_kafka_queue_get_consumer(consumer_.get()));
  return arrow::Status::OK();
}

void KafkaSource::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    if (self->callback_error_.ok()) self->callback_error_ = self->FatalError(rk);
    return;
  }
  if (code == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
    if (self->callback_error_.ok()) {
      self->callback_error_ =
          arrow::Status::Invalid("Kafka authentication failed: ", reason,
                                 "; check the sasl.* / ssl.* properties under source.kafka");
    }
    return;
  }
  // Transport errors are retried by librdkafka; they are worth a line (every 10 s at
  // most while they last), not a failure.
  const int64_t now = self->clock_->MonotonicMicros();
  if (now - self->last_error_log_ >= 10'000'000 || self->last_error_log_ == 0) {
    self->last_error_log_ = now;
    spdlog::warn("kafka: {} (retrying)", reason);
  }
}

void KafkaSource::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* self = static_cast<KafkaSource*>(opaque);
  arrow::Status status;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    status = self->Assign(partitions);
  } else {
    status = self->Revoke(partitions);
  }
  if (!status.ok() && self->callback_error_.ok()) self->callback_error_ = status;
  (void)rk;
}

arrow::Status KafkaSource::ResolveStartOffsets(rd_kafka_topic_partition_list_t* partitions) {
  // Requests to the cluster, retried while their errors are transient (a broker
  // restarting during the rebalance).
  auto request = [&](const auto& call) {
    rd_kafka_resp_err_t err = call();
    for (int attempt = 1; attempt < kRequestAttempts && IsRetryableKafkaError(err); ++attempt) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
      err = call();
    }
    return err;
  };
  rd_kafka_resp_err_t err =
      request([&] { return rd_kafka_committed(consumer_.get(), partitions, kRequestTimeoutMs); });
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(err, "cannot read the committed offsets of group '" + options_.group_id + "'");
  }
  KafkaPartitionList by_time(rd_kafka_topic_partition_list_new(partitions->cnt));
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& p = partitions->elems[i];
    // Without its committed offset a partition would silently restart at `start`.
    if (p.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(p.err,
                        "cannot read the committed offset of " + sluice::PartitionName(p.topic, p.partition));
    }
    Partition* state = Find(p.topic, p.partition, true);
    int64_t low = 0, high = 0;
    // The partition's first and end offsets: for a start without a committed offset, and
    // for the end of a bounded run.
    if (p.offset < 0 || options_.bounded) {
      err = request([&] {
        return rd_kafka_query_watermark_offsets(consumer_.get(), p.topic, p.partition, &low, &high,
                                                kRequestTimeoutMs);
      });
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return KafkaError(err, "cannot read the offsets of " + sluice::PartitionName(p.topic, p.partition));
      }
    }
    state->end_offset = high;
    state->committed = p.offset >= 0 ? p.offset : -1;
    state->resume.reset();
    state->committed_metadata.clear();
    if (p.metadata != nullptr) {
      spdlog::debug("kafka: {} committed at {} with '{}'", sluice::PartitionName(p.topic, p.partition),
                    p.offset,
                    Abbreviate(std::string_view(static_cast<const char*>(p.metadata), p.metadata_size), 500));
    }
    if (p.offset >= 0 && p.metadata != nullptr && p.metadata_size > 0) {
      state->resume =
          DecodeCommitMetadata(std::string_view(static_cast<const char*>(p.metadata), p.metadata_size));
      state->committed_metadata.assign(static_cast<const char*>(p.metadata), p.metadata_size);
    }
    if (p.offset < 0 && listener_ != nullptr) {
      ARROW_ASSIGN_OR_RAISE(std::optional<CommitPoint> known, listener_->Uncommitted(p.topic, p.partition));
      if (known) {
        p.offset = known->offset.value();
        state->resume = known->resume;
        continue;
      }
    }
    if (p.offset >= 0 && options_.rebuild_state && state->resume && state->resume->checkpoint &&
        state->resume->replay_from && *state->resume->replay_from < p.offset) {
      // Rebuild the partition's state from the records it still holds in open windows.
      const int64_t from = *state->resume->replay_from;
      err = request([&] {
        return rd_kafka_query_watermark_offsets(consumer_.get(), p.topic, p.partition, &low, &high,
                                                kRequestTimeoutMs);
      });
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return KafkaError(err, "cannot read the offsets of " + sluice::PartitionName(p.topic, p.partition));
      }
      if (from < low) {
        return arrow::Status::Invalid(
            "--rebuild-state needs the records of ", sluice::PartitionName(p.topic, p.partition),
            " from offset ", from, ", but the topic starts at ", low,
            " now (retention deleted them): the state cannot be rebuilt; run with the checkpoint the group "
            "used, or with a new group_id and checkpoint.path to start afresh");
      }
      p.offset = from;
      continue;
    }
    if (p.offset >= 0) continue;  // the group's committed offset
    switch (options_.start) {
      case KafkaSourceOptions::Start::kEarliest:
        p.offset = low;
        break;
      case KafkaSourceOptions::Start::kLatest:
        p.offset = high;
        break;
      case KafkaSourceOptions::Start::kTimestamp:
        rd_kafka_topic_partition_list_add(by_time.get(), p.topic, p.partition)->offset =
            options_.start_timestamp_ms;
        p.offset = high;  // unless a message at or after the time exists (below)
        break;
    }
  }
  if (by_time->cnt > 0) {
    err = rd_kafka_offsets_for_times(consumer_.get(), by_time.get(), kRequestTimeoutMs);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaError(err, "cannot look up offsets by time");
    for (int i = 0; i < by_time->cnt; ++i) {
      const rd_kafka_topic_partition_t& t = by_time->elems[i];
      if (t.offset < 0) continue;  // no message at or after the time: start at the end
      rd_kafka_topic_partition_list_find(partitions, t.topic, t.partition)->offset = t.offset;
    }
  }
  return arrow::Status::OK();
}

arrow::Status KafkaSource::Assign(rd_kafka_topic_partition_list_t* partitions) {
  assigned_once_ = true;
  // Even an empty assignment must be acknowledged: after a cooperative revoke the group
  // (and this member's fetchers) wait for the call.
  arrow::Status resolved = partitions->cnt > 0 ? ResolveStartOffsets(partitions) : arrow::Status::OK();
  // On a failure the partitions are taken anyway so that librdkafka's assignment stays
  // consistent; Next() returns the error and the run stops without committing them.
  arrow::Status taken = ChangeAssignment(partitions, true);
  if (!resolved.ok()) return resolved;
  ARROW_RETURN_NOT_OK(taken);
  if (partitions->cnt == 0) {
    spdlog::info("kafka: no new partitions assigned to this member of group '{}'", options_.group_id);
    return arrow::Status::OK();
  }
  return Start(partitions, "assigned");
}

arrow::Status KafkaSource::Start(const rd_kafka_topic_partition_list_t* partitions, const char* how_taken) {
  std::vector<AssignedPartition> assigned;
  std::string described;
  for (int i = 0; i < partitions->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = partitions->elems[i];
    Partition* state = Find(p.topic, p.partition, true);
    state->assigned = true;
    ++state->assignments;
    state->next_offset = state->processed_offset = p.offset;
    state->at_end = options_.bounded && p.offset >= state->end_offset;
    assigned.push_back(AssignedPartition{state->id, state->topic, state->partition, p.offset, state->resume});
    std::string how = state->committed >= 0 ? "committed"
                      : state->resume       ? "no committed offset: where the checkpoint has it"
                                            : StartName(options_);
    if (state->resume && state->resume->processed_until > p.offset) {
      how += fmt::format("; up to {} only to rebuild open windows", state->resume->processed_until);
    } else if (state->resume && state->resume->checkpoint) {
      how += ", state in checkpoint " + *state->resume->checkpoint;
    }
    described += fmt::format("{}{} from {} ({})", described.empty() ? "" : ", ",
                             sluice::PartitionName(p.topic, p.partition), p.offset, how);
  }
  spdlog::info("kafka: {} {}", how_taken, described);
  return listener_ ? listener_->OnAssigned(assigned) : arrow::Status::OK();
}

arrow::Result<std::set<std::string>> KafkaSource::CommittedCheckpoints(
    const std::vector<std::pair<std::string, int32_t>>& partitions) {
  KafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& [topic, partition] : partitions)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer_.get(), list.get(), kRequestTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaError(err, "cannot read the committed offsets of group '" + options_.group_id + "'");
  }
  std::set<std::string> names;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.metadata == nullptr || p.metadata_size == 0) continue;
    auto resume =
        DecodeCommitMetadata(std::string_view(static_cast<const char*>(p.metadata), p.metadata_size));
    if (resume && resume->checkpoint) names.insert(*resume->checkpoint);
  }
  return names;
}

arrow::Status KafkaSource::Rewind() {
  KafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size())));
  std::vector<PartitionId> ids;
  for (auto& [key, state] : partitions_) {
    if (!state->assigned) continue;
    ids.push_back(state->id);
    rd_kafka_topic_partition_list_add(list.get(), state->topic.c_str(), state->partition);
  }
  prepared_.clear();
  if (list->cnt == 0) {
    if (listener_) listener_->OnRevoked(ids, true);
    return arrow::Status::OK();
  }
  // Where to go back to first: if the group cannot be reached, the listener keeps what
  // it has (and may try again) instead of holding partitions it knows nothing about.
  ARROW_RETURN_NOT_OK(ResolveStartOffsets(list.get()));
  rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer_.get(), list.get(), kRequestTimeoutMs);
  if (error != nullptr) {
    arrow::Status status =
        arrow::Status::IOError("cannot rewind to the committed offsets: ", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return status;
  }
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return KafkaError(
          list->elems[i].err,
          "cannot rewind " + sluice::PartitionName(list->elems[i].topic, list->elems[i].partition));
    }
  }
  if (listener_) listener_->OnRevoked(ids, true);
  return Start(list.get(), "rewound to the committed offsets:");
}

arrow::Status KafkaSource::Revoke(rd_kafka_topic_partition_list_t* partitions) {
  const bool lost = rd_kafka_assignment_lost(consumer_.get());
  std::vector<Partition*> revoked;
  std::vector<PartitionId> ids;
  for (int i = 0; i < partitions->cnt; ++i) {
    Partition* state = Find(partitions->elems[i].topic, partitions->elems[i].partition, false);
    if (state == nullptr || !state->assigned) continue;
    revoked.push_back(state);
    ids.push_back(state->id);
  }
  // Without a listener (the source is being destroyed, e.g. after a failed run) nothing
  // is known to be durable: nothing is committed.
  arrow::Status status;
  if (!lost && listener_ != nullptr) {
    // Every output is durable after OnRevoking: the prepared commits first (all
    // partitions), then the revoked partitions as they are now.
    status = listener_->OnRevoking(ids);
    if (status.ok()) status = CommitPrepared(std::numeric_limits<int64_t>::max());
    if (status.ok()) status = CommitPlanned(Plan(revoked));
  }
  revoked_in_next_ = true;
  if (listener_) listener_->OnRevoked(ids, lost);
  std::string described;
  for (Partition* state : revoked) {
    state->assigned = false;
    state->at_end = false;
    described += (described.empty() ? "" : ", ") + sluice::PartitionName(state->topic, state->partition);
  }
  if (lost) {
    spdlog::warn("kafka: lost {} (another member may own them now; their offsets were not committed)",
                 described);
  } else if (!described.empty()) {
    spdlog::info("kafka: revoked {}", described);
  }
  arrow::Status given_up = ChangeAssignment(partitions, false);
  return status.ok() ? given_up : status;
}

arrow::Status KafkaSource::ChangeAssignment(rd_kafka_topic_partition_list_t* partitions, bool add) {
  const char* what = add ? "cannot take the assigned partitions" : "cannot give partitions up";
  if (Cooperative(consumer_.get())) {
    rd_kafka_error_t* error = add ? rd_kafka_incremental_assign(consumer_.get(), partitions)
                                  : rd_kafka_incremental_unassign(consumer_.get(), partitions);
    if (error == nullptr) return arrow::Status::OK();
    arrow::Status status = arrow::Status::IOError(what, ": ", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return status;
  }
  // Eager protocols (a user's partition.assignment.strategy): the whole assignment.
  rd_kafka_resp_err_t err = rd_kafka_assign(consumer_.get(), add ? partitions : nullptr);
  return err == RD_KAFKA_RESP_ERR_NO_ERROR ? arrow::Status::OK() : KafkaError(err, what);
}

KafkaSource::Partition* KafkaSource::Find(std::string_view topic, int32_t partition, bool create) {
  auto key = std::make_pair(std::string(topic), partition);
  auto it = partitions_.find(key);
  if (it != partitions_.end()) return it->second.get();
  if (!create) return nullptr;
  auto state = std::make_unique<Partition>();
  state->topic = key.first;
  state->partition = partition;
  state->id = PartitionId(static_cast<int32_t>(by_id_.size()));
  by_id_.push_back(state.get());
  return partitions_.emplace(key, std::move(state)).first->second.get();
}

std::optional<int64_t> KafkaSource::HighWatermark(PartitionId partition) const {
  const size_t index = static_cast<size_t>(partition.value());
  if (index >= by_id_.size()) return std::nullopt;
  int64_t low = 0, high = 0;
  // Cached from fetch responses: no request to the broker.
  rd_kafka_resp_err_t err = rd_kafka_get_watermark_offsets(consumer_.get(), by_id_[index]->topic.c_str(),
                                                           by_id_[index]->partition, &low, &high);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || high < 0) return std::nullopt;
  return high;
}

std::string KafkaSource::PartitionName(PartitionId partition) const {
  const size_t index = static_cast<size_t>(partition.value());
  if (index >= by_id_.size()) return "?";
  return sluice::PartitionName(by_id_[index]->topic, by_id_[index]->partition);
}

bool KafkaSource::AllAtEnd() const {
  for (const auto& [key, state] : partitions_) {
    if (state->assigned && !state->at_end) return false;
  }
  return true;
}

arrow::Status KafkaSource::FatalError(rd_kafka_t* rk) const {
  char text[512];
  const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, text, sizeof(text));
  if (fatal == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID) {
    return arrow::Status::Invalid(
        "another process joined group '", options_.group_id, "' with instance_id '", options_.instance_id,
        "', which fenced this one: give every process its own source.kafka.instance_id");
  }
  return arrow::Status::IOError("Kafka consumer failed: ", text);
}

arrow::Status KafkaSource::HandleMessageError(const rd_kafka_message_t& message) {
  const char* topic = message.rkt ? rd_kafka_topic_name(message.rkt) : "";
  const std::string where = message.rkt ? sluice::PartitionName(topic, message.partition) : "kafka";
  switch (message.err) {
    case RD_KAFKA_RESP_ERR__FATAL:
      return FatalError(consumer_.get());
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
      if (Partition* state = Find(topic, message.partition, false)) state->at_end = true;
      return arrow::Status::OK();
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
      return arrow::Status::Invalid(
          where, ": the offset to resume from no longer exists (deleted by retention?): ",
          rd_kafka_message_errstr(&message),
          "; set source.kafka.offset_reset to earliest or latest to continue from there");
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
      if (!options_.pattern.empty()) return arrow::Status::OK();  // a matching topic went away
      return arrow::Status::Invalid(where, ": ", rd_kafka_message_errstr(&message),
                                    " (was the topic deleted? check source.kafka.topics)");
    default:
      if (IsRetryableKafkaError(message.err)) {
        spdlog::warn("{}: {} (retrying)", where, rd_kafka_message_errstr(&message));
        return arrow::Status::OK();
      }
      return KafkaError(message.err, where);
  }
}

arrow::Result<bool> KafkaSource::Next(int64_t max_records, Duration timeout, RawBatch* batch) {
  batch->Clear();
  if (closed_) return false;
  // Everything returned by earlier calls has been processed: it may be committed. What
  // this call puts into `batch` may not, until the next call (a revocation inside this
  // call commits processed_offset).
  for (Partition* state : by_id_) state->processed_offset = state->next_offset;
  revoked_in_next_ = false;
  if (!callback_error_.ok()) return callback_error_;
  if (options_.bounded && assigned_once_ && AllAtEnd()) return false;
  if (!assigned_once_) ARROW_RETURN_NOT_OK(CheckAssignmentWait());
  // rd_kafka_consume_batch_queue waits until it has *all* the messages asked for (or
  // the timeout): take what is queued without waiting, and block only for the first
  // message, when nothing is there.
  int wait_ms = static_cast<int>(std::max<int64_t>(0, timeout.count() / 1000));
  int64_t room = max_records;
  bool got_any = false;
  while (room > 0) {
    const size_t want = static_cast<size_t>(std::min<int64_t>(room, kConsumeChunk));
    messages_.resize(want);
    ssize_t n = rd_kafka_consume_batch_queue(queue_.get(), 0, messages_.data(), want);
    if (n == 0 && !got_any && wait_ms > 0) {
      n = rd_kafka_consume_batch_queue(queue_.get(), wait_ms, messages_.data(), 1);
      wait_ms = 0;
    }
    if (n < 0) return KafkaError(rd_kafka_last_error(), "cannot consume");
    if (n == 0) break;
    got_any = true;
    arrow::Status status = callback_error_;
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* message = messages_[i];
      if (status.ok() && message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        status = HandleMessageError(*message);
      } else if (status.ok()) {
        const char* topic = rd_kafka_topic_name(message->rkt);
        Partition* state = Find(topic, message->partition, false);
        // Fetched before a revocation or a seek: not ours to return.
        if (state != nullptr && state->assigned && message->offset >= state->next_offset) {
          const int32_t source = batch->AddSource(topic);
          std::string_view value(static_cast<const char*>(message->payload),
                                 message->payload ? message->len : 0);
          batch->Append(value,
                        RecordPosition{source, message->partition, KafkaOffset(message->offset), state->id});
          if (options_.metadata) AppendMessageMetadata(message, batch);
          state->next_offset = message->offset + 1;
          if (options_.bounded && state->next_offset >= state->end_offset) state->at_end = true;
          ++stats_.records;
          stats_.bytes += static_cast<int64_t>(value.size());
          --room;
        }
      }
      rd_kafka_message_destroy(message);
    }
    if (!status.ok()) return status;
  }
  if (revoked_in_next_) {
    // Records fetched for partitions revoked during this call belong to their next owner.
    batch->Retain([&](const RecordPosition& position) { return by_id_[position.input.value()]->assigned; });
  }
  return true;
}

arrow::Status KafkaSource::CheckAssignmentWait() {
  // The group forms within the rebalance timeout (max.poll.interval.ms), after which the
  // coordinator has dropped every member that did not rejoin; a member that died without
  // leaving is dropped at the end of its session (session.timeout.ms).
  auto property = [&](const char* name, int64_t fallback) {
    int64_t value = fallback;
    for (const auto& [key, text] : ConsumerProperties(options_)) {
      if (key == name) value = std::atoll(text.c_str());
    }
    return value;
  };
  const int64_t session_ms = property("session.timeout.ms", 45'000);
  const int64_t rebalance_ms = property("max.poll.interval.ms", 300'000);
  const int64_t waited = clock_->MonotonicMicros() - started_;
  const int64_t bound = options_.connect_timeout.count() + (session_ms + rebalance_ms) * 1000;
  if (waited > bound) {
    return arrow::Status::IOError("no partitions were assigned to group '", options_.group_id, "' within ",
                                  FormatDuration(Duration(bound)),
                                  " (is the group coordinator reachable? do other members hang?)");
  }
  if (waited - last_wait_log_ >= 5'000'000) {
    last_wait_log_ = waited;
    spdlog::info(
        "kafka: waiting {} s for group '{}' to assign partitions{} (a member that stopped without "
        "leaving keeps its partitions until its session ends, session.timeout.ms={}; at most {} s)",
        waited / 1'000'000, options_.group_id,
        options_.instance_id.empty() ? "" : " to instance '" + options_.instance_id + "'", session_ms,
        bound / 1'000'000);
  }
  return arrow::Status::OK();
}

std::vector<KafkaSource::PlannedCommit> KafkaSource::Plan(const std::vector<Partition*>& partitions) const {
  std::vector<PlannedCommit> planned;
  for (Partition* state : partitions) {
    if (!state->assigned || state->processed_offset < 0) continue;
    const KafkaOffset processed(state->processed_offset);
    CommitPoint point{processed,
                      PartitionResume{processed.value(), std::nullopt, std::nullopt, std::nullopt}};
    if (listener_) point = listener_->PlanCommit(state->id, processed);
    planned.push_back(PlannedCommit{state, state->assignments, std::move(point)});
  }
  return planned;
}

arrow::Status KafkaSource::CommitPlanned(const std::vector<PlannedCommit>& planned) {
  KafkaPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(planned.size())));
  std::vector<std::pair<Partition*, CommitPoint>> committing;
  for (const PlannedCommit& plan : planned) {
    Partition* state = plan.partition;
    // Revoked, or reassigned since (another owner may have committed meanwhile).
    if (!state->assigned || state->assignments != plan.assignment) {
      if (options_.strict_commits) {
        return arrow::Status::Cancelled("kafka: ", sluice::PartitionName(state->topic, state->partition),
                                        " was lost before its commit");
      }
      continue;
    }
    CommitPoint point = plan.point;
    // Committed offsets only move forward; the metadata moves with the records processed.
    if (point.offset.value() < state->committed) point.offset = KafkaOffset(state->committed);
    const std::string metadata = EncodeCommitMetadata(point.resume);
    if (point.offset.value() == state->committed && metadata == state->committed_metadata) continue;
    rd_kafka_topic_partition_t* entry =
        rd_kafka_topic_partition_list_add(list.get(), state->topic.c_str(), state->partition);
    entry->offset = point.offset.value();
    // The list frees its metadata: it must come from librdkafka's allocator.
    entry->metadata = rd_kafka_mem_malloc(consumer_.get(), metadata.size());
    std::memcpy(entry->metadata, metadata.data(), metadata.size());
    entry->metadata_size = metadata.size();
    spdlog::debug("kafka: committing {} at {} with '{}'",
                  sluice::PartitionName(state->topic, state->partition), point.offset.value(), metadata);
    committing.emplace_back(state, std::move(point));
  }
  if (committing.empty()) return arrow::Status::OK();
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), 0);
  for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& entry = list->elems[i];
    // A topic matching the pattern was deleted: nothing left to commit for it.
    if (!options_.pattern.empty() && (entry.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                                      entry.err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)) {
      spdlog::warn("kafka: {} is gone; its offset was not committed",
                   sluice::PartitionName(entry.topic, entry.partition));
      continue;
    }
    err = entry.err;
  }
  if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID)
    return FatalError(consumer_.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && options_.strict_commits) {
    ++stats_.commit_retries;
    return arrow::Status::Cancelled("kafka: the group did not accept the commit (", rd_kafka_err2str(err),
                                    ")");
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (IsRetryableKafkaError(err) || err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
        err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION || err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID) {
      // Nothing is lost: the same (or later) offsets are committed next time; records
      // after the last successful commit may be read again after a restart.
      ++stats_.commit_retries;
      spdlog::warn("kafka: committing offsets failed ({}); retrying at the next trigger",
                   rd_kafka_err2str(err));
      return arrow::Status::OK();
    }
    return KafkaError(err, "cannot commit offsets for group '" + options_.group_id + "'");
  }
  for (auto& [state, point] : committing) {
    state->committed = point.offset.value();
    state->committed_metadata = EncodeCommitMetadata(point.resume);
  }
  ++stats_.commits;
  return arrow::Status::OK();
}

int64_t KafkaSource::PrepareCommit() {
  if (closed_) return 0;
  std::vector<Partition*> assigned;
  for (auto& [key, state] : partitions_) {
    if (!state->assigned) continue;
    state->processed_offset = state->next_offset;  // the pipeline prepares after processing
    assigned.push_back(state.get());
  }
  prepared_.push_back(PreparedCommit{next_ticket_, Plan(assigned)});
  return next_ticket_++;
}

arrow::Status KafkaSource::CommitPrepared(int64_t ticket) {
  // The newest plan of each partition stands for the older ones.
  std::map<Partition*, PlannedCommit> newest;
  while (!prepared_.empty() && prepared_.front().ticket <= ticket) {
    for (PlannedCommit& plan : prepared_.front().planned)
      newest.insert_or_assign(plan.partition, std::move(plan));
    prepared_.pop_front();
  }
  if (closed_ || newest.empty()) return arrow::Status::OK();
  std::vector<PlannedCommit> planned;
  for (auto& [state, plan] : newest) planned.push_back(std::move(plan));
  return CommitPlanned(planned);
}

arrow::Status KafkaSource::Close() {
  if (closed_ || !consumer_) return arrow::Status::OK();
  // Leaves the group: the revoke callback runs (listener flushes, offsets committed).
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(consumer_.get());
  closed_ = true;
  queue_.reset();
  arrow::Status status = callback_error_;
  if (status.ok() && err != RD_KAFKA_RESP_ERR_NO_ERROR)
    status = KafkaError(err, "cannot leave the consumer group");
  return status;
}

std::string KafkaSource::Describe() const {
  std::string topics;
  if (options_.pattern.empty()) {
    for (const auto& t : options_.topics) topics += (topics.empty() ? "" : ", ") + t;
  } else {
    topics = "pattern " + options_.pattern;
  }
  return fmt::format("kafka {} from {} (group {}, new partitions start at {})", topics,
                     options_.bootstrap_servers, options_.group_id, StartName(options_));
}

}  // namespace sluice
