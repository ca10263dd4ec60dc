#pragma once
/// Confidence intervals for a proportion estimated from a simple random sample drawn without
/// replacement from a finite population.
///
/// Conventions used throughout this header: `successes` x out of `trials` n labelled items, drawn
/// from `population` N items (N >= n; N = 0 means "infinite", no finite-population correction),
/// two-sided at `confidence_level` C, alpha = 1 - C, z = Phi^-1(1 - alpha/2).
/// `successes` and `trials` are real numbers so that estimators with an effective sample size
/// (post-stratification, Korn & Graubard 1998) can reuse the same intervals; the exact
/// hypergeometric interval rounds them to integers.
///
/// References: Brown, Cai & DasGupta, "Interval estimation for a binomial proportion",
/// Statistical Science 2001; W. Wang, "Exact optimal confidence intervals for hypergeometric
/// parameters", JASA 110 (2015) 1491-1499 (the `hypergeometric` method here is the equal-tailed
/// test inversion that paper starts from, not its shorter admissible interval).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace frugal::estimation {

enum class interval_method {
  wilson,           ///< Wilson score, z^2 scaled by (N-n)/(N-1). The default.
  clopper_pearson,  ///< exact binomial (conservative; ignores N)
  jeffreys,         ///< Beta(x+1/2, n-x+1/2) quantiles, with the usual x=0 / x=n end fixes
  agresti_coull,    ///< add z^2/2 successes and failures, Wald on that; z^2 scaled by (N-n)/(N-1)
  hypergeometric,   ///< exact: inverts the hypergeometric tails over the population count M
};

/// "wilson", "clopper-pearson", "jeffreys", "agresti-coull", "hypergeometric". Throws
/// frugal::input_error for a value outside the enumeration.
std::string_view to_string(interval_method method);
/// Inverse of to_string; std::nullopt for an unknown name.
std::optional<interval_method> parse_interval_method(std::string_view name);

struct proportion_interval {
  double lower = 0.0;
  double upper = 1.0;
  double half_width() const { return (upper - lower) / 2.0; }
};

/// Finite-population correction factor (N-n)/(N-1); 1 when N is 0 (infinite) or N <= 1.
/// Example: finite_population_factor(10, 20) == 10.0 / 19. Throws frugal::input_error when
/// N > 1 and n is not in [0, N].
double finite_population_factor(double trials, std::size_t population);

/// The two-sided interval for a proportion. Always within [0, 1] and contains x/n.
/// With n = 0 it returns [0, 1]. With n = N (a census) every method returns the point x/n,
/// except Clopper-Pearson and Jeffreys, which ignore N by definition.
///
/// `hypergeometric` with N = 0 falls back to Clopper-Pearson; otherwise it returns
/// [M_lo/N, M_hi/N] with M_lo the smallest M such that P(X >= x | N, M, n) > alpha/2 and M_hi
/// the largest with P(X <= x | N, M, n) > alpha/2. Its exact coverage is at least C for every M.
/// Near a census the accepted counts can miss N x/n (38 of 39 from N = 40 at 80% accepts only
/// M = 39); the interval is then widened to reach x/n, as it is for Agresti-Coull, whose centre
/// is shifted towards 1/2 while the correction narrows it.
///
/// Throws frugal::input_error when the confidence level is not in (0, 1), x is not in [0, n],
/// n is negative or not finite, N > 0 and n > N, the method is not an enumerator, or for
/// `hypergeometric` N > 2^53.
/// Complexity: O(1) for all but `hypergeometric`, which is O(n log N) (binary search on M,
/// each step an O(n) log-space tail sum; N = 1e8 with n = 1e4 takes a few milliseconds).
///
///     interval_for_proportion(interval_method::wilson, 8, 10, 0, 0.95)  // ~[0.490, 0.943]
proportion_interval interval_for_proportion(interval_method method, double successes, double trials,
                                            std::size_t population, double confidence_level);

/// z = Phi^-1(1 - (1 - confidence_level)/2), e.g. 1.959964 at 0.95. Throws
/// frugal::input_error unless the confidence level is in (0, 1).
double two_sided_z(double confidence_level);

}  // namespace frugal::estimation
