#pragma once
/// Permanent random priorities for coordinated sampling (Ohlsson 1995; bottom-k sketches,
/// Cohen & Kaplan 2007): each item's priority is a seeded 64-bit hash of its id, so the same
/// seed gives every item the same priority in every set and on every machine.
/// The order is by key, then by id (ties are astronomically rare but must be decided).

#include <cstdint>
#include <string_view>

namespace frugal::sampling {

/// Name recorded in plans.
inline constexpr std::string_view priority_hash_name = "xxh3_64";

/// XXH3-64 of the id's bytes with `seed`.
std::uint64_t priority_key(std::uint64_t seed, std::string_view id) noexcept;

/// The key as a number in [0, 1): its top 53 bits over 2^53.
inline double priority_value(std::uint64_t key) noexcept {
  return static_cast<double>(key >> 11) * 0x1.0p-53;
}

/// Strict order of (key, id) pairs.
inline bool priority_before(std::uint64_t key_a, std::string_view id_a, std::uint64_t key_b,
                            std::string_view id_b) noexcept {
  return key_a != key_b ? key_a < key_b : id_a < id_b;
}

}  // namespace frugal::sampling
