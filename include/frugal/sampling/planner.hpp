#pragma once
/// A sample plan for an ensemble: the sample size of every set (Cochran with finite-population
/// correction) and the items to annotate, drawn with one design.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/population.hpp"

namespace frugal::sampling {

struct plan_settings {
  design_kind design = design_kind::coordinated;
  std::uint64_t seed = 1;
  double margin_of_error = 0.05;
  double confidence_level = 0.95;
  /// The expected precision of each set (0.5 = worst case, the default); one per set.
  std::vector<double> prior_precision;
  unsigned threads = 0;
};

struct sample_plan {
  plan_settings settings;
  std::vector<std::size_t> sample_sizes;  ///< n_s per set; 0 for an empty set
  drawn_sample sample;
  std::size_t naive_sum = 0;          ///< sum of n_s: labelling every set separately, no reuse
  double expected_independent = 0.0;  ///< distinct items independent sampling would label
};

/// Parses `--prior-precision`: one number for every set ("0.9"), or "NAME=P,NAME=P" with the
/// others at 0.5. Throws frugal::input_error for an unknown set or a value outside (0, 1).
std::vector<double> parse_prior_precision(std::string_view text, const population& items);

/// Checks the form of a `--prior-precision` value without the data (set names are checked by
/// parse_prior_precision). Throws frugal::input_error.
void check_prior_precision_syntax(std::string_view text);

/// Sample sizes per set for the settings.
std::vector<std::size_t> plan_sample_sizes(const population& items, const plan_settings& settings);

/// Sizes, draw and the comparisons a user wants to see next to it. Deterministic in the settings.
sample_plan make_plan(const population& items, plan_settings settings);

}  // namespace frugal::sampling
