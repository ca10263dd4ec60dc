#pragma once
/// Monte Carlo comparison of sampling designs on a population whose gold labels are known:
/// each trial draws every design's sample with its own seed, "annotates" it from the gold
/// labels, estimates every set, and scores the estimates against the true precisions.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "frugal/estimation/estimators.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/population.hpp"

namespace frugal::estimation {

struct simulation_settings {
  std::vector<sampling::design_kind> designs{std::begin(sampling::all_designs),
                                             std::end(sampling::all_designs)};
  std::size_t trials = 1000;
  std::uint64_t seed = 1;
  double margin_of_error = 0.05;
  double confidence_level = 0.95;
  std::vector<double> prior_precision;  ///< per set; empty = 0.5 everywhere
  estimate_settings estimate;           ///< its confidence level is set from confidence_level
  unsigned threads = 0;                 ///< 0 = all cores; results do not depend on it
};

struct set_truth {
  std::string name;
  std::size_t positives = 0;
  std::size_t sample_size = 0;
  bool defined = false;  ///< false for a set without positives
  double precision = 0.0;
};

struct set_performance {
  std::size_t defined_trials = 0;  ///< trials that produced an estimate
  double bias = 0.0;               ///< mean(estimate) - truth
  double bias_standard_error = 0.0;
  double rmse = 0.0;
  double coverage = 0.0;  ///< share of trials whose interval held the truth
  double mean_width = 0.0;
};

struct design_performance {
  sampling::design_kind design;
  double mean_annotations = 0.0;  ///< distinct items annotated per trial
  double savings_vs_naive = 0.0;  ///< 1 - mean_annotations / naive_sum
  std::vector<set_performance> sets;
};

struct simulation_report {
  std::size_t items = 0;
  std::size_t trials = 0;
  std::size_t naive_sum = 0;
  std::vector<set_truth> sets;
  std::vector<design_performance> designs;
};

/// Runs the trials on `settings.threads` threads. `gold_by_row` must hold 0/1 for every item in
/// some set (frugal::input_error naming the first line without one otherwise). `progress`, if
/// given, is called from the calling thread with (trials done, trials in all).
/// Complexity: O(trials * designs * (N + sum_s N_s)).
simulation_report simulate(const sampling::population& items,
                           std::span<const std::int8_t> gold_by_row,
                           const simulation_settings& settings,
                           const std::function<void(std::size_t, std::size_t)>& progress = {});

/// `frugal simulate --json` (DESIGN.md §3), indented by 2: the CLI and the Python module print
/// this same object. A set or design cell without a defined trial has null statistics.
std::string simulation_json(const simulation_report& report);

}  // namespace frugal::estimation
