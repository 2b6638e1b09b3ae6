#pragma once

namespace sluice {

// The release this binary is (sluice --version, sluice_info).
inline constexpr const char* kVersion = "0.1.0";

}  // namespace sluice
