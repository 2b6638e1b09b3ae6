#pragma once

#include <string_view>
#include <vector>

namespace sluice {

// A file of the status page, built into the binary (src/ops/assets/, embedded by
// cmake/SluiceEmbed.cmake).
struct EmbeddedAsset {
  std::string_view name;          // "index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view content;
};

const std::vector<EmbeddedAsset>& StatusAssets();

}  // namespace sluice
