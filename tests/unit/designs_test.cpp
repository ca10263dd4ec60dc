// Sampling designs, ensemble rules, priors and sample sizes (DESIGN.md §1.1), each checked
// against a slow, obviously-correct reference: a sort of the priorities for coordinated
// sampling, the recipe's own arithmetic for the paper's designs, and averages over many seeds for
// inclusion probabilities and expected annotation counts.

#include "frugal/sampling/designs.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "common/random.hpp"
#include "frugal/error.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/population.hpp"
#include "frugal/sampling/priority.hpp"
#include "statistics/population_builder.hpp"

namespace frugal::sampling {
namespace {

using test_support::ensemble_spec;
using test_support::hand_row;
using test_support::test_population;

bool is_positive(const population& items, std::size_t set, std::uint32_t row) {
  return ((items.membership(row) >> set) & 1u) != 0;
}

std::vector<std::size_t> cochran_sizes(const population& items) {
  return plan_sample_sizes(items, plan_settings{});
}

void expect_same_sample(const drawn_sample& a, const drawn_sample& b) {
  EXPECT_EQ(a.design, b.design);
  ASSERT_EQ(a.sets.size(), b.sets.size());
  for (std::size_t s = 0; s < a.sets.size(); ++s) {
    EXPECT_EQ(a.sets[s].rows, b.sets[s].rows) << "set " << s;
    EXPECT_EQ(a.sets[s].threshold_key, b.sets[s].threshold_key) << "set " << s;
    EXPECT_EQ(a.sets[s].next_key, b.sets[s].next_key) << "set " << s;
  }
  EXPECT_EQ(a.queue, b.queue);
}

// Rows a design may give any set: positives of that set only; the queue lists each row of the
// union of the sets' samples exactly once.
void expect_positives_and_distinct_queue(const population& items, const drawn_sample& sample) {
  ASSERT_EQ(sample.sets.size(), items.set_count());
  std::set<std::uint32_t> all;
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    for (const std::uint32_t row : sample.sets[s].rows) {
      ASSERT_LT(row, items.items());
      EXPECT_TRUE(is_positive(items, s, row)) << "set " << s << " row " << row;
      all.insert(row);
    }
  }
  const std::set<std::uint32_t> queued(sample.queue.begin(), sample.queue.end());
  EXPECT_EQ(queued.size(), sample.queue.size()) << "the queue repeats a row";
  EXPECT_EQ(queued, all);
}

std::string standard_csv(std::size_t items, std::uint64_t seed = 3) {
  ensemble_spec spec;
  spec.items = items;
  spec.seed = seed;
  spec.skill = {0.5, 0.7, 0.9, 1.1, 1.3};
  spec.threshold = {0.6, 0.2, 0.8, 0.3, 0.9};
  return test_support::synthetic_csv(spec);
}

// ---------------------------------------------------------------------------------------------

TEST(designs, names_round_trip) {
  for (const design_kind design : all_designs) EXPECT_EQ(parse_design(to_string(design)), design);
  EXPECT_EQ(to_string(design_kind::paper_reshuffle), "paper-reshuffle");
  EXPECT_EQ(to_string(design_kind::paper_resample), "paper-resample");
  EXPECT_EQ(to_string(design_kind::independent), "independent");
  EXPECT_EQ(to_string(design_kind::coordinated), "coordinated");
  for (const char* unknown : {"", "Coordinated", "paper", "paper_reshuffle", "srs"})
    EXPECT_FALSE(parse_design(unknown).has_value()) << unknown;
}

TEST(designs, rows_are_positives_and_the_queue_is_their_distinct_union) {
  const test_population population(standard_csv(2000));
  const auto& items = population.items();
  const auto sizes = cochran_sizes(items);
  for (const design_kind design : all_designs) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      SCOPED_TRACE(std::string(to_string(design)) + " seed " + std::to_string(seed));
      const drawn_sample sample = draw_sample(items, design, sizes, seed, 1);
      EXPECT_EQ(sample.design, design);
      expect_positives_and_distinct_queue(items, sample);
    }
  }
}

TEST(designs, independent_and_coordinated_take_exactly_n_distinct_rows) {
  const test_population population(standard_csv(2000));
  const auto& items = population.items();
  std::vector<std::size_t> sizes = cochran_sizes(items);
  // Also the edges: nothing from one set, every positive of another.
  sizes[1] = 0;
  sizes[2] = items.positives(2);
  for (const design_kind design : {design_kind::independent, design_kind::coordinated}) {
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
      const drawn_sample sample = draw_sample(items, design, sizes, seed, 1);
      for (std::size_t s = 0; s < items.set_count(); ++s) {
        const auto& rows = sample.sets[s].rows;
        EXPECT_EQ(rows.size(), sizes[s]) << to_string(design) << " set " << s;
        EXPECT_EQ(std::set<std::uint32_t>(rows.begin(), rows.end()).size(), rows.size())
            << to_string(design) << " set " << s << " repeats a row";
      }
    }
  }
}

TEST(designs, same_seed_same_sample_other_seed_other_sample) {
  const test_population population(standard_csv(2000));
  const auto& items = population.items();
  const auto sizes = cochran_sizes(items);
  for (const design_kind design : all_designs) {
    SCOPED_TRACE(to_string(design));
    const drawn_sample first = draw_sample(items, design, sizes, 42, 1);
    expect_same_sample(first, draw_sample(items, design, sizes, 42, 1));
    const drawn_sample other = draw_sample(items, design, sizes, 43, 1);
    EXPECT_NE(first.queue, other.queue);
    for (std::size_t s = 0; s < items.set_count(); ++s)
      EXPECT_NE(first.sets[s].rows, other.sets[s].rows) << "set " << s;
  }
}

// ---------------------------------------------------------------------------------------------
// Coordinated sampling against a brute-force sort of the permanent priorities.

struct keyed {
  std::uint64_t key;
  std::string id;
  std::uint32_t row;
};

std::vector<keyed> sorted_by_priority(const population& items, std::size_t set,
                                      std::uint64_t seed) {
  std::vector<keyed> keys;
  for (std::uint32_t row = 0; row < items.items(); ++row) {
    if (!is_positive(items, set, row)) continue;
    const std::string id(items.table().ids[row]);
    keys.push_back({priority_key(seed, id), id, row});
  }
  std::sort(keys.begin(), keys.end(), [](const keyed& a, const keyed& b) {
    return std::tie(a.key, a.id) < std::tie(b.key, b.id);
  });
  return keys;
}

void expect_bottom_k(const population& items, std::span<const std::size_t> sizes,
                     std::uint64_t seed, const drawn_sample& sample) {
  ASSERT_EQ(sample.design, design_kind::coordinated);
  std::vector<keyed> union_keys;
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    const std::vector<keyed> reference = sorted_by_priority(items, s, seed);
    const std::size_t n = sizes[s];
    ASSERT_LE(n, reference.size());
    std::vector<std::uint32_t> expected;
    for (std::size_t i = 0; i < n; ++i) {
      expected.push_back(reference[i].row);
      union_keys.push_back(reference[i]);
    }
    // The n smallest, in priority order.
    EXPECT_EQ(sample.sets[s].rows, expected) << "set " << s;
    if (n > 0) {
      EXPECT_EQ(sample.sets[s].threshold_key, reference[n - 1].key) << "set " << s;
    } else {
      EXPECT_FALSE(sample.sets[s].threshold_key.has_value()) << "set " << s;
    }
    if (n > 0 && n < reference.size()) {
      EXPECT_EQ(sample.sets[s].next_key, reference[n].key) << "set " << s;
    } else if (n == reference.size()) {
      EXPECT_FALSE(sample.sets[s].next_key.has_value()) << "set " << s;
    }
  }
  // The queue: the distinct union, in priority order.
  std::sort(union_keys.begin(), union_keys.end(), [](const keyed& a, const keyed& b) {
    return std::tie(a.key, a.id) < std::tie(b.key, b.id);
  });
  std::vector<std::uint32_t> expected_queue;
  for (const keyed& entry : union_keys) {
    if (expected_queue.empty() || expected_queue.back() != entry.row)
      expected_queue.push_back(entry.row);
  }
  EXPECT_EQ(sample.queue, expected_queue);
}

TEST(coordinated, each_set_takes_its_n_smallest_priorities) {
  const test_population population(standard_csv(3000));
  const auto& items = population.items();
  std::vector<std::size_t> sizes = cochran_sizes(items);
  for (std::uint64_t seed : {1ull, 2ull, 99ull, 0xdeadbeefull}) {
    SCOPED_TRACE(seed);
    expect_bottom_k(items, sizes, seed, draw_sample(items, design_kind::coordinated, sizes, seed));
  }
  // Edge sizes: one row, every positive.
  sizes[1] = 1;
  sizes[3] = items.positives(3);
  expect_bottom_k(items, sizes, 5, draw_sample(items, design_kind::coordinated, sizes, 5, 1));
}

TEST(coordinated, thread_count_does_not_change_the_result) {
  // Above 100000 rows the scan is split between two threads.
  const test_population population(test_support::random_votes_csv(120000, 4, 0.3, 17));
  const auto& items = population.items();
  ASSERT_GT(items.items(), 100000u);
  const auto sizes = cochran_sizes(items);
  const drawn_sample one = draw_sample(items, design_kind::coordinated, sizes, 8, 1);
  const drawn_sample two = draw_sample(items, design_kind::coordinated, sizes, 8, 2);
  expect_same_sample(one, two);
  expect_bottom_k(items, sizes, 8, two);
  expect_same_sample(one, draw_sample(items, design_kind::coordinated, sizes, 8, 0));
}

// Adding a member must leave every other set's sample alone: coordinated by construction (the
// priorities depend on the id only), independent through one random stream per set. Under the
// default majority rule the parent's positives change with the members, so the parent is
// compared under a `column:` rule, where they do not.
TEST(designs, adding_a_member_keeps_the_other_sets_samples) {
  // Members m1..m4 and a parent column p, all random.
  detail::random_source random(23);
  std::string csv = "id,m1,m2,m3,m4,p\n";
  for (std::size_t row = 0; row < 3000; ++row) {
    csv += test_support::numbered("r", row);
    for (int column = 0; column < 5; ++column) csv += random.unit() < 0.4 ? ",1" : ",0";
    csv += '\n';
  }
  for (const bool column_rule : {false, true}) {
    io::read_options three;
    three.models = {"m1", "m2", "m3"};
    io::read_options four;
    four.models = {"m1", "m2", "m3", "m4"};
    ensemble_rule rule;
    if (column_rule) rule = ensemble_rule::parse("column:p");
    three.parent_column = four.parent_column = "p";  // kept out of the members either way
    const test_population small(csv, rule, three);
    const test_population large(csv, rule, four);
    ASSERT_EQ(small.items().set_count(), 4u);
    ASSERT_EQ(large.items().set_count(), 5u);
    const std::size_t first_shared = column_rule ? 0 : 1;
    if (column_rule) {
      ASSERT_EQ(small.items().positives(0), large.items().positives(0));
    }
    const auto small_sizes = cochran_sizes(small.items());
    const auto large_sizes = cochran_sizes(large.items());
    for (const design_kind design : {design_kind::coordinated, design_kind::independent}) {
      const drawn_sample a = draw_sample(small.items(), design, small_sizes, 31, 1);
      const drawn_sample b = draw_sample(large.items(), design, large_sizes, 31, 1);
      for (std::size_t s = first_shared; s < 4; ++s) {
        ASSERT_EQ(small_sizes[s], large_sizes[s]);
        EXPECT_EQ(a.sets[s].rows, b.sets[s].rows)
            << to_string(design) << " set " << s << (column_rule ? " column rule" : "");
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The paper's recipe, checked step by step from the drawn samples.

struct recipe_counts {
  std::size_t topped_up = 0;
  std::size_t proportional_only = 0;
};

void expect_paper_recipe(const population& items, std::span<const std::size_t> sizes,
                         const drawn_sample& reshuffled, recipe_counts& counts) {
  const std::vector<std::uint32_t>& parent = reshuffled.sets[0].rows;
  ASSERT_EQ(parent.size(), sizes[0]);
  const std::set<std::uint32_t> parent_sample(parent.begin(), parent.end());
  ASSERT_EQ(parent_sample.size(), parent.size());
  for (std::size_t child = 1; child < items.set_count(); ++child) {
    SCOPED_TRACE("child " + std::to_string(child));
    std::size_t inside = 0;          // |A_C ∩ A_P|
    std::size_t outside = 0;         // |A_C \ A_P|
    std::set<std::uint32_t> reused;  // S+ = S_P ∩ A_C
    for (const std::uint32_t row : items.positive_rows(child)) {
      if (items.parent_vote(row)) {
        ++inside;
        if (parent_sample.count(row) != 0) reused.insert(row);
      } else {
        ++outside;
      }
    }
    std::size_t minus = 0;  // |S-| = round(|S+| |A_C \ A_P| / |A_C ∩ A_P|)
    if (inside > 0) {
      minus = std::min<std::size_t>(
          outside, static_cast<std::size_t>(std::llround(static_cast<double>(reused.size()) *
                                                         static_cast<double>(outside) /
                                                         static_cast<double>(inside))));
    }
    const std::vector<std::uint32_t>& rows = reshuffled.sets[child].rows;
    const std::set<std::uint32_t> distinct(rows.begin(), rows.end());
    EXPECT_EQ(distinct.size(), rows.size()) << "reshuffle repeats a row";
    std::set<std::uint32_t> rows_inside;
    std::size_t rows_outside = 0;
    for (const std::uint32_t row : rows) {
      if (items.parent_vote(row)) {
        rows_inside.insert(row);
      } else {
        ++rows_outside;
      }
    }
    // S+ is reused whole.
    EXPECT_TRUE(
        std::includes(rows_inside.begin(), rows_inside.end(), reused.begin(), reused.end()));
    if (reused.size() + minus >= sizes[child]) {
      // No top-up: exactly S+ and S-.
      ++counts.proportional_only;
      EXPECT_EQ(rows.size(), reused.size() + minus);
      EXPECT_EQ(rows_inside, reused);
      EXPECT_EQ(rows_outside, minus);
    } else {
      // Topped up with more of the child's positives to exactly n_C.
      ++counts.topped_up;
      EXPECT_EQ(rows.size(), sizes[child]);
      EXPECT_GE(rows_outside, minus);
    }
  }
}

TEST(paper_designs, follow_the_published_recipe) {
  const test_population population(standard_csv(3000));
  const auto& items = population.items();
  const auto sizes = cochran_sizes(items);
  recipe_counts counts;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const drawn_sample reshuffled = draw_sample(items, design_kind::paper_reshuffle, sizes, seed);
    expect_paper_recipe(items, sizes, reshuffled, counts);
    // The queue: the parent's sample first, then each child's new rows.
    ASSERT_GE(reshuffled.queue.size(), sizes[0]);
    EXPECT_EQ(
        std::vector<std::uint32_t>(reshuffled.queue.begin(), reshuffled.queue.begin() + sizes[0]),
        reshuffled.sets[0].rows);
  }
  // Both branches of the recipe were exercised.
  EXPECT_GT(counts.topped_up, 0u);
  EXPECT_GT(counts.proportional_only, 0u);
}

// paper-resample draws the same mix as paper-reshuffle (the same random streams up to the mixing
// step) and then |combined| rows with replacement from it.
TEST(paper_designs, resample_draws_the_mix_with_replacement) {
  const test_population population(standard_csv(3000));
  const auto& items = population.items();
  const auto sizes = cochran_sizes(items);
  double distinct_draws = 0.0;
  double expected_distinct = 0.0;
  std::size_t samples_with_repeats = 0;
  std::size_t child_samples = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    const drawn_sample reshuffled = draw_sample(items, design_kind::paper_reshuffle, sizes, seed);
    const drawn_sample resampled = draw_sample(items, design_kind::paper_resample, sizes, seed);
    EXPECT_EQ(resampled.design, design_kind::paper_resample);
    expect_positives_and_distinct_queue(items, resampled);
    EXPECT_EQ(resampled.sets[0].rows, reshuffled.sets[0].rows);  // the parent is not resampled
    for (std::size_t child = 1; child < items.set_count(); ++child) {
      const auto& mix = reshuffled.sets[child].rows;
      const auto& draws = resampled.sets[child].rows;
      ASSERT_EQ(draws.size(), mix.size());
      const std::set<std::uint32_t> from(mix.begin(), mix.end());
      const std::set<std::uint32_t> drawn(draws.begin(), draws.end());
      EXPECT_TRUE(std::includes(from.begin(), from.end(), drawn.begin(), drawn.end()));
      samples_with_repeats += drawn.size() < draws.size() ? 1 : 0;
      ++child_samples;
      const double m = static_cast<double>(mix.size());
      distinct_draws += static_cast<double>(drawn.size());
      expected_distinct += m * (1.0 - std::pow(1.0 - 1.0 / m, m));
    }
  }
  EXPECT_EQ(samples_with_repeats, child_samples);
  // m uniform draws with replacement from m items hit 1 - (1 - 1/m)^m ~ 63% of them. The sd of
  // the distinct count is about 0.3 sqrt(m) per sample; over 200 samples of ~250 rows the
  // relative sd of the total is ~0.2%, so 1% is a wide margin that still catches a skew.
  EXPECT_NEAR(distinct_draws / expected_distinct, 1.0, 0.01);
}

TEST(paper_designs, child_outside_the_parent_is_topped_up_to_its_size) {
  // Members a, b, c; majority needs 2. Member c votes alone on r10..r29: none of its positives is
  // in the parent, so S+ and S- are empty and the whole sample is the top-up.
  std::vector<hand_row> rows;
  for (std::size_t i = 0; i < 10; ++i) rows.push_back({test_support::numbered("r", i), "110"});
  for (std::size_t i = 10; i < 30; ++i) rows.push_back({test_support::numbered("r", i), "001"});
  const test_population population(test_support::csv_from_rows({"a", "b", "c"}, rows));
  const auto& items = population.items();
  ASSERT_EQ(items.positives(0), 10u);
  ASSERT_EQ(items.positives(3), 20u);
  const std::vector<std::size_t> sizes{4, 4, 4, 7};
  for (const design_kind design : {design_kind::paper_reshuffle, design_kind::paper_resample}) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      const drawn_sample sample = draw_sample(items, design, sizes, seed);
      expect_positives_and_distinct_queue(items, sample);
      EXPECT_EQ(sample.sets[3].rows.size(), 7u);
      if (design == design_kind::paper_reshuffle) {
        const auto& child = sample.sets[3].rows;
        EXPECT_EQ(std::set<std::uint32_t>(child.begin(), child.end()).size(), 7u);
        // a and b equal the parent: S+ is the parent's sample, S- is empty, no top-up needed.
        EXPECT_EQ(std::set<std::uint32_t>(sample.sets[1].rows.begin(), sample.sets[1].rows.end()),
                  std::set<std::uint32_t>(sample.sets[0].rows.begin(), sample.sets[0].rows.end()));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Inclusion probabilities by simulation over many seeds. Every positive of set s must be in its
// sample with probability n_s/N_s. With T = 20000 seeds the count is Binomial(T, pi) and the
// check is |count/T - pi| <= 4.5 sqrt(pi (1 - pi) / T); a two-sided 4.5-sigma miss has
// probability 6.8e-6, so over the ~160 items checked here (Bonferroni) the chance that a correct
// design fails is about 1e-3. A design that favoured some items by even 10% of pi (0.03 at
// pi = 0.3, sd 0.0032) would fail.

constexpr std::size_t inclusion_trials = 20000;

struct inclusion_fixture {
  test_population population{test_support::random_votes_csv(40, 3, 0.45, 5)};
  std::vector<std::size_t> sizes;
  inclusion_fixture() {
    const auto& items = population.items();
    for (std::size_t s = 0; s < items.set_count(); ++s)
      sizes.push_back(std::max<std::size_t>(1, items.positives(s) * 3 / 10));
  }
};

void expect_inclusion_n_over_big_n(const population& items, std::span<const std::size_t> sizes,
                                   design_kind design, std::size_t first_set,
                                   std::size_t last_set) {
  std::vector<std::vector<std::size_t>> counts(items.set_count(),
                                               std::vector<std::size_t>(items.items(), 0));
  for (std::uint64_t seed = 1; seed <= inclusion_trials; ++seed) {
    const drawn_sample sample = draw_sample(items, design, sizes, seed, 1);
    for (std::size_t s = first_set; s <= last_set; ++s) {
      for (const std::uint32_t row : sample.sets[s].rows) ++counts[s][row];
    }
  }
  const double trials = static_cast<double>(inclusion_trials);
  std::size_t checked = 0;
  for (std::size_t s = first_set; s <= last_set; ++s) {
    ASSERT_GE(items.positives(s), 5u);
    const double pi = static_cast<double>(sizes[s]) / static_cast<double>(items.positives(s));
    const double tolerance = 4.5 * std::sqrt(pi * (1.0 - pi) / trials);
    for (std::uint32_t row = 0; row < items.items(); ++row) {
      if (!is_positive(items, s, row)) {
        EXPECT_EQ(counts[s][row], 0u);
        continue;
      }
      EXPECT_NEAR(static_cast<double>(counts[s][row]) / trials, pi, tolerance)
          << to_string(design) << " set " << s << " row " << row;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0u);
}

TEST(inclusion_probability, coordinated_is_n_over_big_n_for_every_item) {
  const inclusion_fixture fixture;
  const auto& items = fixture.population.items();
  expect_inclusion_n_over_big_n(items, fixture.sizes, design_kind::coordinated, 0,
                                items.set_count() - 1);
}

TEST(inclusion_probability, independent_is_n_over_big_n_for_every_item) {
  const inclusion_fixture fixture;
  const auto& items = fixture.population.items();
  expect_inclusion_n_over_big_n(items, fixture.sizes, design_kind::independent, 0,
                                items.set_count() - 1);
}

TEST(inclusion_probability, paper_reshuffle_parent_is_n_over_big_n_for_every_item) {
  const inclusion_fixture fixture;
  expect_inclusion_n_over_big_n(fixture.population.items(), fixture.sizes,
                                design_kind::paper_reshuffle, 0, 0);
}

TEST(expected_distinct_independent, matches_the_average_over_seeds) {
  const inclusion_fixture fixture;
  const auto& items = fixture.population.items();
  double sum = 0.0;
  double sum_squares = 0.0;
  for (std::uint64_t seed = 1; seed <= inclusion_trials; ++seed) {
    const auto distinct = static_cast<double>(
        draw_sample(items, design_kind::independent, fixture.sizes, seed, 1).queue.size());
    sum += distinct;
    sum_squares += distinct * distinct;
  }
  const double trials = static_cast<double>(inclusion_trials);
  const double mean = sum / trials;
  const double standard_error =
      std::sqrt((sum_squares - sum * sum / trials) / (trials - 1.0) / trials);
  // 4.5 standard errors of the mean of 20000 draws (a 6.8e-6 chance for a correct formula).
  EXPECT_NEAR(expected_distinct_independent(items, fixture.sizes), mean, 4.5 * standard_error);
  EXPECT_GT(standard_error, 0.0);
}

TEST(expected_distinct_independent, matches_hand_computed_values) {
  // a on r0..r3, b on r2..r5, c on r5; majority (2 of 3) = r2, r3, r5.
  const test_population population(test_support::csv_from_rows({"a", "b", "c"}, {{"r0", "100"},
                                                                                 {"r1", "100"},
                                                                                 {"r2", "110"},
                                                                                 {"r3", "110"},
                                                                                 {"r4", "010"},
                                                                                 {"r5", "011"},
                                                                                 {"r6", "000"}}));
  const auto& items = population.items();
  ASSERT_EQ(items.positives(0), 3u);
  // n/N: parent 1/3, a 2/4, b 1/4, c 1/1.
  const std::vector<std::size_t> sizes{1, 2, 1, 1};
  // r0, r1 (a): 1/2 each. r2, r3 (parent, a, b): 1 - (2/3)(1/2)(3/4) = 3/4 each.
  // r4 (b): 1/4. r5 (parent, b, c): 1, c takes it for sure. r6: in no set.
  EXPECT_DOUBLE_EQ(expected_distinct_independent(items, sizes), 0.5 + 0.5 + 0.75 + 0.75 + 0.25 + 1);
  EXPECT_DOUBLE_EQ(expected_distinct_independent(items, std::vector<std::size_t>{0, 0, 0, 0}), 0);
}

// ---------------------------------------------------------------------------------------------
// Ensemble rules and the sets they make.

TEST(ensemble_rule, parses_every_form_and_prints_it_back) {
  const ensemble_rule majority = ensemble_rule::parse("majority");
  EXPECT_EQ(majority.rule, ensemble_rule::kind::majority);
  EXPECT_EQ(ensemble_rule{}.rule, ensemble_rule::kind::majority);  // the default
  EXPECT_EQ(ensemble_rule::parse("any").rule, ensemble_rule::kind::any);
  EXPECT_EQ(ensemble_rule::parse("all").rule, ensemble_rule::kind::all);
  const ensemble_rule k_of_m = ensemble_rule::parse("atleast:3");
  EXPECT_EQ(k_of_m.rule, ensemble_rule::kind::at_least);
  EXPECT_EQ(k_of_m.threshold, 3u);
  const ensemble_rule column = ensemble_rule::parse("column:final vote");
  EXPECT_EQ(column.rule, ensemble_rule::kind::column);
  EXPECT_EQ(column.column, "final vote");
  for (const char* text : {"majority", "any", "all", "atleast:1", "atleast:12", "column:p"})
    EXPECT_EQ(ensemble_rule::parse(text).to_string(), text);
}

TEST(ensemble_rule, rejects_malformed_rules) {
  for (const char* text : {"", "Majority", "most", "atleast", "atleast:", "atleast:0", "atleast:-1",
                           "atleast:+2", "atleast:2x", "atleast: 2", "column:", "column", "any "}) {
    EXPECT_THROW(ensemble_rule::parse(text), input_error) << '"' << text << '"';
  }
}

TEST(ensemble_rule, majority_is_strictly_more_than_half) {
  const ensemble_rule majority;
  EXPECT_EQ(majority.votes_needed(1), 1u);
  EXPECT_EQ(majority.votes_needed(2), 2u);
  EXPECT_EQ(majority.votes_needed(3), 2u);
  EXPECT_EQ(majority.votes_needed(4), 3u);
  EXPECT_EQ(majority.votes_needed(5), 3u);
  EXPECT_EQ(majority.votes_needed(6), 4u);
  EXPECT_EQ(ensemble_rule::parse("any").votes_needed(5), 1u);
  EXPECT_EQ(ensemble_rule::parse("all").votes_needed(5), 5u);
  EXPECT_EQ(ensemble_rule::parse("atleast:2").votes_needed(5), 2u);
}

// Four members a..d and a parent column p.
const std::vector<hand_row> rule_rows = {{"r0", "00000"}, {"r1", "10001"}, {"r2", "11000"},
                                         {"r3", "11101"}, {"r4", "11110"}, {"r5", "00111"},
                                         {"r6", "00010"}};

std::vector<std::uint32_t> parent_rows(const std::string& rule_text) {
  io::read_options options;
  options.parent_column = "p";
  const test_population population(
      test_support::csv_from_rows({"a", "b", "c", "d", "p"}, rule_rows),
      ensemble_rule::parse(rule_text), options);
  EXPECT_EQ(population.items().members(), 4u);
  EXPECT_EQ(population.items().set_name(0), "ensemble");
  EXPECT_EQ(population.items().set_name(1), "a");
  EXPECT_EQ(population.items().find_set("d"), 4);
  EXPECT_EQ(population.items().find_set("p"), -1);
  return population.items().positive_rows(0);
}

TEST(population, parent_set_follows_the_rule) {
  using rows = std::vector<std::uint32_t>;
  EXPECT_EQ(parent_rows("majority"), (rows{3, 4}));  // 3 or 4 of 4 votes, not 2
  EXPECT_EQ(parent_rows("any"), (rows{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(parent_rows("all"), (rows{4}));
  EXPECT_EQ(parent_rows("atleast:2"), (rows{2, 3, 4, 5}));
  EXPECT_EQ(parent_rows("column:p"), (rows{1, 3, 5}));
}

TEST(population, counts_positives_and_vote_strata) {
  const test_population population(
      test_support::csv_from_rows({"a", "b", "c", "d"}, {{"r0", "0000"},
                                                         {"r1", "1000"},
                                                         {"r2", "1100"},
                                                         {"r3", "1110"},
                                                         {"r4", "1111"},
                                                         {"r5", "0011"},
                                                         {"r6", "0001"}}));
  const auto& items = population.items();
  ASSERT_EQ(items.set_count(), 5u);
  EXPECT_EQ(items.positives(0), 2u);  // r3, r4
  EXPECT_EQ(items.positives(1), 4u);  // a: r1..r4
  EXPECT_EQ(items.positives(4), 3u);  // d: r4, r5, r6
  const std::size_t a_strata[] = {0, 1, 1, 1, 1};
  const std::size_t parent_strata[] = {0, 0, 0, 1, 1};
  for (std::size_t votes = 0; votes <= 4; ++votes) {
    EXPECT_EQ(items.stratum_size(1, votes), a_strata[votes]) << votes;
    EXPECT_EQ(items.stratum_size(0, votes), parent_strata[votes]) << votes;
  }
  EXPECT_EQ(items.vote_count(5), 2u);
  EXPECT_EQ(items.membership(4), 0b11111u);
  EXPECT_EQ(items.membership(5), 0b11000u);
  EXPECT_EQ(items.membership(0), 0u);
}

TEST(population, rejects_rules_that_do_not_fit) {
  const std::string csv = test_support::csv_from_rows({"a", "b"}, {{"r0", "10"}, {"r1", "11"}});
  EXPECT_THROW((test_population{csv, ensemble_rule::parse("atleast:3")}), input_error);
  EXPECT_NO_THROW((test_population{csv, ensemble_rule::parse("atleast:2")}));
  // column:NAME needs the column read as the parent's votes.
  EXPECT_THROW((test_population{csv, ensemble_rule::parse("column:b")}), input_error);
  const std::string named_ensemble =
      test_support::csv_from_rows({"a", "ensemble"}, {{"r0", "10"}, {"r1", "11"}});
  EXPECT_THROW(test_population{named_ensemble}, input_error);
}

// ---------------------------------------------------------------------------------------------
// --prior-precision and sample sizes.

TEST(parse_prior_precision, one_value_or_named_values) {
  const test_population population(
      test_support::csv_from_rows({"a", "b", "c"}, {{"r0", "110"}, {"r1", "011"}}));
  const auto& items = population.items();
  using priors = std::vector<double>;
  EXPECT_EQ(parse_prior_precision("", items), (priors{0.5, 0.5, 0.5, 0.5}));
  EXPECT_EQ(parse_prior_precision("0.9", items), (priors{0.9, 0.9, 0.9, 0.9}));
  EXPECT_EQ(parse_prior_precision("b=0.8,ensemble=0.95", items), (priors{0.95, 0.5, 0.8, 0.5}));
  EXPECT_EQ(parse_prior_precision("c=0.7", items), (priors{0.5, 0.5, 0.5, 0.7}));
  for (const char* bad : {"x=0.5", "a=1", "a=0", "a=1.5", "a=-0.1", "a=abc", "a", "1", "0", "-0.2",
                          "0.9x", "nan", "inf", "a=0.8,,b=0.7", "a=0.8,b", "=0.5", "a=", "0,9"}) {
    EXPECT_THROW(parse_prior_precision(bad, items), input_error) << '"' << bad << '"';
  }
}

// Parent and m1 have 1000 positives, m2 5000, m3 none.
std::string sizes_csv() {
  std::string text = "id,m1,m2,m3\n";
  for (std::size_t row = 0; row < 6000; ++row) {
    text += test_support::numbered("r", row);
    text += row < 1000 ? ",1" : ",0";
    text += row < 5000 ? ",1" : ",0";
    text += ",0\n";
  }
  return text;
}

TEST(planner, cochran_sizes_per_set) {
  const test_population population(sizes_csv());
  const auto& items = population.items();
  ASSERT_EQ(items.positives(0), 1000u);
  plan_settings settings;
  // scipy: z = norm.ppf(0.975); n0 = z^2/4/0.05^2 = 384.146; ceil(n0 / (1 + (n0 - 1)/N)).
  EXPECT_EQ(plan_sample_sizes(items, settings), (std::vector<std::size_t>{278, 278, 357, 0}));
  // With a prior of 0.9, n0 = 138.29: 122 of 1000, 135 of 5000.
  settings.prior_precision = parse_prior_precision("0.9", items);
  EXPECT_EQ(plan_sample_sizes(items, settings), (std::vector<std::size_t>{122, 122, 135, 0}));
  settings.prior_precision = parse_prior_precision("m2=0.9", items);
  EXPECT_EQ(plan_sample_sizes(items, settings), (std::vector<std::size_t>{278, 278, 135, 0}));
  // A wider margin and a lower confidence: n0 = 1.644854^2 / 4 / 0.1^2 = 67.64: 64 of 1000, 67 of
  // 5000.
  settings = plan_settings{};
  settings.margin_of_error = 0.1;
  settings.confidence_level = 0.9;
  EXPECT_EQ(plan_sample_sizes(items, settings), (std::vector<std::size_t>{64, 64, 67, 0}));
}

TEST(planner, make_plan_is_the_draw_plus_its_comparisons) {
  const test_population population(sizes_csv());
  const auto& items = population.items();
  for (const design_kind design : all_designs) {
    plan_settings settings;
    settings.design = design;
    settings.seed = 12;
    const sample_plan plan = make_plan(items, settings);
    EXPECT_EQ(plan.sample_sizes, (std::vector<std::size_t>{278, 278, 357, 0}));
    EXPECT_EQ(plan.naive_sum, 278u + 278u + 357u);
    EXPECT_DOUBLE_EQ(plan.expected_independent,
                     expected_distinct_independent(items, plan.sample_sizes));
    EXPECT_EQ(plan.settings.prior_precision, (std::vector<double>{0.5, 0.5, 0.5, 0.5}));
    expect_same_sample(plan.sample, draw_sample(items, design, plan.sample_sizes, 12, 1));
    expect_same_sample(plan.sample, make_plan(items, settings).sample);
  }
}

}  // namespace
}  // namespace frugal::sampling
