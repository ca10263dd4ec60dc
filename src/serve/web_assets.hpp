#pragma once
// The pages of web/ compiled into the binary (cmake/embed_web.cmake writes web_assets.cpp).

#include <span>
#include <string_view>

namespace frugal::serve::detail {

struct web_asset {
  std::string_view name;  ///< file name in web/, e.g. "annotate.js"
  std::string_view content_type;
  std::string_view body;
};

/// Every asset, sorted by name.
std::span<const web_asset> web_assets();

/// The asset called `name`, or nullptr. Only exact names match: no path is ever resolved.
inline const web_asset* find_web_asset(std::string_view name) {
  for (const web_asset& asset : web_assets())
    if (asset.name == name) return &asset;
  return nullptr;
}

}  // namespace frugal::serve::detail
