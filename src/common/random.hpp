#pragma once
// The one random generator of frugal: xoshiro256** seeded through splitmix64 (Blackman & Vigna
// 2018). Written out rather than taken from <random> because std distributions differ between
// standard libraries, and plans must be byte-identical for the same seed everywhere.

#include <cstdint>
#include <span>
#include <vector>

namespace frugal::detail {

/// splitmix64 finaliser: a bijective 64-bit mixer, also used to derive independent streams.
inline std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class random_source {
 public:
  /// A stream determined by `seed` and `stream` (e.g. the set or the trial number).
  explicit random_source(std::uint64_t seed, std::uint64_t stream = 0) noexcept;

  std::uint64_t next() noexcept;
  /// Uniform in [0, bound), unbiased (Lemire 2019); bound > 0.
  std::uint64_t below(std::uint64_t bound) noexcept;
  /// Uniform in [0, 1) with 53 random bits.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// `count` distinct elements of `from`, a simple random sample, in random order
  /// (partial Fisher-Yates on a copy). Requires count <= from.size().
  std::vector<std::uint32_t> sample(std::span<const std::uint32_t> from, std::size_t count);
  /// Shuffles in place (Fisher-Yates).
  void shuffle(std::span<std::uint32_t> values) noexcept;

 private:
  std::uint64_t state_[4];
};

}  // namespace frugal::detail
