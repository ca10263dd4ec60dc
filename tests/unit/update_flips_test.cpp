// Flip metrics of a model update on a labelled set (frugal/update/flips.hpp), the readers they
// stand on (frugal/update/model_predictions.hpp) and the gate on a fully labelled set
// (frugal/update/gate.hpp): every metric of a 10-item table against values computed by hand,
// undefined metrics, intervals, and each reader error with its position.

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/update/flips.hpp"
#include "frugal/update/gate.hpp"
#include "frugal/update/model_predictions.hpp"

namespace frugal::update {
namespace {

// Both models read from in-memory CSV with shared class names, then paired. Held by pointer:
// the pair points at the predictions.
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

// Runs `action`, which must throw an input_error at file:line:column whose message holds every
// string of `parts`.
void expect_input_error(const std::function<void()>& action, const std::string& file,
                        std::size_t line, std::size_t column,
                        const std::vector<std::string>& parts = {}) {
  try {
    action();
    ADD_FAILURE() << "no input_error thrown (expected " << file << ":" << line << ":" << column
                  << ")";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), file) << error.what();
    EXPECT_EQ(error.line(), line) << error.what();
    EXPECT_EQ(error.column(), column) << error.what();
    for (const std::string& part : parts)
      EXPECT_NE(std::string(error.what()).find(part), std::string::npos)
          << "\"" << part << "\" not in: " << error.what();
  }
}

void expect_metric(const metric& m, double value, double denominator) {
  EXPECT_NEAR(m.value, value, 1e-12);
  EXPECT_EQ(m.denominator, denominator);
  EXPECT_TRUE(m.defined());
  EXPECT_LE(m.lower, m.value);
  EXPECT_GE(m.upper, m.value);
  EXPECT_GE(m.lower, 0.0);
}

void expect_undefined(const metric& m) {
  EXPECT_TRUE(std::isnan(m.value));
  EXPECT_TRUE(std::isnan(m.lower));
  EXPECT_TRUE(std::isnan(m.upper));
  EXPECT_EQ(m.denominator, 0.0);
  EXPECT_FALSE(m.defined());
}

// The hand-computed table. Rows: id, true class, old prediction, new prediction.
//   1 a a a  both right        6 a b a  positive flip
//   2 a a a  both right        7 c a b  both wrong, changed
//   3 b b b  both right        8 b c c  both wrong
//   4 b b a  negative flip     9 - a b  unlabelled (blank label), changed
//   5 c c b  negative flip    10 a c c  both wrong
// Labelled n = 9: rr = 3, nf = 2, pf = 1, ww = 3 (1 changed); changed among all 10: 4 5 6 7 9.
constexpr std::string_view table_old =
    "id,prediction\n1,a\n2,a\n3,b\n4,b\n5,c\n6,b\n7,a\n8,c\n9,a\n10,c\n";
constexpr std::string_view table_new =
    "id,prediction\n1,a\n2,a\n3,b\n4,a\n5,b\n6,a\n7,b\n8,c\n9,b\n10,c\n";
constexpr std::string_view table_labels =
    "id,label\n1,a\n2,a\n3,b\n4,b\n5,c\n6,a\n7,c\n8,b\n9,\n10,a\n";

TEST(UpdateFlips, EveryMetricOfTheHandTable) {
  const auto input = make_input(table_old, table_new);
  EXPECT_EQ(input->pair.size(), 10u);
  EXPECT_EQ(input->pair.disagreements, 5u);
  const class_labels labels =
      parse_class_labels(table_labels, "labels.csv", input->pair, input->classes);
  EXPECT_EQ(labels.records, 10u);
  EXPECT_EQ(labels.labelled_items, 9u);
  EXPECT_EQ(labels.tied_items, 0u);
  EXPECT_EQ(labels.by_row[8], class_labels::unlabelled);
  EXPECT_TRUE(labels.classes_only_in_labels.empty());

  const flips_result flips = compute_flips(input->pair, labels, input->classes, 0.95);
  EXPECT_EQ(flips.items, 10u);
  EXPECT_EQ(flips.labelled, 9u);
  const flip_metrics& m = flips.overall;
  EXPECT_EQ(m.counts.both_right, 3u);
  EXPECT_EQ(m.counts.negative_flips, 2u);
  EXPECT_EQ(m.counts.positive_flips, 1u);
  EXPECT_EQ(m.counts.both_wrong, 3u);
  EXPECT_EQ(m.counts.both_wrong_changed, 1u);
  EXPECT_EQ(m.items, 10u);
  EXPECT_EQ(m.changed, 5u);
  expect_metric(m.accuracy_old, 5.0 / 9, 9);
  expect_metric(m.accuracy_new, 4.0 / 9, 9);
  expect_metric(m.nfr, 2.0 / 9, 9);
  expect_metric(m.pfr, 1.0 / 9, 9);
  expect_metric(m.nfi, 2.0 / 5, 5);      // nf / (nf + ww)
  expect_metric(m.pfi, 1.0 / 4, 4);      // pf / (pf + ww)
  expect_metric(m.btc, 3.0 / 5, 5);      // rr / (rr + nf)
  expect_metric(m.bec, 3.0 / 5, 5);      // ww / (nf + ww), not ww / (pf + ww) = 3/4
  expect_metric(m.churn, 5.0 / 10, 10);  // over all items, not the 4/9 of the labelled ones
  // relative NFR = NFR / (acc_old * ER_new) = (2/9) / ((5/9)(5/9)) = 18/25.
  EXPECT_NEAR(m.relative_nfr.value, 18.0 / 25, 1e-12);
  EXPECT_LE(m.relative_nfr.lower, m.relative_nfr.value);
  EXPECT_GE(m.relative_nfr.upper, m.relative_nfr.value);
  EXPECT_NEAR(m.accuracy_difference.value, -1.0 / 9, 1e-12);
  EXPECT_LE(m.accuracy_difference.lower, m.accuracy_difference.value);
  EXPECT_GE(m.accuracy_difference.upper, m.accuracy_difference.value);
  EXPECT_GE(m.accuracy_difference.lower, -1.0);
  EXPECT_LE(m.accuracy_difference.upper, 1.0);
}

TEST(UpdateFlips, PerClassByTrueClassAndByOldPrediction) {
  const auto input = make_input(table_old, table_new);
  const class_labels labels =
      parse_class_labels(table_labels, "labels.csv", input->pair, input->classes);
  const flips_result flips = compute_flips(input->pair, labels, input->classes, 0.95);

  // By true class, labelled items only: a = {1, 2, 6, 10}, b = {3, 4, 8}, c = {5, 7}.
  ASSERT_EQ(flips.by_true_class.size(), 3u);
  const flip_metrics& true_a = flips.by_true_class[0].metrics;
  const flip_metrics& true_b = flips.by_true_class[1].metrics;
  const flip_metrics& true_c = flips.by_true_class[2].metrics;
  EXPECT_EQ(flips.by_true_class[0].class_name, "a");
  EXPECT_EQ(flips.by_true_class[1].class_name, "b");
  EXPECT_EQ(flips.by_true_class[2].class_name, "c");
  EXPECT_EQ(true_a.counts.both_right, 2u);
  EXPECT_EQ(true_a.counts.positive_flips, 1u);
  EXPECT_EQ(true_a.counts.both_wrong, 1u);
  expect_metric(true_a.nfr, 0, 4);
  expect_metric(true_a.nfi, 0, 1);
  expect_metric(true_a.churn, 1.0 / 4, 4);
  expect_metric(true_a.accuracy_new, 3.0 / 4, 4);
  EXPECT_EQ(true_b.counts.both_right, 1u);
  EXPECT_EQ(true_b.counts.negative_flips, 1u);
  EXPECT_EQ(true_b.counts.both_wrong, 1u);
  expect_metric(true_b.nfr, 1.0 / 3, 3);
  expect_metric(true_b.btc, 1.0 / 2, 2);
  expect_metric(true_b.churn, 1.0 / 3, 3);
  EXPECT_EQ(true_c.counts.negative_flips, 1u);
  EXPECT_EQ(true_c.counts.both_wrong, 1u);
  EXPECT_EQ(true_c.counts.both_wrong_changed, 1u);
  expect_metric(true_c.nfr, 1.0 / 2, 2);
  expect_metric(true_c.churn, 1.0, 2);
  expect_metric(true_c.pfi, 0, 1);
  expect_metric(true_a.pfi, 1.0 / 2, 2);
  expect_metric(true_a.btc, 1, 2);
}

TEST(UpdateFlips, PerClassByOldPrediction) {
  const auto input = make_input(table_old, table_new);
  const class_labels labels =
      parse_class_labels(table_labels, "labels.csv", input->pair, input->classes);
  const flips_result flips = compute_flips(input->pair, labels, input->classes, 0.95);
  // Old a = {1, 2, 7, 9 (unlabelled)}, old b = {3, 4, 6}, old c = {5, 8, 10}; churn over all.
  ASSERT_EQ(flips.by_old_prediction.size(), 3u);
  const flip_metrics& old_a = flips.by_old_prediction[0].metrics;
  const flip_metrics& old_b = flips.by_old_prediction[1].metrics;
  const flip_metrics& old_c = flips.by_old_prediction[2].metrics;
  EXPECT_EQ(old_a.counts.total(), 3u);
  EXPECT_EQ(old_a.counts.both_right, 2u);
  EXPECT_EQ(old_a.counts.both_wrong, 1u);
  EXPECT_EQ(old_a.items, 4u);
  expect_metric(old_a.churn, 2.0 / 4, 4);
  expect_metric(old_a.nfr, 0, 3);
  EXPECT_EQ(old_b.counts.both_right, 1u);
  EXPECT_EQ(old_b.counts.negative_flips, 1u);
  EXPECT_EQ(old_b.counts.positive_flips, 1u);
  expect_metric(old_b.nfr, 1.0 / 3, 3);
  expect_metric(old_b.churn, 2.0 / 3, 3);
  EXPECT_EQ(old_c.counts.negative_flips, 1u);
  EXPECT_EQ(old_c.counts.both_wrong, 2u);
  expect_metric(old_c.nfr, 1.0 / 3, 3);
  expect_metric(old_c.nfi, 1.0 / 3, 3);
  expect_metric(old_c.churn, 1.0 / 3, 3);
  expect_metric(old_c.btc, 0, 1);  // old right only on item 5, a negative flip
  expect_metric(old_b.pfi, 1, 1);
  expect_metric(old_b.bec, 0, 1);
}

TEST(UpdateFlips, UndefinedMetricsAreNanWithZeroDenominator) {
  // The new model is always right: NFI, BEC and relative NFR have no new errors to divide by.
  const auto input =
      make_input("id,prediction\n1,a\n2,b\n3,a\n4,b\n", "id,prediction\n1,a\n2,b\n3,b\n4,a\n");
  const class_labels labels = parse_class_labels("id,label\n1,a\n2,b\n3,b\n4,a\n", "labels.csv",
                                                 input->pair, input->classes);
  const flip_metrics m = compute_flips(input->pair, labels, input->classes, 0.95).overall;
  expect_undefined(m.nfi);
  expect_undefined(m.bec);
  expect_undefined(m.relative_nfr);
  expect_metric(m.nfr, 0, 4);
  expect_metric(m.pfr, 2.0 / 4, 4);
  expect_metric(m.pfi, 1, 2);
  expect_metric(m.btc, 1, 2);
  expect_metric(m.accuracy_new, 1, 4);

  // The old model is always right: PFI has no old errors to divide by.
  const auto perfect_old = make_input("id,prediction\n1,a\n2,b\n", "id,prediction\n1,b\n2,b\n");
  const class_labels truth = parse_class_labels("id,label\n1,a\n2,b\n", "labels.csv",
                                                perfect_old->pair, perfect_old->classes);
  const flip_metrics old_perfect =
      compute_flips(perfect_old->pair, truth, perfect_old->classes, 0.95).overall;
  expect_undefined(old_perfect.pfi);
  expect_metric(old_perfect.nfi, 1, 1);
  expect_metric(old_perfect.bec, 0, 1);

  // No label at all: every labelled metric is undefined, churn is not.
  const class_labels none =
      parse_class_labels("id,label\n1,\n", "labels.csv", perfect_old->pair, perfect_old->classes);
  const flip_metrics unlabelled =
      compute_flips(perfect_old->pair, none, perfect_old->classes, 0.95).overall;
  for (const metric* each :
       {&unlabelled.accuracy_old, &unlabelled.accuracy_new, &unlabelled.accuracy_difference,
        &unlabelled.nfr, &unlabelled.pfr, &unlabelled.nfi, &unlabelled.pfi,
        &unlabelled.relative_nfr, &unlabelled.btc, &unlabelled.bec})
    expect_undefined(*each);
  expect_metric(unlabelled.churn, 0.5, 2);
}

TEST(UpdateFlips, WilsonIntervalsContainThePoint) {
  std::mt19937_64 random(20240611);
  for (int trial = 0; trial < 500; ++trial) {
    flip_counts counts;
    counts.both_right = random() % 40;
    counts.negative_flips = random() % 6;
    counts.positive_flips = random() % 6;
    counts.both_wrong = random() % 10;
    const std::size_t items = counts.total() + random() % 5;
    const std::size_t changed =
        std::min<std::size_t>(items, counts.negative_flips + counts.positive_flips + random() % 3);
    const double confidence = trial % 2 == 0 ? 0.95 : 0.8;
    const flip_metrics m = metrics_from_counts(counts, items, changed, confidence);
    for (const metric* each : {&m.accuracy_old, &m.accuracy_new, &m.accuracy_difference, &m.nfr,
                               &m.pfr, &m.nfi, &m.pfi, &m.relative_nfr, &m.btc, &m.bec, &m.churn}) {
      if (!each->defined()) continue;
      EXPECT_LE(each->lower, each->value + 1e-12) << "trial " << trial;
      EXPECT_GE(each->upper, each->value - 1e-12) << "trial " << trial;
    }
  }
}

TEST(UpdateFlips, MultinomialDifferenceIntervalContainsTheDifference) {
  std::mt19937_64 random(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const double n = static_cast<double>(1 + random() % 60);
    const double k1 = static_cast<double>(random() % (static_cast<std::size_t>(n) + 1));
    const double k2 = static_cast<double>(random() % (static_cast<std::size_t>(n - k1) + 1));
    const std::size_t population =
        trial % 3 == 0 ? 0 : static_cast<std::size_t>(n) + random() % 100;
    const double confidence = trial % 2 == 0 ? 0.95 : 0.99;
    const auto [lower, upper] = multinomial_difference_interval(k1, k2, n, population, confidence);
    const double difference = (k1 - k2) / n;
    EXPECT_LE(lower, difference + 1e-12) << k1 << " " << k2 << " " << n;
    EXPECT_GE(upper, difference - 1e-12) << k1 << " " << k2 << " " << n;
    EXPECT_GE(lower, -1.0);
    EXPECT_LE(upper, 1.0);
  }
  // A census (n = N) knows the difference exactly.
  const auto [lower, upper] = multinomial_difference_interval(3, 1, 10, 10, 0.95);
  EXPECT_NEAR(lower, 0.2, 1e-12);
  EXPECT_NEAR(upper, 0.2, 1e-12);
}

// ---------------------------------------------------------------------------------------------
// Readers.

model_predictions parse_one(std::string_view text, const std::string& source = "m.csv") {
  class_names classes;
  return parse_model_predictions(text, source, classes);
}

TEST(UpdateReaders, ReadsScoresContentAndTsv) {
  class_names classes;
  model_read_options options;
  options.keep_scores = true;
  options.keep_content = true;
  const model_predictions table = parse_model_predictions(
      "id,prediction,score_a,score_b,content\n1,b,0.25,-1e3,\"x, y\"\n2,a,1,2,z\n", "m.csv",
      classes, options);
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.score_classes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(table.scores, (std::vector<float>{0.25f, -1000.0f, 1.0f, 2.0f}));
  EXPECT_EQ(table.content[0], "x, y");
  EXPECT_EQ(table.lines, (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(classes.all(), (std::vector<std::string>{"b", "a"}));
  const model_predictions tsv = parse_model_predictions("id\tprediction\n1\ta\n", "m.tsv", classes);
  EXPECT_EQ(tsv.predictions, (std::vector<std::uint32_t>{1}));
}

TEST(UpdateReaders, MissingPredictionColumn) {
  expect_input_error([] { parse_one("id,pred\n1,a\n"); }, "m.csv", 1, 1, {"prediction"});
  expect_input_error([] { parse_one("key,prediction\n1,a\n"); }, "m.csv", 1, 1, {"\"id\""});
}

TEST(UpdateReaders, EmptyPrediction) {
  expect_input_error([] { parse_one("id,prediction\n1,a\n2,\n"); }, "m.csv", 3, 3,
                     {"empty prediction"});
}

TEST(UpdateReaders, NonFiniteScores) {
  for (const std::string bad : {"nan", "1e999", "abc", "inf", "", "1.5x"}) {
    SCOPED_TRACE(bad);
    expect_input_error([&] { parse_one("id,prediction,score_a\n1,a,0.5\n2,a," + bad + "\n"); },
                       "m.csv", 3, 5, {"not a finite number"});
  }
}

TEST(UpdateReaders, WrongFieldCount) {
  expect_input_error([] { parse_one("id,prediction\n1,a\n2,b,extra\n"); }, "m.csv", 3, 1,
                     {"expected 2 fields", "found 3"});
}

TEST(UpdateReaders, DuplicateIdNamesBothLines) {
  expect_input_error([] { parse_one("id,prediction\n1,a\n2,b\n1,c\n"); }, "m.csv", 4, 1,
                     {"duplicate id \"1\"", "line 2"});
}

TEST(UpdateReaders, JsonlIsRefused) {
  expect_input_error([] { parse_one("{\"id\": \"1\", \"prediction\": \"a\"}\n", "m.jsonl"); },
                     "m.jsonl", 1, 1, {"JSONL"});
  expect_input_error([] { parse_one("{\"id\": \"1\", \"prediction\": \"a\"}\n", "m.txt"); },
                     "m.txt", 1, 1, {"JSONL"});
}

TEST(UpdateReaders, EmptyFileAndNoRows) {
  expect_input_error([] { parse_one(""); }, "m.csv", 1, 1, {"empty"});
  expect_input_error([] { parse_one("id,prediction\n"); }, "m.csv", 2, 1, {"no rows"});
}

TEST(UpdateReaders, PairingReportsHowManyIdsEachSideLacks) {
  class_names classes;
  const model_predictions old_model =
      parse_model_predictions("id,prediction\n1,a\n2,a\n3,a\n4,a\n5,a\n", "old.csv", classes);
  const model_predictions new_model =
      parse_model_predictions("id,prediction\n1,a\n2,a\n3,a\n6,a\n7,a\n8,a\n", "new.csv", classes);
  // old lacks 6, 7, 8 (3 ids); new lacks 4, 5 (2 ids). Positioned at the first id new lacks.
  expect_input_error([&] { pair_models(old_model, new_model); }, "old.csv", 5, 1,
                     {"2 ids", "3 ids", "\"4\"", "old.csv line 5", "\"6\"", "new.csv line 5"});
  // Only the old file lacks ids: positioned in the new file.
  const model_predictions fewer =
      parse_model_predictions("id,prediction\n1,a\n2,a\n", "fewer.csv", classes);
  const model_predictions more =
      parse_model_predictions("id,prediction\n2,a\n1,a\n9,b\n", "more.csv", classes);
  expect_input_error([&] { pair_models(fewer, more); }, "more.csv", 4, 1, {"1 id", "\"9\""});
}

TEST(UpdateReaders, PairingFollowsIds) {
  const auto input = make_input("id,prediction\n1,a\n2,b\n3,c\n", "id,prediction\n3,a\n1,a\n2,c\n");
  EXPECT_EQ(input->pair.new_row, (std::vector<std::uint32_t>{1, 2, 0}));
  EXPECT_EQ(input->pair.disagreements, 2u);
  EXPECT_EQ(input->classes.name(input->pair.new_class[2]), "a");
  EXPECT_EQ(input->classes.name(input->pair.new_class[1]), "c");
}

// ---------------------------------------------------------------------------------------------
// Labels.

TEST(UpdateLabels, UnknownIdIsAnError) {
  const auto input = make_input("id,prediction\n1,a\n2,b\n", "id,prediction\n1,a\n2,a\n");
  expect_input_error(
      [&] { parse_class_labels("id,label\n1,a\n7,b\n", "l.csv", input->pair, input->classes); },
      "l.csv", 3, 1, {"\"7\""});
  expect_input_error(
      [&] { parse_class_labels("id,class\n1,a\n", "l.csv", input->pair, input->classes); }, "l.csv",
      1, 1, {"label"});
  expect_input_error(
      [&] { parse_class_labels("id,label\n1,a,x\n", "l.csv", input->pair, input->classes); },
      "l.csv", 2, 1, {"fields"});
}

TEST(UpdateLabels, ConflictingLabelFromTheSameAnnotator) {
  const auto input = make_input("id,prediction\n1,a\n2,b\n", "id,prediction\n1,a\n2,a\n");
  expect_input_error(
      [&] {
        parse_class_labels("id,label\n1,a\n2,b\n1,b\n", "l.csv", input->pair, input->classes);
      },
      "l.csv", 4, 3, {"conflicting", "line 2"});
  expect_input_error(
      [&] {
        parse_class_labels("id,label,annotator\n1,a,x\n1,b,y\n1,b,x\n", "l.csv", input->pair,
                           input->classes);
      },
      "l.csv", 4, 3, {"conflicting", "line 2"});
}

TEST(UpdateLabels, SameLabelTwiceIsIdempotent) {
  const auto input = make_input("id,prediction\n1,a\n2,b\n", "id,prediction\n1,a\n2,a\n");
  const class_labels labels =
      parse_class_labels("id,label\n1,b\n1,b\n", "l.csv", input->pair, input->classes);
  EXPECT_EQ(labels.records, 2u);
  EXPECT_EQ(labels.labelled_items, 1u);
  EXPECT_EQ(labels.by_row[0], *input->classes.find("b"));
  EXPECT_EQ(labels.by_row[1], class_labels::unlabelled);
}

TEST(UpdateLabels, AnnotatorsMajorityAndTie) {
  const auto input = make_input("id,prediction\n1,a\n2,b\n3,a\n", "id,prediction\n1,a\n2,a\n3,b\n");
  const class_labels labels = parse_class_labels(
      "id,label,annotator\n1,a,x\n1,b,y\n1,a,z\n2,a,x\n2,b,y\n3,b,x\n3,b,x\n3,a,y\n3,b,z\n",
      "l.csv", input->pair, input->classes);
  EXPECT_EQ(labels.by_row[0], *input->classes.find("a"));  // 2 votes to 1
  EXPECT_EQ(labels.by_row[1], class_labels::tied);         // 1 to 1
  EXPECT_EQ(labels.by_row[2], *input->classes.find("b"));  // x's repeat counts once: 2 to 1
  EXPECT_EQ(labels.labelled_items, 2u);
  EXPECT_EQ(labels.tied_items, 1u);
  const flips_result flips = compute_flips(input->pair, labels, input->classes, 0.95);
  EXPECT_EQ(flips.labelled, 2u);
  EXPECT_EQ(flips.tied, 1u);
  EXPECT_EQ(flips.overall.counts.total(), 2u);
}

TEST(UpdateLabels, ClassOnlyInLabelsIsAnErrorForBothModels) {
  const auto input = make_input("id,prediction\n1,a\n2,b\n", "id,prediction\n1,a\n2,a\n");
  const class_labels labels =
      parse_class_labels("id,label\n1,a\n2,zebra\n", "l.csv", input->pair, input->classes);
  ASSERT_EQ(labels.classes_only_in_labels.size(), 1u);
  EXPECT_EQ(input->classes.name(labels.classes_only_in_labels[0]), "zebra");
  const flips_result flips = compute_flips(input->pair, labels, input->classes, 0.95);
  EXPECT_EQ(flips.classes_only_in_labels, (std::vector<std::string>{"zebra"}));
  EXPECT_EQ(flips.overall.counts.both_right, 1u);
  EXPECT_EQ(flips.overall.counts.both_wrong, 1u);
  EXPECT_EQ(flips.overall.counts.both_wrong_changed, 1u);
  ASSERT_EQ(flips.by_true_class.size(), 2u);
  EXPECT_EQ(flips.by_true_class[1].class_name, "zebra");
  expect_metric(flips.by_true_class[1].metrics.accuracy_old, 0, 1);
  expect_metric(flips.by_true_class[1].metrics.accuracy_new, 0, 1);
}

TEST(UpdateLabels, BlankLabelIsSkipped) {
  const auto input = make_input("id,prediction\n1,a\n2,b\n", "id,prediction\n1,a\n2,a\n");
  const class_labels labels = parse_class_labels("order,id,label,content\n1,2,,text\n2,1,a,text\n",
                                                 "queue.csv", input->pair, input->classes);
  EXPECT_EQ(labels.records, 2u);
  EXPECT_EQ(labels.labelled_items, 1u);
  EXPECT_EQ(labels.by_row[1], class_labels::unlabelled);
}

// ---------------------------------------------------------------------------------------------
// The gate on a fully labelled set: decisions on the one-sided Clopper-Pearson upper bound.

// 100 labelled items with one negative flip in class "a" and none elsewhere.
flips_result hundred_items() {
  flips_result flips;
  flip_counts counts;
  counts.both_right = 98;
  counts.negative_flips = 1;
  counts.both_wrong = 1;
  flips.overall = metrics_from_counts(counts, 100, 2, 0.95);
  flip_counts class_a;
  class_a.both_right = 49;
  class_a.negative_flips = 1;
  flip_counts class_b;
  class_b.both_right = 49;
  class_b.both_wrong = 1;
  flips.by_old_prediction.push_back({0, "a", metrics_from_counts(class_a, 50, 1, 0.95)});
  flips.by_old_prediction.push_back({1, "b", metrics_from_counts(class_b, 50, 1, 0.95)});
  return flips;
}

TEST(UpdateGate, FlipsGateDecidesOnTheUpperBound) {
  const flips_result flips = hundred_items();
  gate_limits limits;
  limits.max_nfr = 0.02;  // the estimate 0.01 is below it, the bound (about 0.0466) is not
  const gate_verdict verdict = gate_from_flips(flips, limits);
  ASSERT_EQ(verdict.checks.size(), 1u);
  EXPECT_NEAR(verdict.checks[0].estimate, 0.01, 1e-12);
  // One-sided 95% Clopper-Pearson for 1 of 100: 1 - P solves P^100 + 100 (1-P) P^99 = 0.05.
  const double bound = verdict.checks[0].bound;
  const double p = 1 - bound;
  EXPECT_NEAR(std::pow(p, 100) + 100 * (1 - p) * std::pow(p, 99), 0.05, 1e-9);
  EXPECT_FALSE(verdict.checks[0].passed);
  EXPECT_FALSE(verdict.passed);
  limits.max_nfr = 0.05;
  EXPECT_TRUE(gate_from_flips(flips, limits).passed);
  // Zero flips in n: the bound is 1 - 0.05^(1/n).
  limits.max_class_nfr = 1 - std::pow(0.05, 1.0 / 50) + 1e-9;
  const gate_verdict classes = gate_from_flips(flips, limits);
  EXPECT_EQ(classes.failing_classes, (std::vector<std::string>{"a"}));
  ASSERT_EQ(classes.checks.size(), 3u);
  EXPECT_NEAR(classes.checks[2].bound, 1 - std::pow(0.05, 1.0 / 50), 1e-9);
  EXPECT_TRUE(classes.checks[2].passed);
  EXPECT_FALSE(classes.passed);
}

TEST(UpdateGate, FlipsGateChurnExactAndUndefinedFails) {
  flips_result flips = hundred_items();
  gate_limits limits;
  limits.max_churn = 0.02;  // churn is exactly 2/100
  gate_verdict verdict = gate_from_flips(flips, limits);
  ASSERT_EQ(verdict.checks.size(), 1u);
  EXPECT_EQ(verdict.checks[0].bound, 0.02);
  EXPECT_TRUE(verdict.passed);
  limits.max_churn = 0.0199;
  EXPECT_FALSE(gate_from_flips(flips, limits).passed);
  // No labels: NFR is undefined, so its check fails.
  flips.overall = metrics_from_counts(flip_counts{}, 100, 2, 0.95);
  gate_limits nfr_only;
  nfr_only.max_nfr = 0.5;
  verdict = gate_from_flips(flips, nfr_only);
  EXPECT_FALSE(verdict.checks[0].defined);
  EXPECT_FALSE(verdict.passed);
  EXPECT_THROW(gate_from_flips(flips, gate_limits{}), input_error);
  nfr_only.max_nfr = 1.5;
  EXPECT_THROW(gate_from_flips(flips, nfr_only), input_error);
}

}  // namespace
}  // namespace frugal::update
