#include "frugal/sampling/sample_size.hpp"

#include <cmath>
#include <string>

#include "frugal/error.hpp"
#include "frugal/estimation/intervals.hpp"

namespace frugal::sampling {
namespace {

void check_open_unit(double value, const char* what) {
  // Written as a negation so that NaN is rejected too.
  if (!(value > 0.0 && value < 1.0)) {
    throw input_error(std::string(what) + " must be in (0, 1), got " + std::to_string(value));
  }
}

// Cochran's n0 = z^2 p (1 - p) / E^2.
double infinite_population_size(double margin_of_error, double confidence_level,
                                double prior_proportion) {
  check_open_unit(margin_of_error, "margin of error");
  check_open_unit(confidence_level, "confidence level");
  check_open_unit(prior_proportion, "prior proportion");
  const double z = estimation::two_sided_z(confidence_level);
  return z * z * prior_proportion * (1.0 - prior_proportion) / (margin_of_error * margin_of_error);
}

// A size that is an integer in exact arithmetic can come out a few ulps above it (100 as
// 100.00000000000001), and a plain ceil would then ask for one label too many. At least one
// label is always needed, however small n0 is.
double labels_needed(double value) {
  return std::fmax(1.0, std::ceil(value - 1e-12 * std::fmax(1.0, value)));
}

}  // namespace

std::size_t cochran_sample_size(std::size_t population, double margin_of_error,
                                double confidence_level, double prior_proportion) {
  const double n0 = infinite_population_size(margin_of_error, confidence_level, prior_proportion);
  if (population == 0) return 0;
  const double big_n = static_cast<double>(population);
  const double corrected = labels_needed(n0 / (1.0 + (n0 - 1.0) / big_n));
  // Also guards the conversion: big_n may be 2^64, one past the largest size_t.
  if (corrected >= big_n) return population;
  // In exact arithmetic the corrected size never exceeds ceil(n0) (n0 <= 1 included); the min
  // only absorbs rounding so that the documented bound holds for every N.
  return static_cast<std::size_t>(std::fmin(corrected, labels_needed(n0)));
}

std::size_t cochran_sample_size_unbounded(double margin_of_error, double confidence_level,
                                          double prior_proportion) {
  const double n0 = infinite_population_size(margin_of_error, confidence_level, prior_proportion);
  const double size = labels_needed(n0);
  // 2^64 as a double; at or above it the count is not representable.
  if (size >= 18446744073709551616.0) {
    throw input_error("margin of error " + std::to_string(margin_of_error) +
                      " needs more labels than a size_t can count");
  }
  return static_cast<std::size_t>(size);
}

}  // namespace frugal::sampling
