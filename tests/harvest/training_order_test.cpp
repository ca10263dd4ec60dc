// The epoch order of linear training (harvest/training_order.hpp): a permutation, seeded, new
// each epoch, and stable under appended examples.

#include "harvest/training_order.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace frugal::harvest::detail {
namespace {

std::vector<std::uint32_t> indices(std::uint64_t seed, std::size_t epoch, std::size_t examples) {
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
  epoch_order(seed, epoch, examples, order);
  std::vector<std::uint32_t> result;
  for (const auto& entry : order) result.push_back(entry.second);
  return result;
}

TEST(EpochOrder, IsAPermutationThatDependsOnSeedAndEpoch) {
  const std::vector<std::uint32_t> order = indices(7, 0, 1000);
  std::vector<bool> seen(1000, false);
  for (const std::uint32_t i : order) {
    ASSERT_LT(i, 1000u);
    EXPECT_FALSE(seen[i]) << i;
    seen[i] = true;
  }
  EXPECT_EQ(order, indices(7, 0, 1000));
  EXPECT_NE(order, indices(8, 0, 1000));
  EXPECT_NE(order, indices(7, 1, 1000));
  // Not the identity, nor close to it: about half the examples change halves.
  std::size_t moved = 0;
  for (std::size_t k = 0; k < order.size(); ++k) moved += (order[k] < 500) != (k < 500);
  EXPECT_GT(moved, 400u);
  EXPECT_LT(moved, 600u);
}

TEST(EpochOrder, AppendedExamplesKeepTheOthersInTheirOrder) {
  for (std::size_t epoch = 0; epoch < 4; ++epoch) {
    const std::vector<std::uint32_t> before = indices(3, epoch, 500);
    std::vector<std::uint32_t> after_without_added;
    std::size_t added_seen = 0;
    for (const std::uint32_t i : indices(3, epoch, 650)) {
      if (i < 500)
        after_without_added.push_back(i);
      else
        ++added_seen;
    }
    EXPECT_EQ(after_without_added, before) << "epoch " << epoch;
    EXPECT_EQ(added_seen, 150u);
  }
}

}  // namespace
}  // namespace frugal::harvest::detail
