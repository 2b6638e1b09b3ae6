#pragma once

#include <memory>
#include <string>
#include <thread>

#include <arrow/result.h>

#include "ops/run_monitor.h"

namespace httplib {
class Server;
}

namespace sluice {

// "HOST:PORT", ":PORT" or "PORT" -> host and port; the host defaults to 127.0.0.1 (the
// endpoint is reachable from other machines only when configured so).
struct ListenAddress {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
};
arrow::Result<ListenAddress> ParseListenAddress(const std::string& text);

// The read-only HTTP endpoint of a run (cpp-httplib, four worker threads):
//   /             the status page (embedded assets)
//   /metrics      Prometheus text format
//   /healthz      liveness (200 or 503, JSON body)
//   /readyz       readiness (200 or 503, JSON body)
//   /api/progress the last triggers as JSON (?last=N, default 20)
//   /api/status   the run's state as JSON
//   /api/graph    the pipeline graph as JSON
// Only GET and HEAD are served; POST, PUT, PATCH, DELETE and OPTIONS get 405. Responses hold counts, names,
// positions and times, never record bytes, values or secrets.
class HttpEndpoint {
 public:
  // Binds now (a port in use is an error naming it) and serves on a thread of its own.
  static arrow::Result<std::unique_ptr<HttpEndpoint>> Start(const ListenAddress& address,
                                                            const RunMonitor* monitor);
  ~HttpEndpoint();  // stops serving

  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  HttpEndpoint() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

}  // namespace sluice
