#include "ops/http_endpoint.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include "pipeline/plan.h"

namespace sluice {
namespace {

constexpr char kPipeline[] = R"(name: ops-test
source:
  kafka:
    bootstrap_servers: 127.0.0.1:9
    topics: [events]
    group_id: g
    properties:
      sasl.password: hunter2-secret
schema:
  id: {type: string, required: true}
  t: {type: timestamp, required: true}
checks:
  has_id: id <> ''
event_time: {column: t, watermark: 1 minute}
outputs:
  per_minute:
    window: {tumbling: 1 minute}
    group_by: [id]
    aggregates: {n: count(*)}
    parquet: {path: /tmp/sluice-ops-test/agg}
dead_letter:
  parquet: {path: /tmp/sluice-ops-test/dead}
)";

Plan TestPlan() {
  Environment env;
  return MakePlan(ParsePipelineSpec(kPipeline, "p.yaml", &env).ValueOrDie()).ValueOrDie();
}

TEST(ListenAddressTest, Parses) {
  auto a = ParseListenAddress("0.0.0.0:9464").ValueOrDie();
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 9464);
  a = ParseListenAddress(":9464").ValueOrDie();
  EXPECT_EQ(a.host, "127.0.0.1");
  a = ParseListenAddress("9464").ValueOrDie();
  EXPECT_EQ(a.host, "127.0.0.1");
  a = ParseListenAddress("[::1]:80").ValueOrDie();
  EXPECT_EQ(a.host, "::1");
  for (const char* bad : {"", "host:", "host:port", "1.2.3.4:70000", "9464x"}) {
    EXPECT_FALSE(ParseListenAddress(bad).ok()) << bad;
  }
}

TEST(HttpEndpointTest, ServesProbesMetricsAndThePage) {
  const Plan plan = TestPlan();
  auto monitor = RunMonitor::Make(plan, RunMonitorOptions{}, Clock::System()).ValueOrDie();
  auto endpoint = HttpEndpoint::Start(ListenAddress{"127.0.0.1", 0}, monitor.get()).ValueOrDie();
  httplib::Client client("127.0.0.1", endpoint->port());

  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(client.Get("/healthz")->status, 200);

  RunProgress progress;
  progress.phase = RunPhase::kRecovering;
  progress.phase_detail = "replaying 1 partition(s) to rebuild open windows";
  progress.micros = Clock::System()->NowMicros();
  progress.triggers = 1;
  progress.ready = false;
  monitor->OnProgress(progress);
  ready = client.Get("/readyz");
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(ready->body.find("recovering"), std::string::npos) << ready->body;

  progress.phase = RunPhase::kRunning;
  progress.phase_detail.clear();
  progress.ready = true;
  monitor->OnProgress(progress);
  EXPECT_EQ(client.Get("/readyz")->status, 200);

  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("sluice_ready 1"), std::string::npos);
  EXPECT_NE(metrics->get_header_value("Content-Type").find("text/plain"), std::string::npos);

  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<svg id=\"graph\""), std::string::npos);
  EXPECT_EQ(client.Get("/status.js")->status, 200);

  auto graph = client.Get("/api/graph");
  ASSERT_TRUE(graph);
  EXPECT_NE(graph->body.find("output:per_minute"), std::string::npos);
  EXPECT_NE(graph->body.find("has_id"), std::string::npos);

  // Read-only, and no secret of the pipeline file anywhere.
  EXPECT_EQ(client.Post("/metrics", "x", "text/plain")->status, 405);
  for (const char* path :
       {"/", "/metrics", "/api/graph", "/api/status", "/api/progress", "/healthz", "/readyz"}) {
    auto response = client.Get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->body.find("hunter2"), std::string::npos) << path;
  }
}

TEST(HttpEndpointTest, APortInUseIsAnError) {
  const Plan plan = TestPlan();
  auto monitor = RunMonitor::Make(plan, RunMonitorOptions{}, Clock::System()).ValueOrDie();
  auto first = HttpEndpoint::Start(ListenAddress{"127.0.0.1", 0}, monitor.get()).ValueOrDie();
  auto second = HttpEndpoint::Start(ListenAddress{"127.0.0.1", first->port()}, monitor.get());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("cannot listen on 127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace sluice
