#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <arrow/result.h>

namespace sluice {

// Listens on 127.0.0.1:port and relays every connection, byte for byte in both
// directions, to 127.0.0.1:target_port. The development broker uses it to answer on a
// fixed, well-known bootstrap port: librdkafka's mock brokers only bind ephemeral
// ports, and Kafka clients move to the address the broker advertises after their first
// metadata request, so only bootstrap traffic passes through here.
//
// Threads: one relay thread, started by Start and joined by the destructor.
class TcpForwarder {
 public:
  // Fails (naming the port) when it is taken.
  static arrow::Result<std::unique_ptr<TcpForwarder>> Start(int port, int target_port);
  ~TcpForwarder();

  int port() const { return port_; }

 private:
  TcpForwarder(int listen_fd, int wake_fd, int port, int target_port);
  void Loop();

  int listen_fd_;
  int wake_fd_;  // eventfd: written by the destructor to end Loop()
  int port_;
  int target_port_;
  std::thread thread_;
};

}  // namespace sluice
