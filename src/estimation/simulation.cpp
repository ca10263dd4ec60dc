#include "frugal/estimation/simulation.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <atomic>
#include <cmath>
#include <thread>

#include "common/random.hpp"
#include "frugal/error.hpp"
#include "frugal/sampling/planner.hpp"

namespace frugal::estimation {
namespace {

struct trial_outcome {
  double estimate = 0.0;
  double lower = 0.0;
  double upper = 0.0;
  bool defined = false;
};

}  // namespace

simulation_report simulate(const sampling::population& items,
                           std::span<const std::int8_t> gold_by_row,
                           const simulation_settings& settings,
                           const std::function<void(std::size_t, std::size_t)>& progress) {
  if (settings.trials == 0) throw input_error("--trials must be at least 1");
  // Checked here: estimate_precision would throw it inside a worker thread.
  if (is_inclusive(settings.estimate.estimator))
    throw input_error(
        fmt::format("simulate estimates each set from its own sample; the {} "
                    "estimator is for `frugal estimate` on a coordinated plan",
                    to_string(settings.estimate.estimator)));
  const std::size_t set_count = items.set_count();
  simulation_report report;
  report.items = items.items();
  report.trials = settings.trials;

  for (std::size_t row = 0; row < items.items(); ++row) {
    if (items.membership(row) != 0 && gold_by_row[row] != 0 && gold_by_row[row] != 1)
      throw input_error(items.table().source, items.table().lines[row], 1,
                        fmt::format("item \"{}\" has no 0/1 gold label; simulate needs one for "
                                    "every item in a set",
                                    items.table().ids[row]));
  }

  sampling::plan_settings plan;
  plan.margin_of_error = settings.margin_of_error;
  plan.confidence_level = settings.confidence_level;
  plan.prior_precision = settings.prior_precision;
  const std::vector<std::size_t> sizes = sampling::plan_sample_sizes(items, plan);
  for (std::size_t s = 0; s < set_count; ++s) {
    set_truth truth;
    truth.name = items.set_name(s);
    truth.positives = items.positives(s);
    truth.sample_size = sizes[s];
    truth.defined = truth.positives > 0;
    if (truth.defined) {
      std::size_t correct = 0;
      for (const std::uint32_t row : items.positive_rows(s)) correct += gold_by_row[row] == 1;
      truth.precision = static_cast<double>(correct) / static_cast<double>(truth.positives);
    }
    report.naive_sum += sizes[s];
    report.sets.push_back(truth);
  }

  estimate_settings estimating = settings.estimate;
  estimating.confidence_level = settings.confidence_level;
  const std::size_t designs = settings.designs.size();
  const std::size_t trials = settings.trials;
  // Every (design, trial) writes its own slot and the reduction runs in trial order, so the
  // report is the same whatever the number of threads.
  std::vector<trial_outcome> outcomes(designs * trials * set_count);
  std::vector<std::size_t> annotations(designs * trials);
  std::atomic<std::size_t> next_task{0};
  std::atomic<std::size_t> done{0};
  const std::size_t tasks = designs * trials;
  auto work = [&](bool reports_progress) {
    for (std::size_t task = next_task++; task < tasks; task = next_task++) {
      const std::size_t d = task / trials;
      const std::size_t trial = task % trials;
      const std::uint64_t trial_seed = detail::mix64(settings.seed ^ detail::mix64(trial));
      const sampling::drawn_sample sample =
          sampling::draw_sample(items, settings.designs[d], sizes, trial_seed, 1);
      annotations[task] = sample.queue.size();
      for (std::size_t s = 0; s < set_count; ++s) {
        const set_estimate estimate =
            estimate_precision(items, s, sample.sets[s].rows, gold_by_row, estimating);
        trial_outcome& outcome = outcomes[task * set_count + s];
        outcome.defined = estimate.defined;
        outcome.estimate = estimate.precision;
        outcome.lower = estimate.interval.lower;
        outcome.upper = estimate.interval.upper;
      }
      const std::size_t finished = ++done;
      if (reports_progress && progress) progress(finished / designs, trials);
    }
  };
  unsigned threads = settings.threads == 0 ? std::thread::hardware_concurrency() : settings.threads;
  threads = std::max(1u, threads);
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work, false);
  work(true);
  for (std::thread& helper : helpers) helper.join();
  if (progress) progress(trials, trials);

  for (std::size_t d = 0; d < designs; ++d) {
    design_performance performance;
    performance.design = settings.designs[d];
    double total_annotations = 0.0;
    for (std::size_t trial = 0; trial < trials; ++trial)
      total_annotations += static_cast<double>(annotations[d * trials + trial]);
    performance.mean_annotations = total_annotations / static_cast<double>(trials);
    performance.savings_vs_naive =
        report.naive_sum == 0
            ? 0.0
            : 1.0 - performance.mean_annotations / static_cast<double>(report.naive_sum);
    for (std::size_t s = 0; s < set_count; ++s) {
      set_performance result;
      double sum = 0.0, sum_squares = 0.0, squared_error = 0.0, covered = 0.0, width = 0.0;
      const double truth = report.sets[s].precision;
      for (std::size_t trial = 0; trial < trials; ++trial) {
        const trial_outcome& outcome = outcomes[(d * trials + trial) * set_count + s];
        if (!outcome.defined) continue;
        ++result.defined_trials;
        const double error = outcome.estimate - truth;
        sum += error;
        sum_squares += error * error;
        squared_error += error * error;
        covered += outcome.lower <= truth && truth <= outcome.upper ? 1.0 : 0.0;
        width += outcome.upper - outcome.lower;
      }
      if (result.defined_trials > 0) {
        const double k = static_cast<double>(result.defined_trials);
        result.bias = sum / k;
        result.rmse = std::sqrt(squared_error / k);
        result.coverage = covered / k;
        result.mean_width = width / k;
        const double variance =
            k > 1 ? std::max(0.0, (sum_squares - sum * sum / k) / (k - 1)) : 0.0;
        result.bias_standard_error = std::sqrt(variance / k);
      }
      performance.sets.push_back(result);
    }
    report.designs.push_back(std::move(performance));
  }
  return report;
}

std::string simulation_json(const simulation_report& report) {
  nlohmann::ordered_json root;
  root["items"] = report.items;
  root["trials"] = report.trials;
  root["naive_sum"] = report.naive_sum;
  nlohmann::ordered_json sets = nlohmann::ordered_json::object();
  for (const auto& set : report.sets) {
    sets[set.name] = {{"positives", set.positives},
                      {"sample_size", set.sample_size},
                      {"precision", set.defined ? nlohmann::ordered_json(set.precision) : nullptr}};
  }
  root["sets"] = std::move(sets);
  nlohmann::ordered_json design_results = nlohmann::ordered_json::object();
  for (const auto& design : report.designs) {
    nlohmann::ordered_json entry;
    entry["mean_annotations"] = design.mean_annotations;
    entry["savings_vs_naive"] = design.savings_vs_naive;
    nlohmann::ordered_json per_set = nlohmann::ordered_json::object();
    for (std::size_t s = 0; s < report.sets.size(); ++s) {
      const auto& result = design.sets[s];
      if (result.defined_trials == 0) {
        per_set[report.sets[s].name] = {{"bias", nullptr},
                                        {"rmse", nullptr},
                                        {"coverage", nullptr},
                                        {"mean_width", nullptr},
                                        {"defined_trials", 0}};
        continue;
      }
      per_set[report.sets[s].name] = {{"bias", result.bias},
                                      {"rmse", result.rmse},
                                      {"coverage", result.coverage},
                                      {"mean_width", result.mean_width},
                                      {"defined_trials", result.defined_trials}};
    }
    entry["sets"] = std::move(per_set);
    design_results[std::string(sampling::to_string(design.design))] = std::move(entry);
  }
  root["designs"] = std::move(design_results);
  return root.dump(2);
}

}  // namespace frugal::estimation
