#pragma once
// The order in which one training epoch visits its examples: by a seeded hash of (epoch, example
// index), a permanent random priority per example, instead of a shuffle of the whole list.
//
// Why: appending examples (a harvest, a correction) leaves the relative order of the others
// unchanged, so two trainings that differ by added data differ by that data and not also by a
// reshuffle of everything. The old and the new model then flip fewer predictions between them
// (common random numbers), and a paired comparison of the two measures the data, not the luck of
// the shuffle. Unlike std::shuffle, whose algorithm each standard library picks, the order is the
// same everywhere.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/random.hpp"

namespace frugal::harvest::detail {

/// Fills `order` with the examples 0..examples-1 in epoch `epoch`'s order for `seed`. The vector
/// is reused between epochs so that training allocates it once; each entry is (priority, index).
inline void epoch_order(std::uint64_t seed, std::size_t epoch, std::size_t examples,
                        std::vector<std::pair<std::uint64_t, std::uint32_t>>& order) {
  if (examples > UINT32_MAX) throw std::invalid_argument("epoch_order: more than 2^32 examples");
  const std::uint64_t stream = frugal::detail::mix64(seed ^ frugal::detail::mix64(epoch));
  order.resize(examples);
  for (std::size_t i = 0; i < examples; ++i)
    order[i] = {frugal::detail::mix64(stream ^ i), static_cast<std::uint32_t>(i)};
  // mix64 is a bijection and stream ^ i differs for each i, so no two priorities are equal.
  std::sort(order.begin(), order.end());
}

}  // namespace frugal::harvest::detail
