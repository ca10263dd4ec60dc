#pragma once
/// The JSON that `frugal flips --json`, `frugal update plan --json` and `frugal update estimate
/// --json` print, built here once so that the CLI and the Python module (python/src/core.cpp)
/// give the same object, field for field. Every function returns the text indented by 2.
/// Undefined metrics (a zero denominator) are null, never 0.

#include <string>

#include "frugal/update/disagreement.hpp"
#include "frugal/update/flips.hpp"

namespace frugal::update {

/// The names the inputs of `frugal flips` are reported under (file paths, or a caller's names).
struct flips_sources {
  std::string old_model;
  std::string new_model;
  std::string labels;
};

/// `frugal flips --json`; with by_class also the per-class groups by true class and by old
/// prediction.
std::string flips_json(const flips_result& flips, const flips_sources& sources, bool by_class);

/// `frugal update plan --json`: items, disagreements, sample size and the strata.
std::string update_plan_summary_json(const update_plan& plan);

/// `frugal update estimate --json`.
std::string update_estimate_json(const update_estimate& estimate);

/// The certificate line, e.g. "NFR <= 0.0324 at 95%".
std::string certificate_text(const update_estimate& estimate);

}  // namespace frugal::update
