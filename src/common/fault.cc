#include "common/fault.h"

#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace sluice {
namespace {

struct Fault {
  std::string point;
  long hit_at = 1;
  long hits = 0;
};

Fault* Configured() {
  static Fault* fault = []() -> Fault* {
    const char* value = std::getenv("SLUICE_FAULT");
    if (value == nullptr || *value == '\0') return nullptr;
    auto* f = new Fault;
    std::string text = value;
    if (auto colon = text.rfind(':'); colon != std::string::npos) {
      f->hit_at = std::max(1L, std::strtol(text.c_str() + colon + 1, nullptr, 10));
      text.resize(colon);
    }
    f->point = text;
    return f;
  }();
  return fault;
}

}  // namespace

void FaultPoint(const char* name) {
  Fault* fault = Configured();
  if (fault == nullptr || fault->point != name || ++fault->hits < fault->hit_at) return;
  const std::string message = std::string("sluice: fault injected at ") + name + ": killing the process\n";
  (void)!write(STDERR_FILENO, message.data(), message.size());
  raise(SIGKILL);
}

}  // namespace sluice
