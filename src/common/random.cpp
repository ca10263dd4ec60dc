#include "common/random.hpp"

#include <utility>

#include "frugal/error.hpp"

namespace frugal::detail {
namespace {
// GCC and Clang both have 128-bit integers; __extension__ says we know it is not ISO C++.
__extension__ typedef unsigned __int128 uint128;
}  // namespace

random_source::random_source(std::uint64_t seed, std::uint64_t stream) noexcept {
  std::uint64_t x = mix64(seed) ^ mix64(stream + 0x632BE59BD9B4E019ull);
  for (std::uint64_t& word : state_) {
    x += 0x9E3779B97F4A7C15ull;
    word = mix64(x);
  }
}

std::uint64_t random_source::next() noexcept {
  const auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

std::uint64_t random_source::below(std::uint64_t bound) noexcept {
  FRUGAL_ASSERT(bound > 0);
  uint128 product = static_cast<uint128>(next()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<uint128>(next()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

std::vector<std::uint32_t> random_source::sample(std::span<const std::uint32_t> from,
                                                 std::size_t count) {
  FRUGAL_ASSERT(count <= from.size());
  std::vector<std::uint32_t> pool(from.begin(), from.end());
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = i + below(pool.size() - i);
    std::swap(pool[i], pool[j]);
  }
  pool.resize(count);
  return pool;
}

void random_source::shuffle(std::span<std::uint32_t> values) noexcept {
  for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[below(i)]);
}

}  // namespace frugal::detail
