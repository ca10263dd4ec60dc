#include "frugal/update/gate.hpp"

#include <fmt/format.h>

#include <boost/math/special_functions/beta.hpp>
#include <cmath>

#include "frugal/error.hpp"

namespace frugal::update {
namespace {

std::string bound_basis(double confidence) {
  return fmt::format("one-sided {:g}% upper bound", confidence * 100);
}

std::string decision_rule(double confidence) {
  return fmt::format(
      "each budget is checked against the {} of its metric, not the point estimate; churn needs "
      "no labels and is compared exactly; an update passes when every check passes",
      bound_basis(confidence));
}

// One-sided Clopper-Pearson upper bound on a proportion: the (C) quantile of Beta(k + 1, n - k).
double clopper_pearson_upper(double k, double n, double confidence) {
  if (n <= 0) return 1;
  if (k >= n) return 1;
  return boost::math::ibeta_inv(k + 1, n - k, confidence);
}

gate_check check(std::string metric_name, std::string class_name, double limit, double estimate,
                 double bound, std::string basis, bool defined) {
  gate_check result;
  result.metric = std::move(metric_name);
  result.class_name = std::move(class_name);
  result.limit = limit;
  result.estimate = estimate;
  result.bound = bound;
  result.basis = std::move(basis);
  result.defined = defined && std::isfinite(bound);
  result.passed = result.defined && bound <= limit;
  return result;
}

void finish(gate_verdict& verdict) {
  for (const gate_check& item : verdict.checks) {
    if (item.passed) continue;
    verdict.passed = false;
    if (item.metric == "class_nfr") verdict.failing_classes.push_back(item.class_name);
  }
}

void check_limits(const gate_limits& limits) {
  for (const auto& limit : {limits.max_nfr, limits.max_class_nfr, limits.max_churn})
    if (limit && !(*limit >= 0 && *limit <= 1))
      throw input_error(fmt::format("a gate budget must be in [0, 1], got {}", *limit));
  if (!limits.max_nfr && !limits.max_class_nfr && !limits.max_churn)
    throw input_error(
        "the gate needs at least one budget (--max-nfr, --max-class-nfr, --max-churn)");
}

}  // namespace

gate_verdict gate_from_estimate(const update_estimate& estimate, const model_pair& pair,
                                const gate_limits& limits) {
  check_limits(limits);
  gate_verdict verdict;
  verdict.decision_rule = decision_rule(limits.confidence);
  const std::string basis = bound_basis(limits.confidence);
  if (limits.max_nfr)
    verdict.checks.push_back(check("nfr", "", *limits.max_nfr, estimate.nfr.value,
                                   estimate.nfr_upper_bound, basis, true));
  if (limits.max_class_nfr)
    for (const class_flip_estimate& row : estimate.by_old_prediction)
      verdict.checks.push_back(check("class_nfr", row.class_name, *limits.max_class_nfr,
                                     row.nfr.value, row.upper_bound, basis, true));
  if (limits.max_churn) {
    const double churn = static_cast<double>(pair.disagreements) / static_cast<double>(pair.size());
    verdict.checks.push_back(
        check("churn", "", *limits.max_churn, churn, churn, "exact (no labels needed)", true));
  }
  finish(verdict);
  return verdict;
}

gate_verdict gate_from_flips(const flips_result& flips, const gate_limits& limits) {
  check_limits(limits);
  gate_verdict verdict;
  verdict.decision_rule = decision_rule(limits.confidence);
  const std::string basis = bound_basis(limits.confidence);
  if (limits.max_nfr) {
    const metric& nfr = flips.overall.nfr;
    verdict.checks.push_back(
        check("nfr", "", *limits.max_nfr, nfr.value,
              clopper_pearson_upper(nfr.numerator, nfr.denominator, limits.confidence), basis,
              nfr.defined()));
  }
  if (limits.max_class_nfr) {
    // Over the labelled items the old model assigned to the class, as in gate_from_estimate.
    for (const class_flip_metrics& row : flips.by_old_prediction) {
      const metric& nfr = row.metrics.nfr;
      verdict.checks.push_back(
          check("class_nfr", row.class_name, *limits.max_class_nfr, nfr.value,
                clopper_pearson_upper(nfr.numerator, nfr.denominator, limits.confidence), basis,
                nfr.defined()));
    }
  }
  if (limits.max_churn) {
    const metric& churn = flips.overall.churn;
    verdict.checks.push_back(check("churn", "", *limits.max_churn, churn.value, churn.value,
                                   "exact (no labels needed)", churn.defined()));
  }
  finish(verdict);
  return verdict;
}

}  // namespace frugal::update
