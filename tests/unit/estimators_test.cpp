// The precision estimators on tiny hand-built sets whose every expected value is worked out in
// the comments (post-stratification: Cochran 1977 §5A.9; effective sample size: Korn & Graubard
// 1998).

#include "frugal/estimation/estimators.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "frugal/estimation/intervals.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "statistics/population_builder.hpp"

namespace frugal::estimation {
namespace {

using test_support::hand_row;
using test_support::test_population;

// Members a, b, c and z (z never votes), parent atleast:2.
//   r0..r3  a        (1 vote)
//   r4..r7  a b      (2 votes)
//   r8, r9  a b c    (3 votes)
//   r10     b        r11: nobody
// Set a (index 1) has N = 10 in strata N_1 = 4, N_2 = 4, N_3 = 2 (weights 0.4, 0.4, 0.2).
// The parent (index 0) is r4..r9: N_2 = 4, N_3 = 2. Set z (index 4) has no positives.
constexpr std::size_t parent = 0;
constexpr std::size_t set_a = 1;
constexpr std::size_t set_z = 4;

test_population make_population() {
  std::vector<hand_row> rows;
  for (std::size_t i = 0; i < 4; ++i) rows.push_back({test_support::numbered("r", i), "1000"});
  for (std::size_t i = 4; i < 8; ++i) rows.push_back({test_support::numbered("r", i), "1100"});
  for (std::size_t i = 8; i < 10; ++i) rows.push_back({test_support::numbered("r", i), "1110"});
  rows.push_back({"r10", "0100"});
  rows.push_back({"r11", "0000"});
  return test_population(test_support::csv_from_rows({"a", "b", "c", "z"}, rows),
                         sampling::ensemble_rule::parse("atleast:2"));
}

// Labels by row: -1 unlabelled everywhere except the given (row, label) pairs.
std::vector<std::int8_t> labels(std::initializer_list<std::pair<int, int>> given) {
  std::vector<std::int8_t> by_row(12, -1);
  for (const auto& [row, label] : given) by_row[row] = static_cast<std::int8_t>(label);
  return by_row;
}

estimate_settings settings_for(estimator_kind estimator,
                               interval_method interval = interval_method::wilson) {
  estimate_settings settings;
  settings.estimator = estimator;
  settings.interval = interval;
  settings.confidence_level = 0.95;
  return settings;
}

constexpr double tight = 1e-12;

TEST(estimators, names_round_trip) {
  EXPECT_EQ(to_string(estimator_kind::sample_proportion), "sample-proportion");
  EXPECT_EQ(to_string(estimator_kind::post_stratified), "post-stratified");
  EXPECT_EQ(parse_estimator("sample-proportion"), estimator_kind::sample_proportion);
  EXPECT_EQ(parse_estimator("post-stratified"), estimator_kind::post_stratified);
  EXPECT_FALSE(parse_estimator("ht").has_value());
  EXPECT_FALSE(parse_estimator("").has_value());
}

TEST(estimators, population_strata_as_described) {
  const test_population population = make_population();
  const auto& items = population.items();
  EXPECT_EQ(items.positives(set_a), 10u);
  EXPECT_EQ(items.stratum_size(set_a, 1), 4u);
  EXPECT_EQ(items.stratum_size(set_a, 2), 4u);
  EXPECT_EQ(items.stratum_size(set_a, 3), 2u);
  EXPECT_EQ(items.positives(parent), 6u);
  EXPECT_EQ(items.positives(set_z), 0u);
}

// Sample r0 r1 | r4 r5 r6 | r8 with labels 0 1 | 1 0 0 | 1.
const std::vector<std::uint32_t> mixed_rows{0, 1, 4, 5, 6, 8};
std::vector<std::int8_t> mixed_labels() {
  return labels({{0, 0}, {1, 1}, {4, 1}, {5, 0}, {6, 0}, {8, 1}});
}

TEST(sample_proportion, is_x_over_n_with_the_interval_at_n) {
  const test_population population = make_population();
  const set_estimate result =
      estimate_precision(population.items(), set_a, mixed_rows, mixed_labels(),
                         settings_for(estimator_kind::sample_proportion));
  EXPECT_TRUE(result.defined);
  EXPECT_EQ(result.status, "ok");
  EXPECT_EQ(result.positives, 10u);
  EXPECT_EQ(result.sample_size, 6u);
  EXPECT_EQ(result.labelled, 6u);
  EXPECT_EQ(result.positives_labelled, 3u);
  EXPECT_DOUBLE_EQ(result.precision, 0.5);
  EXPECT_DOUBLE_EQ(result.effective_sample_size, 6.0);
  const proportion_interval expected =
      interval_for_proportion(interval_method::wilson, 3, 6, 10, 0.95);
  EXPECT_DOUBLE_EQ(result.interval.lower, expected.lower);
  EXPECT_DOUBLE_EQ(result.interval.upper, expected.upper);
  // Wilson with the finite-population correction, written out (mpmath): f = 4/9,
  // z^2 f = 1.707315, centre 0.5, half-width sqrt(z^2 f)/(1 + z^2 f/6) sqrt(0.25/6 + z^2 f/144)
  // = 0.235328908718060.
  EXPECT_NEAR(result.interval.lower, 0.264671091281940, 1e-12);
  EXPECT_NEAR(result.interval.upper, 0.735328908718060, 1e-12);
}

TEST(sample_proportion, counts_repeats_and_uses_the_chosen_interval) {
  // paper-resample can list a row twice: it counts twice.
  const test_population population = make_population();
  const std::vector<std::uint32_t> rows{0, 0, 4};
  const auto by_row = labels({{0, 0}, {4, 1}});
  const set_estimate result = estimate_precision(
      population.items(), set_a, rows, by_row,
      settings_for(estimator_kind::sample_proportion, interval_method::clopper_pearson));
  EXPECT_EQ(result.labelled, 3u);
  EXPECT_EQ(result.positives_labelled, 1u);
  EXPECT_DOUBLE_EQ(result.precision, 1.0 / 3.0);
  const proportion_interval expected =
      interval_for_proportion(interval_method::clopper_pearson, 1, 3, 10, 0.95);
  EXPECT_DOUBLE_EQ(result.interval.lower, expected.lower);
  EXPECT_DOUBLE_EQ(result.interval.upper, expected.upper);
}

TEST(post_stratified, weights_strata_by_their_share_of_the_set) {
  // Strata of a: 1 vote p = 1/2 (n = 2), 2 votes p = 1/3 (n = 3), 3 votes p = 1 (n = 1).
  // Estimate 0.4 (1/2) + 0.4 (1/3) + 0.2 (1) = 8/15 (the sample proportion is 1/2).
  // Variance sum W^2 s^2 / n_h with s^2 = p(1-p) n_h/(n_h - 1):
  //   0.16 * 0.5 / 2 = 0.04;  0.16 * (1/3) / 3 = 4/225;  the single label of stratum 3
  //   borrows the pooled p(1-p) = 1/4: 0.04 * 0.25 / 1 = 0.01.  v = 61/900.
  // n_eff = (8/15)(7/15) / (61/900) = 224/61 = 3.672 < n = 6.
  const test_population population = make_population();
  const set_estimate result =
      estimate_precision(population.items(), set_a, mixed_rows, mixed_labels(),
                         settings_for(estimator_kind::post_stratified));
  EXPECT_TRUE(result.defined);
  EXPECT_EQ(result.labelled, 6u);
  EXPECT_EQ(result.positives_labelled, 3u);
  EXPECT_NEAR(result.precision, 8.0 / 15.0, tight);
  EXPECT_NEAR(result.effective_sample_size, 224.0 / 61.0, 1e-12);
  const double n_eff = 224.0 / 61.0;
  const proportion_interval expected =
      interval_for_proportion(interval_method::wilson, 8.0 / 15.0 * n_eff, n_eff, 10, 0.95);
  EXPECT_NEAR(result.interval.lower, std::min(expected.lower, 8.0 / 15.0), tight);
  EXPECT_NEAR(result.interval.upper, std::max(expected.upper, 8.0 / 15.0), tight);
  EXPECT_LE(result.interval.lower, result.precision);
  EXPECT_GE(result.interval.upper, result.precision);
}

TEST(post_stratified, effective_sample_size_is_capped_at_the_labels) {
  // r0..r3 labelled 0 0 0 1 (stratum 1, p = 1/4), r8 r9 labelled 1 1 (stratum 3, p = 1).
  // Stratum 2 (N = 4) has no label and is equally far from 1 and 3: it joins the higher one,
  // making stratum 3' with N = 6, W = 0.6, p = 1.
  // Estimate 0.4 (1/4) + 0.6 (1) = 0.7. Variance 0.16 * (1/4)(3/4)(4/3) / 4 = 0.01 (+ 0).
  // n_eff = 0.7 * 0.3 / 0.01 = 21 > n = 6, so it is capped at 6.
  // Joining the lower stratum instead would give 0.8 (1/4) + 0.2 = 0.4.
  const test_population population = make_population();
  const std::vector<std::uint32_t> rows{0, 1, 2, 3, 8, 9};
  const auto by_row = labels({{0, 0}, {1, 0}, {2, 0}, {3, 1}, {8, 1}, {9, 1}});
  const set_estimate result = estimate_precision(population.items(), set_a, rows, by_row,
                                                 settings_for(estimator_kind::post_stratified));
  EXPECT_NEAR(result.precision, 0.7, tight);
  EXPECT_DOUBLE_EQ(result.effective_sample_size, 6.0);
  const proportion_interval expected =
      interval_for_proportion(interval_method::wilson, 0.7 * 6.0, 6.0, 10, 0.95);
  EXPECT_NEAR(result.interval.lower, expected.lower, tight);
  EXPECT_NEAR(result.interval.upper, expected.upper, tight);
  // The sample proportion of the same labels: 3 of 6.
  EXPECT_NEAR(estimate_precision(population.items(), set_a, rows, by_row,
                                 settings_for(estimator_kind::sample_proportion))
                  .precision,
              0.5, tight);
}

TEST(post_stratified, empty_stratum_joins_the_nearest_labelled_one) {
  // r0 r1 labelled 1 0 (stratum 1: p = 1/2), r4 r5 labelled 1 1 (stratum 2: p = 1). Stratum 3
  // (N = 2) has no label and joins stratum 2, the nearest: W = 0.6.
  // Estimate 0.4 (1/2) + 0.6 (1) = 0.8. (Dropping it and renormalising would give 0.75.)
  const test_population population = make_population();
  const std::vector<std::uint32_t> rows{0, 1, 4, 5};
  const auto by_row = labels({{0, 1}, {1, 0}, {4, 1}, {5, 1}});
  const set_estimate result = estimate_precision(population.items(), set_a, rows, by_row,
                                                 settings_for(estimator_kind::post_stratified));
  EXPECT_NEAR(result.precision, 0.8, tight);
  // Variance 0.16 * (1/2)(1/2)(2) / 2 = 0.04 (+ 0 for p = 1): n_eff = 0.16 / 0.04 = 4 = n.
  EXPECT_NEAR(result.effective_sample_size, 4.0, 1e-12);

  // Only stratum 3 labelled: every stratum joins it and the estimate is its proportion.
  const std::vector<std::uint32_t> top_rows{8, 9};
  const auto top_labels = labels({{8, 1}, {9, 0}});
  EXPECT_NEAR(estimate_precision(population.items(), set_a, top_rows, top_labels,
                                 settings_for(estimator_kind::post_stratified))
                  .precision,
              0.5, tight);
}

TEST(post_stratified, equals_the_sample_proportion_under_proportional_allocation) {
  // 2 of 4, 2 of 4, 1 of 2: the sample is self-weighting, so both estimators agree.
  const test_population population = make_population();
  const std::vector<std::uint32_t> rows{0, 1, 4, 5, 8};
  const auto by_row = labels({{0, 0}, {1, 1}, {4, 1}, {5, 1}, {8, 0}});
  const set_estimate stratified = estimate_precision(population.items(), set_a, rows, by_row,
                                                     settings_for(estimator_kind::post_stratified));
  const set_estimate proportion = estimate_precision(
      population.items(), set_a, rows, by_row, settings_for(estimator_kind::sample_proportion));
  EXPECT_NEAR(stratified.precision, 0.6, tight);
  EXPECT_NEAR(proportion.precision, 0.6, tight);
}

TEST(post_stratified, parent_strata_are_its_vote_counts) {
  // Parent r4..r9: stratum 2 (N = 4) and stratum 3 (N = 2). r4 r5 r6 labelled 1 0 0 (p = 1/3),
  // r8 labelled 1 (p = 1): estimate (4/6)(1/3) + (2/6)(1) = 5/9; the sample proportion is 1/2.
  const test_population population = make_population();
  const std::vector<std::uint32_t> rows{4, 5, 6, 8};
  const auto by_row = labels({{4, 1}, {5, 0}, {6, 0}, {8, 1}});
  EXPECT_NEAR(estimate_precision(population.items(), parent, rows, by_row,
                                 settings_for(estimator_kind::post_stratified))
                  .precision,
              5.0 / 9.0, tight);
  EXPECT_NEAR(estimate_precision(population.items(), parent, rows, by_row,
                                 settings_for(estimator_kind::sample_proportion))
                  .precision,
              0.5, tight);
}

TEST(estimators, census_gives_the_exact_precision) {
  // Every positive of a labelled: strata 3/4, 3/4, 1, so both estimators give 0.8.
  const test_population population = make_population();
  std::vector<std::uint32_t> rows;
  for (std::uint32_t row = 0; row < 10; ++row) rows.push_back(row);
  const auto by_row =
      labels({{0, 1}, {1, 1}, {2, 0}, {3, 1}, {4, 1}, {5, 0}, {6, 1}, {7, 1}, {8, 1}, {9, 1}});
  const set_estimate proportion = estimate_precision(
      population.items(), set_a, rows, by_row, settings_for(estimator_kind::sample_proportion));
  EXPECT_NEAR(proportion.precision, 0.8, tight);
  EXPECT_EQ(proportion.interval.lower, 0.8);  // a census: the interval is the point
  EXPECT_EQ(proportion.interval.upper, 0.8);
  const set_estimate stratified = estimate_precision(population.items(), set_a, rows, by_row,
                                                     settings_for(estimator_kind::post_stratified));
  EXPECT_NEAR(stratified.precision, 0.8, tight);
  // The documented variance sum W_h^2 s_h^2 / n_h has no within-stratum finite-population
  // correction: 0.16 (1/4)/4 twice = 0.02, n_eff = 0.16 / 0.02 = 8 of 10, so even a census gets
  // an interval (Wilson at 6.4 of 8 from N = 10) rather than the point. Conservative, as
  // documented; recorded here so that a change to it is deliberate.
  EXPECT_NEAR(stratified.effective_sample_size, 8.0, 1e-12);
  const proportion_interval expected =
      interval_for_proportion(interval_method::wilson, 6.4, 8.0, 10, 0.95);
  EXPECT_NEAR(stratified.interval.lower, expected.lower, tight);
  EXPECT_NEAR(stratified.interval.upper, expected.upper, tight);
  EXPECT_LT(stratified.interval.lower, 0.8);
}

TEST(estimators, unlabelled_and_tied_rows_are_left_out) {
  // The mixed sample plus r2 unlabelled (-1) and r3 tied between annotators (2).
  const test_population population = make_population();
  std::vector<std::uint32_t> rows = mixed_rows;
  rows.push_back(2);
  rows.push_back(3);
  auto by_row = mixed_labels();
  by_row[2] = -1;
  by_row[3] = 2;
  for (const estimator_kind estimator :
       {estimator_kind::sample_proportion, estimator_kind::post_stratified}) {
    const set_estimate with_extra =
        estimate_precision(population.items(), set_a, rows, by_row, settings_for(estimator));
    const set_estimate without = estimate_precision(population.items(), set_a, mixed_rows,
                                                    mixed_labels(), settings_for(estimator));
    EXPECT_EQ(with_extra.sample_size, 8u);
    EXPECT_EQ(with_extra.labelled, 6u);
    EXPECT_EQ(with_extra.positives_labelled, 3u);
    EXPECT_DOUBLE_EQ(with_extra.precision, without.precision) << to_string(estimator);
    EXPECT_DOUBLE_EQ(with_extra.interval.lower, without.interval.lower);
    EXPECT_DOUBLE_EQ(with_extra.interval.upper, without.interval.upper);
  }
}

TEST(estimators, undefined_without_positives_or_labels) {
  const test_population population = make_population();
  for (const estimator_kind estimator :
       {estimator_kind::sample_proportion, estimator_kind::post_stratified}) {
    SCOPED_TRACE(to_string(estimator));
    const set_estimate no_positives =
        estimate_precision(population.items(), set_z, {}, labels({}), settings_for(estimator));
    EXPECT_FALSE(no_positives.defined);
    EXPECT_EQ(no_positives.status, "no positives");
    EXPECT_EQ(no_positives.positives, 0u);
    EXPECT_EQ(no_positives.interval.lower, 0.0);
    EXPECT_EQ(no_positives.interval.upper, 1.0);

    const std::vector<std::uint32_t> rows{0, 4, 8};
    const set_estimate no_labels =
        estimate_precision(population.items(), set_a, rows, labels({}), settings_for(estimator));
    EXPECT_FALSE(no_labels.defined);
    EXPECT_EQ(no_labels.status, "no labels");
    EXPECT_EQ(no_labels.positives, 10u);
    EXPECT_EQ(no_labels.sample_size, 3u);
    EXPECT_EQ(no_labels.labelled, 0u);
    EXPECT_EQ(no_labels.interval.lower, 0.0);
    EXPECT_EQ(no_labels.interval.upper, 1.0);

    // Only ties: no labels either.
    const set_estimate only_ties = estimate_precision(
        population.items(), set_a, rows, labels({{0, 2}, {4, 2}, {8, 2}}), settings_for(estimator));
    EXPECT_FALSE(only_ties.defined);
    EXPECT_EQ(only_ties.status, "no labels");

    const set_estimate empty_sample =
        estimate_precision(population.items(), set_a, {}, labels({}), settings_for(estimator));
    EXPECT_FALSE(empty_sample.defined);
    EXPECT_EQ(empty_sample.status, "no labels");
  }
}

}  // namespace
}  // namespace frugal::estimation
