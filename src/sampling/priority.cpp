#include "frugal/sampling/priority.hpp"

#include <xxhash.h>

namespace frugal::sampling {

std::uint64_t priority_key(std::uint64_t seed, std::string_view id) noexcept {
  return XXH3_64bits_withSeed(id.data(), id.size(), seed);
}

}  // namespace frugal::sampling
