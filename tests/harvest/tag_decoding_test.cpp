// Viterbi decoding of tag sequences (harvest/tag_decoding.hpp) against the plain enumeration of
// every sequence, on seeded random score tables with forbidden transitions.

#include "harvest/tag_decoding.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <span>
#include <vector>

namespace frugal::harvest::detail {
namespace {

constexpr double impossible = -std::numeric_limits<double>::infinity();

// Log-probabilities for n tokens: table[i][previous][tag], previous == tags standing for the
// start. Each row is normalized over its allowed tags; a share of transitions is forbidden, but
// never tag 0 (like "O", which may always follow).
struct score_table {
  std::size_t n, tags;
  std::vector<double> values;  // (n x (tags + 1) x tags)
  void operator()(std::size_t i, std::size_t previous, std::span<double> out) const {
    for (std::size_t t = 0; t < tags; ++t) out[t] = values[(i * (tags + 1) + previous) * tags + t];
  }
};

score_table random_table(std::size_t n, std::size_t tags, std::mt19937_64& random,
                         double forbidden_share) {
  score_table table{n, tags, std::vector<double>(n * (tags + 1) * tags)};
  std::uniform_real_distribution<double> score(-3.0, 3.0), unit(0.0, 1.0);
  for (std::size_t row = 0; row < n * (tags + 1); ++row) {
    double* values = table.values.data() + row * tags;
    double total = 0.0;
    for (std::size_t t = 0; t < tags; ++t) {
      values[t] = t > 0 && unit(random) < forbidden_share ? impossible : score(random);
      if (values[t] != impossible) total += std::exp(values[t]);
    }
    for (std::size_t t = 0; t < tags; ++t)
      if (values[t] != impossible) values[t] -= std::log(total);
  }
  return table;
}

TEST(TagDecoding, ViterbiFindsTheSequenceEnumerationFinds) {
  std::mt19937_64 random(20261124);
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = 1 + trial % 5, tags = 1 + (trial / 5) % 5;
    const score_table table = random_table(n, tags, random, trial % 2 ? 0.4 : 0.0);
    const decoded_tags fast = best_tag_sequence(n, tags, table);
    const decoded_tags reference = best_tag_sequence_by_enumeration(n, tags, table);
    ASSERT_EQ(fast.tags, reference.tags) << "trial " << trial;
    ASSERT_EQ(fast.log_probability.size(), n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(fast.log_probability[i], reference.log_probability[i], 1e-12);
      sum += fast.log_probability[i];
    }
    EXPECT_NEAR(fast.total, reference.total, 1e-9) << "trial " << trial;
    EXPECT_NEAR(fast.total, sum, 1e-9);
    EXPECT_TRUE(std::isfinite(fast.total));  // tag 0 is always allowed
  }
}

TEST(TagDecoding, BeatsGreedyWhenTheFirstChoiceLeadsNowhere) {
  // Two tags. Greedy takes tag 1 for the first token (0.6); after it either tag has 0.5, so
  // that path has 0.3. After tag 0, tag 0 is certain: 0 then 0 has 0.4, the best.
  score_table table{2, 2, std::vector<double>(2 * 3 * 2, impossible)};
  const auto set = [&](std::size_t i, std::size_t previous, double p0, double p1) {
    table.values[(i * 3 + previous) * 2 + 0] = std::log(p0);
    table.values[(i * 3 + previous) * 2 + 1] = std::log(p1);
  };
  set(0, 2, 0.4, 0.6);
  set(1, 0, 1.0, 1e-300);
  set(1, 1, 0.5, 0.5);
  const decoded_tags best = best_tag_sequence(2, 2, table);
  EXPECT_EQ(best.tags, (std::vector<std::size_t>{0, 0}));
  EXPECT_NEAR(std::exp(best.total), 0.4, 1e-12);
  EXPECT_NEAR(std::exp(best.log_probability[0]), 0.4, 1e-12);
}

TEST(TagDecoding, EmptyAndImpossibleInputs) {
  const score_table none{0, 3, {}};
  EXPECT_TRUE(best_tag_sequence(0, 3, none).tags.empty());
  // Every transition forbidden: tag 0 everywhere, log-probability -infinity, no crash.
  const score_table blocked{3, 2, std::vector<double>(3 * 3 * 2, impossible)};
  const decoded_tags result = best_tag_sequence(3, 2, blocked);
  EXPECT_EQ(result.tags, (std::vector<std::size_t>{0, 0, 0}));
  EXPECT_EQ(result.total, impossible);
}

}  // namespace
}  // namespace frugal::harvest::detail
