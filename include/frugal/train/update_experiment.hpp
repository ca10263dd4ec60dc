#pragma once
/// The model-update experiment of `frugal train experiment` (issue 7): on Fashion-MNIST, an old
/// model (by default linear, trained on half the training images) and new models (mlp and cnn,
/// all images) trained with each update loss over several seeds; every new model is compared
/// with its seed's old model on the 10,000 test images (accuracy, NFR, relative NFR). A sweep of
/// the loss weight w (the distillation or inhibition term's share; w = 0 is plain cross-entropy)
/// traces each loss's error-rate/NFR trade-off for the plot.
///
/// Conventions: rates are shares in [0, 1]; "std" is the sample standard deviation over seeds
/// (n - 1 in the denominator; 0 for one seed).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "frugal/train/datasets.hpp"
#include "frugal/train/trainer.hpp"

namespace frugal::train {

struct update_experiment_settings {
  model_kind old_kind = model_kind::linear;
  double old_subset = 0.5;  ///< share of the training images the old model sees
  std::size_t old_epochs = 5;
  std::vector<model_kind> new_kinds{model_kind::mlp, model_kind::cnn};
  std::vector<std::size_t> hidden_sizes{256, 128};  ///< of the mlp
  /// The losses of the main table; cross_entropy is always run (it is the baseline).
  std::vector<training_loss> losses{training_loss::cross_entropy, training_loss::distillation,
                                    training_loss::focal_distillation,
                                    training_loss::logit_inhibition};
  std::vector<std::uint64_t> seeds{1, 2, 3};
  std::size_t epochs = 5;             ///< of the new models
  double train_subset = 1.0;          ///< share of the training images the new models see (1 = all)
  focal_distillation_settings focal;  ///< distillation (beta forced to 0) and focal
  logit_inhibition_settings inhibition;  ///< logit_inhibition
  new_error_settings new_error;
  /// The loss weights of the sweep (each in [0, 1]); empty: no sweep. Swept for distillation,
  /// focal distillation and logit inhibition (those of `losses`) on `sweep_kind`, first seed.
  std::vector<double> sweep_weights;
  model_kind sweep_kind = model_kind::mlp;
  unsigned threads = 0;
};

/// One trained new model compared with its old model.
struct update_run {
  model_kind kind = model_kind::mlp;
  training_loss loss = training_loss::cross_entropy;
  std::uint64_t seed = 1;
  double weight = 0;   ///< the loss weight w (0 for cross-entropy and new-error)
  bool sweep = false;  ///< a sweep point rather than a main-table run
  double old_accuracy = 0;
  double accuracy = 0;
  double negative_flip_rate = 0;
  double positive_flip_rate = 0;
  /// NFR / ((1 - ER_old) ER_new); NaN when either factor is 0.
  double relative_nfr = 0;
  double training_seconds = 0;
};

struct mean_std {
  double mean = 0;
  double std = 0;
};

/// The main table's line for one (new model kind, loss): means and standard deviations over
/// the seeds, and the change against cross-entropy on the same kind (ratio of mean NFRs and
/// difference of mean accuracies, in points = percent).
struct update_summary {
  model_kind kind = model_kind::mlp;
  training_loss loss = training_loss::cross_entropy;
  std::size_t runs = 0;
  mean_std accuracy, negative_flip_rate, relative_nfr;
  double nfr_ratio_to_cross_entropy = 0;
  double accuracy_change_points = 0;
};

struct update_experiment_result {
  std::vector<update_run> runs;        ///< in the order trained
  std::vector<double> old_accuracies;  ///< one per seed
  std::vector<update_summary> summaries;
};

/// Progress for the CLI: a line per phase ("seed 2: mlp focal-distillation").
using experiment_progress = std::function<void(const std::string& phase)>;

/// Throws input_error for settings the experiment cannot run: no seeds or repeated ones, no new
/// kinds, a weight outside [0, 1], a subset outside (0, 1], bct among the losses, or a sweep with
/// nothing to train (no weight above 0, no weighted loss) or whose model is not one of the new
/// kinds (its cross-entropy run is each curve's start).
void check_update_experiment(const update_experiment_settings& settings);

/// Runs the experiment on the Fashion-MNIST training and test sets, after
/// check_update_experiment (so bad settings fail before any training).
update_experiment_result run_update_experiment(const update_experiment_settings& settings,
                                               const image_dataset& training,
                                               const image_dataset& test,
                                               const experiment_progress& progress = {},
                                               const progress_callback& training_progress = {});

/// The means and standard deviations of the main-table runs (sweep points excluded), in the
/// order of settings.new_kinds and settings.losses.
std::vector<update_summary> summarize_update_runs(const std::vector<update_run>& runs);

/// A standalone SVG file: error rate (1 - accuracy) against NFR for each swept loss, one point
/// per weight, the w = 0 point shared (cross-entropy). Needs at least one sweep run.
std::string update_sweep_svg(const std::vector<update_run>& runs);

}  // namespace frugal::train
