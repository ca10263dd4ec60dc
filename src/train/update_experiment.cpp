// The model-update experiment: old model per seed, new models per kind x loss x seed, the
// weight sweep, the summary table and the trade-off plot.

#include "frugal/train/update_experiment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "frugal/error.hpp"
#include "frugal/update/flips.hpp"
#include "report/svg.hpp"

namespace frugal::train {
namespace {

void check_weight(double weight) {
  if (!(weight >= 0 && weight <= 1))
    throw input_error(fmt::format("a loss weight must be in [0, 1], not {}", weight));
}

// The losses whose weight the sweep varies.
bool has_weight(training_loss loss) {
  return loss == training_loss::distillation || loss == training_loss::focal_distillation ||
         loss == training_loss::logit_inhibition;
}

}  // namespace

void check_update_experiment(const update_experiment_settings& settings) {
  if (settings.seeds.empty()) throw input_error("the experiment needs at least one seed");
  for (std::size_t i = 0; i < settings.seeds.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (settings.seeds[i] == settings.seeds[j])
        throw input_error(fmt::format(
            "seed {} is repeated (its runs would be copies, and their standard deviation a fake 0)",
            settings.seeds[i]));
  if (settings.new_kinds.empty()) throw input_error("the experiment needs at least one new model");
  if (!(settings.old_subset > 0 && settings.old_subset <= 1))
    throw input_error(fmt::format("the old model's training subset must be in (0, 1], not {}",
                                  settings.old_subset));
  if (settings.old_epochs == 0 || settings.epochs == 0)
    throw input_error("epochs must be at least 1");
  for (const training_loss loss : settings.losses)
    if (loss == training_loss::bct)
      throw input_error("bct trains embeddings; it is not part of the flip experiment");
  if (!(settings.train_subset > 0 && settings.train_subset <= 1))
    throw input_error(fmt::format("the new models' training subset must be in (0, 1], not {}",
                                  settings.train_subset));
  for (const double weight : settings.sweep_weights) check_weight(weight);
  check_weight(settings.focal.weight);
  check_weight(settings.inhibition.weight);
  if (!settings.sweep_weights.empty()) {
    if (std::none_of(settings.sweep_weights.begin(), settings.sweep_weights.end(),
                     [](double weight) { return weight > 0; }))
      throw input_error("the sweep needs a weight above 0 (w = 0 is the cross-entropy run)");
    if (std::none_of(settings.losses.begin(), settings.losses.end(), has_weight))
      throw input_error(
          "the sweep varies the weight of distillation, focal-distillation or logit-inhibition; "
          "none of them is among the losses");
    if (std::find(settings.new_kinds.begin(), settings.new_kinds.end(), settings.sweep_kind) ==
        settings.new_kinds.end())
      throw input_error(fmt::format("the sweep model {} must be one of the new models",
                                    to_string(settings.sweep_kind)));
  }
}

namespace {

double loss_weight(const training_settings& settings) {
  switch (settings.loss) {
    case training_loss::distillation:
    case training_loss::focal_distillation:
      return settings.focal.weight;
    case training_loss::logit_inhibition:
      return settings.inhibition.weight;
    default:
      return 0;
  }
}

void set_loss_weight(training_settings& settings, double weight) {
  if (settings.loss == training_loss::logit_inhibition)
    settings.inhibition.weight = weight;
  else
    settings.focal.weight = weight;
}

mean_std mean_and_std(const std::vector<double>& values) {
  mean_std result;
  if (values.empty()) return {std::nan(""), std::nan("")};
  result.mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  if (values.size() > 1) {
    double squares = 0;
    for (const double value : values) squares += (value - result.mean) * (value - result.mean);
    result.std = std::sqrt(squares / static_cast<double>(values.size() - 1));
  }
  return result;
}

}  // namespace

update_experiment_result run_update_experiment(const update_experiment_settings& settings,
                                               const image_dataset& training,
                                               const image_dataset& test,
                                               const experiment_progress& progress,
                                               const progress_callback& training_progress) {
  check_update_experiment(settings);
  const auto say = [&](const std::string& phase) {
    if (progress) progress(phase);
  };
  std::vector<training_loss> losses = settings.losses;
  // Cross-entropy is the baseline every ratio is taken against.
  if (std::find(losses.begin(), losses.end(), training_loss::cross_entropy) == losses.end())
    losses.insert(losses.begin(), training_loss::cross_entropy);

  update_experiment_result result;
  for (std::size_t seed_index = 0; seed_index < settings.seeds.size(); ++seed_index) {
    const std::uint64_t seed = settings.seeds[seed_index];
    say(fmt::format("seed {}: old model ({}, {:g} of the training images)", seed,
                    to_string(settings.old_kind), settings.old_subset));
    training_settings old_settings;
    old_settings.epochs = settings.old_epochs;
    old_settings.seed = seed;
    old_settings.train_subset = settings.old_subset;
    old_settings.threads = settings.threads;
    const model_spec old_spec =
        fashion_mnist_spec(settings.old_kind, settings.hidden_sizes, std::nullopt);
    const model old_model = train_model(old_spec, training, old_settings, training_progress);
    const class_scores old_on_training = predict(old_model, training, settings.threads);
    const class_scores old_on_test = predict(old_model, test, settings.threads);
    const double old_accuracy = accuracy(old_on_test, old_spec, test);
    result.old_accuracies.push_back(old_accuracy);

    // One new model, compared with this seed's old model on the test set.
    const auto train_new = [&](model_kind kind, training_loss loss, std::optional<double> weight,
                               bool sweep) {
      training_settings new_settings;
      new_settings.epochs = settings.epochs;
      new_settings.seed = seed;
      new_settings.train_subset = settings.train_subset;
      new_settings.threads = settings.threads;
      new_settings.loss = loss;
      new_settings.focal = settings.focal;
      new_settings.inhibition = settings.inhibition;
      new_settings.new_error = settings.new_error;
      if (weight) set_loss_weight(new_settings, *weight);
      if (loss != training_loss::cross_entropy) new_settings.old_logits = old_on_training.logits;
      say(fmt::format("seed {}: {} {}{}", seed, to_string(kind), to_string(loss),
                      has_weight(loss) ? fmt::format(" (w = {:g})", loss_weight(new_settings))
                                       : std::string()));
      const model_spec spec = fashion_mnist_spec(kind, settings.hidden_sizes, std::nullopt);
      const auto started = std::chrono::steady_clock::now();
      const model trained = train_model(spec, training, new_settings, training_progress);
      const std::chrono::duration<double> seconds = std::chrono::steady_clock::now() - started;
      const class_scores scores = predict(trained, test, settings.threads);

      update::flip_counts counts;
      std::size_t changed = 0;
      for (std::size_t i = 0; i < test.size(); ++i) {
        const bool old_right = old_on_test.predicted[i] == test.labels[i];
        const bool new_right = scores.predicted[i] == test.labels[i];
        changed += old_on_test.predicted[i] != scores.predicted[i] ? 1 : 0;
        if (old_right && new_right)
          ++counts.both_right;
        else if (old_right)
          ++counts.negative_flips;
        else if (new_right)
          ++counts.positive_flips;
        else
          ++counts.both_wrong;
      }
      const update::flip_metrics metrics =
          update::metrics_from_counts(counts, test.size(), changed, 0.95);
      update_run run;
      run.kind = kind;
      run.loss = loss;
      run.seed = seed;
      run.weight = loss_weight(new_settings);
      run.sweep = sweep;
      run.old_accuracy = old_accuracy;
      run.accuracy = metrics.accuracy_new.value;
      run.negative_flip_rate = metrics.nfr.value;
      run.positive_flip_rate = metrics.pfr.value;
      run.relative_nfr = metrics.relative_nfr.value;
      run.training_seconds = seconds.count();
      result.runs.push_back(run);
    };

    for (const model_kind kind : settings.new_kinds)
      for (const training_loss loss : losses) train_new(kind, loss, std::nullopt, false);
    // The sweep on the first seed only: a trade-off curve, not a table of means.
    if (seed_index == 0 && !settings.sweep_weights.empty()) {
      for (const training_loss loss : losses) {
        if (!has_weight(loss)) continue;
        for (const double weight : settings.sweep_weights) {
          // w = 0 is cross-entropy, already trained; the plot draws it as each curve's start.
          if (weight == 0) continue;
          train_new(settings.sweep_kind, loss, weight, true);
        }
      }
    }
  }
  result.summaries = summarize_update_runs(result.runs);
  return result;
}

std::vector<update_summary> summarize_update_runs(const std::vector<update_run>& runs) {
  // Groups in first-appearance order of (kind, loss).
  std::vector<std::pair<model_kind, training_loss>> groups;
  for (const update_run& run : runs) {
    if (run.sweep) continue;
    const auto key = std::make_pair(run.kind, run.loss);
    if (std::find(groups.begin(), groups.end(), key) == groups.end()) groups.push_back(key);
  }
  std::vector<update_summary> summaries;
  for (const auto& [kind, loss] : groups) {
    std::vector<double> accuracies, nfrs, relative;
    for (const update_run& run : runs) {
      if (run.sweep || run.kind != kind || run.loss != loss) continue;
      accuracies.push_back(run.accuracy);
      nfrs.push_back(run.negative_flip_rate);
      relative.push_back(run.relative_nfr);
    }
    update_summary summary;
    summary.kind = kind;
    summary.loss = loss;
    summary.runs = accuracies.size();
    summary.accuracy = mean_and_std(accuracies);
    summary.negative_flip_rate = mean_and_std(nfrs);
    summary.relative_nfr = mean_and_std(relative);
    summaries.push_back(summary);
  }
  for (update_summary& summary : summaries) {
    const auto baseline = std::find_if(summaries.begin(), summaries.end(), [&](const auto& other) {
      return other.kind == summary.kind && other.loss == training_loss::cross_entropy;
    });
    if (baseline == summaries.end()) {
      summary.nfr_ratio_to_cross_entropy = std::nan("");
      summary.accuracy_change_points = std::nan("");
      continue;
    }
    summary.nfr_ratio_to_cross_entropy =
        baseline->negative_flip_rate.mean > 0
            ? summary.negative_flip_rate.mean / baseline->negative_flip_rate.mean
            : std::nan("");
    summary.accuracy_change_points = 100.0 * (summary.accuracy.mean - baseline->accuracy.mean);
  }
  return summaries;
}

std::string update_sweep_svg(const std::vector<update_run>& runs) {
  const auto first_sweep =
      std::find_if(runs.begin(), runs.end(), [](const update_run& run) { return run.sweep; });
  if (first_sweep == runs.end()) throw input_error("no sweep runs to plot");
  const model_kind kind = first_sweep->kind;
  const std::uint64_t seed = first_sweep->seed;
  // The shared start of every curve: cross-entropy (w = 0) on the same kind and seed.
  const auto baseline = std::find_if(runs.begin(), runs.end(), [&](const update_run& run) {
    return !run.sweep && run.kind == kind && run.seed == seed &&
           run.loss == training_loss::cross_entropy;
  });
  std::vector<report::detail::point_series> series;
  for (const training_loss loss : {training_loss::distillation, training_loss::focal_distillation,
                                   training_loss::logit_inhibition}) {
    std::vector<const update_run*> points;
    for (const update_run& run : runs)
      if (run.sweep && run.loss == loss) points.push_back(&run);
    if (points.empty()) continue;
    std::sort(points.begin(), points.end(),
              [](const update_run* a, const update_run* b) { return a->weight < b->weight; });
    report::detail::point_series one;
    one.name = std::string(to_string(loss));
    // The shared start is labelled once, on the first curve.
    if (baseline != runs.end())
      one.points.push_back({baseline->negative_flip_rate, 1 - baseline->accuracy,
                            series.empty() ? "cross-entropy (w = 0)" : ""});
    for (const update_run* run : points)
      one.points.push_back(
          {run->negative_flip_rate, 1 - run->accuracy, fmt::format("{:g}", run->weight)});
    series.push_back(std::move(one));
  }
  // The old model itself: no negative flips against itself, its own error rate. The curves
  // bend towards it as the new model is pulled to copy the old one.
  report::detail::point_series old_point;
  old_point.name = "old model";
  old_point.points.push_back({0.0, 1 - first_sweep->old_accuracy, "old model"});
  series.push_back(std::move(old_point));
  report::detail::scatter_chart_options options;
  options.title = fmt::format(
      "Error rate against negative flip rate while the loss weight w is swept ({}, seed {})",
      to_string(kind), seed);
  options.x_label = "negative flip rate (NFR)";
  options.y_label = "error rate";
  const auto percent = [](double value) { return fmt::format("{:.1f}%", 100 * value); };
  options.x_format = percent;
  options.y_format = percent;
  return report::detail::standalone_svg(report::detail::scatter_chart(series, options));
}

}  // namespace frugal::train
