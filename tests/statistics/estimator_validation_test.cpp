// Monte Carlo validation of the designs, estimators and intervals (DESIGN.md §5): synthetic
// ensembles whose gold labels are known, every design drawn `trials` times with fixed seeds,
// every set estimated, and the estimates scored against the true precisions.
//
// Tolerances (fixed seeds, so a run is reproducible; the tolerances say how far chance alone
// could move a correct implementation):
// - bias: |mean estimate - truth| <= 3 standard errors of the mean estimate (DESIGN.md §5).
// - coverage floor: >= 0.95 - 3 sqrt(0.95 * 0.05 / trials) = 0.9354 at 2000 trials, the
//   one-sided 3-sigma binomial tolerance of an interval whose true coverage is exactly nominal.
// - exact reference: independent and coordinated samples (and the paper's parent sample) are
//   exact simple random samples, so the true coverage of the sample proportion's interval can be
//   computed by enumerating the hypergeometric law of the number of correct items in the sample.
//   The simulated coverage must match it within 4 binomial standard errors (two-sided, P = 6e-5
//   per check; Bonferroni over the ~100 such checks keeps the chance of one false alarm under
//   1%). This separates the sampler, which must reproduce the enumeration, from the interval,
//   whose own exact coverage oscillates with (N, M, n) (Brown, Cai & DasGupta 2001) and is
//   itself required to reach the floor, except on the dips listed per scenario (Wilson near a
//   precision of 0.97 with the 117 labels of a 0.9 prior: 0.9285; see wilson_interval below).
//   Where the true coverage is known and lower than nominal, the simulated one is held to the
//   same one-sided 3 sigma below that true value instead of below 0.95 (required_coverage).
//   The post-stratified estimator and paper-reshuffle's children have no such reference and
//   are held to the floor.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "frugal/estimation/estimators.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/estimation/simulation.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/sample_size.hpp"
#include "statistics/population_builder.hpp"

namespace frugal {
namespace estimation {
// Names the interval in test listings (found by argument-dependent lookup, hence not in the
// anonymous namespace below; internal linkage all the same).
[[maybe_unused]] static void PrintTo(interval_method method, std::ostream* out) {
  *out << to_string(method);
}
}  // namespace estimation

namespace {

using estimation::estimator_kind;
using estimation::interval_method;
using sampling::design_kind;
using test_support::ensemble_spec;
using test_support::test_population;

constexpr double nominal = 0.95;
constexpr std::size_t trials = 2000;

double coverage_floor(std::size_t trial_count) {
  return nominal - 3.0 * std::sqrt(nominal * (1.0 - nominal) / static_cast<double>(trial_count));
}

// The five-member ensemble of bench/generate_ensemble.cpp with skills 0.5..1.3: members of
// precision 0.58 to 0.96, ensemble 0.88, and within each set the precision climbs steeply with
// the vote count (the post-stratification strata).
ensemble_spec standard_spec(std::size_t items) {
  ensemble_spec spec;
  spec.items = items;
  spec.base_rate = 0.3;
  spec.rho = 0.5;
  spec.skill = {0.5, 0.7, 0.9, 1.1, 1.3};
  spec.threshold = {0.6, 0.2, 0.8, 0.3, 0.9};
  spec.seed = 11;
  return spec;
}

// Stronger members: the ensemble's precision is 0.969, the members' 0.84 to 0.97.
ensemble_spec high_precision_spec() {
  ensemble_spec spec;
  spec.items = 3000;
  spec.base_rate = 0.35;
  spec.rho = 0.5;
  spec.skill = {0.9, 1.0, 1.1, 1.2, 1.3};
  spec.threshold = {0.7, 0.4, 0.8, 0.5, 0.9};
  spec.seed = 1;
  return spec;
}

// 4 binomial standard errors of a simulated coverage whose true value is `coverage`.
double exact_tolerance(double coverage) {
  return 4.0 * std::sqrt(std::max(coverage * (1.0 - coverage), 1e-4) / static_cast<double>(trials));
}

// The coverage a simulation must reach: the one-sided 3-sigma binomial tolerance below the
// interval's true coverage, taken as nominal (the floor) unless the enumeration shows it lower.
double required_coverage(double exact) {
  return std::min(coverage_floor(trials),
                  exact - 3.0 * std::sqrt(exact * (1.0 - exact) / static_cast<double>(trials)));
}

// log C(a, b) through lgamma: exact enough (relative 1e-12) for the populations used here.
double log_choose(double a, double b) {
  return std::lgamma(a + 1.0) - std::lgamma(b + 1.0) - std::lgamma(a - b + 1.0);
}

// Exact coverage of `method` for the sample proportion of a simple random sample of n out of N
// items of which M are correct: sum over x of P(X = x | N, M, n) [interval(x) holds M/N].
double exact_srs_coverage(std::size_t population, std::size_t correct, std::size_t sample_size,
                          interval_method method) {
  const double big_n = static_cast<double>(population);
  const double m = static_cast<double>(correct);
  const double n = static_cast<double>(sample_size);
  const double truth = m / big_n;
  double covered = 0.0;
  double total = 0.0;
  for (std::size_t successes = 0; successes <= sample_size; ++successes) {
    const double x = static_cast<double>(successes);
    if (x > m || n - x > big_n - m) continue;
    const double probability =
        std::exp(log_choose(m, x) + log_choose(big_n - m, n - x) - log_choose(big_n, n));
    total += probability;
    const estimation::proportion_interval interval =
        estimation::interval_for_proportion(method, x, n, population, nominal);
    if (interval.lower <= truth && truth <= interval.upper) covered += probability;
  }
  EXPECT_NEAR(total, 1.0, 1e-9);  // the enumeration itself is sound
  return covered;
}

std::size_t correct_count(const test_population& population, std::size_t set) {
  std::size_t correct = 0;
  for (const std::uint32_t row : population.items().positive_rows(set))
    correct += population.gold()[row] == 1 ? 1 : 0;
  return correct;
}

estimation::simulation_report run(const test_population& population,
                                  std::vector<design_kind> designs, estimator_kind estimator,
                                  interval_method interval, std::vector<double> priors,
                                  std::uint64_t seed, std::size_t trial_count = trials,
                                  unsigned threads = 2) {
  estimation::simulation_settings settings;
  settings.designs = std::move(designs);
  settings.trials = trial_count;
  settings.seed = seed;
  settings.prior_precision = std::move(priors);
  settings.estimate.estimator = estimator;
  settings.estimate.interval = interval;
  settings.threads = threads;
  return estimation::simulate(population.items(), population.gold(), settings);
}

const estimation::design_performance& find_design(const estimation::simulation_report& report,
                                                  design_kind design) {
  for (const auto& performance : report.designs) {
    if (performance.design == design) return performance;
  }
  ADD_FAILURE() << "design missing from the report";
  return report.designs.front();
}

void print_report(const std::string& title, const estimation::simulation_report& report) {
  std::printf("%s\n", title.c_str());
  for (std::size_t s = 0; s < report.sets.size(); ++s) {
    std::printf("  %-9s N=%4zu n=%3zu p=%.4f |", report.sets[s].name.c_str(),
                report.sets[s].positives, report.sets[s].sample_size, report.sets[s].precision);
    for (const auto& design : report.designs) {
      const auto& set = design.sets[s];
      std::printf(" %s: b/se=%+5.2f cov=%.4f |", std::string(to_string(design.design)).c_str(),
                  set.bias_standard_error > 0 ? set.bias / set.bias_standard_error : 0.0,
                  set.coverage);
    }
    std::printf("\n");
  }
}

// ---------------------------------------------------------------------------------------------
// Bias and coverage of every design with both estimators.

struct scenario {
  std::string name;
  ensemble_spec spec;
  double prior = 0.5;  // --prior-precision for every set
  std::uint64_t seed = 1;
  // Sets on which the enumeration shows Wilson's own exact coverage below the floor.
  std::vector<std::string> wilson_dips;
};

void PrintTo(const scenario& value, std::ostream* out) {
  *out << value.name;
}

class design_validation : public ::testing::TestWithParam<scenario> {};

TEST_P(design_validation, unbiased_and_covering_for_every_design_and_estimator) {
  const scenario& config = GetParam();
  const test_population population(test_support::synthetic_csv(config.spec));
  const auto& items = population.items();
  const std::vector<double> priors(items.set_count(), config.prior);
  const double floor = coverage_floor(trials);

  // The exact coverage of the default interval for a simple random sample of each set's n.
  std::vector<double> exact(items.set_count());
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    exact[s] = exact_srs_coverage(
        items.positives(s), correct_count(population, s),
        sampling::cochran_sample_size(items.positives(s), 0.05, nominal, config.prior),
        interval_method::wilson);
  }
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    // The default interval reaches the floor on every set but the listed dips, and those stay
    // above 0.92 (Brown, Cai & DasGupta 2001 show dips of that depth for Wilson).
    const bool dip = std::find(config.wilson_dips.begin(), config.wilson_dips.end(),
                               items.set_name(s)) != config.wilson_dips.end();
    if (dip) {
      EXPECT_LT(exact[s], floor) << config.name << " " << items.set_name(s);
      EXPECT_GT(exact[s], 0.92) << config.name << " " << items.set_name(s);
      std::printf("  %s %s: Wilson's exact coverage %.4f is below the floor %.4f\n",
                  config.name.c_str(), items.set_name(s).c_str(), exact[s], floor);
    } else {
      EXPECT_GE(exact[s], floor) << config.name << " " << items.set_name(s);
    }
  }

  for (const estimator_kind estimator :
       {estimator_kind::sample_proportion, estimator_kind::post_stratified}) {
    const auto report =
        run(population, {std::begin(sampling::all_designs), std::end(sampling::all_designs)},
            estimator, interval_method::wilson, priors, config.seed);
    print_report(config.name + " / " + std::string(to_string(estimator)), report);

    for (const auto& design : report.designs) {
      for (std::size_t s = 0; s < items.set_count(); ++s) {
        const auto& truth = report.sets[s];
        const auto& measured = design.sets[s];
        SCOPED_TRACE(config.name + " " + std::string(to_string(estimator)) + " " +
                     std::string(to_string(design.design)) + " " + truth.name);
        ASSERT_TRUE(truth.defined);
        ASSERT_EQ(measured.defined_trials, trials);
        ASSERT_EQ(truth.sample_size,
                  sampling::cochran_sample_size(truth.positives, 0.05, nominal, config.prior));
        // The truth is the one computed here from the gold labels.
        EXPECT_DOUBLE_EQ(truth.precision, population.true_precision(s));
        // A set whose every positive is correct has a constant estimate 1 and a zero error.
        EXPECT_LE(std::abs(measured.bias), 3.0 * measured.bias_standard_error + 1e-12);
        if (design.design == design_kind::paper_resample) continue;  // under-covers, see below
        // Independent and coordinated samples, and the paper's parent sample, are exact SRS of
        // n: for the sample proportion the enumeration gives their true coverage, the simulation
        // must reproduce it, and chance is measured from it. Everything else meets the floor.
        const bool exact_known = estimator == estimator_kind::sample_proportion &&
                                 (design.design != design_kind::paper_reshuffle || s == 0);
        const double required = exact_known ? required_coverage(exact[s]) : floor;
        EXPECT_GE(measured.coverage, required) << "true precision " << truth.precision;
        if (exact_known) {
          EXPECT_NEAR(measured.coverage, exact[s], exact_tolerance(exact[s]));
        }
      }
    }

    // paper-resample draws a child's mix of m items m times with replacement and counts the
    // repeats as labels: the estimate stays unbiased, but resampling adds a second sigma^2/m to
    // its variance (about 0.63 m distinct labels) while the interval still claims m labels and
    // the finite-population correction on top: it under-covers. The parent's sample is not
    // resampled and is the same as paper-reshuffle's.
    const auto& reshuffle = find_design(report, design_kind::paper_reshuffle);
    const auto& resample = find_design(report, design_kind::paper_resample);
    EXPECT_EQ(resample.sets[0].coverage, reshuffle.sets[0].coverage);
    double resample_coverage = 0.0;
    double reshuffle_coverage = 0.0;
    std::size_t children = 0;
    for (std::size_t s = 1; s < items.set_count(); ++s) {
      if (report.sets[s].precision >= 0.99) continue;  // nearly constant labels: both cover
      EXPECT_LT(resample.sets[s].coverage, reshuffle.sets[s].coverage)
          << config.name << " " << report.sets[s].name;
      EXPECT_GT(resample.sets[s].rmse, reshuffle.sets[s].rmse)
          << config.name << " " << report.sets[s].name;
      resample_coverage += resample.sets[s].coverage;
      reshuffle_coverage += reshuffle.sets[s].coverage;
      ++children;
    }
    ASSERT_GT(children, 0u);
    resample_coverage /= static_cast<double>(children);
    reshuffle_coverage /= static_cast<double>(children);
    std::printf("  mean child coverage: paper-reshuffle %.4f, paper-resample %.4f\n",
                reshuffle_coverage, resample_coverage);
    EXPECT_LT(resample_coverage, floor);

    // Independent sampling's measured annotations match the closed form. A trial's distinct
    // count has an sd of about sqrt(sum pi (1 - pi)) ~ 14, so the mean over 2000 trials has a
    // standard error of 0.3; 0.2% of ~800 annotations is 5 of those.
    const auto& independent = find_design(report, design_kind::independent);
    std::vector<std::size_t> sizes;
    for (const auto& truth : report.sets) sizes.push_back(truth.sample_size);
    EXPECT_NEAR(independent.mean_annotations, sampling::expected_distinct_independent(items, sizes),
                0.002 * independent.mean_annotations);
    // Coordinated sampling labels fewer distinct items than independent sampling.
    EXPECT_LT(find_design(report, design_kind::coordinated).mean_annotations,
              independent.mean_annotations);
  }
}

// prior 0.9 gives n0 = 138.3 labels before the finite-population correction (116 to 121 here),
// on the high-precision population where such a prior is what a user would pass.
INSTANTIATE_TEST_SUITE_P(
    populations, design_validation,
    ::testing::Values(scenario{"standard", standard_spec(3000), 0.5, 101, {}},
                      scenario{"high_precision", high_precision_spec(), 0.5, 102, {}},
                      scenario{"small_sets", standard_spec(1000), 0.5, 103, {}},
                      scenario{"prior_0_9", high_precision_spec(), 0.9, 104, {"ensemble"}}),
    [](const ::testing::TestParamInfo<scenario>& param_info) { return param_info.param.name; });

// ---------------------------------------------------------------------------------------------
// Wilson with the finite-population correction is the default interval, and its coverage
// oscillates with (N, M, n) like every approximate interval for a discrete law (Brown, Cai &
// DasGupta 2001, figures 4-5). Near a precision of 0.97 with the ~120 labels of a 0.9 prior its
// exact coverage dips below the nominal-minus-tolerance floor: on the high-precision population
// the ensemble (N = 751, M = 728, n = 117) is covered with probability 0.9285 only. This test
// records that honestly: the simulation must reproduce the enumerated coverage (the sampler is
// right), and the dip must stay above 0.92 (a regression guard, not a claim of nominal coverage).
TEST(wilson_interval, dips_below_nominal_near_precision_one_at_small_n) {
  const test_population population(test_support::synthetic_csv(high_precision_spec()));
  const auto& items = population.items();
  const std::vector<double> priors(items.set_count(), 0.9);
  const auto report = run(population, {design_kind::coordinated}, estimator_kind::sample_proportion,
                          interval_method::wilson, priors, 105);
  const double exact = exact_srs_coverage(items.positives(0), correct_count(population, 0),
                                          report.sets[0].sample_size, interval_method::wilson);
  const double measured = report.designs[0].sets[0].coverage;
  std::printf("ensemble p=%.4f N=%zu n=%zu: exact Wilson coverage %.4f, simulated %.4f\n",
              report.sets[0].precision, report.sets[0].positives, report.sets[0].sample_size, exact,
              measured);
  EXPECT_LT(exact, coverage_floor(trials));
  EXPECT_GT(exact, 0.92);
  EXPECT_NEAR(measured, exact, 4.0 * std::sqrt(exact * (1.0 - exact) / trials));
}

// ---------------------------------------------------------------------------------------------
// Every other interval method under coordinated sampling, on three populations: the standard
// one, its 1000-item version (n/N from 0.45 to 0.68, so the finite-population correction is
// strong) and a 1000-item high-precision one (p from 0.85 to 0.96 with n/N near 0.6).
// Agresti-Coull failed this before its correction scaled z^2 in the pseudo-counts as well as in
// the variance. Measured with the old formula: 0.927 (exact 0.931) on the 1000-item standard
// ensemble; on the 1000-item high-precision population 0.8425 (exact 0.847) for the ensemble,
// p = 0.963 with 159 of 268 labelled, and 0.8685 (exact 0.870) for m5.

ensemble_spec small_high_precision_spec() {
  ensemble_spec spec = high_precision_spec();
  spec.items = 1000;
  return spec;
}

class interval_validation : public ::testing::TestWithParam<interval_method> {};

TEST_P(interval_validation, covers_under_coordinated_sampling) {
  const interval_method method = GetParam();
  const double floor = coverage_floor(trials);
  std::uint64_t seed = 200;
  const std::pair<std::string, ensemble_spec> populations[] = {
      {"standard, 1000 items", standard_spec(1000)},
      {"standard, 3000 items", standard_spec(3000)},
      {"high precision, 1000 items", small_high_precision_spec()}};
  for (const auto& [name, spec] : populations) {
    const test_population population(test_support::synthetic_csv(spec));
    const auto& items = population.items();
    const auto report = run(population, {design_kind::coordinated},
                            estimator_kind::sample_proportion, method, {}, ++seed);
    print_report(std::string(to_string(method)) + " / " + name, report);
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      SCOPED_TRACE(std::string(to_string(method)) + " " + report.sets[s].name + " " + name);
      const double measured = report.designs[0].sets[s].coverage;
      const double exact = exact_srs_coverage(items.positives(s), correct_count(population, s),
                                              report.sets[s].sample_size, method);
      // The interval's own exact coverage reaches the floor, the simulation reproduces it, and
      // so the simulated coverage reaches the floor up to the noise of 2000 trials.
      EXPECT_GE(exact, floor);
      EXPECT_NEAR(measured, exact, exact_tolerance(exact));
      EXPECT_GE(measured, required_coverage(exact)) << "exact " << exact;
      EXPECT_LE(std::abs(report.designs[0].sets[s].bias),
                3.0 * report.designs[0].sets[s].bias_standard_error + 1e-12);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(methods, interval_validation,
                         ::testing::Values(interval_method::clopper_pearson,
                                           interval_method::jeffreys,
                                           interval_method::agresti_coull,
                                           interval_method::hypergeometric),
                         [](const ::testing::TestParamInfo<interval_method>& param_info) {
                           std::string name(to_string(param_info.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// ---------------------------------------------------------------------------------------------
// Post-stratification by vote count (REFERENCES.md: 15-20% lower MSE on simulated 5-member
// ensembles). Both estimators see the very same samples (the draws depend on the seed only), so
// the comparison is paired. Measured here, 2000 trials, MSE reduction 1 - rmse_ps^2 / rmse_sp^2
// under coordinated sampling: ensemble 9.7%, m1 62.0%, m2 51.5%, m3 20.5%, m4 17.2%, m5 -0.4%
// (m5, precision 0.96, gains nothing); summed over the six sets 36.8% (independent: 35.3%). The
// gain is largest for the weak members, whose correctness depends most on how many others agree;
// the members near the REFERENCES figure (m3, m4) are the mid-precision ones.
TEST(post_stratification, rmse_not_worse_than_sample_proportion) {
  const test_population population(test_support::synthetic_csv(standard_spec(3000)));
  const auto& items = population.items();
  const std::vector<design_kind> designs{design_kind::coordinated, design_kind::independent};
  const auto proportion =
      run(population, designs, estimator_kind::sample_proportion, interval_method::wilson, {}, 300);
  const auto stratified =
      run(population, designs, estimator_kind::post_stratified, interval_method::wilson, {}, 300);
  for (std::size_t d = 0; d < designs.size(); ++d) {
    double mse_proportion = 0.0;
    double mse_stratified = 0.0;
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      const double rmse_p = proportion.designs[d].sets[s].rmse;
      const double rmse_s = stratified.designs[d].sets[s].rmse;
      std::printf("%s %-9s rmse sample-proportion %.5f post-stratified %.5f (MSE -%.1f%%)\n",
                  std::string(to_string(designs[d])).c_str(), proportion.sets[s].name.c_str(),
                  rmse_p, rmse_s, 100.0 * (1.0 - rmse_s * rmse_s / (rmse_p * rmse_p)));
      // Post-stratification is a ratio estimator with O(1/n) bias and collapsed strata; allow
      // 2% of RMSE for that and for the noise of a paired 2000-trial comparison.
      EXPECT_LE(rmse_s, 1.02 * rmse_p) << to_string(designs[d]) << " " << proportion.sets[s].name;
      mse_proportion += rmse_p * rmse_p;
      mse_stratified += rmse_s * rmse_s;
    }
    std::printf("%s all sets: MSE -%.1f%%\n", std::string(to_string(designs[d])).c_str(),
                100.0 * (1.0 - mse_stratified / mse_proportion));
    // Where the vote count predicts correctness, the overall gain is at least the 15% reported.
    EXPECT_LE(mse_stratified, 0.85 * mse_proportion) << to_string(designs[d]);
  }
}

// ---------------------------------------------------------------------------------------------

void expect_same_reports(const estimation::simulation_report& a,
                         const estimation::simulation_report& b) {
  ASSERT_EQ(a.items, b.items);
  ASSERT_EQ(a.trials, b.trials);
  ASSERT_EQ(a.naive_sum, b.naive_sum);
  ASSERT_EQ(a.sets.size(), b.sets.size());
  for (std::size_t s = 0; s < a.sets.size(); ++s) {
    EXPECT_EQ(a.sets[s].name, b.sets[s].name);
    EXPECT_EQ(a.sets[s].positives, b.sets[s].positives);
    EXPECT_EQ(a.sets[s].sample_size, b.sets[s].sample_size);
    EXPECT_EQ(a.sets[s].precision, b.sets[s].precision);
  }
  ASSERT_EQ(a.designs.size(), b.designs.size());
  for (std::size_t d = 0; d < a.designs.size(); ++d) {
    EXPECT_EQ(a.designs[d].design, b.designs[d].design);
    EXPECT_EQ(a.designs[d].mean_annotations, b.designs[d].mean_annotations);
    EXPECT_EQ(a.designs[d].savings_vs_naive, b.designs[d].savings_vs_naive);
    ASSERT_EQ(a.designs[d].sets.size(), b.designs[d].sets.size());
    for (std::size_t s = 0; s < a.designs[d].sets.size(); ++s) {
      const auto& x = a.designs[d].sets[s];
      const auto& y = b.designs[d].sets[s];
      EXPECT_EQ(x.defined_trials, y.defined_trials);
      // Bit-identical, not merely close: the reduction runs in trial order on one thread.
      EXPECT_EQ(x.bias, y.bias);
      EXPECT_EQ(x.bias_standard_error, y.bias_standard_error);
      EXPECT_EQ(x.rmse, y.rmse);
      EXPECT_EQ(x.coverage, y.coverage);
      EXPECT_EQ(x.mean_width, y.mean_width);
    }
  }
}

TEST(simulation, identical_with_one_and_two_threads) {
  const test_population population(test_support::synthetic_csv(standard_spec(2000)));
  const std::vector<design_kind> designs{std::begin(sampling::all_designs),
                                         std::end(sampling::all_designs)};
  for (const estimator_kind estimator :
       {estimator_kind::sample_proportion, estimator_kind::post_stratified}) {
    const auto one = run(population, designs, estimator, interval_method::wilson, {}, 400, 300, 1);
    const auto two = run(population, designs, estimator, interval_method::wilson, {}, 400, 300, 2);
    expect_same_reports(one, two);
    // And a different seed gives a different run (the comparison above is not vacuous).
    const auto other =
        run(population, designs, estimator, interval_method::wilson, {}, 401, 300, 2);
    EXPECT_NE(one.designs[0].sets[0].bias, other.designs[0].sets[0].bias);
  }
}

}  // namespace
}  // namespace frugal
