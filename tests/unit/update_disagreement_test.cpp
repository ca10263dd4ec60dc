// Disagreement sampling for model updates (frugal/update/disagreement.hpp) and the gate on its
// estimates (frugal/update/gate.hpp): plan sizes, determinism, nesting and stratification; plan
// files; the labelled-prefix rule of the estimate; McNemar's exact test, the hypergeometric
// bound (against a brute-force enumeration), the certification sizes, and gate decisions on
// bounds rather than estimates.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/sampling/priority.hpp"
#include "frugal/update/disagreement.hpp"
#include "frugal/update/gate.hpp"
#include "frugal/update/model_predictions.hpp"

namespace frugal::update {
namespace {

struct update_input {
  class_names classes;
  model_predictions old_model, new_model;
  model_pair pair;
};

// `count` rows predicted `old_class` by the old model and `new_class` by the new one.
struct group {
  std::string old_class, new_class;
  std::size_t count;
};

// The groups' rows shuffled with a fixed seed, ids "i0", "i1", ... in file order.
std::unique_ptr<update_input> make_population(const std::vector<group>& groups,
                                              std::uint64_t shuffle_seed = 5) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const group& g : groups)
    for (std::size_t i = 0; i < g.count; ++i) rows.emplace_back(g.old_class, g.new_class);
  std::mt19937_64 random(shuffle_seed);
  std::shuffle(rows.begin(), rows.end(), random);
  std::string old_csv = "id,prediction\n", new_csv = "id,prediction\n";
  for (std::size_t row = 0; row < rows.size(); ++row) {
    // Appended rather than "i" + std::to_string(row): GCC 12's false -Wrestrict (bug 105329).
    std::string id = "i";
    id += std::to_string(row);
    old_csv += id + "," + rows[row].first + "\n";
    new_csv += id + "," + rows[row].second + "\n";
  }
  auto input = std::make_unique<update_input>();
  input->old_model = parse_model_predictions(old_csv, "old.csv", input->classes);
  input->new_model = parse_model_predictions(new_csv, "new.csv", input->classes);
  input->pair = pair_models(input->old_model, input->new_model);
  return input;
}

// N = 200: 160 agreements, 40 disagreements in four (old, new) pairs of 30, 6, 3 and 1.
std::unique_ptr<update_input> standard_population() {
  return make_population({{"a", "a", 80},
                          {"b", "b", 80},
                          {"a", "b", 30},
                          {"b", "a", 6},
                          {"c", "a", 3},
                          {"a", "c", 1}});
}

plan_settings settings(std::size_t budget, double agreement_share = 0, std::uint64_t seed = 1,
                       bool stratify = false) {
  plan_settings result;
  result.budget = budget;
  result.agreement_share = agreement_share;
  result.seed = seed;
  result.stratify_by_pair = stratify;
  return result;
}

const plan_stratum* find_stratum(const update_plan& plan, std::string_view name) {
  for (const plan_stratum& stratum : plan.strata)
    if (stratum.name == name) return &stratum;
  return nullptr;
}

std::size_t row_of(const update_input& input, std::string_view id) {
  for (std::size_t row = 0; row < input.pair.size(); ++row)
    if (input.pair.id(row) == id) return row;
  ADD_FAILURE() << "no id " << id;
  return 0;
}

TEST(UpdatePlan, SizesPerStratum) {
  const auto input = standard_population();
  ASSERT_EQ(input->pair.disagreements, 40u);

  const update_plan only_d = make_update_plan(input->pair, input->classes, settings(10));
  ASSERT_EQ(only_d.strata.size(), 1u);
  EXPECT_EQ(only_d.strata[0].name, "disagreement");
  EXPECT_FALSE(only_d.strata[0].agreement);
  EXPECT_EQ(only_d.strata[0].population, 40u);
  EXPECT_EQ(only_d.strata[0].ids.size(), 10u);
  EXPECT_EQ(only_d.sample_size(), 10u);
  EXPECT_EQ(only_d.items, 200u);
  EXPECT_EQ(only_d.disagreements, 40u);
  for (const std::string& id : only_d.strata[0].ids) {
    const std::size_t row = row_of(*input, id);
    EXPECT_NE(input->pair.old_class[row], input->pair.new_class[row]) << id;
  }

  // round(20 * 0.25) = 5 agreement labels, the other 15 from the disagreement set.
  const update_plan shared = make_update_plan(input->pair, input->classes, settings(20, 0.25));
  ASSERT_NE(find_stratum(shared, "agreement"), nullptr);
  ASSERT_NE(find_stratum(shared, "disagreement"), nullptr);
  EXPECT_EQ(find_stratum(shared, "agreement")->ids.size(), 5u);
  EXPECT_EQ(find_stratum(shared, "agreement")->population, 160u);
  EXPECT_TRUE(find_stratum(shared, "agreement")->agreement);
  EXPECT_EQ(find_stratum(shared, "disagreement")->ids.size(), 15u);
  for (const std::string& id : find_stratum(shared, "agreement")->ids) {
    const std::size_t row = row_of(*input, id);
    EXPECT_EQ(input->pair.old_class[row], input->pair.new_class[row]) << id;
  }

  // The disagreement set holds only 40: without an agreement share the rest is not spent.
  const update_plan capped = make_update_plan(input->pair, input->classes, settings(100));
  ASSERT_EQ(capped.strata.size(), 1u);
  EXPECT_EQ(capped.strata[0].ids.size(), 40u);

  // With one, what the disagreement set cannot use goes to the agreement stratum.
  const update_plan leftover = make_update_plan(input->pair, input->classes, settings(100, 0.1));
  EXPECT_EQ(find_stratum(leftover, "disagreement")->ids.size(), 40u);
  EXPECT_EQ(find_stratum(leftover, "agreement")->ids.size(), 60u);
  EXPECT_EQ(leftover.sample_size(), 100u);

  // A budget above N takes everything.
  const update_plan all = make_update_plan(input->pair, input->classes, settings(500, 0.5));
  EXPECT_EQ(find_stratum(all, "disagreement")->ids.size(), 40u);
  EXPECT_EQ(find_stratum(all, "agreement")->ids.size(), 160u);

  EXPECT_THROW(make_update_plan(input->pair, input->classes, settings(0)), input_error);
  EXPECT_THROW(make_update_plan(input->pair, input->classes, settings(10, 1.0)), input_error);
  EXPECT_THROW(make_update_plan(input->pair, input->classes, settings(10, -0.1)), input_error);
}

// The header: "The agreement stratum gets round(budget * agreement_share) labels (at most its
// size), the disagreement set the rest (at most its size)". When the agreement set is smaller
// than its share, the rest of the budget is the disagreement set's.
TEST(UpdatePlan, DisagreementGetsWhatTheAgreementSetCannotUse) {
  const auto small_agreement = make_population({{"a", "a", 10}, {"a", "b", 200}});
  const update_plan plan =
      make_update_plan(small_agreement->pair, small_agreement->classes, settings(100, 0.5));
  ASSERT_NE(find_stratum(plan, "agreement"), nullptr);
  ASSERT_NE(find_stratum(plan, "disagreement"), nullptr);
  EXPECT_EQ(find_stratum(plan, "agreement")->ids.size(), 10u);
  EXPECT_EQ(find_stratum(plan, "disagreement")->ids.size(), 90u);
  EXPECT_EQ(plan.sample_size(), 100u);

  // No agreement at all: its share has nowhere to go but the disagreement set.
  const auto no_agreement = make_population({{"a", "b", 100}});
  const update_plan all_d =
      make_update_plan(no_agreement->pair, no_agreement->classes, settings(50, 0.2));
  EXPECT_EQ(find_stratum(all_d, "agreement"), nullptr);
  ASSERT_NE(find_stratum(all_d, "disagreement"), nullptr);
  EXPECT_EQ(find_stratum(all_d, "disagreement")->ids.size(), 50u);
}

TEST(UpdatePlan, SampleIsTheLowestPriorities) {
  const auto input = standard_population();
  const std::uint64_t seed = 77;
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(12, 0, seed));
  // Reference: every disagreement id sorted by (priority key, id).
  std::vector<std::string> ids;
  for (std::size_t row = 0; row < input->pair.size(); ++row)
    if (input->pair.old_class[row] != input->pair.new_class[row])
      ids.emplace_back(input->pair.id(row));
  std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
    return sampling::priority_before(sampling::priority_key(seed, a), a,
                                     sampling::priority_key(seed, b), b);
  });
  ids.resize(12);
  EXPECT_EQ(plan.strata[0].ids, ids);
}

TEST(UpdatePlan, DeterministicForASeed) {
  const auto input = standard_population();
  const auto again = standard_population();
  for (const bool stratify : {false, true}) {
    const plan_settings chosen = settings(30, 0.3, 12345, stratify);
    EXPECT_EQ(update_plan_json(make_update_plan(input->pair, input->classes, chosen)),
              update_plan_json(make_update_plan(again->pair, again->classes, chosen)));
  }
  const update_plan one = make_update_plan(input->pair, input->classes, settings(10, 0, 1));
  const update_plan two = make_update_plan(input->pair, input->classes, settings(10, 0, 2));
  EXPECT_NE(one.strata[0].ids, two.strata[0].ids);
  EXPECT_EQ(one.seed, 1u);
  EXPECT_EQ(two.seed, 2u);
}

TEST(UpdatePlan, LargerBudgetExtendsThePlan) {
  const auto input = make_population({{"a", "a", 500}, {"a", "b", 150}, {"b", "a", 100}});
  const update_plan small = make_update_plan(input->pair, input->classes, settings(50, 0, 9));
  const update_plan large = make_update_plan(input->pair, input->classes, settings(100, 0, 9));
  const std::vector<std::string>& a = small.strata[0].ids;
  const std::vector<std::string>& b = large.strata[0].ids;
  ASSERT_EQ(a.size(), 50u);
  ASSERT_EQ(b.size(), 100u);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));  // a prefix, in priority order
  const std::set<std::string> small_ids(a.begin(), a.end()), large_ids(b.begin(), b.end());
  EXPECT_TRUE(
      std::includes(large_ids.begin(), large_ids.end(), small_ids.begin(), small_ids.end()));
  // The agreement stratum nests the same way.
  const update_plan small_a = make_update_plan(input->pair, input->classes, settings(50, 0.4, 9));
  const update_plan large_a = make_update_plan(input->pair, input->classes, settings(100, 0.4, 9));
  const auto& sa = find_stratum(small_a, "agreement")->ids;
  const auto& la = find_stratum(large_a, "agreement")->ids;
  ASSERT_EQ(sa.size(), 20u);
  ASSERT_EQ(la.size(), 40u);
  EXPECT_TRUE(std::equal(sa.begin(), sa.end(), la.begin()));
  const auto& sd = find_stratum(small_a, "disagreement")->ids;
  const auto& ld = find_stratum(large_a, "disagreement")->ids;
  EXPECT_TRUE(std::equal(sd.begin(), sd.end(), ld.begin()));
}

std::map<std::string, std::size_t> pair_sizes(const update_plan& plan) {
  std::map<std::string, std::size_t> sizes;
  for (const plan_stratum& stratum : plan.strata)
    if (!stratum.agreement) sizes[stratum.name] = stratum.ids.size();
  return sizes;
}

TEST(UpdatePlan, StratifiedByPair) {
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(10, 0, 3, true));
  EXPECT_TRUE(plan.stratified);
  ASSERT_EQ(plan.strata.size(), 4u);
  for (const plan_stratum& stratum : plan.strata) {
    EXPECT_FALSE(stratum.agreement);
    EXPECT_EQ(stratum.name, stratum.old_class + " -> " + stratum.new_class);
    for (const std::string& id : stratum.ids) {
      const std::size_t row = row_of(*input, id);
      EXPECT_EQ(input->classes.name(input->pair.old_class[row]), stratum.old_class);
      EXPECT_EQ(input->classes.name(input->pair.new_class[row]), stratum.new_class);
    }
  }
  EXPECT_EQ(find_stratum(plan, "a -> b")->population, 30u);
  EXPECT_EQ(find_stratum(plan, "a -> c")->population, 1u);
  // Proportional: 7.5, 1.5, 0.75, 0.25 -> 7, 1, 1, 1 (at least one each).
  EXPECT_EQ(pair_sizes(plan), (std::map<std::string, std::size_t>{
                                  {"a -> b", 7}, {"a -> c", 1}, {"b -> a", 1}, {"c -> a", 1}}));
  // 15, 3, 1.5, 0.5 -> 15, 3, 1, 1.
  EXPECT_EQ(pair_sizes(make_update_plan(input->pair, input->classes, settings(20, 0, 3, true))),
            (std::map<std::string, std::size_t>{
                {"a -> b", 15}, {"a -> c", 1}, {"b -> a", 3}, {"c -> a", 1}}));
  // Every budget from the number of pairs up: at least one each, never above a pair's size,
  // the total equal to the budget (or to N_D).
  const std::map<std::string, std::size_t> limits{
      {"a -> b", 30}, {"a -> c", 1}, {"b -> a", 6}, {"c -> a", 3}};
  for (std::size_t budget = 4; budget <= 45; ++budget) {
    const auto sizes =
        pair_sizes(make_update_plan(input->pair, input->classes, settings(budget, 0, 3, true)));
    std::size_t total = 0;
    for (const auto& [name, size] : sizes) {
      EXPECT_GE(size, 1u) << name << " at budget " << budget;
      EXPECT_LE(size, limits.at(name)) << name << " at budget " << budget;
      total += size;
    }
    EXPECT_EQ(total, std::min<std::size_t>(budget, 40)) << "budget " << budget;
  }
  // With an agreement share: 10 agreement labels, the other 10 as above.
  const update_plan with_a =
      make_update_plan(input->pair, input->classes, settings(20, 0.5, 3, true));
  EXPECT_EQ(find_stratum(with_a, "agreement")->ids.size(), 10u);
  EXPECT_EQ(pair_sizes(with_a), pair_sizes(plan));
  // A budget below the number of pairs cannot give each one label.
  EXPECT_THROW(make_update_plan(input->pair, input->classes, settings(3, 0, 3, true)), input_error);
  // The agreement share is rounded down (floor(8 * 0.7) = 5), leaving 3 labels for 4 pairs.
  EXPECT_THROW(make_update_plan(input->pair, input->classes, settings(8, 0.7, 3, true)),
               input_error);
}

TEST(UpdatePlan, EmptyDisagreementSetHasNoDisagreementStratum) {
  const auto input = make_population({{"a", "a", 20}, {"b", "b", 10}});
  ASSERT_EQ(input->pair.disagreements, 0u);
  EXPECT_TRUE(make_update_plan(input->pair, input->classes, settings(5)).strata.empty());
  EXPECT_TRUE(
      make_update_plan(input->pair, input->classes, settings(5, 0, 1, true)).strata.empty());
  const update_plan with_a = make_update_plan(input->pair, input->classes, settings(10, 0.5));
  ASSERT_EQ(with_a.strata.size(), 1u);
  EXPECT_TRUE(with_a.strata[0].agreement);
  EXPECT_EQ(with_a.strata[0].ids.size(), 10u);  // the disagreement set's part is unusable
}

// ---------------------------------------------------------------------------------------------
// Plan files.

void expect_same_plan(const update_plan& a, const update_plan& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.old_fingerprint, b.old_fingerprint);
  EXPECT_EQ(a.new_fingerprint, b.new_fingerprint);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.disagreements, b.disagreements);
  EXPECT_EQ(a.budget, b.budget);
  EXPECT_EQ(a.agreement_share, b.agreement_share);
  EXPECT_EQ(a.stratified, b.stratified);
  ASSERT_EQ(a.strata.size(), b.strata.size());
  for (std::size_t h = 0; h < a.strata.size(); ++h) {
    EXPECT_EQ(a.strata[h].name, b.strata[h].name);
    EXPECT_EQ(a.strata[h].agreement, b.strata[h].agreement);
    EXPECT_EQ(a.strata[h].old_class, b.strata[h].old_class);
    EXPECT_EQ(a.strata[h].new_class, b.strata[h].new_class);
    EXPECT_EQ(a.strata[h].population, b.strata[h].population);
    EXPECT_EQ(a.strata[h].ids, b.strata[h].ids);
  }
}

TEST(UpdatePlanFile, RoundTrip) {
  const auto input = standard_population();
  for (const bool stratify : {false, true}) {
    const update_plan plan = make_update_plan(input->pair, input->classes,
                                              settings(25, 0.3, 0xFFFFFFFFFFFFFFFFull, stratify));
    const std::string text = update_plan_json(plan);
    const update_plan back = parse_update_plan(text, "plan.json");
    expect_same_plan(plan, back);
    EXPECT_EQ(update_plan_json(back), text);
    EXPECT_NO_THROW(check_plan_matches(back, input->pair));
  }
}

void expect_plan_error(const std::string& text, std::size_t line = 0, std::size_t column = 0) {
  try {
    parse_update_plan(text, "plan.json");
    ADD_FAILURE() << "accepted:\n" << text;
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "plan.json");
    EXPECT_EQ(error.line(), line) << error.what();
    EXPECT_EQ(error.column(), column) << error.what();
  }
}

TEST(UpdatePlanFile, TamperedPlansAreRefused) {
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(12, 0.25, 4));
  const nlohmann::ordered_json good = nlohmann::ordered_json::parse(update_plan_json(plan));
  auto tampered = [&](const std::function<void(nlohmann::ordered_json&)>& change) {
    nlohmann::ordered_json copy = good;
    change(copy);
    return copy.dump(2);
  };
  expect_plan_error(tampered([](auto& j) { j["seed"] = "4"; }));
  expect_plan_error(tampered([](auto& j) { j["seed"] = -4; }));
  expect_plan_error(tampered([](auto& j) { j["budget"] = 12.5; }));
  expect_plan_error(tampered([](auto& j) { j["stratified"] = 0; }));
  expect_plan_error(tampered([](auto& j) { j["agreement_share"] = "0.25"; }));
  expect_plan_error(tampered([](auto& j) { j["kind"] = "frugal plan"; }));
  expect_plan_error(tampered([](auto& j) { j["hash"] = "md5"; }));
  expect_plan_error(tampered([](auto& j) { j.erase("items"); }));
  expect_plan_error(tampered([](auto& j) { j["old"] = "0123456789abcdef"; }));
  expect_plan_error(tampered([](auto& j) { j["strata"] = nlohmann::ordered_json::object(); }));
  expect_plan_error(tampered([](auto& j) { j["strata"][0]["sample_size"] = 8; }));
  expect_plan_error(tampered([](auto& j) { j["strata"][0]["ids"].push_back("i1000"); }));
  expect_plan_error(tampered([](auto& j) { j["strata"][0]["ids"][0] = 5; }));
  expect_plan_error(tampered([](auto& j) { j["strata"][0]["ids"][0] = ""; }));
  expect_plan_error(tampered([](auto& j) { j["strata"][0]["population"] = 3; }));
  expect_plan_error(tampered([](auto& j) { j["disagreements"] = 41; }));
  expect_plan_error(tampered([](auto& j) { j["items"] = 100; }));
  expect_plan_error(tampered([](auto& j) { j["strata"][0]["agreement"] = "no"; }));
  expect_plan_error(tampered([](auto& j) { j["strata"][0] = 3; }));
  expect_plan_error("[1, 2]", 1, 1);
  // Syntax errors are positioned: the ']' is on line 2, column 11.
  expect_plan_error("{\n  \"kind\": ]\n}\n", 2, 11);
  expect_plan_error("{\n  \"kind\": \"frugal update plan\",\n  \"seed\": 1,,\n}", 3, 13);
  // An untampered copy passes.
  EXPECT_NO_THROW(parse_update_plan(good.dump(2), "plan.json"));
}

TEST(UpdatePlanFile, CheckPlanMatchesRejectsOtherPredictions) {
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(12));
  EXPECT_NO_THROW(check_plan_matches(plan, input->pair));
  // The same items, one new prediction changed.
  auto other = std::make_unique<update_input>();
  std::string new_csv = "id,prediction\n";
  for (std::size_t row = 0; row < input->pair.size(); ++row)
    new_csv += std::string(input->pair.id(row)) + "," +
               (row == 0 ? "zz" : input->classes.name(input->pair.new_class[row])) + "\n";
  for (const std::string& name : input->classes.all()) other->classes.intern(name);
  other->old_model = input->old_model;
  other->new_model = parse_model_predictions(new_csv, "other-new.csv", other->classes);
  other->pair = pair_models(other->old_model, other->new_model);
  try {
    check_plan_matches(plan, other->pair);
    ADD_FAILURE() << "other new predictions accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "other-new.csv");
  }
  // Other old predictions.
  const auto same = standard_population();
  const auto different = make_population(
      {{"a", "a", 80}, {"b", "b", 80}, {"a", "b", 30}, {"b", "a", 6}, {"c", "a", 3}, {"a", "c", 1}},
      6);
  try {
    check_plan_matches(plan, different->pair);
    ADD_FAILURE() << "other old predictions accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "old.csv");
  }
  EXPECT_NO_THROW(check_plan_matches(plan, same->pair));
  // estimate_update checks it too.
  const class_labels none =
      parse_class_labels("id,label\n", "l.csv", different->pair, different->classes);
  EXPECT_THROW(estimate_update(different->pair, none, different->classes, plan, 0.95), input_error);
}

TEST(UpdatePlanFile, QueueListsEverySampledIdOnceInPriorityOrder) {
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(20, 0.5, 31));
  const std::string queue = update_queue_csv(plan, input->pair);
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < queue.size();) {
    const std::size_t end = queue.find('\n', at);
    lines.push_back(queue.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 21u);
  EXPECT_EQ(lines[0], "order,id,label,content");
  std::vector<std::string> expected;
  for (const plan_stratum& stratum : plan.strata)
    expected.insert(expected.end(), stratum.ids.begin(), stratum.ids.end());
  std::sort(expected.begin(), expected.end(), [&](const std::string& a, const std::string& b) {
    return sampling::priority_before(sampling::priority_key(31, a), a,
                                     sampling::priority_key(31, b), b);
  });
  for (std::size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(lines[i + 1], std::to_string(i + 1) + "," + expected[i] + ",,");  // blind, blank
}

// ---------------------------------------------------------------------------------------------
// Estimates.

// The class an item's label needs for it to be of `kind` ("nf", "pf", "ww", "rr").
std::string truth_for(const update_input& input, std::size_t row, std::string_view kind) {
  const std::string& old_name = input.classes.name(input.pair.old_class[row]);
  const std::string& new_name = input.classes.name(input.pair.new_class[row]);
  if (kind == "nf" || kind == "rr") return old_name;
  if (kind == "pf") return new_name;
  for (const char* name : {"a", "b", "c", "d"})
    if (old_name != name && new_name != name) return name;
  return "";
}

TEST(UpdateEstimate, LabelledPrefixRule) {
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(10, 0, 21));
  const std::vector<std::string>& ids = plan.strata[0].ids;
  ASSERT_EQ(ids.size(), 10u);
  // Positions 0-3 labelled (nf, pf, pf, ww), 4 not, 5-9 labelled (all negative flips, unused).
  const std::vector<std::string> kinds = {"nf", "pf", "pf", "ww", "", "nf", "nf", "nf", "nf", "nf"};
  std::string labels_csv = "id,label\n";
  std::set<std::string> sampled(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (!kinds[i].empty())
      labels_csv += ids[i] + "," + truth_for(*input, row_of(*input, ids[i]), kinds[i]) + "\n";
  // Two labels outside the plan: an agreement item and an unsampled disagreement item.
  std::size_t outside = 0;
  bool have_agreement = false, have_disagreement = false;
  for (std::size_t row = 0; row < input->pair.size(); ++row) {
    const std::string id(input->pair.id(row));
    if (sampled.contains(id)) continue;
    const bool agrees = input->pair.old_class[row] == input->pair.new_class[row];
    if ((agrees && have_agreement) || (!agrees && have_disagreement)) continue;
    (agrees ? have_agreement : have_disagreement) = true;
    labels_csv += id + "," + truth_for(*input, row, "nf") + "\n";
    ++outside;
  }
  ASSERT_EQ(outside, 2u);
  const class_labels labels =
      parse_class_labels(labels_csv, "labels.csv", input->pair, input->classes);
  const update_estimate estimate = estimate_update(input->pair, labels, input->classes, plan, 0.95);
  EXPECT_EQ(estimate.items, 200u);
  EXPECT_EQ(estimate.disagreements, 40u);
  EXPECT_DOUBLE_EQ(estimate.disagreement_rate, 0.2);
  EXPECT_EQ(estimate.planned, 10u);
  EXPECT_EQ(estimate.used, 4u);
  EXPECT_EQ(estimate.unused_labelled, 5u);
  EXPECT_EQ(estimate.outside_plan, 2u);
  EXPECT_EQ(estimate.tied, 0u);
  ASSERT_EQ(estimate.strata.size(), 1u);
  EXPECT_EQ(estimate.strata[0].used, 4u);
  EXPECT_EQ(estimate.strata[0].planned, 10u);
  EXPECT_EQ(estimate.strata[0].negative_flips, 1u);
  EXPECT_EQ(estimate.strata[0].positive_flips, 2u);
  EXPECT_EQ(estimate.strata[0].both_wrong, 1u);
  // NFR = d k/n = 0.2 * 1/4, PFR = 0.2 * 2/4.
  EXPECT_NEAR(estimate.nfr.value, 0.05, 1e-12);
  EXPECT_NEAR(estimate.pfr.value, 0.10, 1e-12);
  EXPECT_NEAR(estimate.accuracy_difference.value, 0.05, 1e-12);
  // One stratum: Wilson with the finite-population correction on 1/4 of 40, scaled by 40/200.
  const auto wilson =
      estimation::interval_for_proportion(estimation::interval_method::wilson, 1, 4, 40, 0.95);
  EXPECT_NEAR(estimate.nfr.lower, 0.2 * wilson.lower, 1e-12);
  EXPECT_NEAR(estimate.nfr.upper, 0.2 * wilson.upper, 1e-12);
  EXPECT_NEAR(estimate.nfr_upper_bound, hypergeometric_upper_count(1, 4, 40, 0.95) / 200, 1e-12);
  EXPECT_EQ(estimate.mcnemar_negative, 1u);
  EXPECT_EQ(estimate.mcnemar_positive, 2u);
  EXPECT_DOUBLE_EQ(estimate.mcnemar_p_value, 1.0);  // 2 * P(X <= 1 | 3, 1/2) = 1
  ASSERT_EQ(estimate.sampled_flips.size(), 3u);
  EXPECT_EQ(estimate.sampled_flips[0].row, row_of(*input, ids[0]));
  EXPECT_TRUE(estimate.sampled_flips[0].negative);
  EXPECT_FALSE(estimate.sampled_flips[1].negative);
  // No agreement stratum: the metrics that need it are undefined.
  EXPECT_FALSE(estimate.has_agreement_stratum);
  EXPECT_FALSE(estimate.nfi.defined());
  EXPECT_TRUE(std::isnan(estimate.accuracy_old.value));
  EXPECT_TRUE(std::isnan(estimate.btc.value));
  // Per class, a domain estimate within D: class c's part of D holds N_Dc items, of which n_c
  // are in the used prefix with k_c negative flips, so the estimate is N_Dc k_c / n_c flips.
  for (const class_flip_estimate& row : estimate.by_old_prediction) {
    std::size_t old_predicted = 0, in_d = 0, used = 0, flips = 0;
    for (std::size_t r = 0; r < input->pair.size(); ++r) {
      if (input->pair.old_class[r] != row.class_index) continue;
      ++old_predicted;
      in_d += input->pair.new_class[r] != row.class_index;
    }
    for (std::size_t i = 0; i < 4; ++i) {
      const std::size_t r = row_of(*input, ids[i]);
      if (input->pair.old_class[r] != row.class_index) continue;
      ++used;
      flips += kinds[i] == "nf";
    }
    EXPECT_EQ(row.old_predicted, old_predicted);
    const double denominator = static_cast<double>(old_predicted);
    if (in_d == 0) {
      EXPECT_EQ(row.nfr.value, 0.0) << row.class_name;
      EXPECT_EQ(row.upper_bound, 0.0) << row.class_name;
    } else if (used == 0) {
      EXPECT_FALSE(row.nfr.defined()) << row.class_name;
      EXPECT_NEAR(row.upper_bound, static_cast<double>(in_d) / denominator, 1e-12);
    } else {
      EXPECT_NEAR(row.nfr.value,
                  static_cast<double>(in_d * flips) / static_cast<double>(used) / denominator,
                  1e-12)
          << row.class_name;
      EXPECT_NEAR(row.upper_bound,
                  hypergeometric_upper_count(flips, used, in_d, 0.95) / denominator, 1e-12);
      EXPECT_LE(row.nfr.upper, static_cast<double>(in_d) / denominator + 1e-12);
    }
  }
}

TEST(UpdateEstimate, TiedLabelStopsThePrefix) {
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(6, 0, 8));
  const std::vector<std::string>& ids = plan.strata[0].ids;
  std::string labels_csv = "id,label,annotator\n";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::size_t row = row_of(*input, ids[i]);
    labels_csv += ids[i] + "," + truth_for(*input, row, "pf") + ",x\n";
    if (i == 2) labels_csv += ids[i] + "," + truth_for(*input, row, "nf") + ",y\n";
  }
  const class_labels labels =
      parse_class_labels(labels_csv, "labels.csv", input->pair, input->classes);
  const update_estimate estimate = estimate_update(input->pair, labels, input->classes, plan, 0.95);
  EXPECT_EQ(estimate.tied, 1u);
  EXPECT_EQ(estimate.used, 2u);
  EXPECT_EQ(estimate.unused_labelled, 3u);
  EXPECT_NEAR(estimate.pfr.value, 0.2, 1e-12);
  EXPECT_EQ(estimate.nfr.value, 0.0);
}

TEST(UpdateEstimate, NoLabelsGivesUndefinedEstimateAndTheTrivialBound) {
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(6));
  const class_labels none = parse_class_labels("id,label\n", "l.csv", input->pair, input->classes);
  const update_estimate estimate = estimate_update(input->pair, none, input->classes, plan, 0.95);
  EXPECT_FALSE(estimate.nfr.defined());
  EXPECT_EQ(estimate.used, 0u);
  EXPECT_NEAR(estimate.nfr_upper_bound, 0.2, 1e-12);  // all of D could be negative flips
  EXPECT_EQ(estimate.mcnemar_p_value, 1.0);
}

TEST(UpdateEstimate, EmptyDisagreementSet) {
  const auto input = make_population({{"a", "a", 20}, {"b", "b", 10}});
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(5));
  const class_labels none = parse_class_labels("id,label\n", "l.csv", input->pair, input->classes);
  const update_estimate estimate = estimate_update(input->pair, none, input->classes, plan, 0.95);
  EXPECT_TRUE(estimate.no_disagreement);
  EXPECT_EQ(estimate.nfr.value, 0.0);
  EXPECT_EQ(estimate.nfr.lower, 0.0);
  EXPECT_EQ(estimate.nfr.upper, 0.0);
  EXPECT_EQ(estimate.pfr.value, 0.0);
  EXPECT_EQ(estimate.accuracy_difference.value, 0.0);
  EXPECT_EQ(estimate.nfr_upper_bound, 0.0);
  EXPECT_EQ(estimate.mcnemar_p_value, 1.0);
  EXPECT_EQ(estimate.disagreement_rate, 0.0);
  for (const class_flip_estimate& row : estimate.by_old_prediction) {
    EXPECT_EQ(row.nfr.value, 0.0);
    EXPECT_EQ(row.upper_bound, 0.0);
  }
  gate_limits limits;
  limits.max_nfr = 0;
  limits.max_class_nfr = 0;
  EXPECT_TRUE(gate_from_estimate(estimate, input->pair, limits).passed);
}

// ---------------------------------------------------------------------------------------------
// McNemar, the hypergeometric bound and certification sizes.

TEST(UpdateStatistics, McNemarExactPValue) {
  EXPECT_NEAR(mcnemar_exact_p_value(0, 5), 2.0 / 32, 1e-15);
  EXPECT_NEAR(mcnemar_exact_p_value(5, 0), 2.0 / 32, 1e-15);
  EXPECT_EQ(mcnemar_exact_p_value(4, 4), 1.0);
  EXPECT_EQ(mcnemar_exact_p_value(0, 0), 1.0);
  EXPECT_NEAR(mcnemar_exact_p_value(1, 9), 2.0 * 11 / 1024, 1e-15);
  EXPECT_NEAR(mcnemar_exact_p_value(9, 1), 2.0 * 11 / 1024, 1e-15);
  EXPECT_NEAR(mcnemar_exact_p_value(2, 8), 2.0 * 56 / 1024, 1e-15);
  EXPECT_NEAR(mcnemar_exact_p_value(0, 1), 1.0, 1e-15);
  EXPECT_NEAR(mcnemar_exact_p_value(3, 12), 2.0 * (1 + 15 + 105 + 455) / 32768, 1e-14);
}

// log C(n, k).
double log_choose(double n, double k) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

// P(X <= k) for X hypergeometric: n draws from N items of which M are of the kind.
double hypergeometric_cdf(int k, int n, int big_n, int m) {
  double sum = 0;
  for (int x = std::max(0, n - (big_n - m)); x <= std::min(k, std::min(n, m)); ++x)
    sum += std::exp(log_choose(m, x) + log_choose(big_n - m, n - x) - log_choose(big_n, n));
  return sum;
}

TEST(UpdateStatistics, HypergeometricUpperCountBruteForce) {
  const int big_n = 30;
  int ties = 0;
  for (const double confidence : {0.8, 0.9, 0.95, 0.99}) {
    for (int n = 1; n <= big_n; ++n) {
      for (int k = 0; k <= n; ++k) {
        // The largest M with P(X <= k | N, M, n) > 1 - C. A tail that equals 1 - C up to
        // rounding (1/5 of 30 at C = 0.8, where 1 - C is 0.19999999999999996 in binary) may go
        // either way: both answers are accepted there.
        int largest_sure = -1, largest_possible = -1;
        for (int m = 0; m <= big_n; ++m) {
          const double tail = hypergeometric_cdf(k, n, big_n, m);
          if (tail > 1 - confidence + 1e-9) largest_sure = m;
          if (tail > 1 - confidence - 1e-9) largest_possible = m;
        }
        ties += largest_sure != largest_possible;
        const double bound = hypergeometric_upper_count(
            static_cast<std::size_t>(k), static_cast<std::size_t>(n), big_n, confidence);
        EXPECT_GE(bound, static_cast<double>(largest_sure))
            << "k " << k << " n " << n << " C " << confidence;
        EXPECT_LE(bound, static_cast<double>(largest_possible))
            << "k " << k << " n " << n << " C " << confidence;
      }
    }
  }
  EXPECT_LT(ties, 10);  // the brute force is exact almost everywhere
  EXPECT_EQ(hypergeometric_upper_count(0, 0, 30, 0.95), 30.0);
  EXPECT_EQ(hypergeometric_upper_count(3, 30, 30, 0.95), 3.0);  // a census knows the count
  EXPECT_THROW(hypergeometric_upper_count(0, 5, 30, 1.0), input_error);
}

TEST(UpdateStatistics, ZeroFlipBoundIsBelowTheBinomialOne) {
  for (const std::size_t population : {50u, 300u, 2000u, 100000u}) {
    for (const std::size_t n : {1u, 5u, 30u, 50u, 299u, 300u, 1000u}) {
      if (n > population) continue;
      for (const double confidence : {0.9, 0.95, 0.99}) {
        const double bound = hypergeometric_upper_count(0, n, population, confidence);
        const double binomial = 1 - std::pow(1 - confidence, 1.0 / static_cast<double>(n));
        EXPECT_LE(bound / static_cast<double>(population), binomial + 1e-12)
            << population << " " << n << " " << confidence;
        EXPECT_GE(bound, 0.0);
      }
    }
  }
  // REFERENCES.md: 300 labels at 95% -> about 0.99% of a large disagreement set.
  EXPECT_NEAR(hypergeometric_upper_count(0, 300, 10000000, 0.95) / 1e7, 0.0099, 0.0001);
}

TEST(UpdateStatistics, LabelsToCertify) {
  // d = 0.01 <= 0.02: no label needed.
  const certification_size free = labels_to_certify(1000, 10, 0.02, 0.95);
  EXPECT_TRUE(free.certified_without_labels);
  EXPECT_EQ(free.disagreement_labels, std::optional<std::size_t>(0));

  const std::size_t items = 10000, disagreements = 1000;
  const double target = 0.005;
  const certification_size size = labels_to_certify(items, disagreements, target, 0.95);
  EXPECT_FALSE(size.certified_without_labels);
  ASSERT_TRUE(size.disagreement_labels.has_value());
  ASSERT_TRUE(size.uniform_labels.has_value());
  const std::size_t n_d = *size.disagreement_labels, n_u = *size.uniform_labels;
  auto share = [&](std::size_t n, std::size_t population) {
    return hypergeometric_upper_count(0, n, population, 0.95) / static_cast<double>(items);
  };
  EXPECT_LE(share(n_d, disagreements), target);
  EXPECT_GT(share(n_d - 1, disagreements), target);
  EXPECT_LE(share(n_u, items), target);
  EXPECT_GT(share(n_u - 1, items), target);
  // About 1/d fewer labels from the disagreement set.
  EXPECT_LT(n_d * 5, n_u);

  // An NFR of 0.05 shows 500 flips even in a census of D: 0.05 > 0.01 cannot be certified.
  const certification_size impossible = labels_to_certify(items, disagreements, 0.01, 0.95, 0.05);
  EXPECT_FALSE(impossible.disagreement_labels.has_value());
  EXPECT_FALSE(impossible.uniform_labels.has_value());

  EXPECT_THROW(labels_to_certify(items, disagreements, 0, 0.95), input_error);
  EXPECT_THROW(labels_to_certify(items, disagreements, 1, 0.95), input_error);
  EXPECT_THROW(labels_to_certify(items, disagreements, 0.01, 1), input_error);
  EXPECT_THROW(labels_to_certify(items, disagreements, 0.01, 0.95, 0.2), input_error);
  EXPECT_THROW(labels_to_certify(items, items + 1, 0.01, 0.95), input_error);
}

// With assumed flips the sample shows round(q n) of them (q = assumed NFR / d), so whether n
// labels certify is not monotone in n: 0 flips at n = 27 certifies, 1 flip at n = 28 does not.
// The answer must still be well defined: the fewest labels that certify (the header's words), or
// the fewest from which every larger sample certifies (what a planner can rely on). A linear scan
// finds both.
TEST(UpdateStatistics, LabelsToCertifyWithAssumedFlipsIsWellDefined) {
  const std::size_t items = 3000, disagreements = 300;
  const double target = 0.01;
  for (int step = 1; step <= 18; ++step) {
    const double assumed = 0.0005 * step;
    const certification_size size = labels_to_certify(items, disagreements, target, 0.95, assumed);
    const double flip_share = assumed * static_cast<double>(items) / disagreements;
    std::optional<std::size_t> fewest;
    std::size_t last_failing = 0;
    for (std::size_t n = 1; n <= disagreements; ++n) {
      const auto flips =
          static_cast<std::size_t>(std::llround(flip_share * static_cast<double>(n)));
      if (hypergeometric_upper_count(flips, n, disagreements, 0.95) <= target * items) {
        if (!fewest) fewest = n;
      } else {
        last_failing = n;
      }
    }
    ASSERT_TRUE(fewest.has_value());
    ASSERT_TRUE(size.disagreement_labels.has_value());
    const std::size_t answer = *size.disagreement_labels;
    EXPECT_TRUE(answer == *fewest || answer == last_failing + 1)
        << "assumed NFR " << assumed << ": " << answer
        << " labels, but the fewest that certify are " << *fewest
        << " and every sample of at least " << last_failing + 1 << " certifies";
  }
}

// ---------------------------------------------------------------------------------------------
// The gate on an estimate.

TEST(UpdateGate, EstimateGateDecidesOnTheBound) {
  const auto input = standard_population();
  update_estimate estimate;
  estimate.nfr = {0.01, 0.002, 0.03, 2, 200};
  estimate.nfr_upper_bound = 0.03;
  estimate.by_old_prediction.push_back({0, "a", 100, {0.01, 0, 0.05, 1, 100}, 0.04});
  estimate.by_old_prediction.push_back({1, "b", 80, {0.0, 0, 0.02, 0, 80}, 0.015});
  estimate.by_old_prediction.push_back({2, "c", 20, {0.0, 0, 0.2, 0, 20}, 0.2});
  gate_limits limits;
  limits.max_nfr = 0.02;
  limits.max_class_nfr = 0.02;
  const gate_verdict verdict = gate_from_estimate(estimate, input->pair, limits);
  EXPECT_FALSE(verdict.passed);
  ASSERT_EQ(verdict.checks.size(), 4u);
  EXPECT_EQ(verdict.checks[0].metric, "nfr");
  EXPECT_EQ(verdict.checks[0].estimate, 0.01);  // below the budget ...
  EXPECT_EQ(verdict.checks[0].bound, 0.03);     // ... but the bound is not
  EXPECT_FALSE(verdict.checks[0].passed);
  EXPECT_EQ(verdict.failing_classes, (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(verdict.checks[2].passed);
  EXPECT_FALSE(verdict.decision_rule.empty());

  limits.max_nfr = 0.03;
  limits.max_class_nfr = 0.2;
  EXPECT_TRUE(gate_from_estimate(estimate, input->pair, limits).passed);

  gate_limits churn;
  churn.max_churn = 0.2;  // exactly 40/200
  EXPECT_TRUE(gate_from_estimate(estimate, input->pair, churn).passed);
  churn.max_churn = 0.19;
  EXPECT_FALSE(gate_from_estimate(estimate, input->pair, churn).passed);
}

TEST(UpdateGate, EstimateGateOnRealLabels) {
  // Zero flips in 10 labels of 40 disagreements: estimate 0, bound well above 1%.
  const auto input = standard_population();
  const update_plan plan = make_update_plan(input->pair, input->classes, settings(10, 0, 2));
  std::string labels_csv = "id,label\n";
  for (const std::string& id : plan.strata[0].ids)
    labels_csv += id + "," + truth_for(*input, row_of(*input, id), "pf") + "\n";
  const class_labels labels =
      parse_class_labels(labels_csv, "labels.csv", input->pair, input->classes);
  const update_estimate estimate = estimate_update(input->pair, labels, input->classes, plan, 0.95);
  EXPECT_EQ(estimate.nfr.value, 0.0);
  EXPECT_NEAR(estimate.nfr_upper_bound, hypergeometric_upper_count(0, 10, 40, 0.95) / 200, 1e-12);
  gate_limits limits;
  limits.max_nfr = 0.01;
  EXPECT_FALSE(gate_from_estimate(estimate, input->pair, limits).passed);
  limits.max_nfr = estimate.nfr_upper_bound;
  EXPECT_TRUE(gate_from_estimate(estimate, input->pair, limits).passed);
}

}  // namespace
}  // namespace frugal::update
