#pragma once
/// The release gate: an update passes when every budget holds on the one-sided upper confidence
/// bound of its metric, never on the point estimate (a gate that passes on estimates lets about
/// half of the updates that sit exactly at the budget through). Churn needs no labels and is
/// compared exactly.

#include <optional>
#include <string>
#include <vector>

#include "frugal/update/disagreement.hpp"
#include "frugal/update/flips.hpp"

namespace frugal::update {

struct gate_limits {
  std::optional<double> max_nfr;
  std::optional<double> max_class_nfr;  ///< per class, over the items the old model assigned to it
  std::optional<double> max_churn;
  double confidence = 0.95;
};

struct gate_check {
  std::string metric;      ///< "nfr", "class_nfr", "churn"
  std::string class_name;  ///< class_nfr only
  double limit = 0;
  double estimate = 0;
  double bound = 0;     ///< the value compared with the limit
  std::string basis;    ///< "one-sided 95% upper bound" or "exact (no labels needed)"
  bool defined = true;  ///< false when the metric cannot be computed: the check fails
  bool passed = false;
};

struct gate_verdict {
  bool passed = true;
  std::string decision_rule;
  std::vector<gate_check> checks;
  std::vector<std::string> failing_classes;
};

/// From a disagreement-sample estimate (bounds from the exact hypergeometric upper bound).
gate_verdict gate_from_estimate(const update_estimate& estimate, const model_pair& pair,
                                const gate_limits& limits);

/// From a fully labelled evaluation set (bounds from the one-sided Clopper-Pearson bound, the
/// items taken as a sample of future traffic).
gate_verdict gate_from_flips(const flips_result& flips, const gate_limits& limits);

}  // namespace frugal::update
