#include "frugal/estimation/estimators.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::estimation {

std::string_view to_string(estimator_kind estimator) {
  switch (estimator) {
    case estimator_kind::sample_proportion:
      return "sample-proportion";
    case estimator_kind::post_stratified:
      return "post-stratified";
    case estimator_kind::inclusive_hajek:
      return "inclusive-hajek";
    case estimator_kind::inclusive_post_stratified:
      return "inclusive-post-stratified";
  }
  return "sample-proportion";
}

std::optional<estimator_kind> parse_estimator(std::string_view name) {
  if (name == "sample-proportion") return estimator_kind::sample_proportion;
  if (name == "post-stratified") return estimator_kind::post_stratified;
  if (name == "inclusive-hajek") return estimator_kind::inclusive_hajek;
  if (name == "inclusive-post-stratified") return estimator_kind::inclusive_post_stratified;
  return std::nullopt;
}

namespace {

struct stratum {
  double population = 0;  // N_h
  double labelled = 0;    // n_h
  double positives = 0;   // x_h
};

constexpr std::size_t no_stratum = std::numeric_limits<std::size_t>::max();

// Where each stratum goes: strata with positives but no labels join the nearest labelled
// stratum (ties go to the higher vote count, whose precision is usually closer for the sets we
// evaluate); strata with neither go nowhere (no_stratum). Needs at least one labelled stratum.
std::vector<std::size_t> merge_targets(const std::vector<stratum>& strata) {
  std::vector<std::size_t> labelled;
  for (std::size_t h = 0; h < strata.size(); ++h) {
    if (strata[h].labelled > 0) labelled.push_back(h);
  }
  std::vector<std::size_t> targets(strata.size(), no_stratum);
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
    targets[h] = target;
  }
  return targets;
}

// Merges strata with positives but no labels into the nearest labelled stratum.
std::vector<stratum> collapse_empty(std::vector<stratum> strata) {
  const std::vector<std::size_t> targets = merge_targets(strata);
  std::vector<stratum> merged(strata.size());
  for (std::size_t h = 0; h < strata.size(); ++h) {
    if (targets[h] == no_stratum) continue;
    merged[targets[h]].population += strata[h].population;
    merged[targets[h]].labelled += strata[h].labelled;
    merged[targets[h]].positives += strata[h].positives;
  }
  return merged;
}

// Whether a variance estimate already holds the finite-population correction.
enum class variance_kind { without_fpc, with_fpc };

// The interval at the Korn & Graubard effective size, capped at the `used` labels, with
// post-stratified's conventions (n itself when v = 0 or p is 0 or 1; the interval holds p).
// The intervals scale by (N - n)/(N - 1) themselves, so a variance that already carries the
// finite-population correction (the inclusive estimators' (1 - pi_i) factors) is matched by the
// n with p(1-p)/n (N - n)/(N - 1) = v, n = N p(1-p) / (v (N - 1) + p(1-p)), rather than by
// p(1-p)/v, which would count the correction twice (measured: coverage 0.931 instead of 0.95).
void set_effective_interval(set_estimate& result, double estimate, double variance, double used,
                            const estimate_settings& settings,
                            variance_kind kind = variance_kind::without_fpc) {
  estimate = std::clamp(estimate, 0.0, 1.0);
  double effective = used;
  if (variance > 0.0 && estimate > 0.0 && estimate < 1.0) {
    const double spread = estimate * (1 - estimate);
    const double population = static_cast<double>(result.positives);
    const double matched = kind == variance_kind::with_fpc && population > 1.0
                               ? population * spread / (variance * (population - 1.0) + spread)
                               : spread / variance;
    effective = std::min(used, matched);
  }
  result.precision = estimate;
  result.effective_sample_size = effective;
  result.interval = interval_for_proportion(settings.interval, estimate * effective, effective,
                                            result.positives, settings.confidence_level);
  // The interval is centred near, not at, the estimate; it must still hold it.
  result.interval.lower = std::min(result.interval.lower, estimate);
  result.interval.upper = std::max(result.interval.upper, estimate);
}

}  // namespace

set_estimate estimate_precision(const sampling::population& items, std::size_t set,
                                std::span<const std::uint32_t> sample_rows,
                                std::span<const std::int8_t> labels_by_row,
                                const estimate_settings& settings) {
  set_estimate result;
  result.positives = items.positives(set);
  result.sample_size = sample_rows.size();
  if (is_inclusive(settings.estimator))
    throw input_error(
        fmt::format("estimator {} uses the whole coordinated sample, not one set's rows: call "
                    "estimate_from_sample",
                    to_string(settings.estimator)));
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
  set_effective_interval(result, estimate, variance, n, settings);
  return result;
}

std::vector<union_item> rank_conditioning_inclusion(const sampling::population& items,
                                                    const sampling::drawn_sample& sample) {
  if (sample.design != sampling::design_kind::coordinated)
    throw input_error(fmt::format(
        "the inclusive estimators need a coordinated sample (rank conditioning on permanent "
        "priorities); this sample's design is {}",
        sampling::to_string(sample.design)));
  if (sample.sets.size() != items.set_count())
    throw input_error(fmt::format("the sample has {} sets and the population {}",
                                  sample.sets.size(), items.set_count()));
  std::vector<union_item> drawn;
  for (std::size_t m = 0; m < sample.sets.size(); ++m) {
    const sampling::set_sample& set = sample.sets[m];
    if (set.rows.empty()) continue;
    if (!set.next_key && set.rows.size() != items.positives(m))
      throw input_error(fmt::format(
          "set \"{}\" sampled {} of its {} positives but has no next priority: not a bottom-k "
          "sample of this population",
          items.set_name(m), set.rows.size(), items.positives(m)));
    // Priorities are multiples of 2^-53: a threshold of 0 (probability 2^-53) is one step up.
    const double threshold =
        set.next_key ? std::max(sampling::priority_value(*set.next_key), 0x1.0p-53) : 1.0;
    for (const std::uint32_t row : set.rows) {
      if (row >= items.items())
        throw input_error(fmt::format("set \"{}\" samples row {} of a table of {} rows",
                                      items.set_name(m), row, items.items()));
      drawn.push_back({row, threshold});
    }
  }
  std::sort(drawn.begin(), drawn.end(), [](const union_item& a, const union_item& b) {
    return a.row != b.row ? a.row < b.row : a.inclusion_probability > b.inclusion_probability;
  });
  // After the sort the first entry of each row carries its largest threshold.
  drawn.erase(std::unique(drawn.begin(), drawn.end(),
                          [](const union_item& a, const union_item& b) { return a.row == b.row; }),
              drawn.end());
  return drawn;
}

namespace {

// A labelled union item of the set being estimated.
struct weighted_label {
  double inclusion_probability = 1.0;
  double label = 0.0;
  std::size_t stratum = 0;
};

// Hajek estimate and its linearised variance over `labels`, restricted to one stratum unless
// `stratum` is no_stratum.
struct hajek_sums {
  double weight = 0.0;  // sum 1/pi
  double count = 0.0;   // items
  double estimate = 0.0;
  double variance = 0.0;
};

hajek_sums hajek(const std::vector<weighted_label>& labels, std::size_t stratum) {
  hajek_sums sums;
  double weighted_positives = 0.0;
  for (const weighted_label& item : labels) {
    if (stratum != no_stratum && item.stratum != stratum) continue;
    sums.weight += 1.0 / item.inclusion_probability;
    weighted_positives += item.label / item.inclusion_probability;
    sums.count += 1.0;
  }
  if (sums.count == 0.0) return sums;
  sums.estimate = weighted_positives / sums.weight;
  double spread = 0.0;
  for (const weighted_label& item : labels) {
    if (stratum != no_stratum && item.stratum != stratum) continue;
    const double pi = item.inclusion_probability;
    const double residual = item.label - sums.estimate;
    spread += (1.0 - pi) / (pi * pi) * residual * residual;
  }
  sums.variance = spread / (sums.weight * sums.weight);
  return sums;
}

set_estimate estimate_inclusive(const sampling::population& items, std::size_t set,
                                const sampling::drawn_sample& sample,
                                std::span<const std::int8_t> labels_by_row,
                                const estimate_settings& settings) {
  set_estimate result;
  result.positives = items.positives(set);
  result.sample_size = sample.sets[set].rows.size();
  // Checks the design even for a set without positives, so a wrong plan is never half-accepted.
  const std::vector<union_item> drawn = rank_conditioning_inclusion(items, sample);
  if (result.positives == 0) {
    result.status = "no positives";
    return result;
  }
  std::vector<weighted_label> labels;
  const std::uint64_t bit = std::uint64_t{1} << set;
  for (const union_item& item : drawn) {
    if ((items.membership(item.row) & bit) == 0) continue;
    const std::int8_t label = labels_by_row[item.row];
    if (label != 0 && label != 1) continue;
    labels.push_back(
        {item.inclusion_probability, static_cast<double>(label), items.vote_count(item.row)});
    result.positives_labelled += static_cast<std::size_t>(label);
  }
  result.labelled = labels.size();
  if (labels.empty()) {
    result.status = "no labels";
    return result;
  }
  result.defined = true;
  result.status = "ok";
  const double used = static_cast<double>(labels.size());
  const hajek_sums pooled = hajek(labels, no_stratum);
  if (settings.estimator == estimator_kind::inclusive_hajek) {
    set_effective_interval(result, pooled.estimate, pooled.variance, used, settings,
                           variance_kind::with_fpc);
    return result;
  }

  const std::size_t members = items.members();
  std::vector<stratum> strata(members + 1);
  for (std::size_t votes = 0; votes <= members; ++votes)
    strata[votes].population = static_cast<double>(items.stratum_size(set, votes));
  for (const weighted_label& item : labels) strata[item.stratum].labelled += 1;
  const std::vector<std::size_t> targets = merge_targets(strata);
  std::vector<double> merged_population(strata.size(), 0.0);
  for (std::size_t h = 0; h < strata.size(); ++h) {
    if (targets[h] != no_stratum) merged_population[targets[h]] += strata[h].population;
  }
  for (weighted_label& item : labels) item.stratum = targets[item.stratum];
  const double total = static_cast<double>(result.positives);
  const double pooled_spread = pooled.estimate * (1 - pooled.estimate);
  double estimate = 0.0;
  double variance = 0.0;
  for (std::size_t h = 0; h < strata.size(); ++h) {
    const hajek_sums within = hajek(labels, h);
    if (within.count == 0.0) continue;
    const double weight = merged_population[h] / total;
    estimate += weight * within.estimate;
    double stratum_variance = within.variance;
    if (within.count == 1.0) {
      // One item matches its own mean: borrow the pooled p(1-p) for (y - p_h)^2, as
      // post-stratified does; (1 - pi)/pi^2 * spread / (1/pi)^2 = (1 - pi) * spread.
      const double pi = 1.0 / within.weight;
      stratum_variance = (1.0 - pi) * pooled_spread;
    }
    variance += weight * weight * stratum_variance;
  }
  set_effective_interval(result, estimate, variance, used, settings, variance_kind::with_fpc);
  return result;
}

}  // namespace

set_estimate estimate_from_sample(const sampling::population& items, std::size_t set,
                                  const sampling::drawn_sample& sample,
                                  std::span<const std::int8_t> labels_by_row,
                                  const estimate_settings& settings) {
  if (set >= items.set_count())
    throw input_error(
        fmt::format("set {} is not one of the population's {} sets", set, items.set_count()));
  if (sample.sets.size() != items.set_count())
    throw input_error(fmt::format("the sample has {} sets and the population {}",
                                  sample.sets.size(), items.set_count()));
  if (labels_by_row.size() < items.items())
    throw input_error(fmt::format("labels for {} rows, and the table has {}", labels_by_row.size(),
                                  items.items()));
  if (!is_inclusive(settings.estimator))
    return estimate_precision(items, set, sample.sets[set].rows, labels_by_row, settings);
  return estimate_inclusive(items, set, sample, labels_by_row, settings);
}

}  // namespace frugal::estimation
