// Plans computed in parts (candidates.hpp) against make_plan on the whole table: any split of
// the rows, any merge order, the same samples, thresholds, queue and comparisons.

#include "frugal/sampling/candidates.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "frugal/error.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::sampling {
namespace {

// CSV text of a random ensemble: `members` models voting 1 with rates from 0.05 to 0.6.
std::string random_predictions(std::size_t rows, std::size_t members, std::uint64_t seed,
                               std::size_t first_row = 0) {
  std::mt19937_64 random(seed);
  std::string text = "id";
  for (std::size_t j = 0; j < members; ++j) text += ",m" + std::to_string(j + 1);
  text += '\n';
  for (std::size_t row = first_row; row < first_row + rows; ++row) {
    text += "item-" + std::to_string(row);
    for (std::size_t j = 0; j < members; ++j) {
      const double rate = 0.05 + 0.55 * static_cast<double>(j) / static_cast<double>(members);
      text += std::uniform_real_distribution<double>(0, 1)(random) < rate ? ",1" : ",0";
    }
    text += '\n';
  }
  return text;
}

// The rows [begin, end) of a CSV text, with its header.
std::string slice(const std::string& text, std::size_t begin, std::size_t end) {
  std::size_t at = text.find('\n') + 1;
  std::string out = text.substr(0, at);
  for (std::size_t row = 0; row < end && at < text.size(); ++row) {
    const std::size_t next = text.find('\n', at) + 1;
    if (row >= begin) out += text.substr(at, next - at);
    at = next;
  }
  return out;
}

struct split_case {
  std::size_t rows;
  std::vector<std::size_t> cuts;  // part boundaries, ascending, inside (0, rows)
  std::string rule;
  double margin;
};

class candidates_test : public testing::TestWithParam<split_case> {};

TEST_P(candidates_test, merged_parts_give_the_whole_table_plan) {
  const split_case& c = GetParam();
  const std::string text = random_predictions(c.rows, 4, 17);
  const io::prediction_table whole = io::parse_predictions(text, "whole.csv");
  const population items(whole, ensemble_rule::parse(c.rule));
  plan_settings settings;
  settings.seed = 99;
  settings.margin_of_error = c.margin;
  settings.prior_precision.assign(items.set_count(), 0.5);
  settings.prior_precision[2] = 0.8;  // one set with another prior: another capacity
  const sample_plan expected = make_plan(items, settings);
  const std::vector<std::size_t> capacities = candidate_capacities(items.set_count(), settings);

  std::vector<std::size_t> bounds{0};
  bounds.insert(bounds.end(), c.cuts.begin(), c.cuts.end());
  bounds.push_back(c.rows);
  std::vector<plan_candidates> parts;
  for (std::size_t p = 0; p + 1 < bounds.size(); ++p) {
    const io::prediction_table table =
        io::parse_predictions(slice(text, bounds[p], bounds[p + 1]), "part.csv");
    const population part(table, ensemble_rule::parse(c.rule));
    parts.push_back(collect_candidates(part, capacities, settings.seed));
  }
  // Left to right, and right to left: merging is commutative and associative.
  for (const bool reverse : {false, true}) {
    plan_candidates merged = parts[reverse ? parts.size() - 1 : 0];
    for (std::size_t i = 1; i < parts.size(); ++i)
      merge_candidates(merged, parts[reverse ? parts.size() - 1 - i : i]);
    EXPECT_EQ(merged.items, c.rows);
    const candidate_plan got = plan_from_candidates(merged, settings);
    EXPECT_EQ(got.sample_sizes, expected.sample_sizes);
    ASSERT_EQ(got.samples.size(), items.set_count());
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      EXPECT_EQ(merged.positives[s], items.positives(s));
      std::vector<std::string> ids;
      for (const std::uint32_t row : expected.sample.sets[s].rows) ids.emplace_back(whole.ids[row]);
      EXPECT_EQ(got.samples[s], ids) << "set " << s;
      EXPECT_EQ(got.threshold_keys[s], expected.sample.sets[s].threshold_key);
    }
    std::vector<std::string> queue;
    for (const std::uint32_t row : expected.sample.queue) queue.emplace_back(whole.ids[row]);
    EXPECT_EQ(got.queue, queue);
    EXPECT_EQ(got.naive_sum, expected.naive_sum);
    // Bit for bit: both add the same pattern terms in the same order.
    EXPECT_EQ(got.expected_independent, expected.expected_independent);
  }
}

INSTANTIATE_TEST_SUITE_P(
    splits, candidates_test,
    testing::Values(split_case{3000, {1}, "majority", 0.05},      // a one-row part
                    split_case{3000, {1000, 2000}, "any", 0.05},  // even thirds
                    split_case{5000, {10, 2500, 4999}, "atleast:3", 0.1},
                    split_case{400, {100, 200, 300}, "majority", 0.03},  // sets taken whole
                    split_case{2000, {700}, "all", 0.2}));

TEST(candidates, keep_at_most_the_capacity_in_priority_order) {
  const io::prediction_table table = io::parse_predictions(random_predictions(2000, 3, 5), "t");
  const population items(table, ensemble_rule{});
  const std::vector<std::size_t> capacities{10, 0, 3, 5000};
  const plan_candidates c = collect_candidates(items, capacities, 7);
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    EXPECT_EQ(c.sets[s].size(), std::min<std::size_t>(capacities[s], items.positives(s)));
    for (std::size_t i = 0; i < c.sets[s].size(); ++i) {
      EXPECT_EQ(c.sets[s][i].key, priority_key(7, c.sets[s][i].id));
      if (i > 0) {
        EXPECT_TRUE(priority_before(c.sets[s][i - 1].key, c.sets[s][i - 1].id, c.sets[s][i].key,
                                    c.sets[s][i].id));
      }
    }
  }
  std::uint64_t counted = 0;
  for (const pattern_count& p : c.patterns) counted += p.items;
  EXPECT_EQ(counted, table.size());
}

// Both counting paths (dense for up to 16 sets, hashed above) against a per-row reference, and
// the pattern-order sum against the per-row sum it replaced.
TEST(candidates, membership_patterns_match_a_per_row_count) {
  for (const std::size_t members : {std::size_t{5}, std::size_t{20}}) {
    const io::prediction_table table =
        io::parse_predictions(random_predictions(3000, members, 23), "t");
    const population items(table, ensemble_rule{});
    std::map<std::uint64_t, std::uint64_t> reference;
    for (std::size_t row = 0; row < items.items(); ++row) ++reference[items.membership(row)];
    const std::vector<pattern_count> patterns = membership_patterns(items);
    ASSERT_EQ(patterns.size(), reference.size());
    std::size_t i = 0;
    for (const auto& [pattern, count] : reference) {
      EXPECT_EQ(patterns[i].pattern, pattern);
      EXPECT_EQ(patterns[i].items, count);
      ++i;
    }
    std::vector<std::size_t> sizes(items.set_count());
    for (std::size_t s = 0; s < sizes.size(); ++s) sizes[s] = items.positives(s) / 3;
    double per_row = 0.0;
    for (std::size_t row = 0; row < items.items(); ++row) {
      double never = 1.0;
      for (std::size_t s = 0; s < items.set_count(); ++s) {
        if ((items.membership(row) >> s & 1) != 0)
          never *= 1.0 - static_cast<double>(sizes[s]) / static_cast<double>(items.positives(s));
      }
      per_row += items.membership(row) != 0 ? 1.0 - never : 0.0;
    }
    EXPECT_NEAR(expected_distinct_independent(items, sizes), per_row, 1e-9 * per_row);
  }
}

TEST(candidates, capacity_is_the_infinite_population_size_plus_one) {
  plan_settings settings;
  settings.prior_precision = {0.5, 0.9};
  EXPECT_EQ(candidate_capacities(2, settings), (std::vector<std::size_t>{386, 140}));
}

TEST(candidates, parts_with_other_sets_do_not_merge) {
  plan_candidates a, b;
  a.positives.assign(3, 0);
  a.capacities.assign(3, 1);
  a.sets.resize(3);
  b.positives.assign(4, 0);
  b.capacities.assign(4, 1);
  b.sets.resize(4);
  EXPECT_THROW(merge_candidates(a, b), input_error);
}

// Everything below was an assertion (an abort of the Python interpreter) or an out-of-bounds
// read; summaries arrive unpickled from other processes, so each is an input_error.
TEST(candidates, parts_with_other_capacities_do_not_merge) {
  const io::prediction_table table = io::parse_predictions(random_predictions(500, 3, 5), "t");
  const population items(table, ensemble_rule{});
  plan_settings wide;
  wide.margin_of_error = 0.2;
  plan_settings narrow;
  narrow.margin_of_error = 0.05;
  plan_candidates a = collect_candidates(items, candidate_capacities(items.set_count(), wide), 1);
  const plan_candidates b =
      collect_candidates(items, candidate_capacities(items.set_count(), narrow), 1);
  EXPECT_THROW(merge_candidates(a, b), input_error);
}

TEST(candidates, a_plan_at_a_narrower_margin_than_collected_is_refused) {
  const io::prediction_table table = io::parse_predictions(random_predictions(5000, 3, 5), "t");
  const population items(table, ensemble_rule{});
  plan_settings wide;
  wide.margin_of_error = 0.2;
  const plan_candidates c =
      collect_candidates(items, candidate_capacities(items.set_count(), wide), 1);
  plan_settings narrow;
  narrow.margin_of_error = 0.01;
  EXPECT_THROW(plan_from_candidates(c, narrow), input_error);
  EXPECT_NO_THROW(plan_from_candidates(c, wide));
}

TEST(candidates, summaries_that_collect_cannot_make_are_refused) {
  const io::prediction_table table = io::parse_predictions(random_predictions(500, 3, 5), "t");
  const population items(table, ensemble_rule{});
  const plan_settings settings;
  const plan_candidates good =
      collect_candidates(items, candidate_capacities(items.set_count(), settings), 1);
  EXPECT_NO_THROW(check_candidates(good));
  plan_candidates bad = good;
  bad.patterns.push_back({std::uint64_t{1} << 40, 5});  // a set that does not exist
  EXPECT_THROW(plan_from_candidates(bad, settings), input_error);
  bad = good;
  bad.capacities.pop_back();
  EXPECT_THROW(plan_from_candidates(bad, settings), input_error);
  bad = good;
  std::swap(bad.sets[1].front(), bad.sets[1].back());  // out of priority order
  EXPECT_THROW(plan_from_candidates(bad, settings), input_error);
  bad = good;
  bad.capacities[0] = 1;  // more candidates than kept
  EXPECT_THROW(plan_from_candidates(bad, settings), input_error);
  EXPECT_THROW(check_candidates(plan_candidates{}), input_error);  // no sets
}

}  // namespace
}  // namespace frugal::sampling
