#pragma once
/// The real-data demo behind `frugal demo`: five genuinely different one-vs-rest classifiers for
/// one hard Fashion-MNIST class (shirt, coat or pullover), trained on the 60,000 training images
/// and cached, their 0/1 votes on the 10,000 test images written as a predictions file with the
/// gold one-vs-rest label, and one plan -> annotation -> estimate round in which the gold label
/// stands in for the annotators. The Monte Carlo comparison of designs is estimation::simulate
/// on the same file. No LibTorch in this header.
///
/// Caching: each member's model is saved as `<directory>/models/<class>-<member>[-quick].pt`;
/// a later run with the same class loads it instead of training. A member's name encodes its
/// whole configuration, so changing a member's recipe means giving it a new name.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/estimation/estimators.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/population.hpp"
#include "frugal/train/datasets.hpp"
#include "frugal/train/trainer.hpp"

namespace frugal::train {

/// The classes `frugal demo` accepts: the three most confused Fashion-MNIST classes.
inline constexpr std::string_view demo_classes[] = {"shirt", "coat", "pullover"};

/// One member of the demo ensemble: its column name in the predictions file and its recipe.
struct demo_member {
  std::string name;
  model_kind kind = model_kind::mlp;
  std::vector<std::size_t> hidden_sizes;
  std::uint64_t seed = 1;
  double train_subset = 1.0;
  std::size_t epochs = 5;
};

/// The five members: linear; mlp 256,128 (seed 1); mlp 128 on half the images (seed 2);
/// mlp 512 (seed 3); cnn, one epoch (seed 4). `quick` (for tests) trains every member for one
/// epoch on 5% of the training images.
std::vector<demo_member> demo_members(bool quick);

struct demo_settings {
  std::string target_class = "shirt";
  std::string directory;  ///< outputs: predictions.csv and models/
  std::string data_directory = std::string(fashion_mnist_directory);
  bool quick = false;
  unsigned threads = 0;  ///< torch threads; 0 = all cores
};

/// What became of one member.
struct demo_member_result {
  demo_member member;
  std::string model_path;
  bool cached = false;             ///< loaded from model_path instead of trained
  double training_seconds = 0.0;   ///< 0 when cached
  double test_accuracy = 0.0;      ///< one-vs-rest accuracy on the test images
  std::size_t test_positives = 0;  ///< test images it votes positive
};

struct demo_ensemble {
  std::string target_class;  ///< canonical name, e.g. "shirt"
  std::string predictions_path;
  std::size_t test_items = 0;
  std::size_t gold_positives = 0;
  std::vector<demo_member_result> members;
};

/// Reports the member being trained and its progress; called from the calling thread.
using demo_progress = std::function<void(const demo_member&, const training_progress&)>;
/// Called once a member is ready (trained or loaded), before the next one starts.
using demo_member_done = std::function<void(const demo_member_result&)>;

/// Loads Fashion-MNIST, trains (or loads from the cache) every member, and writes
/// `<directory>/predictions.csv`: `id,<member>...,label`, ids "test-<index>", votes 0/1, label
/// the gold one-vs-rest label. A class outside demo_classes, missing data or an unwritable
/// directory is an input_error.
demo_ensemble build_demo_ensemble(const demo_settings& settings, const demo_progress& progress = {},
                                  const demo_member_done& member_done = {});

/// One plan -> annotation -> estimate round with the gold labels as the annotators.
struct demo_round {
  sampling::sample_plan plan;
  std::size_t annotated = 0;                        ///< distinct items labelled (the plan's queue)
  std::vector<estimation::set_estimate> estimates;  ///< one per set
  std::vector<double> true_precision;               ///< per set; NaN for a set without positives
};

/// Plans with `plan_settings`, labels every queued item from `gold_by_row` (0/1 per row), and
/// estimates every set. O(N + sum of sample sizes).
demo_round run_demo_round(const sampling::population& items,
                          std::span<const std::int8_t> gold_by_row,
                          const sampling::plan_settings& plan_settings,
                          const estimation::estimate_settings& estimate_settings);

}  // namespace frugal::train
