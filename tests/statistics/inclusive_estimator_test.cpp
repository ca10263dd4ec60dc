// Monte Carlo validation of the inclusive estimators for coordinated plans (DESIGN.md §5;
// rank conditioning, Cohen, Kaplan & Sen, PVLDB 2009): synthetic ensembles whose gold labels are
// known, `trials` coordinated draws with fixed seeds, every set estimated from the gold labels of
// the whole union by inclusive-hajek and inclusive-post-stratified, and, on the very same draws,
// by the own-sample estimators (sample-proportion, post-stratified) for a paired comparison.
//
// Tolerances (fixed seeds, so a run is reproducible; they say how far chance alone could move a
// correct implementation):
// - bias: |mean estimate - truth| <= 3 standard errors of the mean estimate (DESIGN.md §5).
// - coverage: >= 0.95 - 3 sqrt(0.95 * 0.05 / trials) = 0.9354 at 2000 trials, the one-sided
//   3-sigma binomial tolerance of an interval whose true coverage is exactly nominal (the floor
//   of estimator_validation_test.cpp).
// - efficiency: on the member whose positives lie most inside the parent, each inclusive
//   estimator's RMSE is below its own-sample counterpart's on the same draws. The measured gaps
//   (printed) are far beyond the paired noise of 2000 trials.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "common/random.hpp"
#include "frugal/estimation/estimators.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/planner.hpp"
#include "statistics/population_builder.hpp"

namespace frugal {
namespace {

using estimation::estimator_kind;
using sampling::design_kind;
using test_support::ensemble_spec;
using test_support::test_population;

constexpr double nominal = 0.95;
constexpr std::size_t trials = 2000;
constexpr estimator_kind estimators[] = {
    estimator_kind::sample_proportion, estimator_kind::post_stratified,
    estimator_kind::inclusive_hajek, estimator_kind::inclusive_post_stratified};
constexpr std::size_t estimator_count = std::size(estimators);

double coverage_floor(std::size_t trial_count) {
  return nominal - 3.0 * std::sqrt(nominal * (1.0 - nominal) / static_cast<double>(trial_count));
}

// The five-member ensemble of estimator_validation_test.cpp: members of precision 0.58 to 0.96,
// ensemble 0.88, precision climbing with the vote count.
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

// Stronger members (ensemble 0.969, members 0.84 to 0.97).
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

struct outcome {
  bool defined = false;
  double estimate = 0.0;
  double lower = 0.0;
  double upper = 1.0;
};

struct performance {
  std::size_t defined = 0;
  double bias = 0.0;
  double bias_standard_error = 0.0;
  double rmse = 0.0;
  double coverage = 0.0;
  double mean_width = 0.0;
  double mean_labelled = 0.0;
};

struct report {
  std::vector<double> truth;                   // per set
  std::vector<std::size_t> sample_sizes;       // per set
  std::vector<std::vector<performance>> sets;  // [estimator][set]
};

// `trials` coordinated draws of the Cochran sample sizes (E = 0.05, C = 0.95, p = 0.5), every
// set estimated by every estimator from the gold labels. Each trial writes its own slots and the
// reduction runs in trial order, so the result does not depend on the two threads.
report run(const test_population& population, std::uint64_t seed) {
  const auto& items = population.items();
  const std::size_t set_count = items.set_count();
  const std::vector<std::size_t> sizes = sampling::plan_sample_sizes(items, {});
  std::vector<outcome> outcomes(trials * estimator_count * set_count);
  std::vector<double> labelled(trials * estimator_count * set_count, 0.0);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t trial = next++; trial < trials; trial = next++) {
      const std::uint64_t trial_seed = detail::mix64(seed ^ detail::mix64(trial));
      const sampling::drawn_sample sample =
          sampling::draw_sample(items, design_kind::coordinated, sizes, trial_seed, 1);
      for (std::size_t e = 0; e < estimator_count; ++e) {
        estimation::estimate_settings settings;
        settings.estimator = estimators[e];
        settings.confidence_level = nominal;
        for (std::size_t s = 0; s < set_count; ++s) {
          const estimation::set_estimate estimate =
              estimation::estimate_from_sample(items, s, sample, population.gold(), settings);
          const std::size_t slot = (trial * estimator_count + e) * set_count + s;
          outcomes[slot] = {estimate.defined, estimate.precision, estimate.interval.lower,
                            estimate.interval.upper};
          labelled[slot] = static_cast<double>(estimate.labelled);
        }
      }
    }
  };
  std::thread helper(work);
  work();
  helper.join();

  report result;
  result.sample_sizes = sizes;
  for (std::size_t s = 0; s < set_count; ++s) result.truth.push_back(population.true_precision(s));
  result.sets.assign(estimator_count, std::vector<performance>(set_count));
  for (std::size_t e = 0; e < estimator_count; ++e) {
    for (std::size_t s = 0; s < set_count; ++s) {
      performance& p = result.sets[e][s];
      double sum = 0.0, squares = 0.0, covered = 0.0, width = 0.0, used = 0.0;
      for (std::size_t trial = 0; trial < trials; ++trial) {
        const std::size_t slot = (trial * estimator_count + e) * set_count + s;
        const outcome& o = outcomes[slot];
        if (!o.defined) continue;
        ++p.defined;
        const double error = o.estimate - result.truth[s];
        sum += error;
        squares += error * error;
        covered += o.lower <= result.truth[s] && result.truth[s] <= o.upper ? 1.0 : 0.0;
        width += o.upper - o.lower;
        used += labelled[slot];
      }
      if (p.defined == 0) continue;
      const double k = static_cast<double>(p.defined);
      p.bias = sum / k;
      p.rmse = std::sqrt(squares / k);
      p.coverage = covered / k;
      p.mean_width = width / k;
      p.mean_labelled = used / k;
      const double variance = k > 1 ? std::max(0.0, (squares - sum * sum / k) / (k - 1)) : 0.0;
      p.bias_standard_error = std::sqrt(variance / k);
    }
  }
  return result;
}

// |A_C ∩ A_P| / |A_C| of a member set.
double parent_share(const sampling::population& items, std::size_t set) {
  const auto& rows = items.positive_rows(set);
  std::size_t inside = 0;
  for (const std::uint32_t row : rows) inside += items.parent_vote(row) ? 1 : 0;
  return rows.empty() ? 0.0 : static_cast<double>(inside) / static_cast<double>(rows.size());
}

void print_report(const std::string& title, const test_population& population, const report& r) {
  const auto& items = population.items();
  std::printf("%s (%zu coordinated draws)\n", title.c_str(), trials);
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    std::printf("  %-9s N=%4zu n=%3zu p=%.4f share in parent %.3f\n", items.set_name(s).c_str(),
                items.positives(s), r.sample_sizes[s], r.truth[s], parent_share(items, s));
    for (std::size_t e = 0; e < estimator_count; ++e) {
      const performance& p = r.sets[e][s];
      std::printf("    %-26s used=%6.1f b/se=%+5.2f rmse=%.5f cov=%.4f width=%.4f\n",
                  std::string(estimation::to_string(estimators[e])).c_str(), p.mean_labelled,
                  p.bias_standard_error > 0 ? p.bias / p.bias_standard_error : 0.0, p.rmse,
                  p.coverage, p.mean_width);
    }
  }
}

struct scenario {
  std::string name;
  ensemble_spec spec;
  std::uint64_t seed = 1;
};

void PrintTo(const scenario& value, std::ostream* out) {
  *out << value.name;
}

class inclusive_validation : public ::testing::TestWithParam<scenario> {};

TEST_P(inclusive_validation, unbiased_covering_and_more_precise_than_the_own_sample) {
  const scenario& config = GetParam();
  const test_population population(test_support::synthetic_csv(config.spec));
  const auto& items = population.items();
  const report r = run(population, config.seed);
  print_report(config.name, population, r);
  const double floor = coverage_floor(trials);

  for (std::size_t e = 0; e < estimator_count; ++e) {
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      const performance& p = r.sets[e][s];
      SCOPED_TRACE(config.name + " " + std::string(estimation::to_string(estimators[e])) + " " +
                   items.set_name(s));
      ASSERT_EQ(p.defined, trials);
      EXPECT_LE(std::abs(p.bias), 3.0 * p.bias_standard_error + 1e-12);
      if (!estimation::is_inclusive(estimators[e])) continue;  // validated elsewhere
      EXPECT_GE(p.coverage, floor) << "true precision " << r.truth[s];
      // Every labelled union item of the set is used: at least the set's own sample.
      EXPECT_GE(p.mean_labelled, static_cast<double>(r.sample_sizes[s]));
    }
  }

  // A member gains from the parent's sample where the two overlap and the parent samples its
  // positives at a higher rate than the member samples its own (tau_P > tau_C, so the parent's
  // sample reaches further up the member's priorities). Of the members with most of their
  // positives inside the parent, the one with the lowest own sampling rate n/N gains most:
  // there the inclusive estimators must beat their own-sample counterparts.
  std::size_t member = 0;
  const auto rate = [&](std::size_t s) {
    return static_cast<double>(r.sample_sizes[s]) / static_cast<double>(items.positives(s));
  };
  for (std::size_t s = 1; s < items.set_count(); ++s) {
    if (parent_share(items, s) < 0.5 || rate(s) >= rate(0)) continue;
    if (member == 0 || rate(s) < rate(member)) member = s;
  }
  ASSERT_NE(member, 0u) << "no member overlaps the parent and is sampled more thinly";
  const double rmse_proportion = r.sets[0][member].rmse;
  const double rmse_stratified = r.sets[1][member].rmse;
  const double rmse_hajek = r.sets[2][member].rmse;
  const double rmse_inclusive_stratified = r.sets[3][member].rmse;
  std::printf(
      "%s: %s (%.0f%% of its positives in the parent, n/N %.3f against the parent's %.3f): "
      "rmse sample-proportion %.5f, "
      "post-stratified %.5f, inclusive-hajek %.5f (%.2fx), inclusive-post-stratified %.5f "
      "(%.2fx of post-stratified)\n",
      config.name.c_str(), items.set_name(member).c_str(), 100 * parent_share(items, member),
      rate(member), rate(0), rmse_proportion, rmse_stratified, rmse_hajek,
      rmse_hajek / rmse_proportion, rmse_inclusive_stratified,
      rmse_inclusive_stratified / rmse_stratified);
  EXPECT_LT(rmse_hajek, rmse_proportion) << items.set_name(member);
  EXPECT_LT(rmse_inclusive_stratified, rmse_stratified) << items.set_name(member);
  EXPECT_LT(rmse_inclusive_stratified, rmse_proportion) << items.set_name(member);
}

INSTANTIATE_TEST_SUITE_P(populations, inclusive_validation,
                         ::testing::Values(scenario{"standard", standard_spec(3000), 501},
                                           scenario{"high_precision", high_precision_spec(), 502},
                                           scenario{"small_sets", standard_spec(1000), 503}),
                         [](const ::testing::TestParamInfo<scenario>& param_info) {
                           return param_info.param.name;
                         });

}  // namespace
}  // namespace frugal
