#include "ops/http_endpoint.h"

#include <charconv>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "ops/assets.h"
#include "ops/progress_json.h"

namespace sluice {
namespace {

constexpr const char* kJson = "application/json";
constexpr size_t kWorkers = 4;

void SendJson(httplib::Response& response, const nlohmann::ordered_json& body, int status = 200) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_content(DumpJson(body), kJson);
}

}  // namespace

arrow::Result<ListenAddress> ParseListenAddress(const std::string& text) {
  ListenAddress address;
  std::string port = text;
  if (const size_t colon = text.rfind(':'); colon != std::string::npos) {
    if (colon > 0) address.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']') {
    address.host = address.host.substr(1, address.host.size() - 2);  // [::1]:9464
  }
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), address.port);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || address.port < 0 ||
      address.port > 65535) {
    return arrow::Status::Invalid("'", text,
                                  "' is not a listen address; give HOST:PORT, e.g. 127.0.0.1:9464");
  }
  return address;
}

arrow::Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const ListenAddress& address,
                                                                 const RunMonitor* monitor) {
  auto endpoint = std::unique_ptr<HttpEndpoint>(new HttpEndpoint());
  endpoint->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *endpoint->server_;
  // A worker serves one connection at a time: short keep-alives and read timeouts keep a
  // browser or an idle client from holding the workers that probes and scrapes need.
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server.set_keep_alive_max_count(20);
  server.set_keep_alive_timeout(1);
  server.set_read_timeout(std::chrono::seconds(2));
  server.set_write_timeout(std::chrono::seconds(5));
  server.set_payload_max_length(4096);
  // SO_REUSEADDR only: cpp-httplib's default also sets SO_REUSEPORT, with which a second
  // process would share the port silently instead of being refused.
  server.set_socket_options([](int socket) {
    int yes = 1;
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  for (const EmbeddedAsset& asset : StatusAssets()) {
    const std::string path = asset.name == "index.html" ? "/" : "/" + std::string(asset.name);
    server.Get(path, [&asset](const httplib::Request&, httplib::Response& response) {
      response.set_content(asset.content.data(), asset.content.size(),
                           std::string(asset.content_type).c_str());
    });
  }
  server.Get("/metrics", [monitor](const httplib::Request&, httplib::Response& response) {
    response.set_content(monitor->Metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.Get("/healthz", [monitor](const httplib::Request&, httplib::Response& response) {
    RunMonitor::Probe probe = monitor->Health();
    SendJson(response, probe.body, probe.ok ? 200 : 503);
  });
  server.Get("/readyz", [monitor](const httplib::Request&, httplib::Response& response) {
    RunMonitor::Probe probe = monitor->Readiness();
    SendJson(response, probe.body, probe.ok ? 200 : 503);
  });
  server.Get("/api/progress", [monitor](const httplib::Request& request, httplib::Response& response) {
    size_t last = 20;
    if (request.has_param("last")) {
      const std::string value = request.get_param_value("last");
      std::from_chars(value.data(), value.data() + value.size(), last);
    }
    SendJson(response, monitor->Progress(last));
  });
  server.Get("/api/status", [monitor](const httplib::Request&, httplib::Response& response) {
    SendJson(response, monitor->Status());
  });
  server.Get("/api/graph", [monitor](const httplib::Request&, httplib::Response& response) {
    SendJson(response, monitor->graph());
  });
  auto refuse = [](const httplib::Request&, httplib::Response& response) {
    response.set_header("Allow", "GET, HEAD");
    SendJson(response, {{"error", "read-only endpoint: only GET and HEAD are served"}}, 405);
  };
  server.Post(".*", refuse);
  server.Put(".*", refuse);
  server.Patch(".*", refuse);
  server.Delete(".*", refuse);
  server.Options(".*", refuse);

  if (address.port == 0) {
    endpoint->port_ = server.bind_to_any_port(address.host);
    if (endpoint->port_ < 0) endpoint->port_ = 0;
  } else if (server.bind_to_port(address.host, address.port)) {
    endpoint->port_ = address.port;
  }
  if (endpoint->port_ == 0) {
    return arrow::Status::Invalid("metrics endpoint: cannot listen on ", address.host, ":", address.port,
                                  " (in use, or not an address of this machine); choose another with "
                                  "--metrics-listen or metrics.listen");
  }
  endpoint->host_ = address.host;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  endpoint->thread_ = std::thread([&server, finished] {
    server.listen_after_bind();
    finished->store(true);
  });
  // cpp-httplib 0.11's stop() does nothing before the server runs: wait for it, so that
  // the destructor always ends it.
  while (!server.is_running() && !finished->load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  spdlog::info("status page, /metrics, /healthz, /readyz and /api/progress on http://{}:{}/",
               address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host,
               endpoint->port_);
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sluice
