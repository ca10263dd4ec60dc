#include "frugal/estimation/intervals.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <boost/math/distributions/normal.hpp>
#include <boost/math/special_functions/beta.hpp>

#include "frugal/error.hpp"

namespace frugal::estimation {
namespace {

constexpr std::array<std::pair<interval_method, std::string_view>, 5> method_names{{
    {interval_method::wilson, "wilson"},
    {interval_method::clopper_pearson, "clopper-pearson"},
    {interval_method::jeffreys, "jeffreys"},
    {interval_method::agresti_coull, "agresti-coull"},
    {interval_method::hypergeometric, "hypergeometric"},
}};

void check_confidence(double confidence_level) {
  // Written as a negation so that NaN is rejected too.
  if (!(confidence_level > 0.0 && confidence_level < 1.0)) {
    throw input_error("confidence level must be in (0, 1), got " +
                      std::to_string(confidence_level));
  }
}

void check_counts(double successes, double trials, std::size_t population) {
  if (!std::isfinite(trials) || trials < 0.0) {
    throw input_error("number of trials must be finite and >= 0, got " + std::to_string(trials));
  }
  if (!std::isfinite(successes) || successes < 0.0 || successes > trials) {
    throw input_error("number of successes must be in [0, trials], got " +
                      std::to_string(successes) + " of " + std::to_string(trials));
  }
  if (population > 0 && trials > static_cast<double>(population)) {
    throw input_error("number of trials " + std::to_string(trials) + " exceeds population " +
                      std::to_string(population));
  }
}

proportion_interval point(double proportion) {
  return {proportion, proportion};
}

proportion_interval wilson(double successes, double trials, std::size_t population, double z) {
  const double p = successes / trials;
  const double z2 = finite_population_factor(trials, population) * z * z;
  const double denominator = 1.0 + z2 / trials;
  const double centre = (p + z2 / (2.0 * trials)) / denominator;
  const double half = std::sqrt(z2) / denominator *
                      std::sqrt(p * (1.0 - p) / trials + z2 / (4.0 * trials * trials));
  return {centre - half, centre + half};
}

// The finite-population correction scales z^2 everywhere, in the pseudo-counts as well as in
// the half-width, as for Wilson (of which Agresti-Coull is the simple approximation). Scaling
// only the variance keeps the full z^2/2 pull towards 1/2 while shrinking the width by sqrt(f):
// with n/N = 0.6 the interval then misses a precision near 1 most of the time (exact coverage
// 0.39 at N = 250, n = 152, M = 249).
proportion_interval agresti_coull(double successes, double trials, std::size_t population,
                                  double z) {
  const double z2 = finite_population_factor(trials, population) * z * z;
  const double adjusted_trials = trials + z2;
  const double adjusted_p = (successes + z2 / 2.0) / adjusted_trials;
  const double half = std::sqrt(z2 * adjusted_p * (1.0 - adjusted_p) / adjusted_trials);
  return {adjusted_p - half, adjusted_p + half};
}

proportion_interval clopper_pearson(double successes, double trials, double alpha) {
  proportion_interval result;
  if (successes > 0.0) {
    result.lower = boost::math::ibeta_inv(successes, trials - successes + 1.0, alpha / 2.0);
  }
  if (successes < trials) {
    // ibetac_inv keeps full precision for the upper quantile instead of ibeta_inv(1 - alpha/2).
    result.upper = boost::math::ibetac_inv(successes + 1.0, trials - successes, alpha / 2.0);
  }
  return result;
}

proportion_interval jeffreys(double successes, double trials, double alpha) {
  const double a = successes + 0.5;
  const double b = trials - successes + 0.5;
  proportion_interval result;
  if (successes > 0.0) result.lower = boost::math::ibeta_inv(a, b, alpha / 2.0);
  if (successes < trials) result.upper = boost::math::ibetac_inv(a, b, alpha / 2.0);
  return result;
}

// Hypergeometric law of X = successes in a sample of n drawn without replacement from N items
// of which M are successes. Counts are held as doubles, exact because N <= 2^53.
struct hypergeometric_law {
  double population;  // N
  double marked;      // M
  double draws;       // n
};

// log(numerator / denominator) for integers 0 < numerator <= denominator. Near 1 the ratio is
// written as 1 - gap/denominator so log1p sees the small gap exactly.
double log_fraction(double numerator, double denominator) {
  const double gap = denominator - numerator;
  if (gap < 0.5 * denominator) return std::log1p(-gap / denominator);
  return std::log(numerator / denominator);
}

// log P(X = x). The binomial coefficients are written as a product of ratios each <= 1,
//   C(M,x) C(N-M,n-x) / C(N,n) = C(n,x) prod_{i<x} (M-i)/(N-i) prod_{j<n-x} (N-M-j)/(N-x-j),
// because three lgamma calls near N = 1e8 would each carry an absolute error of ~1e-7 and the
// difference would lose six digits; summing the logs of the ratios keeps ~1e-11.
double log_pmf(const hypergeometric_law& law, double x) {
  const double n = law.draws;
  const double big_n = law.population;
  const double m = law.marked;
  double result = std::lgamma(n + 1.0) - std::lgamma(x + 1.0) - std::lgamma(n - x + 1.0);
  for (double i = 0.0; i < x; i += 1.0) {
    result += log_fraction(m - i, big_n - i);
  }
  for (double j = 0.0; j < n - x; j += 1.0) {
    result += log_fraction(big_n - m - j, big_n - x - j);
  }
  return result;
}

// log of P(X = k + step) / P(X = k) for step = +1 or -1.
double log_ratio(const hypergeometric_law& law, double k, int step) {
  const double n = law.draws;
  const double big_n = law.population;
  const double m = law.marked;
  if (step > 0) {
    return std::log((m - k) * (n - k)) - std::log((k + 1.0) * (big_n - m - n + k + 1.0));
  }
  return std::log(k * (big_n - m - n + k)) - std::log((m - k + 1.0) * (n - k + 1.0));
}

double add_logs(double a, double b) {
  if (a < b) std::swap(a, b);
  if (b == -std::numeric_limits<double>::infinity()) return a;
  return a + std::log1p(std::exp(b - a));
}

// log P(X >= x) for step = +1 or log P(X <= x) for step = -1, summed outward from x.
// Terms may rise to the mode and then fall; once they fall below e^-40 of the running sum they
// cannot change it in double precision, so the walk stops early.
double log_tail(const hypergeometric_law& law, double x, int step) {
  const double support_low = std::max(0.0, law.draws - (law.population - law.marked));
  const double support_high = std::min(law.draws, law.marked);
  if (x < support_low) return step > 0 ? 0.0 : -std::numeric_limits<double>::infinity();
  if (x > support_high) return step > 0 ? -std::numeric_limits<double>::infinity() : 0.0;
  double term = log_pmf(law, x);
  double sum = term;
  for (double k = x;;) {
    if (step > 0 ? k >= support_high : k <= support_low) break;
    const double next = term + log_ratio(law, k, step);
    k += step;
    const bool falling = next < term;
    term = next;
    sum = add_logs(sum, term);
    if (falling && term < sum - 40.0) break;
  }
  return std::min(sum, 0.0);
}

// Exact interval for M/N (Wang 2015): the set of M accepted by both one-sided tests at
// alpha/2. P(X >= x | M) rises and P(X <= x | M) falls with M, so the set is an integer range
// found by two binary searches over [x, N - (n - x)].
proportion_interval hypergeometric(double successes, double trials, std::size_t population,
                                   double alpha) {
  const auto n = static_cast<std::int64_t>(std::llround(trials));
  const auto x = std::min<std::int64_t>(static_cast<std::int64_t>(std::llround(successes)), n);
  const auto big_n = static_cast<std::int64_t>(population);
  if (n == 0) return {};
  if (population > (std::uint64_t{1} << 53)) {
    throw input_error("population " + std::to_string(population) +
                      " is too large for the exact hypergeometric interval (at most 2^53)");
  }
  const double log_threshold = std::log(alpha / 2.0);
  const auto law_for = [&](std::int64_t m) {
    return hypergeometric_law{static_cast<double>(big_n), static_cast<double>(m),
                              static_cast<double>(n)};
  };
  const auto upper_tail_large = [&](std::int64_t m) {
    return log_tail(law_for(m), static_cast<double>(x), +1) > log_threshold;
  };
  const auto lower_tail_large = [&](std::int64_t m) {
    return log_tail(law_for(m), static_cast<double>(x), -1) > log_threshold;
  };

  // Smallest M with a large upper tail; M = N - (n - x) always qualifies (the tail is 1).
  std::int64_t low = x;
  std::int64_t high = big_n - (n - x);
  while (low < high) {
    const std::int64_t middle = low + (high - low) / 2;
    if (upper_tail_large(middle)) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  const std::int64_t marked_low = low;

  // Largest M with a large lower tail; M = x always qualifies (the tail is 1).
  low = x;
  high = big_n - (n - x);
  while (low < high) {
    const std::int64_t middle = high - (high - low) / 2;
    if (lower_tail_large(middle)) {
      low = middle;
    } else {
      high = middle - 1;
    }
  }
  const std::int64_t marked_high = low;

  return {static_cast<double>(marked_low) / static_cast<double>(big_n),
          static_cast<double>(marked_high) / static_cast<double>(big_n)};
}

}  // namespace

std::string_view to_string(interval_method method) {
  for (const auto& [value, name] : method_names) {
    if (value == method) return name;
  }
  throw input_error("unknown interval method " + std::to_string(static_cast<int>(method)));
}

std::optional<interval_method> parse_interval_method(std::string_view name) {
  for (const auto& [value, known] : method_names) {
    if (known == name) return value;
  }
  return std::nullopt;
}

double finite_population_factor(double trials, std::size_t population) {
  if (population <= 1) return 1.0;
  const double big_n = static_cast<double>(population);
  if (!(trials >= 0.0 && trials <= big_n)) {
    throw input_error("number of trials must be in [0, population], got " + std::to_string(trials) +
                      " for population " + std::to_string(population));
  }
  return (big_n - trials) / (big_n - 1.0);
}

double two_sided_z(double confidence_level) {
  check_confidence(confidence_level);
  const double alpha = 1.0 - confidence_level;
  return boost::math::quantile(
      boost::math::complement(boost::math::normal_distribution<double>(), alpha / 2.0));
}

proportion_interval interval_for_proportion(interval_method method, double successes, double trials,
                                            std::size_t population, double confidence_level) {
  check_confidence(confidence_level);
  check_counts(successes, trials, population);
  to_string(method);  // throws for a value outside the enum
  if (trials == 0.0) return {};

  const double proportion = successes / trials;
  const double alpha = 1.0 - confidence_level;
  const bool census = population > 0 && trials == static_cast<double>(population);

  proportion_interval result;
  switch (method) {
    case interval_method::wilson:
      result = census ? point(proportion)
                      : wilson(successes, trials, population, two_sided_z(confidence_level));
      break;
    case interval_method::agresti_coull:
      result = census ? point(proportion)
                      : agresti_coull(successes, trials, population, two_sided_z(confidence_level));
      break;
    case interval_method::clopper_pearson:
      result = clopper_pearson(successes, trials, alpha);
      break;
    case interval_method::jeffreys:
      result = jeffreys(successes, trials, alpha);
      break;
    case interval_method::hypergeometric:
      if (population == 0) {
        result = clopper_pearson(successes, trials, alpha);
      } else if (census) {
        result = point(proportion);
      } else {
        result = hypergeometric(successes, trials, population, alpha);
      }
      break;
  }
  // Agresti-Coull centres on the shrunk estimate, so with a strong finite-population correction
  // its narrow interval can miss x/n; rounding in the other methods can do the same by an ulp.
  result.lower = std::clamp(std::min(result.lower, proportion), 0.0, 1.0);
  result.upper = std::clamp(std::max(result.upper, proportion), 0.0, 1.0);
  return result;
}

}  // namespace frugal::estimation
