// The betting confidence sequence for sampling without replacement
// (frugal/estimation/confidence_sequence.hpp): properties that can be checked by hand, and a
// brute-force reference that evaluates both capital processes for EVERY candidate count M straight
// from the header's formulas and compares the hull of the surviving counts with the class's
// [lower, upper] after every item. All runs use fixed seeds; every comparison is exact (integer
// counts) unless a tolerance is stated beside it.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/estimation/confidence_sequence.hpp"

namespace frugal::estimation {
namespace {

// A population of `population` values with exactly `ones` ones, in a random order.
std::vector<bool> shuffled_population(std::size_t population, std::size_t ones,
                                      std::uint64_t seed) {
  std::vector<bool> values(population, false);
  std::fill(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(ones), true);
  std::mt19937_64 random(seed);
  std::shuffle(values.begin(), values.end(), random);
  return values;
}

betting_settings settings_with(double confidence, double margin, double truncation = 0.5) {
  betting_settings settings;
  settings.confidence_level = confidence;
  settings.target_margin = margin;
  settings.truncation = truncation;
  return settings;
}

// ---------------------------------------------------------------------------------------------
// The reference: a direct transcription of the header's definitions, O(N t) per item.
//   m_i(M) = (M - S_{i-1}) / (N - i + 1)
//   lambda_i = margin / sigma^2_{i-1},  sigma^2_{i-1} = (1/4 + sum_{j<i} (X_j - mu_j)^2) / i,
//   mu_j = (1/2 + S_j) / (j + 1)
//   K+ factor 1 + min(lambda_i, c / m_i) (X_i - m_i);  K- factor 1 - min(lambda_i, c / (1 - m_i))
//   (X_i - m_i); M is rejected once max_{i<=t} log K >= log(2 / alpha) for either gambler.
// Only counts still possible after t items (S_t <= M <= S_t + N - t) are candidates; for them
// m_i lies in [0, 1] and a bet against m_i = 0 (or 1) multiplies the capital by exactly 1.
class reference_sequence {
 public:
  reference_sequence(std::size_t population, betting_settings settings)
      : population_(population), settings_(settings) {}

  void add(bool value) {
    const std::size_t i = values_.size() + 1;  // 1-based step of this item
    double squares = 0.25;
    std::size_t sum = 0;
    for (std::size_t j = 1; j < i; ++j) {
      sum += values_[j - 1] ? 1 : 0;
      const double mu = (0.5 + static_cast<double>(sum)) / static_cast<double>(j + 1);
      const double deviation = (values_[j - 1] ? 1.0 : 0.0) - mu;
      squares += deviation * deviation;
    }
    const double variance = squares / static_cast<double>(i);
    lambdas_.push_back(settings_.target_margin / variance);
    values_.push_back(value);
  }

  // Every surviving count, ascending.
  std::vector<std::size_t> survivors() const {
    const double threshold = std::log(2.0 / (1.0 - settings_.confidence_level));
    std::size_t successes = 0;
    for (const bool value : values_) successes += value ? 1 : 0;
    const std::size_t seen = values_.size();
    std::vector<std::size_t> alive;
    for (std::size_t count = successes; count <= successes + (population_ - seen); ++count) {
      double plus = 0.0, minus = 0.0, plus_peak = 0.0, minus_peak = 0.0;
      std::size_t sum_before = 0;
      for (std::size_t i = 1; i <= seen; ++i) {
        const double mean = (static_cast<double>(count) - static_cast<double>(sum_before)) /
                            static_cast<double>(population_ - i + 1);
        const double x = values_[i - 1] ? 1.0 : 0.0;
        const double lambda = lambdas_[i - 1];
        // c / 0 is +infinity, so min() falls back to lambda; the factor is then 1 anyway.
        const double bet_up = std::min(lambda, settings_.truncation / mean);
        const double bet_down = std::min(lambda, settings_.truncation / (1.0 - mean));
        plus += std::log(1.0 + bet_up * (x - mean));
        minus += std::log(1.0 - bet_down * (x - mean));
        plus_peak = std::max(plus_peak, plus);
        minus_peak = std::max(minus_peak, minus);
        sum_before += values_[i - 1] ? 1 : 0;
      }
      if (plus_peak < threshold && minus_peak < threshold) alive.push_back(count);
    }
    return alive;
  }

 private:
  std::size_t population_;
  betting_settings settings_;
  std::vector<bool> values_;
  std::vector<double> lambdas_;
};

// Feeds `values` to the class and to the reference and compares after every item. Returns
// whether the sequence was contradicted (every count rejected) at some point.
bool compare_with_reference(const std::vector<bool>& values, betting_settings settings) {
  const std::size_t population = values.size();
  betting_confidence_sequence sequence(population, settings);
  reference_sequence reference(population, settings);
  std::optional<std::size_t> contradicted_at;
  std::size_t last_lower = 0, last_upper = population;
  for (std::size_t t = 0; t < values.size(); ++t) {
    sequence.add(values[t]);
    reference.add(values[t]);
    SCOPED_TRACE(::testing::Message() << "after item " << t + 1 << " of " << population);
    if (contradicted_at) {
      // Stays frozen once contradicted.
      EXPECT_TRUE(sequence.contradicted());
      EXPECT_EQ(sequence.lower_count(), last_lower);
      EXPECT_EQ(sequence.upper_count(), last_upper);
      continue;
    }
    const std::vector<std::size_t> alive = reference.survivors();
    if (alive.empty()) {
      // The header: "the interval then stays as it was before the contradicting item".
      contradicted_at = t + 1;
      EXPECT_TRUE(sequence.contradicted());
      EXPECT_EQ(sequence.lower_count(), last_lower);
      EXPECT_EQ(sequence.upper_count(), last_upper);
      continue;
    }
    // The survivors form an interval (the header's monotonicity argument)...
    EXPECT_EQ(alive.back() - alive.front() + 1, alive.size());
    // ... and the class reports exactly its ends.
    EXPECT_FALSE(sequence.contradicted());
    EXPECT_EQ(sequence.lower_count(), alive.front());
    EXPECT_EQ(sequence.upper_count(), alive.back());
    last_lower = sequence.lower_count();
    last_upper = sequence.upper_count();
    if (::testing::Test::HasFailure()) return contradicted_at.has_value();  // one report is enough
  }
  return contradicted_at.has_value();
}

TEST(confidence_sequence, matches_brute_force_reference_on_random_shuffles) {
  struct scenario {
    std::size_t population;
    std::size_t ones;
    double confidence;
    double margin;
    std::uint64_t seed;
  };
  const scenario scenarios[] = {
      {30, 15, 0.95, 0.05, 1}, {30, 27, 0.95, 0.05, 2}, {40, 20, 0.95, 0.1, 3},
      {45, 40, 0.95, 0.05, 4}, {50, 5, 0.95, 0.2, 5},   {60, 30, 0.9, 0.05, 6},
      {60, 57, 0.95, 0.03, 7}, {60, 60, 0.95, 0.05, 8}, {60, 0, 0.95, 0.05, 9},
      {55, 44, 0.99, 0.1, 10}, {33, 1, 0.8, 0.05, 11},  {48, 24, 0.95, 0.5, 12},
  };
  for (const scenario& s : scenarios) {
    SCOPED_TRACE(::testing::Message() << "N=" << s.population << " M=" << s.ones
                                      << " confidence=" << s.confidence << " margin=" << s.margin);
    compare_with_reference(shuffled_population(s.population, s.ones, s.seed),
                           settings_with(s.confidence, s.margin));
    if (HasFailure()) return;
  }
}

TEST(confidence_sequence, matches_brute_force_reference_on_other_truncations) {
  for (const double truncation : {0.25, 0.75, 0.9}) {
    SCOPED_TRACE(::testing::Message() << "truncation " << truncation);
    compare_with_reference(shuffled_population(50, 35, 21), settings_with(0.95, 0.05, truncation));
    if (HasFailure()) return;
  }
}

// Orders that are very unlikely under random sampling drive every count out of the sequence; the
// reference finds the item where that happens and the class must report it and keep its interval
// from before that item (the header's contract).
TEST(confidence_sequence, matches_brute_force_reference_when_contradicted) {
  std::vector<bool> ones_then_zeros(40, false);
  std::fill(ones_then_zeros.begin(), ones_then_zeros.begin() + 30, true);
  EXPECT_TRUE(compare_with_reference(ones_then_zeros, settings_with(0.95, 0.05)))
      << "expected 30 ones then 10 zeros to reject every count";
  std::vector<bool> zeros_then_ones(40, true);
  std::fill(zeros_then_ones.begin(), zeros_then_ones.begin() + 30, false);
  EXPECT_TRUE(compare_with_reference(zeros_then_ones, settings_with(0.95, 0.05)))
      << "expected 30 zeros then 10 ones to reject every count";
}

// Sticky orders (a Markov chain that keeps its last value with probability 0.9) are far from
// exchangeable, so many of them end in a contradiction, reached from either end. 300 sequences of
// 12 to 30 items; the class must agree with the reference before, at and after the contradiction.
TEST(confidence_sequence, matches_brute_force_reference_on_sticky_orders) {
  std::mt19937_64 random(99);
  std::size_t contradicted = 0;
  for (int sequence = 0; sequence < 300; ++sequence) {
    const std::size_t population = 12 + random() % 19;
    std::vector<bool> values(population);
    bool value = random() % 2 == 1;
    for (std::size_t t = 0; t < population; ++t) {
      if (std::uniform_real_distribution<double>(0, 1)(random) > 0.9) value = !value;
      values[t] = value;
    }
    SCOPED_TRACE(::testing::Message()
                 << "sticky sequence " << sequence << " (N=" << population << ")");
    contradicted += compare_with_reference(values, settings_with(0.9, 0.1)) ? 1 : 0;
    if (HasFailure()) return;
  }
  EXPECT_GT(contradicted, 10u) << "the sticky orders should contradict the sequence often";
}

TEST(confidence_sequence, is_the_unit_interval_before_any_item) {
  const betting_confidence_sequence sequence(100, betting_settings{});
  EXPECT_EQ(sequence.observed(), 0u);
  EXPECT_EQ(sequence.lower_count(), 0u);
  EXPECT_EQ(sequence.upper_count(), 100u);
  EXPECT_EQ(sequence.interval().lower, 0.0);
  EXPECT_EQ(sequence.interval().upper, 1.0);
  EXPECT_EQ(sequence.half_width(), 0.5);
  EXPECT_EQ(sequence.estimate(), 0.5);
  EXPECT_FALSE(sequence.contradicted());
}

// Over a long run the running intersection only shrinks, the ends stay feasible, and after the
// last item the interval is the exact share.
TEST(confidence_sequence, bounds_are_monotone_feasible_and_end_at_the_truth) {
  for (const auto& [population, ones, seed] :
       {std::tuple<std::size_t, std::size_t, std::uint64_t>{2000, 1400, 31},
        std::tuple<std::size_t, std::size_t, std::uint64_t>{1500, 1450, 32},
        std::tuple<std::size_t, std::size_t, std::uint64_t>{777, 300, 33}}) {
    SCOPED_TRACE(::testing::Message() << "N=" << population << " M=" << ones);
    const std::vector<bool> values = shuffled_population(population, ones, seed);
    betting_confidence_sequence sequence(population, settings_with(0.95, 0.05));
    std::size_t lower = 0, upper = population, successes = 0;
    for (std::size_t t = 1; t <= population; ++t) {
      sequence.add(values[t - 1]);
      successes += values[t - 1] ? 1 : 0;
      ASSERT_EQ(sequence.observed(), t);
      ASSERT_EQ(sequence.successes(), successes);
      ASSERT_FALSE(sequence.contradicted()) << "at " << t;
      ASSERT_GE(sequence.lower_count(), lower) << "lower end went down at " << t;
      ASSERT_LE(sequence.upper_count(), upper) << "upper end went up at " << t;
      ASSERT_LE(sequence.lower_count(), sequence.upper_count()) << "at " << t;
      // Feasibility: at least the ones seen, at most those plus every item not yet seen.
      ASSERT_GE(sequence.lower_count(), successes) << "at " << t;
      ASSERT_LE(sequence.upper_count(), successes + (population - t)) << "at " << t;
      const proportion_interval interval = sequence.interval();
      ASSERT_DOUBLE_EQ(interval.lower, static_cast<double>(sequence.lower_count()) /
                                           static_cast<double>(population));
      ASSERT_DOUBLE_EQ(interval.upper, static_cast<double>(sequence.upper_count()) /
                                           static_cast<double>(population));
      ASSERT_GE(sequence.estimate(), interval.lower);
      ASSERT_LE(sequence.estimate(), interval.upper);
      lower = sequence.lower_count();
      upper = sequence.upper_count();
    }
    EXPECT_EQ(sequence.lower_count(), ones);
    EXPECT_EQ(sequence.upper_count(), ones);
    EXPECT_EQ(sequence.half_width(), 0.0);
    EXPECT_DOUBLE_EQ(sequence.estimate(),
                     static_cast<double>(ones) / static_cast<double>(population));
  }
}

// The number of items until the half-width first reaches `margin`.
std::size_t items_to_reach(const std::vector<bool>& values, double margin) {
  betting_confidence_sequence sequence(values.size(), settings_with(0.95, margin));
  for (const bool value : values) {
    sequence.add(value);
    if (sequence.half_width() <= margin) break;
  }
  return sequence.observed();
}

// Bernoulli variance 0.95 * 0.05 is a fifth of 0.25: at the same N the interval must narrow much
// faster near 0.95. Required: at least 1.5 times fewer items, on each of 5 seeds (a Wilson-type
// ratio would be about 4; the betting sequence's ratio is smaller but far above 1.5).
TEST(confidence_sequence, narrows_faster_near_the_edge_than_in_the_middle) {
  constexpr std::size_t population = 3000;
  for (std::uint64_t seed = 41; seed < 46; ++seed) {
    const std::size_t middle = items_to_reach(shuffled_population(population, 1500, seed), 0.05);
    const std::size_t edge = items_to_reach(shuffled_population(population, 2850, seed), 0.05);
    SCOPED_TRACE(::testing::Message()
                 << "seed " << seed << ": p=0.5 needs " << middle << ", p=0.95 needs " << edge);
    EXPECT_LT(middle, population);
    EXPECT_LT(1.5 * static_cast<double>(edge), static_cast<double>(middle));
    // Same comparison at a fixed time: the width after 200 items.
    betting_confidence_sequence at_middle(population, settings_with(0.95, 0.05));
    betting_confidence_sequence at_edge(population, settings_with(0.95, 0.05));
    const std::vector<bool> middle_values = shuffled_population(population, 1500, seed);
    const std::vector<bool> edge_values = shuffled_population(population, 2850, seed);
    for (std::size_t t = 0; t < 200; ++t) {
      at_middle.add(middle_values[t]);
      at_edge.add(edge_values[t]);
    }
    EXPECT_LT(at_edge.half_width(), at_middle.half_width());
  }
}

TEST(confidence_sequence, rejects_bad_settings) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(betting_confidence_sequence(0, betting_settings{}), input_error);
  for (const double confidence : {0.0, 1.0, -0.5, 1.5, nan})
    EXPECT_THROW(betting_confidence_sequence(10, settings_with(confidence, 0.05)), input_error)
        << "confidence " << confidence;
  for (const double margin : {0.0, 1.0, -0.1, 2.0, nan})
    EXPECT_THROW(betting_confidence_sequence(10, settings_with(0.95, margin)), input_error)
        << "margin " << margin;
  for (const double truncation : {0.0, 1.0, -1.0, 1.5, nan})
    EXPECT_THROW(betting_confidence_sequence(10, settings_with(0.95, 0.05, truncation)),
                 input_error)
        << "truncation " << truncation;
  EXPECT_NO_THROW(betting_confidence_sequence(1, settings_with(0.5, 0.5, 0.5)));
}

TEST(confidence_sequence, refuses_more_items_than_the_population) {
  betting_confidence_sequence sequence(3, betting_settings{});
  sequence.add(true);
  sequence.add(false);
  sequence.add(true);
  EXPECT_EQ(sequence.lower_count(), 2u);
  EXPECT_EQ(sequence.upper_count(), 2u);
  EXPECT_THROW(sequence.add(true), std::logic_error);
  EXPECT_THROW(sequence.add(false), std::logic_error);
  EXPECT_EQ(sequence.observed(), 3u);
  EXPECT_EQ(sequence.lower_count(), 2u);

  betting_confidence_sequence single(1, betting_settings{});
  single.add(false);
  EXPECT_EQ(single.interval().lower, 0.0);
  EXPECT_EQ(single.interval().upper, 0.0);
  EXPECT_THROW(single.add(false), std::logic_error);
}

}  // namespace
}  // namespace frugal::estimation
