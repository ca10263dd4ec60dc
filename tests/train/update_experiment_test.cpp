// The model-update experiment (frugal/train/update_experiment.hpp): the summary's means,
// standard deviations and ratios on hand-made runs, the sweep plot, and a reduced real run whose
// every number is checked against a model trained on its own with the same settings.

#include "frugal/train/update_experiment.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "frugal/error.hpp"
#include "frugal/train/datasets.hpp"

namespace frugal::train {
namespace {

update_run run_of(model_kind kind, training_loss loss, std::uint64_t seed, double accuracy,
                  double nfr, double weight = 0, bool sweep = false) {
  update_run run;
  run.kind = kind;
  run.loss = loss;
  run.seed = seed;
  run.accuracy = accuracy;
  run.negative_flip_rate = nfr;
  run.relative_nfr = nfr * 10;
  run.weight = weight;
  run.sweep = sweep;
  return run;
}

TEST(update_experiment, summary_means_standard_deviations_and_ratios_by_hand) {
  const std::vector<update_run> runs = {
      run_of(model_kind::mlp, training_loss::cross_entropy, 1, 0.86, 0.040),
      run_of(model_kind::mlp, training_loss::focal_distillation, 1, 0.85, 0.010),
      run_of(model_kind::mlp, training_loss::cross_entropy, 2, 0.88, 0.044),
      run_of(model_kind::mlp, training_loss::focal_distillation, 2, 0.87, 0.014),
      // A sweep point is not part of the table.
      run_of(model_kind::mlp, training_loss::focal_distillation, 1, 0.5, 0.5, 0.3, true),
      run_of(model_kind::cnn, training_loss::focal_distillation, 1, 0.9, 0.02),
  };
  const std::vector<update_summary> summaries = summarize_update_runs(runs);
  ASSERT_EQ(summaries.size(), 3u);
  const update_summary& ce = summaries[0];
  EXPECT_EQ(ce.loss, training_loss::cross_entropy);
  EXPECT_EQ(ce.runs, 2u);
  EXPECT_NEAR(ce.accuracy.mean, 0.87, 1e-12);
  // Sample standard deviation of {0.86, 0.88}: sqrt(2 x 0.01^2 / 1).
  EXPECT_NEAR(ce.accuracy.std, std::sqrt(2.0) * 0.01, 1e-12);
  EXPECT_NEAR(ce.negative_flip_rate.mean, 0.042, 1e-12);
  EXPECT_NEAR(ce.nfr_ratio_to_cross_entropy, 1.0, 1e-12);
  EXPECT_NEAR(ce.accuracy_change_points, 0.0, 1e-12);
  const update_summary& focal = summaries[1];
  EXPECT_EQ(focal.runs, 2u);
  EXPECT_NEAR(focal.negative_flip_rate.mean, 0.012, 1e-12);
  EXPECT_NEAR(focal.nfr_ratio_to_cross_entropy, 0.012 / 0.042, 1e-12);
  EXPECT_NEAR(focal.accuracy_change_points, -1.0, 1e-9);
  EXPECT_NEAR(focal.relative_nfr.mean, 0.12, 1e-12);
  // No cross-entropy run of the cnn: no ratio, and one run has no spread.
  const update_summary& cnn = summaries[2];
  EXPECT_EQ(cnn.kind, model_kind::cnn);
  EXPECT_TRUE(std::isnan(cnn.nfr_ratio_to_cross_entropy));
  EXPECT_EQ(cnn.accuracy.std, 0.0);
}

TEST(update_experiment, sweep_plot_draws_one_curve_per_loss_from_the_cross_entropy_point) {
  const std::vector<update_run> runs = {
      run_of(model_kind::mlp, training_loss::cross_entropy, 1, 0.86, 0.040),
      run_of(model_kind::mlp, training_loss::focal_distillation, 1, 0.85, 0.02, 0.5, true),
      run_of(model_kind::mlp, training_loss::focal_distillation, 1, 0.83, 0.01, 0.9, true),
      run_of(model_kind::mlp, training_loss::logit_inhibition, 1, 0.855, 0.03, 0.9, true),
  };
  const std::string svg = update_sweep_svg(runs);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("<style>"), std::string::npos);
  // Two curves (focal distillation, logit inhibition), each starting at the w = 0 point.
  std::size_t traces = 0;
  for (std::size_t at = svg.find("class=\"trace\""); at != std::string::npos;
       at = svg.find("class=\"trace\"", at + 1))
    ++traces;
  EXPECT_EQ(traces, 2u);
  EXPECT_NE(svg.find(">focal-distillation<"), std::string::npos);
  EXPECT_NE(svg.find(">logit-inhibition<"), std::string::npos);
  EXPECT_EQ(svg.find(">distillation<"), std::string::npos);
  EXPECT_NE(svg.find(">0.9<"), std::string::npos);
  EXPECT_NE(svg.find("cross-entropy (w = 0)"), std::string::npos);
  EXPECT_NE(svg.find(">old model<"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_THROW(update_sweep_svg({runs[0]}), input_error);
}

TEST(update_experiment, a_reduced_run_reports_what_its_models_do) {
  const image_dataset training = load_fashion_mnist("train");
  const image_dataset test = load_fashion_mnist("test");
  update_experiment_settings settings;
  settings.seeds = {4, 5};
  settings.new_kinds = {model_kind::mlp};
  settings.hidden_sizes = {32};
  settings.losses = {training_loss::focal_distillation, training_loss::logit_inhibition};
  settings.old_subset = 0.03;
  settings.old_epochs = 1;
  settings.epochs = 1;
  settings.train_subset = 0.05;
  settings.sweep_weights = {0.0, 0.5};
  settings.threads = 1;
  std::vector<std::string> phases;
  const update_experiment_result result = run_update_experiment(
      settings, training, test, [&](const std::string& phase) { phases.push_back(phase); });
  // Per seed: cross-entropy (added as the baseline) and the two losses; on the first seed the
  // sweep adds w = 0.5 for both (w = 0 is the cross-entropy run itself).
  ASSERT_EQ(result.runs.size(), 2u * 3u + 2u);
  ASSERT_EQ(result.old_accuracies.size(), 2u);
  ASSERT_EQ(result.summaries.size(), 3u);
  EXPECT_EQ(result.summaries[0].loss, training_loss::cross_entropy);
  EXPECT_FALSE(phases.empty());
  EXPECT_EQ(result.runs[0].loss, training_loss::cross_entropy);
  EXPECT_EQ(result.runs[0].seed, 4u);

  // The first cross-entropy run, redone by hand: old and new model, counted on the test set.
  training_settings old_settings;
  old_settings.epochs = 1;
  old_settings.seed = 4;
  old_settings.train_subset = 0.03;
  old_settings.threads = 1;
  const model old = train_model(fashion_mnist_spec(model_kind::linear, {32}, std::nullopt),
                                training, old_settings);
  training_settings new_settings = old_settings;
  new_settings.train_subset = 0.05;
  const model_spec spec = fashion_mnist_spec(model_kind::mlp, {32}, std::nullopt);
  const model fresh = train_model(spec, training, new_settings);
  const class_scores old_scores = predict(old, test, 1);
  const class_scores new_scores = predict(fresh, test, 1);
  std::size_t flips = 0, right = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    right += new_scores.predicted[i] == test.labels[i] ? 1 : 0;
    flips += old_scores.predicted[i] == test.labels[i] && new_scores.predicted[i] != test.labels[i]
                 ? 1
                 : 0;
  }
  EXPECT_DOUBLE_EQ(result.old_accuracies[0], accuracy(old_scores, old.spec(), test));
  EXPECT_DOUBLE_EQ(result.runs[0].accuracy, static_cast<double>(right) / 10'000.0);
  EXPECT_DOUBLE_EQ(result.runs[0].negative_flip_rate, static_cast<double>(flips) / 10'000.0);
  EXPECT_GT(flips, 0u);

  // The sweep runs carry their weights and the plot has both curves.
  std::size_t sweeps = 0;
  for (const update_run& run : result.runs)
    if (run.sweep) {
      ++sweeps;
      EXPECT_EQ(run.weight, 0.5);
      EXPECT_EQ(run.seed, 4u);
    }
  EXPECT_EQ(sweeps, 2u);
  EXPECT_NE(update_sweep_svg(result.runs).find(">logit-inhibition<"), std::string::npos);
}

TEST(update_experiment, bad_settings_are_refused_before_training) {
  const image_dataset none;
  // Every case must fail in the settings check, before the first phase (the old model) starts:
  // empty datasets would also fail later, in training, which this test must not mistake for it.
  std::size_t phases = 0;
  const experiment_progress count = [&](const std::string&) { ++phases; };
  const auto refused = [&](const update_experiment_settings& settings) {
    EXPECT_THROW(check_update_experiment(settings), input_error);
    EXPECT_THROW(run_update_experiment(settings, none, none, count), input_error);
  };
  update_experiment_settings settings;
  settings.seeds.clear();
  refused(settings);
  settings = {};
  settings.seeds = {1, 2, 1};
  refused(settings);
  settings = {};
  settings.sweep_weights = {1.5};
  refused(settings);
  settings = {};
  settings.sweep_weights = {0.0};
  refused(settings);
  settings = {};
  settings.sweep_weights = {0.5};
  settings.losses = {training_loss::cross_entropy, training_loss::new_error};
  refused(settings);
  settings = {};
  settings.sweep_weights = {0.5};
  settings.new_kinds = {model_kind::cnn};
  refused(settings);
  settings = {};
  settings.losses = {training_loss::bct};
  refused(settings);
  settings = {};
  settings.old_subset = 0;
  refused(settings);
  settings = {};
  settings.train_subset = 1.5;
  refused(settings);
  EXPECT_EQ(phases, 0u);
  // And the defaults pass the check.
  EXPECT_NO_THROW(check_update_experiment({}));
}

}  // namespace
}  // namespace frugal::train
