// Cohen's and Fleiss' kappa (estimation/agreement.hpp) on textbook tables worked out by hand, on
// the degenerate inputs the header defines, against a brute-force count of agreeing rating
// pairs, and on perfect and independent annotators.

#include "frugal/estimation/agreement.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "common/random.hpp"

namespace frugal::estimation {
namespace {

std::vector<label_pair> repeated_pairs(std::vector<std::pair<label_pair, std::size_t>> cells) {
  std::vector<label_pair> labels;
  for (const auto& [pair, count] : cells) labels.insert(labels.end(), count, pair);
  return labels;
}

std::vector<item_ratings> repeated_items(std::vector<std::pair<item_ratings, std::size_t>> cells) {
  std::vector<item_ratings> items;
  for (const auto& [ratings, count] : cells) items.insert(items.end(), count, ratings);
  return items;
}

// The classic 2x2 table (50 items):
//                 second 1   second 0
//   first 1          20          5       first: 25 ones -> p = 0.5
//   first 0          10         15       second: 30 ones -> q = 0.6
// P_o = (20 + 15) / 50 = 0.7; P_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = 0.2 / 0.5 = 0.4.
const std::vector<label_pair> classic = repeated_pairs(
    {{{true, true}, 20}, {{true, false}, 5}, {{false, true}, 10}, {{false, false}, 15}});

TEST(cohen_kappa, classic_two_by_two_table) {
  const agreement result = cohen_kappa(classic);
  EXPECT_EQ(result.status, agreement_status::defined);
  EXPECT_EQ(result.items, 50u);
  EXPECT_EQ(result.ratings, 100u);
  EXPECT_NEAR(*result.observed_agreement, 0.7, 1e-15);
  EXPECT_NEAR(*result.chance_agreement, 0.5, 1e-15);
  EXPECT_NEAR(*result.kappa, 0.4, 1e-15);
}

TEST(cohen_kappa, uses_only_items_both_labelled) {
  std::vector<label_pair> labels = classic;
  // Missing labels on either side change nothing.
  labels.insert(labels.begin() + 7, label_pair{std::nullopt, true});
  labels.push_back(label_pair{false, std::nullopt});
  labels.push_back(label_pair{});
  const agreement result = cohen_kappa(labels);
  EXPECT_EQ(result.items, 50u);
  EXPECT_NEAR(*result.kappa, 0.4, 1e-15);
}

TEST(cohen_kappa, below_chance_is_negative) {
  // They never agree, with both categories used half the time: P_o = 0, P_e = 0.5, kappa = -1.
  const agreement result = cohen_kappa(repeated_pairs({{{true, false}, 3}, {{false, true}, 3}}));
  EXPECT_EQ(*result.observed_agreement, 0.0);
  EXPECT_NEAR(*result.kappa, -1.0, 1e-15);
}

TEST(cohen_kappa, degenerate_inputs_are_undefined) {
  agreement result = cohen_kappa({});
  EXPECT_EQ(result.status, agreement_status::too_few_items);
  EXPECT_EQ(result.items, 0u);
  EXPECT_FALSE(result.observed_agreement);
  EXPECT_FALSE(result.chance_agreement);
  EXPECT_FALSE(result.kappa);

  const std::vector<label_pair> one = {{true, true}, {std::nullopt, false}};
  result = cohen_kappa(one);
  EXPECT_EQ(result.status, agreement_status::too_few_items);
  EXPECT_EQ(result.items, 1u);
  EXPECT_EQ(result.observed_agreement, 1.0);
  EXPECT_FALSE(result.chance_agreement);
  EXPECT_FALSE(result.kappa);

  // Both always say 1: P_o = P_e = 1, nothing beyond chance to measure.
  result = cohen_kappa(repeated_pairs({{{true, true}, 9}}));
  EXPECT_EQ(result.status, agreement_status::no_variability);
  EXPECT_EQ(result.observed_agreement, 1.0);
  EXPECT_EQ(result.chance_agreement, 1.0);
  EXPECT_FALSE(result.kappa);
  EXPECT_EQ(cohen_kappa(repeated_pairs({{{false, false}, 2}})).status,
            agreement_status::no_variability);
  // One annotator constant, the other not: P_e = q < 1, so kappa is defined (and 0 here:
  // P_o = 2/4 = q = P_e).
  result = cohen_kappa(repeated_pairs({{{true, true}, 2}, {{true, false}, 2}}));
  EXPECT_EQ(result.status, agreement_status::defined);
  EXPECT_NEAR(*result.kappa, 0.0, 1e-15);
}

// Fleiss, binary, with 2 to 4 ratings per item (as {zeros, ones}):
//   {0,3}: P = 3*2 / (3*2)           = 1
//   {1,2}: P = (0 + 2*1) / (3*2)     = 1/3
//   {2,2}: P = (2*1 + 2*1) / (4*3)   = 1/3
//   {4,0}: P = 4*3 / (4*3)           = 1
//   {1,1}: P = 0 / (2*1)             = 0
//   {1,0}, {0,0}: fewer than 2 ratings, left out entirely
// P-bar = (1 + 1/3 + 1/3 + 1 + 0) / 5 = 8/15. Ratings of the five items: zeros 0+1+2+4+1 = 8,
// ones 3+2+2+0+1 = 8, so p_0 = p_1 = 1/2, P_e = 1/2, kappa = (8/15 - 1/2) / (1/2) = 1/15.
TEST(fleiss_kappa, varying_numbers_of_ratings) {
  const std::vector<item_ratings> items = {{0, 3}, {1, 2}, {1, 0}, {2, 2}, {4, 0}, {0, 0}, {1, 1}};
  const agreement result = fleiss_kappa(items);
  EXPECT_EQ(result.status, agreement_status::defined);
  EXPECT_EQ(result.items, 5u);
  EXPECT_EQ(result.ratings, 16u);
  EXPECT_NEAR(*result.observed_agreement, 8.0 / 15.0, 1e-15);
  EXPECT_NEAR(*result.chance_agreement, 0.5, 1e-15);
  EXPECT_NEAR(*result.kappa, 1.0 / 15.0, 1e-15);
}

// Fleiss' 1971 setting: the same number of raters (here 4) on every item, 10 items:
//   {4,0} x3: P = 1              {0,4} x2: P = 1
//   {3,1} x2: P = (6 + 0)/12 = 1/2   {1,3} x1: P = 1/2
//   {2,2} x2: P = (2 + 2)/12 = 1/3
// P-bar = (5*1 + 3/2 + 2/3) / 10 = (30 + 9 + 4) / 60 = 43/60.
// zeros = 12 + 0 + 6 + 1 + 4 = 23, ones = 0 + 8 + 2 + 3 + 4 = 17, of 40:
// P_e = (23^2 + 17^2) / 40^2 = (529 + 289) / 1600 = 818/1600 = 409/800.
// kappa = (43/60 - 409/800) / (1 - 409/800) = (1720 - 1227)/2400 / (391/800) = 493/1173.
TEST(fleiss_kappa, constant_number_of_raters) {
  const agreement result = fleiss_kappa(
      repeated_items({{{4, 0}, 3}, {{0, 4}, 2}, {{3, 1}, 2}, {{1, 3}, 1}, {{2, 2}, 2}}));
  EXPECT_EQ(result.items, 10u);
  EXPECT_EQ(result.ratings, 40u);
  EXPECT_NEAR(*result.observed_agreement, 43.0 / 60.0, 1e-15);
  EXPECT_NEAR(*result.chance_agreement, 409.0 / 800.0, 1e-15);
  EXPECT_NEAR(*result.kappa, 493.0 / 1173.0, 1e-14);
}

// With two ratings per item, Fleiss' kappa is Scott's pi. The classic table pooled: 55 ones of
// 100 ratings, P_e = 0.55^2 + 0.45^2 = 0.505, P_o = 0.7, pi = 0.195 / 0.495 = 13/33.
TEST(fleiss_kappa, two_ratings_per_item_is_scotts_pi) {
  const agreement result = fleiss_kappa(repeated_items({{{0, 2}, 20}, {{1, 1}, 15}, {{2, 0}, 15}}));
  EXPECT_NEAR(*result.observed_agreement, 0.7, 1e-15);
  EXPECT_NEAR(*result.chance_agreement, 0.505, 1e-15);
  EXPECT_NEAR(*result.kappa, 13.0 / 33.0, 1e-14);
}

TEST(fleiss_kappa, degenerate_inputs_are_undefined) {
  agreement result = fleiss_kappa({});
  EXPECT_EQ(result.status, agreement_status::too_few_items);
  EXPECT_FALSE(result.observed_agreement);
  EXPECT_FALSE(result.kappa);

  // One item with >= 2 ratings (the others have fewer): P-bar reported, kappa undefined.
  const std::vector<item_ratings> one = {{2, 1}, {1, 0}, {0, 1}, {0, 0}};
  result = fleiss_kappa(one);
  EXPECT_EQ(result.status, agreement_status::too_few_items);
  EXPECT_EQ(result.items, 1u);
  EXPECT_EQ(result.ratings, 3u);
  EXPECT_NEAR(*result.observed_agreement, 1.0 / 3.0, 1e-15);
  EXPECT_FALSE(result.chance_agreement);
  EXPECT_FALSE(result.kappa);

  // Every usable rating is 0: P_e = 1. The lone 1 is on an item with one rating, left out.
  const std::vector<item_ratings> constant = {{3, 0}, {2, 0}, {0, 1}};
  result = fleiss_kappa(constant);
  EXPECT_EQ(result.status, agreement_status::no_variability);
  EXPECT_EQ(result.observed_agreement, 1.0);
  EXPECT_EQ(result.chance_agreement, 1.0);
  EXPECT_FALSE(result.kappa);
}

// The slow, obviously-correct reference: P_i as the share of ordered pairs of distinct ratings
// of item i that agree, enumerated; p_j by counting every rating.
double reference_fleiss(const std::vector<std::vector<int>>& ratings) {
  double sum_p = 0.0;
  std::size_t items = 0, ones = 0, all = 0;
  for (const std::vector<int>& item : ratings) {
    if (item.size() < 2) continue;
    std::size_t agreeing = 0, pairs = 0;
    for (std::size_t a = 0; a < item.size(); ++a) {
      for (std::size_t b = 0; b < item.size(); ++b) {
        if (a == b) continue;
        ++pairs;
        agreeing += item[a] == item[b] ? 1 : 0;
      }
    }
    sum_p += static_cast<double>(agreeing) / static_cast<double>(pairs);
    ++items;
    for (const int rating : item) ones += rating == 1 ? 1 : 0;
    all += item.size();
  }
  const double p_bar = sum_p / static_cast<double>(items);
  const double p1 = static_cast<double>(ones) / static_cast<double>(all);
  const double p_e = p1 * p1 + (1 - p1) * (1 - p1);
  return (p_bar - p_e) / (1 - p_e);
}

TEST(fleiss_kappa, agrees_with_pair_enumeration) {
  detail::random_source random(11, 0x6b61707061ull);
  for (std::size_t trial = 0; trial < 200; ++trial) {
    std::vector<std::vector<int>> ratings(2 + random.below(30));
    std::vector<item_ratings> counts;
    const double rate = 0.1 + 0.8 * random.unit();
    for (std::vector<int>& item : ratings) {
      item.resize(random.below(7));
      item_ratings count;
      for (int& rating : item) {
        rating = random.unit() < rate ? 1 : 0;
        (rating == 1 ? count.ones : count.zeros) += 1;
      }
      counts.push_back(count);
    }
    const agreement result = fleiss_kappa(counts);
    if (result.status != agreement_status::defined) continue;
    EXPECT_NEAR(*result.kappa, reference_fleiss(ratings), 1e-12) << "trial " << trial;
  }
}

TEST(agreement, perfect_agreement_is_one) {
  std::vector<label_pair> pairs;
  std::vector<item_ratings> items;
  for (std::size_t i = 0; i < 40; ++i) {
    const bool label = i % 3 == 0;
    pairs.push_back({label, label});
    const std::size_t raters = 2 + i % 4;
    items.push_back(label ? item_ratings{0, raters} : item_ratings{raters, 0});
  }
  EXPECT_EQ(cohen_kappa(pairs).kappa, 1.0);
  EXPECT_EQ(fleiss_kappa(items).kappa, 1.0);
}

// Annotators who label 1 with probability 0.3 independently of everything: kappa is about 0.
// Its standard error is about 1/sqrt(items) (Fleiss, Cohen & Everitt 1969), 0.01 for Cohen's
// 10000 items and under 0.01 for Fleiss' 10000 items of 2 to 5 ratings; the tolerance 0.04 is
// more than 4 standard errors (seeds fixed, so the test is deterministic).
TEST(agreement, independent_annotators_give_about_zero) {
  detail::random_source random(2024, 0x696e646570ull);
  std::vector<label_pair> pairs;
  std::vector<item_ratings> items;
  for (std::size_t i = 0; i < 10000; ++i) {
    pairs.push_back({random.unit() < 0.3, random.unit() < 0.3});
    item_ratings item;
    const std::size_t raters = 2 + random.below(4);
    for (std::size_t r = 0; r < raters; ++r) (random.unit() < 0.3 ? item.ones : item.zeros) += 1;
    items.push_back(item);
  }
  const agreement cohen = cohen_kappa(pairs);
  const agreement fleiss = fleiss_kappa(items);
  ASSERT_TRUE(cohen.kappa && fleiss.kappa);
  EXPECT_NEAR(*cohen.kappa, 0.0, 0.04);
  EXPECT_NEAR(*fleiss.kappa, 0.0, 0.04);
  // Observed agreement is then chance agreement: 0.3^2 + 0.7^2 = 0.58.
  EXPECT_NEAR(*cohen.observed_agreement, 0.58, 0.02);
  EXPECT_NEAR(*fleiss.observed_agreement, 0.58, 0.02);
}

}  // namespace
}  // namespace frugal::estimation
