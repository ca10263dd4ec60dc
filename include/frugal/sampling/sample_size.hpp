#pragma once
/// Sample size for estimating a proportion to a margin of error, Cochran (1977) with the
/// finite-population correction: n0 = z^2 p(1-p) / E^2, n = ceil(n0 / (1 + (n0 - 1)/N)).
/// At 95% and E = 0.05: N = infinity -> 385, N = 5000 -> 357, N = 1000 -> 278.

#include <cstddef>

namespace frugal::sampling {

/// Items to label among `population` positives so that a proportion near `prior_proportion`
/// (0.5 = worst case) is estimated to +-`margin_of_error` at `confidence_level`.
/// Returns 0 for an empty population, otherwise at least 1 and never more than `population`
/// or cochran_sample_size_unbounded. Sizes within a relative 1e-12 above an integer are taken
/// as that integer, so that floating-point noise does not add a label.
/// Throws frugal::input_error when margin is not in (0, 1), confidence not in (0, 1), or the
/// prior not in (0, 1).
std::size_t cochran_sample_size(std::size_t population, double margin_of_error,
                                double confidence_level, double prior_proportion = 0.5);

/// Upper bound of cochran_sample_size over every population size: ceil(n0), at least 1.
/// Example: cochran_sample_size_unbounded(0.05, 0.95) == 385. Throws frugal::input_error for the
/// same arguments as cochran_sample_size, and when the size does not fit in a size_t.
std::size_t cochran_sample_size_unbounded(double margin_of_error, double confidence_level,
                                          double prior_proportion = 0.5);

}  // namespace frugal::sampling
