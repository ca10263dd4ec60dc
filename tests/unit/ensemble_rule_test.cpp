// The `weighted` ensemble rule (DESIGN.md §1.1, "precision of any other vote rule"): its text
// form, the errors it reports, its round trip through to_string(), and the parent set it makes,
// checked against sums worked out by hand.

#include "frugal/sampling/ensemble_rule.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "frugal/error.hpp"
#include "frugal/sampling/population.hpp"
#include "statistics/population_builder.hpp"

namespace frugal::sampling {
namespace {

using test_support::csv_from_rows;
using test_support::test_population;

// parse() throws frugal::input_error whose message names the rule and contains `expected`.
void expect_parse_error(const std::string& text, const std::string& expected) {
  try {
    ensemble_rule::parse(text);
    ADD_FAILURE() << '"' << text << "\" parsed";
  } catch (const input_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("ensemble rule " + text + ": "), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos)
        << '"' << text << "\": expected \"" << expected << "\" in: " << message;
  }
}

TEST(weighted_rule, parses_names_weights_and_threshold) {
  const ensemble_rule rule =
      ensemble_rule::parse("weighted:m1=2,m2=0.5,other model=0,threshold=2.5");
  EXPECT_EQ(rule.rule, ensemble_rule::kind::weighted);
  EXPECT_EQ(rule.weights,
            (std::vector<member_weight>{{"m1", 2.0}, {"m2", 0.5}, {"other model", 0.0}}));
  EXPECT_EQ(rule.weight_threshold, 2.5);
  EXPECT_EQ(rule.threshold, 0u);
  EXPECT_EQ(rule.column, "");

  // NAME is everything before the last '='; only the final entry is the threshold, so a member
  // may be named "threshold".
  const ensemble_rule odd_names = ensemble_rule::parse("weighted:a=b=1,threshold=3,threshold=1e-3");
  EXPECT_EQ(odd_names.weights, (std::vector<member_weight>{{"a=b", 1.0}, {"threshold", 3.0}}));
  EXPECT_EQ(odd_names.weight_threshold, 0.001);
}

TEST(weighted_rule, reports_what_is_wrong) {
  expect_parse_error("weighted:", "empty list");
  expect_parse_error("weighted:threshold=1", "no member listed");
  expect_parse_error("weighted:,threshold=1", "no member listed");
  expect_parse_error("weighted:a=1", "missing threshold");
  expect_parse_error("weighted:a=1,b=1", "missing threshold");
  expect_parse_error("weighted:a=1,threshold", "missing threshold");
  expect_parse_error("weighted:threshold=1,a=1", "missing threshold");
  for (const char* weight : {"x", "", "1x", " 1", "+1", "--1", "0x10", "inf", "nan", "1e999"})
    expect_parse_error(fmt::format("weighted:a={},threshold=1", weight),
                       fmt::format("the weight of \"a\", \"{}\", is not a finite number", weight));
  expect_parse_error("weighted:a=-1,threshold=1", "the weight of \"a\" is negative (-1)");
  expect_parse_error("weighted:a=-0.25,threshold=1", "negative");
  for (const char* threshold : {"0", "-1", "", "abc", "inf", "0x1"})
    expect_parse_error(fmt::format("weighted:a=1,threshold={}", threshold),
                       fmt::format("threshold \"{}\" is not a finite number > 0", threshold));
  expect_parse_error("weighted:a=1,b=2,a=3,threshold=1", "member \"a\" is listed twice");
  expect_parse_error("weighted:a,threshold=1", "\"a\" is not NAME=W");
  expect_parse_error("weighted:a=1,,threshold=1", "\"\" is not NAME=W");
  expect_parse_error("weighted:=1,threshold=1", "has no member name");
  // "weighted" alone is not the weighted form; the generic message lists it.
  expect_parse_error("weighted", "weighted:NAME=W,...,threshold=T");
}

TEST(weighted_rule, prints_the_shortest_text_that_reads_back_equal) {
  for (const char* text :
       {"weighted:a=1,threshold=1", "weighted:m1=0.7,m4=0.1,m2=0.5,threshold=0.8",
        "weighted:x=0,y=2.5,threshold=1e-05", "weighted:a=b=1,threshold=3,threshold=1e+20"})
    EXPECT_EQ(ensemble_rule::parse(text).to_string(), text);
  // Other spellings of the same numbers print in the one shortest form.
  const ensemble_rule spelled = ensemble_rule::parse("weighted:a=0.50,b=1E-3,c=.25,threshold=1.0");
  EXPECT_EQ(spelled.to_string(), "weighted:a=0.5,b=0.001,c=0.25,threshold=1");
  EXPECT_EQ(ensemble_rule::parse(spelled.to_string()), spelled);

  // Any finite non-negative double survives the trip bit for bit.
  detail::random_source random(7, 0x72756c65ull);
  const std::vector<double> edges = {1.0 / 3.0,
                                     0.1,
                                     1e-300,
                                     std::numeric_limits<double>::min(),
                                     std::numeric_limits<double>::denorm_min(),
                                     std::numeric_limits<double>::max(),
                                     123456789.125};
  for (std::size_t trial = 0; trial < 500; ++trial) {
    ensemble_rule rule;
    rule.rule = ensemble_rule::kind::weighted;
    for (std::size_t j = 0; j < 3; ++j) {
      const double weight = trial < edges.size() && j == 0
                                ? edges[trial]
                                : random.unit() * std::pow(10.0, random.unit() * 40.0 - 20.0);
      rule.weights.push_back({test_support::numbered("m", j), weight});
    }
    rule.weight_threshold = trial < edges.size() ? edges[trial] : random.unit() * 10.0 + 1e-9;
    const std::string text = rule.to_string();
    EXPECT_EQ(ensemble_rule::parse(text), rule) << text;
  }
}

TEST(weighted_rule, has_no_vote_count_threshold) {
  EXPECT_THROW(ensemble_rule::parse("weighted:a=1,threshold=1").votes_needed(3), std::logic_error);
  // The sum is compared with a relative tolerance of 1e-12 only.
  const ensemble_rule rule = ensemble_rule::parse("weighted:a=0.7,b=0.1,threshold=0.8");
  EXPECT_TRUE(rule.weighted_vote(0.8));
  EXPECT_TRUE(rule.weighted_vote(0.7 + 0.1));
  EXPECT_FALSE(rule.weighted_vote(0.8 - 1e-9));
}

// Members a..d. With weighted:a=0.7,c=0.1,d=0.5,threshold=0.8 (b unlisted, so 0), by hand:
//   r0 0000: 0        r1 1000: 0.7      r2 1100: 0.7 + 0 = 0.7      r3 1010: 0.7 + 0.1 = 0.8 *
//   r4 0011: 0.6      r5 1001: 1.2 *    r6 0111: 0 + 0.1 + 0.5      r7 1111: 1.3 *
// so the parent is {r3, r5, r7}. In binary 0.7 + 0.1 is 0.7999999999999999 < 0.8: r3 is the
// row the tolerance is for.
TEST(weighted_rule, population_parent_sums_the_weights_of_members_voting_one) {
  ASSERT_LT(0.7 + 0.1, 0.8);
  const test_population hand(csv_from_rows({"a", "b", "c", "d"}, {{"r0", "0000"},
                                                                  {"r1", "1000"},
                                                                  {"r2", "1100"},
                                                                  {"r3", "1010"},
                                                                  {"r4", "0011"},
                                                                  {"r5", "1001"},
                                                                  {"r6", "0111"},
                                                                  {"r7", "1111"}}),
                             ensemble_rule::parse("weighted:a=0.7,c=0.1,d=0.5,threshold=0.8"));
  const population& items = hand.items();
  EXPECT_EQ(items.positive_rows(0), (std::vector<std::uint32_t>{3, 5, 7}));
  EXPECT_EQ(items.positives(0), 3u);
  // Vote-count strata of the parent: r3 and r5 have 2 votes, r7 has 4.
  EXPECT_EQ(items.stratum_size(0, 2), 2u);
  EXPECT_EQ(items.stratum_size(0, 4), 1u);
  EXPECT_EQ(items.membership(3), 0b01011u);

  // Listing order does not change the parent; zero weights change nothing.
  const test_population reordered(
      csv_from_rows({"a", "b", "c", "d"}, {{"r0", "1010"}, {"r1", "0101"}, {"r2", "1001"}}),
      ensemble_rule::parse("weighted:d=0.5,b=0,c=0.1,a=0.7,threshold=0.8"));
  EXPECT_EQ(reordered.items().positive_rows(0), (std::vector<std::uint32_t>{0, 2}));
}

TEST(weighted_rule, population_rejects_a_name_that_is_not_a_member) {
  const std::string csv = csv_from_rows({"a", "b", "c"}, {{"r0", "101"}, {"r1", "110"}});
  try {
    test_population population(csv, ensemble_rule::parse("weighted:a=1,zz=1,threshold=1"));
    ADD_FAILURE() << "an unknown member was accepted";
  } catch (const input_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("\"zz\" is not a member; the members are a, b, c"), std::string::npos)
        << message;
  }
  // A column of the file that --models left out is not a member either.
  io::read_options options;
  options.models = {"a", "b"};
  EXPECT_THROW(
      (test_population{csv, ensemble_rule::parse("weighted:a=1,c=1,threshold=1"), options}),
      input_error);
  EXPECT_NO_THROW(
      (test_population{csv, ensemble_rule::parse("weighted:a=1,b=1,threshold=1"), options}));

  // A rule built by hand is checked as parse() would check it.
  ensemble_rule by_hand;
  by_hand.rule = ensemble_rule::kind::weighted;
  by_hand.weights = {{"a", 1.0}, {"a", 2.0}};
  by_hand.weight_threshold = 1.0;
  EXPECT_THROW((test_population{csv, by_hand}), input_error);
  by_hand.weights = {{"a", -1.0}};
  EXPECT_THROW((test_population{csv, by_hand}), input_error);
  by_hand.weights = {{"a", 1.0}};
  by_hand.weight_threshold = 0.0;
  EXPECT_THROW((test_population{csv, by_hand}), input_error);
}

}  // namespace
}  // namespace frugal::sampling
