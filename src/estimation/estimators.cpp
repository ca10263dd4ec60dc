#include "frugal/estimation/estimators.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace frugal::estimation {

std::string_view to_string(estimator_kind estimator) {
  return estimator == estimator_kind::post_stratified ? "post-stratified" : "sample-proportion";
}

std::optional<estimator_kind> parse_estimator(std::string_view name) {
  if (name == "sample-proportion") return estimator_kind::sample_proportion;
  if (name == "post-stratified") return estimator_kind::post_stratified;
  return std::nullopt;
}

namespace {

struct stratum {
  double population = 0;  // N_h
  double labelled = 0;    // n_h
  double positives = 0;   // x_h
};

// Merges strata with positives but no labels into the nearest labelled stratum (ties go to
// the higher vote count, whose precision is usually closer for the sets we evaluate).
std::vector<stratum> collapse_empty(std::vector<stratum> strata) {
  std::vector<std::size_t> labelled;
  for (std::size_t h = 0; h < strata.size(); ++h) {
    if (strata[h].labelled > 0) labelled.push_back(h);
  }
  std::vector<stratum> merged(strata.size());
  for (std::size_t h = 0; h < strata.size(); ++h) {
    if (strata[h].population == 0 && strata[h].labelled == 0) continue;
    std::size_t target = h;
    if (strata[h].labelled == 0) {
      std::size_t best_distance = strata.size() + 1;
      for (const std::size_t candidate : labelled) {
        const std::size_t distance = candidate > h ? candidate - h : h - candidate;
        if (distance < best_distance || (distance == best_distance && candidate > target)) {
          best_distance = distance;
          target = candidate;
        }
      }
    }
    merged[target].population += strata[h].population;
    merged[target].labelled += strata[h].labelled;
    merged[target].positives += strata[h].positives;
  }
  return merged;
}

}  // namespace

set_estimate estimate_precision(const sampling::population& items, std::size_t set,
                                std::span<const std::uint32_t> sample_rows,
                                std::span<const std::int8_t> labels_by_row,
                                const estimate_settings& settings) {
  set_estimate result;
  result.positives = items.positives(set);
  result.sample_size = sample_rows.size();
  if (result.positives == 0) {
    result.status = "no positives";
    return result;
  }
  const std::size_t members = items.members();
  std::vector<stratum> strata(members + 1);
  for (const std::uint32_t row : sample_rows) {
    const std::int8_t label = labels_by_row[row];
    if (label != 0 && label != 1) continue;
    ++result.labelled;
    result.positives_labelled += static_cast<std::size_t>(label);
    stratum& h = strata[items.vote_count(row)];
    h.labelled += 1;
    h.positives += label;
  }
  if (result.labelled == 0) {
    result.status = "no labels";
    return result;
  }
  result.defined = true;
  result.status = "ok";
  const double n = static_cast<double>(result.labelled);
  const double x = static_cast<double>(result.positives_labelled);
  if (settings.estimator == estimator_kind::sample_proportion) {
    result.precision = x / n;
    result.effective_sample_size = n;
    result.interval = interval_for_proportion(settings.interval, x, n, result.positives,
                                              settings.confidence_level);
    return result;
  }

  for (std::size_t votes = 0; votes <= members; ++votes)
    strata[votes].population = static_cast<double>(items.stratum_size(set, votes));
  const std::vector<stratum> merged = collapse_empty(std::move(strata));
  const double total = static_cast<double>(result.positives);
  const double overall = x / n;
  double estimate = 0.0;
  double variance = 0.0;
  for (const stratum& h : merged) {
    if (h.labelled == 0) continue;
    const double weight = h.population / total;
    const double p = h.positives / h.labelled;
    estimate += weight * p;
    // With one label the stratum's own variance is unknown; borrow the pooled one.
    const double spread =
        h.labelled >= 2 ? p * (1 - p) * h.labelled / (h.labelled - 1) : overall * (1 - overall);
    variance += weight * weight * spread / h.labelled;
  }
  estimate = std::clamp(estimate, 0.0, 1.0);
  double effective = n;
  if (variance > 0.0 && estimate > 0.0 && estimate < 1.0)
    effective = std::min(n, estimate * (1 - estimate) / variance);
  result.precision = estimate;
  result.effective_sample_size = effective;
  result.interval = interval_for_proportion(settings.interval, estimate * effective, effective,
                                            result.positives, settings.confidence_level);
  // The interval is centred near, not at, the estimate; it must still hold it.
  result.interval.lower = std::min(result.interval.lower, estimate);
  result.interval.upper = std::max(result.interval.upper, estimate);
  return result;
}

}  // namespace frugal::estimation
