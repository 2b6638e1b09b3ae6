#include "source/kafka_source.h"

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "io/dev_broker.h"
#include "io/kafka_producer.h"

namespace sluice {
namespace {

using Positions = std::multiset<std::pair<int32_t, int64_t>>;

size_t Distinct(const Positions& positions) {
  return std::set<std::pair<int32_t, int64_t>>(positions.begin(), positions.end()).size();
}

// Records a listener sees; commits everything returned (nothing held in windows).
class RecordingListener final : public PartitionListener {
 public:
  arrow::Status OnAssigned(const std::vector<AssignedPartition>& partitions) override {
    for (const auto& p : partitions) assigned.insert(p.id.value());
    return arrow::Status::OK();
  }
  arrow::Status OnRevoking(const std::vector<PartitionId>&) override { return arrow::Status::OK(); }
  void OnRevoked(const std::vector<PartitionId>& partitions, bool) override {
    for (PartitionId p : partitions) assigned.erase(p.value());
  }
  CommitPoint PlanCommit(PartitionId, KafkaOffset next) const override {
    return CommitPoint{next, PartitionResume{next.value(), std::nullopt, std::nullopt, std::nullopt}};
  }
  std::set<int32_t> assigned;
};

class KafkaSourceTest : public ::testing::Test {
 protected:
  static constexpr int kPartitions = 3;
  static constexpr int kRecords = 6000;

  void SetUp() override {
    broker_ = DevBroker::Start(0).ValueOrDie();
    ASSERT_TRUE(broker_->CreateTopic("events", kPartitions).ok());
    auto producer =
        KafkaProducer::Make(broker_->bootstrap(), "events", {}, std::chrono::seconds(10)).ValueOrDie();
    for (int i = 0; i < kRecords; ++i) {
      std::string key = "key-" + std::to_string(i % 50);
      ASSERT_TRUE(producer->Send(key, "{\"n\":" + std::to_string(i) + "}").ok());
    }
    ASSERT_TRUE(producer->Flush(std::chrono::seconds(30)).ok());
    ASSERT_EQ(producer->stats().delivered, kRecords);
  }

  KafkaSourceOptions Options(const std::string& group) {
    KafkaSourceOptions options;
    options.bootstrap_servers = broker_->bootstrap();
    options.topics = {"events"};
    options.group_id = group;
    options.connect_timeout = std::chrono::seconds(30);
    options.bounded = true;
    // Short retry backoffs so that injected errors cost milliseconds; a short session
    // because the mock coordinator waits for a departed member's session to expire.
    options.properties = {{"fetch.error.backoff.ms", "50"},
                          {"retry.backoff.ms", "50"},
                          {"session.timeout.ms", "6000"},
                          {"heartbeat.interval.ms", "500"}};
    return options;
  }

  // Reads until the source reports the end, returning every (partition, offset) seen;
  // `between` runs after each batch.
  Positions Drain(KafkaSource* source, const std::function<void(int64_t)>& between = {}) {
    Positions seen;
    RawBatch batch;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      auto more = source->Next(500, std::chrono::milliseconds(100), &batch);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok()) break;
      for (size_t i = 0; i < batch.size(); ++i) {
        seen.emplace(batch.position(i).partition, batch.position(i).offset.value());
        EXPECT_EQ(batch.source_name(i), "events");
        EXPECT_TRUE(batch.has_metadata());
        EXPECT_TRUE(batch.metadata(i).key.has_value());
      }
      if (between) between(static_cast<int64_t>(seen.size()));
      if (!*more) break;
    }
    return seen;
  }

  std::unique_ptr<DevBroker> broker_;
};

TEST_F(KafkaSourceTest, ReadsEveryRecordOnceAndCommitsTheEnd) {
  RecordingListener listener;
  auto source = KafkaSource::Make(Options("plain"), Clock::System()).ValueOrDie();
  source->SetListener(&listener);
  auto seen = Drain(source.get());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(Distinct(seen), seen.size());
  EXPECT_EQ(listener.assigned.size(), static_cast<size_t>(kPartitions));
  ASSERT_TRUE(source->CommitPrepared(source->PrepareCommit()).ok());
  EXPECT_EQ(source->stats().commits, 1);
  ASSERT_TRUE(source->Close().ok());

  // A second reader of the group starts where the first committed: nothing left.
  auto again = KafkaSource::Make(Options("plain"), Clock::System()).ValueOrDie();
  EXPECT_TRUE(Drain(again.get()).empty());
}

TEST_F(KafkaSourceTest, APreparedCommitCommitsWhatWasReturnedWhenItWasPrepared) {
  RecordingListener listener;
  int64_t first = 0, second = 0;
  size_t at_first = 0;
  {
    auto source = KafkaSource::Make(Options("prepared"), Clock::System()).ValueOrDie();
    source->SetListener(&listener);
    auto seen = Drain(source.get(), [&](int64_t count) {
      if (first == 0 && count >= kRecords / 2) {
        first = source->PrepareCommit();
        at_first = static_cast<size_t>(count);
      }
    });
    ASSERT_EQ(seen.size(), static_cast<size_t>(kRecords));
    ASSERT_GT(at_first, 0u);
    ASSERT_LT(at_first, seen.size());
    second = source->PrepareCommit();  // everything, never committed
    EXPECT_GT(second, first);
    ASSERT_TRUE(source->CommitPrepared(first).ok());
    EXPECT_EQ(source->stats().commits, 1);
    ASSERT_TRUE(source->CommitPrepared(first).ok());  // done: nothing more
    EXPECT_EQ(source->stats().commits, 1);
  }  // destroyed without Close: the second prepared commit is dropped
  // The group resumes where the first prepared commit was taken.
  auto again = KafkaSource::Make(Options("prepared"), Clock::System()).ValueOrDie();
  EXPECT_EQ(Drain(again.get()).size(), kRecords - at_first);
}

TEST_F(KafkaSourceTest, InjectedFetchErrorsLoseNothing) {
  // Retryable errors on the next fetches: the consumer retries and nothing is lost.
  broker_->PushRequestErrors(1 /* Fetch */,
                             {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                              RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION});
  auto source = KafkaSource::Make(Options("errors"), Clock::System()).ValueOrDie();
  auto seen = Drain(source.get());
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(Distinct(seen), seen.size());
}

TEST_F(KafkaSourceTest, BrokerDownAndUpMidwayLosesNothing) {
  auto source = KafkaSource::Make(Options("bounce"), Clock::System()).ValueOrDie();
  bool bounced = false;
  auto seen = Drain(source.get(), [&](int64_t read) {
    if (bounced || read < kRecords / 3) return;
    bounced = true;
    ASSERT_TRUE(broker_->SetDown(true).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_TRUE(broker_->SetDown(false).ok());
  });
  EXPECT_TRUE(bounced);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRecords));
  EXPECT_EQ(Distinct(seen), seen.size());
}

TEST(KafkaSource, UnknownTopicIsAConfigurationError) {
  auto broker = DevBroker::Start(0).ValueOrDie();
  KafkaSourceOptions options;
  options.bootstrap_servers = broker->bootstrap();
  options.topics = {"missing"};
  options.group_id = "g";
  auto source = KafkaSource::Make(options, Clock::System());
  ASSERT_FALSE(source.ok());
  EXPECT_TRUE(source.status().IsInvalid());
  EXPECT_NE(source.status().message().find("topic 'missing' does not exist"), std::string::npos);
}

TEST(KafkaCommitMetadata, RoundTripsAndRejectsForeignText) {
  PartitionResume resume{1234, int64_t{1753711200000000}, int64_t{1753711080000000}, std::nullopt};
  auto decoded = DecodeCommitMetadata(EncodeCommitMetadata(resume));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->processed_until, 1234);
  EXPECT_EQ(decoded->max_event_time, resume.max_event_time);
  EXPECT_EQ(decoded->emitted_watermark, resume.emitted_watermark);
  auto minimal = DecodeCommitMetadata(
      EncodeCommitMetadata(PartitionResume{7, std::nullopt, std::nullopt, std::nullopt}));
  ASSERT_TRUE(minimal.has_value());
  EXPECT_FALSE(minimal->max_event_time.has_value());
  EXPECT_FALSE(minimal->checkpoint.has_value());
  const std::string name = "epoch-00000000000000000412-20250728T141734Z-3fa1.ckpt";
  auto named =
      DecodeCommitMetadata(EncodeCommitMetadata(PartitionResume{9, std::nullopt, std::nullopt, name}));
  ASSERT_TRUE(named.has_value());
  EXPECT_EQ(named->processed_until, 9);
  EXPECT_EQ(named->checkpoint, name);
  EXPECT_FALSE(DecodeCommitMetadata("sluice:1 processed_until=9 checkpoint=").has_value());
  EXPECT_FALSE(DecodeCommitMetadata("").has_value());
  EXPECT_FALSE(DecodeCommitMetadata("written by another consumer").has_value());
  EXPECT_FALSE(DecodeCommitMetadata("sluice:1 processed_until=12x").has_value());
  EXPECT_FALSE(DecodeCommitMetadata("sluice:1 max_event_time=5").has_value());
}

}  // namespace
}  // namespace sluice
