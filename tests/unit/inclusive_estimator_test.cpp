// The inclusive estimators for coordinated plans (rank conditioning: Cohen & Kaplan, PODC 2007;
// Cohen, Kaplan & Sen, PVLDB 2009) on a hand-built sample whose every inclusion probability,
// estimate and variance is worked out in the comments, and the inclusion probabilities of real
// coordinated draws against a brute-force reference computed from the priorities themselves.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/estimation/estimators.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/priority.hpp"
#include "statistics/population_builder.hpp"

namespace frugal::estimation {
namespace {

using sampling::design_kind;
using sampling::drawn_sample;
using test_support::hand_row;
using test_support::test_population;

// The population of estimators_test.cpp: members a, b, c and z (z never votes), parent atleast:2.
//   r0..r3  a        (1 vote)
//   r4..r7  a b      (2 votes)
//   r8, r9  a b c    (3 votes)
//   r10     b        r11: nobody
// Sets: 0 parent r4..r9 (N = 6); 1 a r0..r9 (N = 10; strata N_1 = 4, N_2 = 4, N_3 = 2);
// 2 b r4..r10 (N = 7); 3 c r8, r9 (N = 2); 4 z (empty).
constexpr std::size_t parent = 0;
constexpr std::size_t set_a = 1;
constexpr std::size_t set_b = 2;
constexpr std::size_t set_c = 3;
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

// The key whose priority_value is exactly `value` (a multiple of 2^-53).
std::uint64_t key_of(double value) {
  return static_cast<std::uint64_t>(value * 0x1.0p53) << 11;
}

// A coordinated sample that permanent priorities
//   u_0 = .05, u_1 = .1, u_3 = .125, u_4 = .2, u_8 = .25, u_5 = .5, u_9 = .7, u_10 = .9,
//   the others of r2, r6, r7 above .5,
// give for the sizes n = (2, 2, 1, 2, 0):
//   parent r4..r9: {r4 .2, r8 .25}, next r5 .5          -> tau_P = 0.5
//   a      r0..r9: {r0 .05, r1 .1}, next r3 .125        -> tau_a = 0.125
//   b     r4..r10: {r4 .2},         next r8 .25         -> tau_b = 0.25
//   c      r8, r9: {r8, r9}, taken whole, no next       -> tau_c = 1
//   z: empty.
// Inclusion probabilities, pi_i = max of tau_m over the samples holding i:
//   r0 .125 (a), r1 .125 (a), r4 max(.5, .25) = .5 (parent, b), r8 max(.5, 1) = 1 (parent, c),
//   r9 1 (c). The union is {r0, r1, r4, r8, r9}.
drawn_sample hand_sample() {
  drawn_sample sample;
  sample.design = design_kind::coordinated;
  sample.sets.resize(5);
  sample.sets[parent].rows = {4, 8};
  sample.sets[parent].threshold_key = key_of(0.25);
  sample.sets[parent].next_key = key_of(0.5);
  sample.sets[set_a].rows = {0, 1};
  sample.sets[set_a].threshold_key = key_of(0.1);
  sample.sets[set_a].next_key = key_of(0.125);
  sample.sets[set_b].rows = {4};
  sample.sets[set_b].threshold_key = key_of(0.2);
  sample.sets[set_b].next_key = key_of(0.25);
  sample.sets[set_c].rows = {8, 9};
  sample.sets[set_c].threshold_key = key_of(0.7);
  sample.queue = {0, 1, 4, 8, 9};
  return sample;
}

// Labels by row: -1 unlabelled everywhere except the given (row, label) pairs.
std::vector<std::int8_t> labels(std::initializer_list<std::pair<int, int>> given) {
  std::vector<std::int8_t> by_row(12, -1);
  for (const auto& [row, label] : given) by_row[row] = static_cast<std::int8_t>(label);
  return by_row;
}

// The union labelled y0 = 1, y1 = 0, y4 = 1, y8 = 1, y9 = 0, plus r5 = 1 and r10 = 0, which
// are labelled but in no sample: they must be ignored.
std::vector<std::int8_t> hand_labels() {
  return labels({{0, 1}, {1, 0}, {4, 1}, {8, 1}, {9, 0}, {5, 1}, {10, 0}});
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

void expect_interval_at(const set_estimate& result, double estimate, double effective,
                        std::size_t population) {
  const proportion_interval expected = interval_for_proportion(
      interval_method::wilson, estimate * effective, effective, population, 0.95);
  EXPECT_NEAR(result.interval.lower, std::min(expected.lower, estimate), tight);
  EXPECT_NEAR(result.interval.upper, std::max(expected.upper, estimate), tight);
  EXPECT_LE(result.interval.lower, result.precision);
  EXPECT_GE(result.interval.upper, result.precision);
}

TEST(inclusive_estimators, names_round_trip) {
  EXPECT_EQ(to_string(estimator_kind::inclusive_hajek), "inclusive-hajek");
  EXPECT_EQ(to_string(estimator_kind::inclusive_post_stratified), "inclusive-post-stratified");
  EXPECT_EQ(parse_estimator("inclusive-hajek"), estimator_kind::inclusive_hajek);
  EXPECT_EQ(parse_estimator("inclusive-post-stratified"),
            estimator_kind::inclusive_post_stratified);
  EXPECT_FALSE(parse_estimator("inclusive").has_value());
  EXPECT_TRUE(is_inclusive(estimator_kind::inclusive_hajek));
  EXPECT_TRUE(is_inclusive(estimator_kind::inclusive_post_stratified));
  EXPECT_FALSE(is_inclusive(estimator_kind::sample_proportion));
  EXPECT_FALSE(is_inclusive(estimator_kind::post_stratified));
}

TEST(rank_conditioning_inclusion, is_the_largest_threshold_of_the_samples_holding_the_item) {
  const test_population population = make_population();
  const std::vector<union_item> union_items =
      rank_conditioning_inclusion(population.items(), hand_sample());
  const std::vector<std::pair<std::uint32_t, double>> expected{
      {0, 0.125}, {1, 0.125}, {4, 0.5}, {8, 1.0}, {9, 1.0}};
  ASSERT_EQ(union_items.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(union_items[i].row, expected[i].first);
    EXPECT_EQ(union_items[i].inclusion_probability, expected[i].second)
        << "row " << expected[i].first;
  }
}

TEST(inclusive_hajek, weights_every_labelled_union_item_of_the_set) {
  // Set a: r0 (pi .125, y 1), r1 (.125, 0), r4 (.5, 1), r8 (1, 1), r9 (1, 0); r8 and r9 were
  // sampled for the parent and c only. Weights 1/pi = 8, 8, 2, 1, 1, sum 20; sum y/pi = 11:
  // p = 11/20 = 0.55 (the own sample r0, r1 alone gives 1/2).
  // Variance: (1 - pi)/pi^2 = 56, 56, 2, 0, 0; (y - p)^2 = .2025, .3025, .2025, ., .:
  //   56 (.2025) + 56 (.3025) + 2 (.2025) = 11.34 + 16.94 + 0.405 = 28.685; v = 28.685 / 20^2
  //   = 0.0717125. The variance carries the finite-population correction, so the effective
  //   size is the n at which an SRS from N = 10 has it: N q / (v (N - 1) + q), q = .55 (.45):
  //   2.475 / (0.6454125 + 0.2475) = 2.771828 < 5 items used (q / v = 3.45 would count the
  //   correction twice).
  const test_population population = make_population();
  const set_estimate result =
      estimate_from_sample(population.items(), set_a, hand_sample(), hand_labels(),
                           settings_for(estimator_kind::inclusive_hajek));
  EXPECT_TRUE(result.defined);
  EXPECT_EQ(result.status, "ok");
  EXPECT_EQ(result.positives, 10u);
  EXPECT_EQ(result.sample_size, 2u);  // a's own sample
  EXPECT_EQ(result.labelled, 5u);     // the union's labelled positives of a
  EXPECT_EQ(result.positives_labelled, 3u);
  EXPECT_NEAR(result.precision, 0.55, tight);
  const double variance = 28.685 / 400.0;
  const double effective = 10 * 0.55 * 0.45 / (variance * 9 + 0.55 * 0.45);
  EXPECT_NEAR(effective, 2.771828, 1e-6);
  EXPECT_NEAR(result.effective_sample_size, effective, 1e-9);
  expect_interval_at(result, 0.55, effective, 10);

  // The own-sample estimators see r0 and r1 only.
  EXPECT_NEAR(estimate_from_sample(population.items(), set_a, hand_sample(), hand_labels(),
                                   settings_for(estimator_kind::sample_proportion))
                  .precision,
              0.5, tight);
}

TEST(inclusive_hajek, capped_at_the_items_used_and_other_sets_labels_ignored) {
  // Set b (r4..r10): union items r4 (pi .5, y 1), r8 (1, 1), r9 (1, 0). r0 and r1 are in the
  // union but not positives of b; r10 is a positive of b, labelled, but in no sample.
  // Weights 2, 1, 1: p = 3/4. v = (.5/.25)(1/4)^2 / 4^2 = 0.125/16; with q = 3/16 and N = 7,
  // n_eff = 7 q / (6 v + q) = 5.6, capped at n = 3.
  const test_population population = make_population();
  const set_estimate result =
      estimate_from_sample(population.items(), set_b, hand_sample(), hand_labels(),
                           settings_for(estimator_kind::inclusive_hajek));
  EXPECT_EQ(result.positives, 7u);
  EXPECT_EQ(result.sample_size, 1u);
  EXPECT_EQ(result.labelled, 3u);
  EXPECT_EQ(result.positives_labelled, 2u);
  EXPECT_NEAR(result.precision, 0.75, tight);
  EXPECT_DOUBLE_EQ(result.effective_sample_size, 3.0);
  expect_interval_at(result, 0.75, 3.0, 7);

  // Flipping the labels of items outside b (r0, r1 in the union; r5, r11 nowhere) changes
  // nothing; flipping r10 (a positive of b outside the union) changes nothing either.
  auto flipped = hand_labels();
  flipped[0] = 0;
  flipped[1] = 1;
  flipped[5] = 0;
  flipped[10] = 1;
  flipped[11] = 1;
  for (const estimator_kind estimator :
       {estimator_kind::inclusive_hajek, estimator_kind::inclusive_post_stratified}) {
    const set_estimate original = estimate_from_sample(population.items(), set_b, hand_sample(),
                                                       hand_labels(), settings_for(estimator));
    const set_estimate other = estimate_from_sample(population.items(), set_b, hand_sample(),
                                                    flipped, settings_for(estimator));
    EXPECT_EQ(other.precision, original.precision) << to_string(estimator);
    EXPECT_EQ(other.labelled, original.labelled);
    EXPECT_EQ(other.interval.lower, original.interval.lower);
    EXPECT_EQ(other.interval.upper, original.interval.upper);
  }
  // While flipping r9, a union positive of b sampled only for c, does change it.
  auto flipped_member = hand_labels();
  flipped_member[9] = 1;
  EXPECT_NEAR(estimate_from_sample(population.items(), set_b, hand_sample(), flipped_member,
                                   settings_for(estimator_kind::inclusive_hajek))
                  .precision,
              1.0, tight);
}

TEST(inclusive_post_stratified, hajek_within_vote_strata_weighted_by_known_sizes) {
  // Set a, strata W_1 = .4, W_2 = .4, W_3 = .2.
  //   stratum 1: r0 (pi .125, y 1), r1 (.125, 0): p_1 = 8/16 = 1/2,
  //              v_1 = (56 (1/4) + 56 (1/4)) / 16^2 = 28/256 = 0.109375.
  //   stratum 2: r4 (.5, 1) alone: p_2 = 1; one item borrows the pooled Hajek p(1-p) = .2475:
  //              v_2 = (1 - .5) .2475 = 0.12375.
  //   stratum 3: r8 (1, 1), r9 (1, 0): p_3 = 1/2, v_3 = 0 (both certain).
  // p = .4 (1/2) + .4 (1) + .2 (1/2) = 0.7; v = .16 (.109375) + .16 (.12375) = 0.0373;
  // n_eff = 10 (.21) / (9 (.0373) + .21) = 2.1 / 0.5457 = 3.848 < 5 items used.
  const test_population population = make_population();
  const set_estimate result =
      estimate_from_sample(population.items(), set_a, hand_sample(), hand_labels(),
                           settings_for(estimator_kind::inclusive_post_stratified));
  EXPECT_TRUE(result.defined);
  EXPECT_EQ(result.labelled, 5u);
  EXPECT_EQ(result.positives_labelled, 3u);
  EXPECT_NEAR(result.precision, 0.7, tight);
  const double effective = 2.1 / (9 * 0.0373 + 0.21);
  EXPECT_NEAR(effective, 3.848268, 1e-6);
  EXPECT_NEAR(result.effective_sample_size, effective, 1e-9);
  expect_interval_at(result, 0.7, effective, 10);

  // Without r4's label stratum 2 (N = 4) has no item and is equally far from 1 and 3: it joins
  // the higher one, as post-stratified does. Stratum 3' has W = .6, p_3 = 1/2.
  // p = .4 (1/2) + .6 (1/2) = 1/2. v = .16 (28/256) + .36 (0) = 0.0175;
  // n_eff = 10 (.25) / (9 (.0175) + .25) = 6.13, capped at the 4 items used.
  auto without = hand_labels();
  without[4] = -1;
  const set_estimate merged =
      estimate_from_sample(population.items(), set_a, hand_sample(), without,
                           settings_for(estimator_kind::inclusive_post_stratified));
  EXPECT_EQ(merged.labelled, 4u);
  EXPECT_NEAR(merged.precision, 0.5, tight);
  EXPECT_DOUBLE_EQ(merged.effective_sample_size, 4.0);
}

TEST(inclusive_post_stratified, effective_size_below_the_items_used) {
  // Set a with r9 labelled 1 instead of 0: pooled Hajek p = (8 + 2 + 1 + 1)/20 = 0.6.
  //   stratum 1: p_1 = 1/2, v_1 = 0.109375 as before;
  //   stratum 2: r4 alone, p_2 = 1, v_2 = (1 - .5)(.6)(.4) = 0.12;
  //   stratum 3: r8, r9 both 1, p_3 = 1, v_3 = 0.
  // p = .4 (1/2) + .4 + .2 = 0.8; v = .16 (.109375) + .16 (.12) = 0.0367;
  // n_eff = 10 (.16) / (9 (.0367) + .16) = 3.2633 < 5 items used.
  const test_population population = make_population();
  auto by_row = hand_labels();
  by_row[9] = 1;
  const set_estimate result =
      estimate_from_sample(population.items(), set_a, hand_sample(), by_row,
                           settings_for(estimator_kind::inclusive_post_stratified));
  EXPECT_NEAR(result.precision, 0.8, tight);
  const double effective = 1.6 / (9 * 0.0367 + 0.16);
  EXPECT_NEAR(effective, 3.263308, 1e-6);
  EXPECT_NEAR(result.effective_sample_size, effective, 1e-9);
  EXPECT_LT(result.effective_sample_size, 5.0);
  expect_interval_at(result, 0.8, effective, 10);
}

TEST(inclusive_post_stratified, parent_strata_and_certain_labels) {
  // Parent (r4..r9): union positives r4 (pi .5, y 1), r8 (1, 1), r9 (1, 0) in strata 2 (N = 4,
  // W = 2/3) and 3 (N = 2, W = 1/3). Stratum 2: r4 alone, p_2 = 1, borrows the pooled Hajek
  // p = 3/4: v_2 = (1 - .5)(3/16) = 3/32. Stratum 3: p_3 = 1/2, v_3 = 0.
  // p = 2/3 + 1/6 = 5/6; v = (4/9)(3/32) = 1/24; with q = 5/36 and N = 6,
  // n_eff = 6 q / (5 v + q) = (5/6) / (25/72) = 2.4 < 3 items used.
  const test_population population = make_population();
  const set_estimate result =
      estimate_from_sample(population.items(), parent, hand_sample(), hand_labels(),
                           settings_for(estimator_kind::inclusive_post_stratified));
  EXPECT_NEAR(result.precision, 5.0 / 6.0, tight);
  EXPECT_NEAR(result.effective_sample_size, 2.4, 1e-12);
  expect_interval_at(result, 5.0 / 6.0, 2.4, 6);
  // Without r9's label every item is 1: p = 1, v = 0, n_eff = the 2 items used, and the
  // interval is not the point (2 labels of 6 positives).
  auto ones = hand_labels();
  ones[9] = -1;
  const set_estimate certain =
      estimate_from_sample(population.items(), parent, hand_sample(), ones,
                           settings_for(estimator_kind::inclusive_post_stratified));
  EXPECT_NEAR(certain.precision, 1.0, tight);
  EXPECT_DOUBLE_EQ(certain.effective_sample_size, 2.0);
  EXPECT_EQ(certain.interval.upper, 1.0);
  EXPECT_LT(certain.interval.lower, 1.0);
}

TEST(inclusive_estimators, census_gives_the_exact_precision) {
  // Every set taken whole: every pi = 1, the estimate is the exact precision and, with all N
  // positives used, Wilson's interval is the point.
  const test_population population = make_population();
  const auto& items = population.items();
  std::vector<std::size_t> sizes;
  for (std::size_t s = 0; s < items.set_count(); ++s) sizes.push_back(items.positives(s));
  const drawn_sample sample = sampling::draw_sample(items, design_kind::coordinated, sizes, 7, 1);
  for (const union_item& item : rank_conditioning_inclusion(items, sample))
    EXPECT_EQ(item.inclusion_probability, 1.0) << "row " << item.row;
  const auto by_row =
      labels({{0, 1}, {1, 1}, {2, 0}, {3, 1}, {4, 1}, {5, 0}, {6, 1}, {7, 1}, {8, 1}, {9, 1}});
  for (const estimator_kind estimator :
       {estimator_kind::inclusive_hajek, estimator_kind::inclusive_post_stratified}) {
    SCOPED_TRACE(to_string(estimator));
    const set_estimate result =
        estimate_from_sample(items, set_a, sample, by_row, settings_for(estimator));
    EXPECT_EQ(result.labelled, 10u);
    EXPECT_NEAR(result.precision, 0.8, tight);
    EXPECT_EQ(result.effective_sample_size, 10.0);
    EXPECT_NEAR(result.interval.lower, 0.8, tight);
    EXPECT_NEAR(result.interval.upper, 0.8, tight);
  }
  // Set c taken whole inside the hand sample: pi = 1 for r8 and r9, labels 1 and 0.
  const set_estimate c = estimate_from_sample(items, set_c, hand_sample(), hand_labels(),
                                              settings_for(estimator_kind::inclusive_hajek));
  EXPECT_NEAR(c.precision, 0.5, tight);
  EXPECT_EQ(c.interval.lower, 0.5);
  EXPECT_EQ(c.interval.upper, 0.5);
}

TEST(inclusive_estimators, unlabelled_tied_undefined) {
  const test_population population = make_population();
  auto by_row = hand_labels();
  by_row[0] = -1;  // unlabelled
  by_row[1] = 2;   // tied between annotators
  // Set a without r0 and r1: r4 (.5, 1), r8 (1, 1), r9 (1, 0): weights 2, 1, 1, p = 3/4.
  const set_estimate result = estimate_from_sample(population.items(), set_a, hand_sample(), by_row,
                                                   settings_for(estimator_kind::inclusive_hajek));
  EXPECT_EQ(result.labelled, 3u);
  EXPECT_EQ(result.positives_labelled, 2u);
  EXPECT_NEAR(result.precision, 0.75, tight);

  for (const estimator_kind estimator :
       {estimator_kind::inclusive_hajek, estimator_kind::inclusive_post_stratified}) {
    SCOPED_TRACE(to_string(estimator));
    const set_estimate empty = estimate_from_sample(population.items(), set_z, hand_sample(),
                                                    hand_labels(), settings_for(estimator));
    EXPECT_FALSE(empty.defined);
    EXPECT_EQ(empty.status, "no positives");
    const set_estimate none = estimate_from_sample(population.items(), set_a, hand_sample(),
                                                   labels({{5, 1}}), settings_for(estimator));
    EXPECT_FALSE(none.defined);
    EXPECT_EQ(none.status, "no labels");
    EXPECT_EQ(none.interval.lower, 0.0);
    EXPECT_EQ(none.interval.upper, 1.0);
  }
}

TEST(inclusive_estimators, need_a_coordinated_sample) {
  const test_population population = make_population();
  const auto& items = population.items();
  const std::vector<std::size_t> sizes{2, 3, 2, 1, 0};
  for (const design_kind design :
       {design_kind::independent, design_kind::paper_reshuffle, design_kind::paper_resample}) {
    SCOPED_TRACE(std::string(sampling::to_string(design)));
    const drawn_sample sample = sampling::draw_sample(items, design, sizes, 3, 1);
    for (const estimator_kind estimator :
         {estimator_kind::inclusive_hajek, estimator_kind::inclusive_post_stratified}) {
      EXPECT_THROW(
          estimate_from_sample(items, set_a, sample, hand_labels(), settings_for(estimator)),
          input_error);
    }
    // The message names the design.
    try {
      estimate_from_sample(items, set_a, sample, hand_labels(),
                           settings_for(estimator_kind::inclusive_hajek));
    } catch (const input_error& error) {
      EXPECT_NE(std::string(error.what()).find(sampling::to_string(design)), std::string::npos)
          << error.what();
    }
    EXPECT_THROW(rank_conditioning_inclusion(items, sample), input_error);
    // The own-sample estimators still work on every design.
    EXPECT_NO_THROW(estimate_from_sample(items, set_a, sample, hand_labels(),
                                         settings_for(estimator_kind::post_stratified)));
  }
  // estimate_precision cannot run an inclusive estimator from one set's rows.
  const std::vector<std::uint32_t> rows{0, 1};
  EXPECT_THROW(estimate_precision(items, set_a, rows, hand_labels(),
                                  settings_for(estimator_kind::inclusive_hajek)),
               input_error);
  // A partial sample without its next priority is not a bottom-k sample.
  drawn_sample broken = hand_sample();
  broken.sets[set_a].next_key.reset();
  EXPECT_THROW(rank_conditioning_inclusion(items, broken), input_error);
  // Nor is one with another number of sets, or a row beyond the table.
  drawn_sample short_sample = hand_sample();
  short_sample.sets.pop_back();
  EXPECT_THROW(estimate_from_sample(items, set_a, short_sample, hand_labels(),
                                    settings_for(estimator_kind::inclusive_hajek)),
               input_error);
  drawn_sample far = hand_sample();
  far.sets[set_b].rows.push_back(99);
  EXPECT_THROW(rank_conditioning_inclusion(items, far), input_error);
  EXPECT_THROW(estimate_from_sample(items, 9, hand_sample(), hand_labels(),
                                    settings_for(estimator_kind::inclusive_hajek)),
               input_error);
}

// The fast path against the definition, on real coordinated draws: for every set m, sort its
// positives by (priority key, id), tau_m = priority of the (n_m+1)-th or 1, and pi_i = max over
// the samples holding i.
TEST(rank_conditioning_inclusion, matches_brute_force_on_coordinated_draws) {
  test_support::ensemble_spec spec;
  spec.items = 600;
  spec.seed = 4;
  const test_population population(test_support::synthetic_csv(spec));
  const auto& items = population.items();
  const auto& ids = population.table().ids;
  for (const std::uint64_t seed : {1ull, 2ull, 99ull}) {
    sampling::plan_settings plan;
    plan.margin_of_error = 0.1;
    const std::vector<std::size_t> sizes = sampling::plan_sample_sizes(items, plan);
    const drawn_sample sample =
        sampling::draw_sample(items, design_kind::coordinated, sizes, seed, 1);
    std::vector<double> expected(items.items(), 0.0);
    for (std::size_t m = 0; m < items.set_count(); ++m) {
      std::vector<std::uint32_t> rows = items.positive_rows(m);
      std::sort(rows.begin(), rows.end(), [&](std::uint32_t a, std::uint32_t b) {
        return sampling::priority_before(sampling::priority_key(seed, ids[a]), ids[a],
                                         sampling::priority_key(seed, ids[b]), ids[b]);
      });
      const std::size_t n = std::min(sizes[m], rows.size());
      const double tau = n < rows.size()
                             ? sampling::priority_value(sampling::priority_key(seed, ids[rows[n]]))
                             : 1.0;
      for (std::size_t i = 0; i < n; ++i) expected[rows[i]] = std::max(expected[rows[i]], tau);
    }
    std::vector<std::uint32_t> queue = sample.queue;
    std::sort(queue.begin(), queue.end());
    const std::vector<union_item> actual = rank_conditioning_inclusion(items, sample);
    ASSERT_EQ(actual.size(), queue.size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      EXPECT_EQ(actual[i].row, queue[i]);
      EXPECT_EQ(actual[i].inclusion_probability, expected[actual[i].row])
          << "row " << actual[i].row;
      // Rank conditioning: the item's own priority lies below its inclusion probability.
      EXPECT_LT(sampling::priority_value(sampling::priority_key(seed, ids[actual[i].row])),
                actual[i].inclusion_probability);
    }
  }
}

}  // namespace
}  // namespace frugal::estimation
