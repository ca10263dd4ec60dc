// The acceptance bar for label projection, on real data: SLURP test natural paraphrase
// pairs (harvest/projection_evaluation.hpp), slot-first exact match >= 0.99 clean and >= 0.88
// with 30% of the target's slot words damaged (seeds 1, 2, 3), greedy reported beside it. Most
// pairs come from large groups of slot-less utterances ("what time is it" ...), where only the
// intent is carried, so the bar is also asserted on the pairs whose source has a slot.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "frugal/estimation/intervals.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/edit_distance.hpp"
#include "frugal/harvest/projection.hpp"
#include "frugal/harvest/text.hpp"
#include "harvest/projection_evaluation.hpp"
#include "harvest/projection_reference.hpp"

namespace frugal::harvest {
namespace {

const std::vector<annotated_utterance>& slurp_test() {
  static const std::vector<annotated_utterance> data =
      read_slurp(std::string(FRUGAL_SHARED_DATA_DIR) + "/slurp/test.jsonl");
  return data;
}

detail::projection_score score(projection_method method, double rate, std::uint64_t seed) {
  static const std::vector<detail::natural_pair> pairs = detail::natural_pairs(slurp_test());
  projection_settings settings;
  settings.method = method;
  return detail::score_projection(
      slurp_test(), pairs, rate, seed,
      [&](const annotated_utterance& source, const std::vector<std::string>& target) {
        return project(source, target, settings);
      });
}

// "0.9950 [0.9921, 0.9969]": exact / pairs with its 95% Wilson interval, for the log (pairs
// share utterances, so the interval is if anything too narrow).
std::string with_interval(std::size_t exact, std::size_t pairs) {
  const estimation::proportion_interval interval = estimation::interval_for_proportion(
      estimation::interval_method::wilson, double(exact), double(pairs), 0, 0.95);
  return fmt::format("{:.4f} [{:.4f}, {:.4f}]", pairs == 0 ? 0.0 : double(exact) / double(pairs),
                     interval.lower, interval.upper);
}

TEST(ProjectionSlurp, NaturalPairsAreManyAndShareSlotValues) {
  const auto pairs = detail::natural_pairs(slurp_test());
  EXPECT_GT(pairs.size(), 10000u);  // the data README: about 18k ordered pairs
  for (std::size_t k = 0; k < pairs.size(); k += 97) {
    const annotated_utterance& a = slurp_test()[pairs[k].source];
    const annotated_utterance& b = slurp_test()[pairs[k].target];
    EXPECT_EQ(a.intent, b.intent);
    EXPECT_EQ(slot_values(a), slot_values(b));
    EXPECT_NE(utterance_key(a.tokens), utterance_key(b.tokens));
  }
}

TEST(ProjectionSlurp, NoiseDamagesAboutThirtyPercentOfSlotWordsWithOneEdit) {
  const auto pairs = detail::natural_pairs(slurp_test());
  std::size_t slot_words = 0, damaged = 0, other_changed = 0;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const annotated_utterance& target = slurp_test()[pairs[k].target];
    frugal::detail::random_source random(1, k);
    const std::vector<std::string> tokens = detail::damaged_tokens(target, 0.3, random);
    ASSERT_EQ(tokens.size(), target.tokens.size());
    std::vector<bool> in_slot(tokens.size(), false);
    for (const slot_span& slot : target.slots)
      for (std::size_t i = slot.start; i < slot.end; ++i) in_slot[i] = true;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      ASSERT_FALSE(tokens[i].empty());
      if (!in_slot[i]) {
        other_changed += tokens[i] != target.tokens[i];
        continue;
      }
      ++slot_words;
      if (tokens[i] == target.tokens[i]) continue;  // (a substitution never restores the word)
      ++damaged;
      const auto a = decode_utf8(tokens[i]), b = decode_utf8(target.tokens[i]);
      EXPECT_EQ(levenshtein_reference(a, b), 1u) << target.tokens[i] << " -> " << tokens[i];
    }
  }
  EXPECT_EQ(other_changed, 0u);
  // Binomial(slot_words, 0.3): 5 standard deviations (words repeat across pairs but draws are
  // independent per pair).
  const double n = double(slot_words), expected = 0.3 * n;
  EXPECT_NEAR(double(damaged), expected, 5 * std::sqrt(n * 0.3 * 0.7));
}

TEST(ProjectionSlurp, SlotFirstMeetsTheBarCleanAndDamaged) {
  const detail::projection_score clean = score(projection_method::slot_first, 0.0, 1);
  const detail::projection_score greedy = score(projection_method::greedy, 0.0, 1);
  std::cout << "SLURP test natural pairs: " << clean.pairs << " (" << clean.with_slots
            << " with slots); exact match [95% Wilson]\n  clean: slot-first "
            << with_interval(clean.exact, clean.pairs) << " ("
            << with_interval(clean.exact_with_slots, clean.with_slots) << " with slots), greedy "
            << with_interval(greedy.exact, greedy.pairs) << " ("
            << with_interval(greedy.exact_with_slots, greedy.with_slots) << ")\n";
  EXPECT_GE(clean.exact_match(), 0.99);
  EXPECT_GE(clean.exact_match_with_slots(), 0.99);
  EXPECT_GT(clean.with_slots, 1000u);
  // Slot-first fixes what greedy's carrier words take: a clear gap where there are slots.
  EXPECT_GT(clean.exact_match_with_slots(), greedy.exact_match_with_slots() + 0.01);
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    const detail::projection_score damaged = score(projection_method::slot_first, 0.3, seed);
    const detail::projection_score damaged_greedy = score(projection_method::greedy, 0.3, seed);
    std::cout << "  30% of slot words damaged, seed " << seed << ": slot-first "
              << with_interval(damaged.exact, damaged.pairs) << " ("
              << with_interval(damaged.exact_with_slots, damaged.with_slots)
              << " with slots), greedy "
              << with_interval(damaged_greedy.exact, damaged_greedy.pairs) << " ("
              << with_interval(damaged_greedy.exact_with_slots, damaged_greedy.with_slots) << ")\n";
    EXPECT_GE(damaged.exact_match(), 0.88) << "seed " << seed;
    EXPECT_GE(damaged.exact_match_with_slots(), 0.88) << "seed " << seed;
    EXPECT_GE(damaged.exact_match(), damaged_greedy.exact_match()) << "seed " << seed;
  }
}

TEST(ProjectionSlurp, FastAgreesWithReferenceOnDamagedSlurpPairs) {
  const auto pairs = detail::natural_pairs(slurp_test());
  for (const projection_method method :
       {projection_method::slot_first, projection_method::greedy}) {
    projection_settings settings;
    settings.method = method;
    for (std::size_t k = 0; k < pairs.size(); k += 7) {
      frugal::detail::random_source random(5, k);
      const std::vector<std::string> target =
          detail::damaged_tokens(slurp_test()[pairs[k].target], 0.5, random);
      const annotated_utterance& source = slurp_test()[pairs[k].source];
      const projection_result fast = project(source, target, settings);
      const projection_result reference = detail::project_reference(source, target, settings);
      ASSERT_EQ(fast.ok, reference.ok) << k;
      ASSERT_EQ(fast.reason, reference.reason) << k;
      ASSERT_EQ(fast.slots, reference.slots) << k;
    }
  }
}

}  // namespace
}  // namespace frugal::harvest
