#pragma once
/// Estimating a set's precision from the labels of its sample.
///
/// - sample_proportion: x/n over the set's labelled sample (repeats count, as the paper's
///   resampling variant intends), interval from intervals.hpp with N = the set's positives.
/// - post_stratified: strata = the number of member votes, whose sizes N_h are known exactly
///   from the predictions; estimate sum_h (N_h/N) x_h/n_h. A stratum with positives but no
///   labelled item is merged into the nearest stratum (by vote count) that has some. The
///   interval is the chosen method at the Korn & Graubard (1998) effective sample size
///   n_eff = p(1-p)/v, v = sum_h W_h^2 s_h^2/n_h, capped at the labelled count n so that it is
///   never narrower than simple random sampling would give: the gain shows as lower error, not
///   as a bolder interval built on small-stratum variance estimates.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "frugal/estimation/intervals.hpp"
#include "frugal/sampling/population.hpp"

namespace frugal::estimation {

enum class estimator_kind { sample_proportion, post_stratified };

/// "sample-proportion", "post-stratified".
std::string_view to_string(estimator_kind estimator);
std::optional<estimator_kind> parse_estimator(std::string_view name);

struct set_estimate {
  bool defined = false;                ///< false when the set has no positives or no labelled item
  std::string status;                  ///< "ok", "no positives", "no labels"
  std::size_t positives = 0;           ///< N
  std::size_t sample_size = 0;         ///< planned n (with repeats)
  std::size_t labelled = 0;            ///< labelled draws used (with repeats)
  std::size_t positives_labelled = 0;  ///< of which labelled 1 (true positives)
  double precision = 0.0;              ///< the estimate
  proportion_interval interval;        ///< [0, 1] when undefined
  double effective_sample_size = 0.0;
};

struct estimate_settings {
  estimator_kind estimator = estimator_kind::sample_proportion;
  interval_method interval = interval_method::wilson;
  double confidence_level = 0.95;
};

/// The precision of `set` from its sample's rows and labels by row (-1 unlabelled, 0, 1; any
/// other value, such as a tie between annotators, is left out). O(sample size + members).
set_estimate estimate_precision(const sampling::population& items, std::size_t set,
                                std::span<const std::uint32_t> sample_rows,
                                std::span<const std::int8_t> labels_by_row,
                                const estimate_settings& settings);

}  // namespace frugal::estimation
