// Properties of the model-update metrics on random prediction tables (seeded std::mt19937_64
// loops: random sizes, class counts, agreement and accuracy levels, labelled shares): the
// identities of DESIGN.md §1.2, the disagreement-sample estimate against the fully labelled
// metrics when the plan covers everything (finite-population corrections make the intervals
// points), and pairing's independence of the new file's row order. Each property reports its
// first counterexample.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/update/disagreement.hpp"
#include "frugal/update/flips.hpp"
#include "frugal/update/model_predictions.hpp"

namespace frugal::update {
namespace {

constexpr int case_count = 400;
constexpr double tolerance = 1e-12;

struct update_input {
  class_names classes;
  model_predictions old_model, new_model;
  model_pair pair;
};

std::unique_ptr<update_input> make_input(std::string_view old_csv, std::string_view new_csv) {
  auto input = std::make_unique<update_input>();
  input->old_model = parse_model_predictions(old_csv, "old.csv", input->classes);
  input->new_model = parse_model_predictions(new_csv, "new.csv", input->classes);
  input->pair = pair_models(input->old_model, input->new_model);
  return input;
}

// A random table: the old and new files (the new one also shuffled), partial labels and full
// labels (every item).
struct random_table {
  std::string description;
  std::string old_csv, new_csv, shuffled_new_csv, labels_csv, full_labels_csv;
  bool all_labelled = false;
};

random_table make_table(int case_number) {
  std::mt19937_64 random(0x5eed0000u + static_cast<std::uint64_t>(case_number));
  std::uniform_real_distribution<double> unit(0, 1);
  const std::size_t items = 1 + random() % (case_number % 10 == 0 ? 1500 : 200);
  const std::size_t classes = 2 + random() % 5;
  const double agreement = unit(random);  // chance the new model copies the old one
  const double old_skill = unit(random);  // chance the old model is right
  const double new_skill = unit(random);  // chance the new model is right (when it differs)
  const bool all_labelled = case_number % 2 == 0;
  const double labelled_share = all_labelled ? 1.0 : unit(random);
  auto any_class = [&] { return static_cast<std::size_t>(random() % classes); };
  random_table table;
  table.all_labelled = all_labelled;
  std::ostringstream description;
  description << "case " << case_number << ": " << items << " items, " << classes
              << " classes, agreement " << agreement << ", labelled " << labelled_share;
  table.description = description.str();
  table.old_csv = table.new_csv = "id,prediction\n";
  table.labels_csv = table.full_labels_csv = "id,label\n";
  std::vector<std::string> new_rows;
  for (std::size_t row = 0; row < items; ++row) {
    const std::size_t truth = any_class();
    const std::size_t old_class = unit(random) < old_skill ? truth : any_class();
    const std::size_t new_class = unit(random) < agreement   ? old_class
                                  : unit(random) < new_skill ? truth
                                                             : any_class();
    // Now and then a label that neither model predicts.
    const std::string label =
        unit(random) < 0.01 ? std::string("only-in-labels") : "k" + std::to_string(truth);
    const std::string id = "r" + std::to_string(row);
    table.old_csv += id + ",k" + std::to_string(old_class) + "\n";
    new_rows.push_back(id + ",k" + std::to_string(new_class) + "\n");
    table.full_labels_csv += id + "," + label + "\n";
    table.labels_csv += id + "," + (unit(random) < labelled_share ? label : "") + "\n";
  }
  for (const std::string& row : new_rows) table.new_csv += row;
  std::shuffle(new_rows.begin(), new_rows.end(), random);
  table.shuffled_new_csv = "id,prediction\n";
  for (const std::string& row : new_rows) table.shuffled_new_csv += row;
  return table;
}

// Counts the failures of a property and keeps the first counterexample.
class property {
 public:
  void check(bool holds, const std::string& context, const std::string& what) {
    if (holds) return;
    if (failures_++ == 0) first_ = context + ": " + what;
  }
  void near(double actual, double expected, const std::string& context, const std::string& what) {
    const bool both_nan = std::isnan(actual) && std::isnan(expected);
    std::ostringstream text;
    text.precision(17);
    text << what << " is " << actual << ", expected " << expected;
    check(both_nan || std::abs(actual - expected) <= tolerance, context, text.str());
  }
  int failures() const noexcept { return failures_; }
  const std::string& first() const noexcept { return first_; }

 private:
  int failures_ = 0;
  std::string first_;
};

#define EXPECT_PROPERTY(p) \
  EXPECT_EQ((p).failures(), 0) << "of " << case_count << " cases; first: " << (p).first()

TEST(UpdateProperties, FlipIdentities) {
  property accuracy_identity, churn_bound, bec_identity, btc_identity, class_sums;
  int checked_churn = 0, checked_bec = 0;
  for (int c = 0; c < case_count; ++c) {
    const random_table table = make_table(c);
    const auto input = make_input(table.old_csv, table.new_csv);
    const class_labels labels =
        parse_class_labels(table.labels_csv, "labels.csv", input->pair, input->classes);
    const flips_result flips = compute_flips(input->pair, labels, input->classes, 0.95);
    const flip_metrics& m = flips.overall;
    if (m.counts.total() > 0) {
      accuracy_identity.near(m.accuracy_new.value - m.accuracy_old.value, m.pfr.value - m.nfr.value,
                             table.description, "acc_new - acc_old vs PFR - NFR");
      accuracy_identity.near(m.accuracy_difference.value, m.pfr.value - m.nfr.value,
                             table.description, "accuracy_difference vs PFR - NFR");
    }
    if (table.all_labelled) {
      ++checked_churn;
      churn_bound.check(m.nfr.value + m.pfr.value <= m.churn.value + tolerance, table.description,
                        "NFR + PFR > churn");
    }
    if (m.nfi.defined()) {
      ++checked_bec;
      bec_identity.near(m.bec.value, 1 - m.nfi.value, table.description, "BEC vs 1 - NFI");
    } else {
      bec_identity.check(!m.bec.defined(), table.description, "BEC defined without NFI");
    }
    if (m.accuracy_old.defined() && m.accuracy_old.value > 0)
      btc_identity.near(m.btc.value, 1 - m.nfr.value / m.accuracy_old.value, table.description,
                        "BTC vs 1 - NFR/acc_old");
    // The per-class tables partition the labelled items (and, by old prediction, all items).
    flip_counts by_true, by_old;
    std::size_t old_items = 0, old_changed = 0;
    for (const class_flip_metrics& row : flips.by_true_class) {
      by_true.both_right += row.metrics.counts.both_right;
      by_true.negative_flips += row.metrics.counts.negative_flips;
      by_true.positive_flips += row.metrics.counts.positive_flips;
      by_true.both_wrong += row.metrics.counts.both_wrong;
    }
    for (const class_flip_metrics& row : flips.by_old_prediction) {
      by_old.negative_flips += row.metrics.counts.negative_flips;
      by_old.positive_flips += row.metrics.counts.positive_flips;
      old_items += row.metrics.items;
      old_changed += row.metrics.changed;
    }
    class_sums.check(by_true.both_right == m.counts.both_right &&
                         by_true.negative_flips == m.counts.negative_flips &&
                         by_true.positive_flips == m.counts.positive_flips &&
                         by_true.both_wrong == m.counts.both_wrong &&
                         by_old.negative_flips == m.counts.negative_flips &&
                         by_old.positive_flips == m.counts.positive_flips &&
                         old_items == input->pair.size() && old_changed == m.changed,
                     table.description, "per-class counts do not add up to the overall ones");
  }
  EXPECT_PROPERTY(accuracy_identity);
  EXPECT_PROPERTY(churn_bound);
  EXPECT_PROPERTY(bec_identity);
  EXPECT_PROPERTY(btc_identity);
  EXPECT_PROPERTY(class_sums);
  EXPECT_GT(checked_churn, case_count / 3);
  EXPECT_GT(checked_bec, case_count / 2);
}

// The estimate from a plan that labels the whole disagreement set (and, with an agreement
// stratum, the whole agreement set) equals the fully labelled metrics.
TEST(UpdateProperties, FullBudgetEstimateEqualsFlips) {
  property disagreement_only, with_agreement, stratified;
  for (int c = 0; c < case_count; ++c) {
    const random_table table = make_table(c);
    const auto input = make_input(table.old_csv, table.new_csv);
    const class_labels labels =
        parse_class_labels(table.full_labels_csv, "labels.csv", input->pair, input->classes);
    const flips_result flips = compute_flips(input->pair, labels, input->classes, 0.95);
    const flip_metrics& m = flips.overall;
    const std::size_t disagreements = input->pair.disagreements;

    plan_settings only_d;
    only_d.budget = std::max<std::size_t>(1, disagreements + static_cast<std::size_t>(c % 4));
    only_d.seed = static_cast<std::uint64_t>(c);
    const update_plan plan = make_update_plan(input->pair, input->classes, only_d);
    const update_estimate estimate =
        estimate_update(input->pair, labels, input->classes, plan, 0.95);
    disagreement_only.check(estimate.no_disagreement == (disagreements == 0), table.description,
                            "no_disagreement");
    disagreement_only.check(estimate.used == disagreements, table.description, "used != N_D");
    disagreement_only.near(estimate.nfr.value, m.nfr.value, table.description, "NFR");
    disagreement_only.near(estimate.pfr.value, m.pfr.value, table.description, "PFR");
    disagreement_only.near(estimate.accuracy_difference.value, m.accuracy_difference.value,
                           table.description, "accuracy difference");
    disagreement_only.near(estimate.nfr_upper_bound, m.nfr.value, table.description,
                           "NFR certificate (a census)");
    disagreement_only.check(estimate.nfr.lower == estimate.nfr.upper, table.description,
                            "NFR interval of a census is not a point");
    disagreement_only.near(estimate.nfr.lower, m.nfr.value, table.description, "NFR lower");
    disagreement_only.check(estimate.mcnemar_negative == m.counts.negative_flips &&
                                estimate.mcnemar_positive == m.counts.positive_flips,
                            table.description, "McNemar counts");

    // Twice N labels at share 1/2: the agreement stratum takes all of A, D all of D.
    plan_settings both = only_d;
    both.budget = 2 * input->pair.size();
    both.agreement_share = 0.5;
    const update_plan full_plan = make_update_plan(input->pair, input->classes, both);
    const update_estimate full =
        estimate_update(input->pair, labels, input->classes, full_plan, 0.95);
    with_agreement.check(full.used == input->pair.size(), table.description, "used != N");
    with_agreement.near(full.nfr.value, m.nfr.value, table.description, "NFR");
    with_agreement.near(full.accuracy_old.value, m.accuracy_old.value, table.description,
                        "accuracy old");
    with_agreement.near(full.accuracy_new.value, m.accuracy_new.value, table.description,
                        "accuracy new");
    with_agreement.near(full.error_rate_new.value, 1 - m.accuracy_new.value, table.description,
                        "error rate new");
    with_agreement.near(full.nfi.value, m.nfi.value, table.description, "NFI");
    with_agreement.near(full.btc.value, m.btc.value, table.description, "BTC");
    with_agreement.near(full.bec.value, m.bec.value, table.description, "BEC");
    with_agreement.check(full.nfi.defined() == m.nfi.defined() &&
                             full.btc.defined() == m.btc.defined() &&
                             full.bec.defined() == m.bec.defined(),
                         table.description, "defined-ness differs");

    // Stratified by pair, every pair stratum a census.
    plan_settings by_pair = only_d;
    by_pair.stratify_by_pair = true;
    const update_plan pair_plan = make_update_plan(input->pair, input->classes, by_pair);
    const update_estimate pairs =
        estimate_update(input->pair, labels, input->classes, pair_plan, 0.95);
    stratified.near(pairs.nfr.value, m.nfr.value, table.description, "NFR");
    stratified.near(pairs.pfr.value, m.pfr.value, table.description, "PFR");
    stratified.near(pairs.nfr_upper_bound, m.nfr.value, table.description, "NFR certificate");
  }
  EXPECT_PROPERTY(disagreement_only);
  EXPECT_PROPERTY(with_agreement);
  EXPECT_PROPERTY(stratified);
}

// A census of every stratum knows each total exactly: the finite-population corrections make
// every interval a point, with one stratum or several.
TEST(UpdateProperties, CensusIntervalsHaveZeroWidth) {
  // One property per metric, so that a failure says which estimates are affected.
  const char* agreement_names[] = {"NFR", "accuracy old", "accuracy new", "NFI", "BTC", "BEC"};
  property agreement_widths[6], stratified_widths[2];
  auto zero_width = [](const metric& m) { return !m.defined() || m.lower == m.upper; };
  auto describe = [](const char* name, const metric& m, std::size_t strata) {
    std::ostringstream text;
    text.precision(17);
    text << name << " " << m.value << " has interval [" << m.lower << ", " << m.upper << "] from "
         << strata << " census strata";
    return text.str();
  };
  for (int c = 0; c < case_count; ++c) {
    const random_table table = make_table(c);
    const auto input = make_input(table.old_csv, table.new_csv);
    if (input->pair.disagreements == 0) continue;
    const class_labels labels =
        parse_class_labels(table.full_labels_csv, "labels.csv", input->pair, input->classes);
    plan_settings both;
    both.budget = 2 * input->pair.size();
    both.agreement_share = 0.5;
    both.seed = static_cast<std::uint64_t>(c);
    const update_estimate full =
        estimate_update(input->pair, labels, input->classes,
                        make_update_plan(input->pair, input->classes, both), 0.95);
    const metric* agreement_metrics[] = {&full.nfr, &full.accuracy_old, &full.accuracy_new,
                                         &full.nfi, &full.btc,          &full.bec};
    for (int i = 0; i < 6; ++i)
      agreement_widths[i].check(
          zero_width(*agreement_metrics[i]), table.description,
          describe(agreement_names[i], *agreement_metrics[i], full.strata.size()));
    plan_settings by_pair;
    by_pair.budget = input->pair.disagreements;
    by_pair.stratify_by_pair = true;
    by_pair.seed = static_cast<std::uint64_t>(c);
    const update_estimate pairs =
        estimate_update(input->pair, labels, input->classes,
                        make_update_plan(input->pair, input->classes, by_pair), 0.95);
    stratified_widths[0].check(zero_width(pairs.nfr), table.description,
                               describe("NFR", pairs.nfr, pairs.strata.size()));
    stratified_widths[1].check(zero_width(pairs.pfr), table.description,
                               describe("PFR", pairs.pfr, pairs.strata.size()));
  }
  for (int i = 0; i < 6; ++i)
    EXPECT_PROPERTY(agreement_widths[i]) << " (" << agreement_names[i] << ")";
  EXPECT_PROPERTY(stratified_widths[0]) << " (stratified NFR)";
  EXPECT_PROPERTY(stratified_widths[1]) << " (stratified PFR)";
}

TEST(UpdateProperties, PairingIgnoresNewRowOrder) {
  property pairing;
  for (int c = 0; c < case_count; ++c) {
    const random_table table = make_table(c);
    const auto input = make_input(table.old_csv, table.new_csv);
    const auto shuffled = make_input(table.old_csv, table.shuffled_new_csv);
    bool same_classes = input->pair.size() == shuffled->pair.size() &&
                        input->pair.disagreements == shuffled->pair.disagreements;
    for (std::size_t row = 0; same_classes && row < input->pair.size(); ++row)
      same_classes = input->classes.name(input->pair.new_class[row]) ==
                         shuffled->classes.name(shuffled->pair.new_class[row]) &&
                     shuffled->new_model.ids[shuffled->pair.new_row[row]] == input->pair.id(row);
    pairing.check(same_classes, table.description, "paired classes differ");
    const flips_result a = compute_flips(
        input->pair,
        parse_class_labels(table.labels_csv, "labels.csv", input->pair, input->classes),
        input->classes, 0.95);
    const flips_result b = compute_flips(
        shuffled->pair,
        parse_class_labels(table.labels_csv, "labels.csv", shuffled->pair, shuffled->classes),
        shuffled->classes, 0.95);
    const flip_counts& x = a.overall.counts;
    const flip_counts& y = b.overall.counts;
    pairing.check(x.both_right == y.both_right && x.negative_flips == y.negative_flips &&
                      x.positive_flips == y.positive_flips && x.both_wrong == y.both_wrong &&
                      x.both_wrong_changed == y.both_wrong_changed &&
                      a.overall.changed == b.overall.changed,
                  table.description, "flip counts differ");
    pairing.check(a.by_old_prediction.size() == b.by_old_prediction.size(), table.description,
                  "per-class lists differ");
    for (std::size_t i = 0; i < std::min(a.by_old_prediction.size(), b.by_old_prediction.size());
         ++i)
      pairing.check(a.by_old_prediction[i].class_name == b.by_old_prediction[i].class_name &&
                        a.by_old_prediction[i].metrics.counts.negative_flips ==
                            b.by_old_prediction[i].metrics.counts.negative_flips,
                    table.description, "per-class flips differ");
  }
  EXPECT_PROPERTY(pairing);
}

// Random budgets: the plan never exceeds its budget, never exceeds a stratum, spends the budget
// when the strata can hold it, and a larger budget extends a smaller one.
TEST(UpdateProperties, PlanSizesAndNesting) {
  property sizes, nesting;
  for (int c = 0; c < case_count; ++c) {
    const random_table table = make_table(c);
    const auto input = make_input(table.old_csv, table.new_csv);
    std::mt19937_64 random(static_cast<std::uint64_t>(c) * 7919);
    plan_settings chosen;
    chosen.budget = 1 + random() % (input->pair.size() + 5);
    chosen.seed = random();
    chosen.agreement_share = c % 3 == 0 ? 0.0 : static_cast<double>(random() % 90) / 100;
    const update_plan plan = make_update_plan(input->pair, input->classes, chosen);
    const std::size_t agreement_items = input->pair.size() - input->pair.disagreements;
    std::size_t d_size = 0, a_size = 0;
    for (const plan_stratum& stratum : plan.strata) {
      sizes.check(stratum.ids.size() <= stratum.population, table.description,
                  "stratum sample above its population");
      (stratum.agreement ? a_size : d_size) += stratum.ids.size();
    }
    const std::size_t room =
        input->pair.disagreements + (chosen.agreement_share > 0 ? agreement_items : 0);
    sizes.check(plan.sample_size() == std::min(chosen.budget, room), table.description,
                "plan of " + std::to_string(plan.sample_size()) + " for a budget of " +
                    std::to_string(chosen.budget) + " (D " +
                    std::to_string(input->pair.disagreements) + ", A " +
                    std::to_string(agreement_items) + ", share " +
                    std::to_string(chosen.agreement_share) + ", plan D " + std::to_string(d_size) +
                    ", plan A " + std::to_string(a_size) + ")");
    plan_settings larger = chosen;
    larger.budget = chosen.budget * 2;
    const update_plan bigger = make_update_plan(input->pair, input->classes, larger);
    for (const plan_stratum& stratum : plan.strata) {
      const plan_stratum* other = nullptr;
      for (const plan_stratum& candidate : bigger.strata)
        if (candidate.name == stratum.name) other = &candidate;
      nesting.check(other != nullptr && other->ids.size() >= stratum.ids.size() &&
                        std::equal(stratum.ids.begin(), stratum.ids.end(), other->ids.begin()),
                    table.description, "stratum " + stratum.name + " not extended");
    }
  }
  EXPECT_PROPERTY(sizes);
  EXPECT_PROPERTY(nesting);
}

}  // namespace
}  // namespace frugal::update
