#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "io/dev_broker.h"

namespace sluice {

int BrokerCommand(const BrokerCommandOptions& options, const std::atomic<bool>& stop) {
  if (options.partitions < 1) {
    std::cerr << "error: --partitions must be at least 1\n";
    return 2;
  }
  auto broker = DevBroker::Start(options.port);
  if (!broker.ok()) {
    std::cerr << "error: " << broker.status().message() << "\n";
    return 1;
  }
  for (const auto& topic : options.topics) {
    if (auto status = (*broker)->CreateTopic(topic, options.partitions); !status.ok()) {
      std::cerr << "error: " << status.message() << "\n";
      return 1;
    }
  }
  std::cout << "sluice development broker on " << (*broker)->bootstrap() << "\n";
  for (const auto& topic : options.topics) {
    std::cout << "  topic " << topic << " (" << options.partitions << " partitions)\n";
  }
  std::cout << "It keeps at most 5 MiB per partition and silently drops older data beyond that;\n"
               "nothing survives a restart. Use a real Kafka broker for large data sets.\n"
               "Ctrl-C stops it.\n"
            << std::flush;
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::cout << "stopped\n";
  return 0;
}

}  // namespace sluice
