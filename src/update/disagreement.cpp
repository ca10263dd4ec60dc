#include "frugal/update/disagreement.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/binomial.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "frugal/error.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::update {
namespace {

constexpr double nan_value = std::numeric_limits<double>::quiet_NaN();

void check_confidence(double confidence) {
  if (!(confidence > 0.5 && confidence < 1))
    throw input_error(fmt::format("confidence must be in (0.5, 1), got {}", confidence));
}

struct keyed_row {
  std::uint64_t key;
  std::uint32_t row;
};

// The n lowest-priority rows of `rows`, in priority order.
std::vector<keyed_row> lowest(std::vector<keyed_row> rows, std::size_t n, const model_pair& pair) {
  auto before = [&](const keyed_row& a, const keyed_row& b) {
    return sampling::priority_before(a.key, pair.id(a.row), b.key, pair.id(b.row));
  };
  n = std::min(n, rows.size());
  if (n < rows.size()) {
    std::nth_element(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(),
                     before);
    rows.resize(n);
  }
  std::sort(rows.begin(), rows.end(), before);
  return rows;
}

// Apportions `total` labels over parts of `sizes` items: one each first, then one at a time to
// the part with the largest N_h / (n_h + 1/2) that has room (Webster's highest averages, close
// to proportional). Handing labels out one at a time makes the allocation house-monotone: a
// larger total never takes a label away from a part, so a larger budget extends a plan.
// `total` must be at least the number of parts.
std::vector<std::size_t> apportion(const std::vector<std::size_t>& sizes, std::size_t total) {
  std::vector<std::size_t> share(sizes.size(), 1);
  std::size_t given = sizes.size();
  auto priority = [&](std::size_t i) {
    return static_cast<double>(sizes[i]) / (static_cast<double>(share[i]) + 0.5);
  };
  // Max-heap of parts with room, by priority (ties to the lower index, for determinism).
  auto lower = [&](std::size_t a, std::size_t b) {
    const double pa = priority(a), pb = priority(b);
    return pa != pb ? pa < pb : a > b;
  };
  std::vector<std::size_t> heap;
  for (std::size_t i = 0; i < sizes.size(); ++i)
    if (share[i] < sizes[i]) heap.push_back(i);
  std::make_heap(heap.begin(), heap.end(), lower);
  while (given < total && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), lower);
    const std::size_t i = heap.back();
    heap.pop_back();
    ++share[i];
    ++given;
    if (share[i] < sizes[i]) {
      heap.push_back(i);
      std::push_heap(heap.begin(), heap.end(), lower);
    }
  }
  return share;
}

// ---------------------------------------------------------------------------------------------
// Stratified totals. For one kind of item (a negative flip, say) and the strata that can hold it:
// population N_h, labelled n_h, of which k_h are of the kind.

struct stratum_count {
  std::size_t population = 0, labelled = 0, kind = 0;
};

struct total_estimate {
  bool defined = false;
  double value = nan_value, lower = nan_value, upper = nan_value;
  double variance = nan_value;
  double upper_one_sided = 0;  ///< always valid: unlabelled strata count in full
};

double stratum_variance_term(const stratum_count& s, double share_variance) {
  const double big_n = static_cast<double>(s.population), n = static_cast<double>(s.labelled);
  return big_n * big_n * (1 - n / big_n) * share_variance / n;
}

// Sample variance of a 0/1 indicator with k ones in n (0.25 when n = 1: unknown, the maximum).
double indicator_variance(std::size_t k, std::size_t n) {
  if (n <= 1) return 0.25;
  const double p = static_cast<double>(k) / static_cast<double>(n);
  return p * (1 - p) * static_cast<double>(n) / static_cast<double>(n - 1);
}

total_estimate estimate_total(const std::vector<stratum_count>& strata, double confidence) {
  total_estimate result;
  std::vector<const stratum_count*> present;
  for (const stratum_count& s : strata)
    if (s.population > 0) present.push_back(&s);
  if (present.empty()) {
    result = {true, 0, 0, 0, 0, 0};
    return result;
  }
  // The one-sided bound: an unlabelled stratum counts in full and a fully labelled one exactly;
  // the error rate is split (Bonferroni) over the strata that are sampled, and only those.
  std::size_t sampled = 0;
  for (const stratum_count* s : present) sampled += s->labelled > 0 && s->labelled < s->population;
  const double alpha_each =
      (1 - confidence) / static_cast<double>(std::max<std::size_t>(1, sampled));
  bool all_labelled = true;
  for (const stratum_count* s : present) {
    if (s->labelled == 0) {
      all_labelled = false;
      result.upper_one_sided += static_cast<double>(s->population);
    } else if (s->labelled == s->population) {
      result.upper_one_sided += static_cast<double>(s->kind);
    } else {
      result.upper_one_sided +=
          hypergeometric_upper_count(s->kind, s->labelled, s->population, 1 - alpha_each);
    }
  }
  if (!all_labelled) return result;
  result.defined = true;
  if (present.size() == 1) {
    const stratum_count& s = *present.front();
    const double big_n = static_cast<double>(s.population);
    const auto interval = estimation::interval_for_proportion(
        estimation::interval_method::wilson, static_cast<double>(s.kind),
        static_cast<double>(s.labelled), s.population, confidence);
    result.value = big_n * static_cast<double>(s.kind) / static_cast<double>(s.labelled);
    result.lower = big_n * interval.lower;
    result.upper = big_n * interval.upper;
    result.variance = stratum_variance_term(s, indicator_variance(s.kind, s.labelled));
    return result;
  }
  double total = 0, variance = 0, population = 0, kish_denominator = 0;
  bool census = true;
  for (const stratum_count* s : present) {
    census = census && s->labelled == s->population;
    const double big_n = static_cast<double>(s->population);
    total += big_n * static_cast<double>(s->kind) / static_cast<double>(s->labelled);
    variance += stratum_variance_term(*s, indicator_variance(s->kind, s->labelled));
    population += big_n;
    kish_denominator += big_n * big_n / static_cast<double>(s->labelled);
  }
  // Wilson at the effective sample size p(1 - p)/Var(p) (Korn & Graubard 1998); the variance
  // already carries the finite-population corrections.
  if (census) {  // every item labelled: the total is known exactly
    result.value = result.lower = result.upper = total;
    result.variance = 0;
    return result;
  }
  const double p = total / population;
  const double share_variance = variance / (population * population);
  // With no variance to go on (no item of the kind, or all of them), Kish's effective size
  // (sum N_h)^2 / sum(N_h^2 / n_h) keeps unequal sampling fractions from narrowing the interval.
  const double effective = share_variance > 0 ? p * (1 - p) / share_variance
                                              : population * population / kish_denominator;
  const auto interval = estimation::interval_for_proportion(
      estimation::interval_method::wilson, p * effective, effective, 0, confidence);
  result.value = total;
  result.lower = population * interval.lower;
  result.upper = population * interval.upper;
  result.variance = variance;
  return result;
}

metric share_metric(const total_estimate& total, double denominator) {
  if (!total.defined || denominator <= 0) return {nan_value, nan_value, nan_value, 0, 0};
  return {total.value / denominator, total.lower / denominator, total.upper / denominator,
          total.value, denominator};
}

// Per-stratum tallies of the labelled prefix.
struct stratum_tally {
  std::size_t population = 0, labelled = 0;
  std::size_t negative = 0, positive = 0, both_wrong = 0, both_right = 0;
  /// Per old-prediction class: the stratum's items, its labelled prefix, its negative flips.
  std::vector<std::size_t> population_by_old_class, labelled_by_old_class, negative_by_old_class;
};

// Ratio Y/X of two stratified totals where every Y item is an X item (y <= x), linearised:
// Var(R) ~ Var(sum z)/X^2 with z = y - R x, then Wilson at the effective size.
metric ratio_metric(const std::vector<stratum_tally>& strata,
                    std::size_t (*y_of)(const stratum_tally&),
                    std::size_t (*x_of)(const stratum_tally&), double confidence) {
  double y_total = 0, x_total = 0, population = 0, kish_denominator = 0;
  bool census = true;
  for (const stratum_tally& s : strata) {
    if (s.population == 0) continue;
    if (s.labelled == 0) return {nan_value, nan_value, nan_value, 0, 0};
    census = census && s.labelled == s.population;
    const double weight = static_cast<double>(s.population) / static_cast<double>(s.labelled);
    y_total += weight * static_cast<double>(y_of(s));
    x_total += weight * static_cast<double>(x_of(s));
    population += static_cast<double>(s.population);
    kish_denominator += weight * static_cast<double>(s.population);
  }
  if (x_total <= 0) return {nan_value, nan_value, nan_value, y_total, 0};
  const double r = y_total / x_total;
  if (census) return {r, r, r, y_total, x_total};
  double variance = 0;
  for (const stratum_tally& s : strata) {
    if (s.population == 0) continue;
    const double n = static_cast<double>(s.labelled), big_n = static_cast<double>(s.population);
    const double ky = static_cast<double>(y_of(s)), kx = static_cast<double>(x_of(s));
    // z_i = y_i - r x_i with y_i, x_i in {0, 1} and y_i <= x_i.
    const double sum_z = ky - r * kx;
    const double sum_z2 = ky * (1 - 2 * r) + r * r * kx;
    const double s2 = n > 1 ? std::max(0.0, (sum_z2 - sum_z * sum_z / n) / (n - 1)) : 0.25;
    variance += big_n * big_n * (1 - n / big_n) * s2 / n;
  }
  variance /= x_total * x_total;
  // Without variance to go on, Kish's effective size of the design, scaled to the share of the
  // items that are X items.
  const double effective = variance > 0
                               ? r * (1 - r) / variance
                               : population * population / kish_denominator * x_total / population;
  const auto interval = estimation::interval_for_proportion(
      estimation::interval_method::wilson, r * effective, effective, 0, confidence);
  return {r, interval.lower, interval.upper, y_total, x_total};
}

}  // namespace

std::size_t update_plan::sample_size() const {
  std::size_t total = 0;
  for (const plan_stratum& stratum : strata) total += stratum.ids.size();
  return total;
}

double hypergeometric_upper_count(std::size_t successes, std::size_t trials, std::size_t population,
                                  double confidence) {
  check_confidence(confidence);
  if (trials == 0) return static_cast<double>(population);
  // The equal-tailed two-sided interval at 2C - 1 leaves 1 - C in its upper tail.
  const auto interval = estimation::interval_for_proportion(
      estimation::interval_method::hypergeometric, static_cast<double>(successes),
      static_cast<double>(trials), population, 2 * confidence - 1);
  return std::round(interval.upper * static_cast<double>(population));
}

double mcnemar_exact_p_value(std::size_t b, std::size_t c) {
  const std::size_t discordant = b + c;
  if (discordant == 0) return 1;
  const boost::math::binomial_distribution<double> law(static_cast<double>(discordant), 0.5);
  const double tail = boost::math::cdf(law, static_cast<double>(std::min(b, c)));
  return std::min(1.0, 2 * tail);
}

update_plan make_update_plan(const model_pair& pair, const class_names& classes,
                             const plan_settings& settings) {
  if (settings.budget == 0) throw input_error("the budget must be at least one label");
  if (!(settings.agreement_share >= 0 && settings.agreement_share < 1))
    throw input_error(
        fmt::format("the agreement share must be in [0, 1), got {}", settings.agreement_share));
  update_plan plan;
  plan.version = FRUGAL_VERSION;
  plan.seed = settings.seed;
  plan.hash = std::string(sampling::priority_hash_name);
  plan.old_fingerprint = io::fingerprint_hex(pair.old_model->fingerprint);
  plan.new_fingerprint = io::fingerprint_hex(pair.new_model->fingerprint);
  plan.items = pair.size();
  plan.disagreements = pair.disagreements;
  plan.budget = settings.budget;
  plan.agreement_share = settings.agreement_share;
  plan.stratified = settings.stratify_by_pair;

  std::vector<keyed_row> agreement;
  std::map<std::pair<std::string, std::string>, std::vector<keyed_row>> by_pair;
  std::vector<keyed_row> disagreement;
  for (std::size_t row = 0; row < pair.size(); ++row) {
    const keyed_row item{sampling::priority_key(settings.seed, pair.id(row)),
                         static_cast<std::uint32_t>(row)};
    if (pair.old_class[row] == pair.new_class[row]) {
      agreement.push_back(item);
    } else if (settings.stratify_by_pair) {
      by_pair[{classes.name(pair.old_class[row]), classes.name(pair.new_class[row])}].push_back(
          item);
    } else {
      disagreement.push_back(item);
    }
  }
  // Rounded down, so that a small budget still reaches the disagreement set.
  const auto agreement_wanted = static_cast<std::size_t>(
      std::floor(static_cast<double>(settings.budget) * settings.agreement_share));
  std::size_t agreement_size = std::min({agreement_wanted, agreement.size(), settings.budget});
  // The disagreement set gets the rest: what the agreement stratum cannot use included.
  const std::size_t disagreement_size =
      std::min(settings.budget - agreement_size, pair.disagreements);
  // Labels the disagreement set cannot use go to the agreement stratum, when there is one.
  if (settings.agreement_share > 0)
    agreement_size = std::min(agreement.size(), settings.budget - disagreement_size);

  auto add_stratum = [&](std::string name, bool is_agreement, std::string old_class,
                         std::string new_class, std::vector<keyed_row> rows, std::size_t n) {
    plan_stratum stratum;
    stratum.name = std::move(name);
    stratum.agreement = is_agreement;
    stratum.old_class = std::move(old_class);
    stratum.new_class = std::move(new_class);
    stratum.population = rows.size();
    for (const keyed_row& item : lowest(std::move(rows), n, pair)) {
      stratum.ids.emplace_back(pair.id(item.row));
      stratum.rows.push_back(item.row);
    }
    plan.strata.push_back(std::move(stratum));
  };
  if (settings.stratify_by_pair) {
    if (!by_pair.empty() && disagreement_size < by_pair.size())
      throw input_error(fmt::format(
          "a budget of {} disagreement labels cannot cover the {} (old, new) class pairs with "
          "at least one label each; raise --budget or drop --stratify",
          disagreement_size, by_pair.size()));
    std::vector<std::size_t> sizes;
    for (const auto& [classes_of_pair, rows] : by_pair) sizes.push_back(rows.size());
    const std::vector<std::size_t> shares =
        by_pair.empty() ? std::vector<std::size_t>{} : apportion(sizes, disagreement_size);
    std::size_t i = 0;
    for (auto& [classes_of_pair, rows] : by_pair) {
      add_stratum(fmt::format("{} -> {}", classes_of_pair.first, classes_of_pair.second), false,
                  classes_of_pair.first, classes_of_pair.second, std::move(rows), shares[i++]);
    }
  } else if (pair.disagreements > 0) {
    add_stratum("disagreement", false, "", "", std::move(disagreement), disagreement_size);
  }
  if (settings.agreement_share > 0 && !agreement.empty())
    add_stratum("agreement", true, "", "", std::move(agreement), agreement_size);
  return plan;
}

void check_plan_matches(const update_plan& plan, const model_pair& pair) {
  const std::string old_fingerprint = io::fingerprint_hex(pair.old_model->fingerprint);
  const std::string new_fingerprint = io::fingerprint_hex(pair.new_model->fingerprint);
  if (plan.old_fingerprint != old_fingerprint)
    throw input_error(pair.old_model->source, 0, 0,
                      fmt::format("these are not the old predictions the plan was drawn from "
                                  "(fingerprint {}, the plan has {})",
                                  old_fingerprint, plan.old_fingerprint));
  if (plan.new_fingerprint != new_fingerprint)
    throw input_error(pair.new_model->source, 0, 0,
                      fmt::format("these are not the new predictions the plan was drawn from "
                                  "(fingerprint {}, the plan has {})",
                                  new_fingerprint, plan.new_fingerprint));
  if (plan.items != pair.size() || plan.disagreements != pair.disagreements)
    throw input_error(plan.source, 0, 0, "the plan's item counts do not match these predictions");
}

namespace {

// A plan is a pure function of the predictions and its settings: drawing it again and comparing
// catches a plan edited by hand (a population changed, ids chosen), which would otherwise give
// wrong estimates without a word.
// Returns the redrawn plan, whose strata also hold the sampled rows.
update_plan redraw_checked(const update_plan& plan, const model_pair& pair,
                           const class_names& classes) {
  plan_settings settings;
  settings.budget = plan.budget;
  settings.seed = plan.seed;
  settings.agreement_share = plan.agreement_share;
  settings.stratify_by_pair = plan.stratified;
  update_plan redrawn;
  try {
    redrawn = make_update_plan(pair, classes, settings);
  } catch (const input_error& error) {
    throw input_error(
        plan.source, 0, 0,
        fmt::format("the plan's settings do not give a plan for these predictions: {}",
                    error.message()));
  }
  bool same = redrawn.strata.size() == plan.strata.size();
  for (std::size_t h = 0; same && h < plan.strata.size(); ++h) {
    const plan_stratum &mine = plan.strata[h], &theirs = redrawn.strata[h];
    same = mine.name == theirs.name && mine.agreement == theirs.agreement &&
           mine.old_class == theirs.old_class && mine.new_class == theirs.new_class &&
           mine.population == theirs.population && mine.ids == theirs.ids;
  }
  if (!same)
    throw input_error(plan.source, 0, 0,
                      "the plan's strata or ids differ from the plan its own settings (seed, "
                      "budget, agreement share, stratification) give for these predictions; was "
                      "it edited, or made by another frugal version?");
  return redrawn;
}

}  // namespace

update_estimate estimate_update(const model_pair& pair, const class_labels& labels,
                                const class_names& classes, const update_plan& plan,
                                double confidence) {
  check_confidence(confidence);
  check_plan_matches(plan, pair);
  // The redrawn plan equals `plan` and knows its rows: no id lookups, and every row is known to
  // belong to its stratum.
  const update_plan drawn = redraw_checked(plan, pair, classes);
  update_estimate result;
  result.confidence = confidence;
  result.items = pair.size();
  result.disagreements = pair.disagreements;
  result.disagreement_rate =
      static_cast<double>(pair.disagreements) / static_cast<double>(pair.size());
  result.planned = plan.sample_size();
  const double items = static_cast<double>(pair.size());

  std::vector<bool> in_plan(pair.size(), false);
  std::vector<stratum_tally> tallies;
  std::size_t agreement_population = 0;
  for (const plan_stratum& stratum : drawn.strata) {
    stratum_tally tally;
    tally.population = stratum.population;
    tally.negative_by_old_class.assign(classes.size(), 0);
    tally.labelled_by_old_class.assign(classes.size(), 0);
    tally.population_by_old_class.assign(classes.size(), 0);
    if (stratum.agreement) {
      agreement_population = stratum.population;
      result.has_agreement_stratum = true;
    }
    bool prefix = true;
    for (const std::uint32_t row : stratum.rows) {
      const std::uint32_t old_class = pair.old_class[row], new_class = pair.new_class[row];
      in_plan[row] = true;
      const std::uint32_t truth = labels.by_row[row];
      if (truth == class_labels::tied) ++result.tied;
      if (truth >= class_labels::tied) {
        prefix = false;
        continue;
      }
      if (!prefix) {
        ++result.unused_labelled;
        continue;
      }
      ++tally.labelled;
      ++tally.labelled_by_old_class[old_class];
      ++result.used;
      const bool old_right = old_class == truth, new_right = new_class == truth;
      if (old_right && new_right) {
        ++tally.both_right;
      } else if (old_right) {
        ++tally.negative;
        ++tally.negative_by_old_class[old_class];
        result.sampled_flips.push_back({row, truth, true});
      } else if (new_right) {
        ++tally.positive;
        result.sampled_flips.push_back({row, truth, false});
      } else {
        ++tally.both_wrong;
      }
    }
    result.strata.push_back({stratum.name, stratum.agreement, stratum.population,
                             stratum.ids.size(), tally.labelled, tally.negative, tally.positive,
                             tally.both_wrong, tally.both_right});
    tallies.push_back(std::move(tally));
  }
  for (std::size_t row = 0; row < pair.size(); ++row)
    result.outside_plan += !in_plan[row] && labels.by_row[row] < class_labels::tied;
  for (const stratum_tally& tally : tallies) {
    result.mcnemar_negative += tally.negative;
    result.mcnemar_positive += tally.positive;
  }
  // The exact test needs a simple random sample of D; a stratified plan's pooled sample is not
  // one (its strata are sampled at different rates), so there is no p-value then.
  result.mcnemar_p_value =
      plan.stratified ? nan_value
                      : mcnemar_exact_p_value(result.mcnemar_negative, result.mcnemar_positive);

  // Totals over the disagreement strata (negative and positive flips live only there).
  auto disagreement_counts = [&](auto kind_of) {
    std::vector<stratum_count> counts;
    for (std::size_t h = 0; h < tallies.size(); ++h)
      if (!plan.strata[h].agreement)
        counts.push_back({tallies[h].population, tallies[h].labelled, kind_of(tallies[h])});
    return counts;
  };
  if (pair.disagreements == 0) {
    result.no_disagreement = true;
    result.nfr = {0, 0, 0, 0, items};
    result.pfr = {0, 0, 0, 0, items};
    result.accuracy_difference = {0, 0, 0, 0, items};
    result.nfr_upper_bound = 0;
  } else {
    const auto negative = disagreement_counts([](const stratum_tally& t) { return t.negative; });
    const auto positive = disagreement_counts([](const stratum_tally& t) { return t.positive; });
    const total_estimate negative_total = estimate_total(negative, confidence);
    const total_estimate positive_total = estimate_total(positive, confidence);
    result.nfr = share_metric(negative_total, items);
    result.pfr = share_metric(positive_total, items);
    result.nfr_upper_bound = negative_total.upper_one_sided / items;
    if (negative_total.defined && positive_total.defined) {
      // acc_new - acc_old = (T_pf - T_nf)/N, by the MOVER combination of the two totals'
      // intervals with their estimated correlation (within a stratum the two indicators are
      // exclusive: covariance -p_pf p_nf n/(n-1)).
      double covariance = 0;
      for (std::size_t h = 0; h < tallies.size(); ++h) {
        const stratum_tally& t = tallies[h];
        if (plan.strata[h].agreement || t.population == 0 || t.labelled < 2) continue;
        const double n = static_cast<double>(t.labelled), big_n = static_cast<double>(t.population);
        const double p_pf = static_cast<double>(t.positive) / n;
        const double p_nf = static_cast<double>(t.negative) / n;
        covariance += big_n * big_n * (1 - n / big_n) * (-p_pf * p_nf * n / (n - 1)) / n;
      }
      const double sd = std::sqrt(positive_total.variance * negative_total.variance);
      const double r = sd > 0 ? std::clamp(covariance / sd, -1.0, 1.0) : 0.0;
      const double x1 = positive_total.value, x2 = negative_total.value;
      const auto [lower, upper] =
          mover_difference(x1, positive_total.lower, positive_total.upper, x2, negative_total.lower,
                           negative_total.upper, r);
      result.accuracy_difference = {(x1 - x2) / items, std::max(-1.0, lower / items),
                                    std::min(1.0, upper / items), x1 - x2, items};
    } else {
      result.accuracy_difference = {nan_value, nan_value, nan_value, 0, 0};
    }
  }

  // Accuracy, NFI, BTC and BEC need the agreement set too (or an empty one).
  const std::size_t agreement_items = pair.size() - pair.disagreements;
  const bool agreement_known =
      agreement_items == 0 || (result.has_agreement_stratum && agreement_population > 0);
  const metric undefined{nan_value, nan_value, nan_value, 0, 0};
  result.accuracy_old = result.accuracy_new = result.error_rate_new = result.both_wrong = undefined;
  result.nfi = result.btc = result.bec = undefined;
  if (agreement_known) {
    auto all_counts = [&](auto kind_of) {
      std::vector<stratum_count> counts;
      for (const stratum_tally& t : tallies)
        counts.push_back({t.population, t.labelled, kind_of(t)});
      return counts;
    };
    result.accuracy_old = share_metric(
        estimate_total(all_counts([](const stratum_tally& t) { return t.both_right + t.negative; }),
                       confidence),
        items);
    result.accuracy_new = share_metric(
        estimate_total(all_counts([](const stratum_tally& t) { return t.both_right + t.positive; }),
                       confidence),
        items);
    result.error_rate_new = share_metric(
        estimate_total(all_counts([](const stratum_tally& t) { return t.negative + t.both_wrong; }),
                       confidence),
        items);
    result.both_wrong = share_metric(
        estimate_total(all_counts([](const stratum_tally& t) { return t.both_wrong; }), confidence),
        items);
    result.nfi = ratio_metric(
        tallies, [](const stratum_tally& t) { return t.negative; },
        [](const stratum_tally& t) { return t.negative + t.both_wrong; }, confidence);
    result.btc = ratio_metric(
        tallies, [](const stratum_tally& t) { return t.both_right; },
        [](const stratum_tally& t) { return t.both_right + t.negative; }, confidence);
    result.bec = ratio_metric(
        tallies, [](const stratum_tally& t) { return t.both_wrong; },
        [](const stratum_tally& t) { return t.negative + t.both_wrong; }, confidence);
  }

  // Negative flips per class, over the items the old model assigned to the class. A negative
  // flip of class c has old prediction c, so it lies in D's part with old class c: within each
  // disagreement stratum that part's size is known without labels, and its labelled items are
  // (given their number) a simple random sample of it: a domain estimate per stratum.
  std::map<std::pair<std::string_view, std::string_view>, std::size_t> stratum_of_pair;
  std::ptrdiff_t unstratified = -1;
  for (std::size_t h = 0; h < plan.strata.size(); ++h) {
    const plan_stratum& stratum = plan.strata[h];
    if (stratum.agreement) continue;
    if (stratum.old_class.empty())
      unstratified = static_cast<std::ptrdiff_t>(h);
    else
      stratum_of_pair[{stratum.old_class, stratum.new_class}] = h;
  }
  std::vector<std::size_t> old_predicted(classes.size(), 0);
  for (std::size_t row = 0; row < pair.size(); ++row) {
    const std::uint32_t old_class = pair.old_class[row], new_class = pair.new_class[row];
    ++old_predicted[old_class];
    if (old_class == new_class) continue;
    std::size_t h = 0;
    if (unstratified >= 0) {
      h = static_cast<std::size_t>(unstratified);
    } else {
      const auto found = stratum_of_pair.find({classes.name(old_class), classes.name(new_class)});
      FRUGAL_ASSERT(found != stratum_of_pair.end());  // the plan was redrawn and matched above
      h = found->second;
    }
    ++tallies[h].population_by_old_class[old_class];
  }
  for (std::uint32_t c = 0; c < classes.size(); ++c) {
    if (old_predicted[c] == 0) continue;
    std::vector<stratum_count> counts;
    for (std::size_t h = 0; h < tallies.size(); ++h) {
      if (plan.strata[h].agreement) continue;
      counts.push_back({tallies[h].population_by_old_class[c], tallies[h].labelled_by_old_class[c],
                        tallies[h].negative_by_old_class[c]});
    }
    const total_estimate total = estimate_total(counts, confidence);
    const double denominator = static_cast<double>(old_predicted[c]);
    class_flip_estimate row;
    row.class_index = c;
    row.class_name = classes.name(c);
    row.old_predicted = old_predicted[c];
    row.nfr = share_metric(total, denominator);
    row.upper_bound = total.upper_one_sided / denominator;
    result.by_old_prediction.push_back(std::move(row));
  }
  std::sort(result.by_old_prediction.begin(), result.by_old_prediction.end(),
            [](const auto& a, const auto& b) { return a.class_name < b.class_name; });
  return result;
}

certification_size labels_to_certify(std::size_t items, std::size_t disagreements, double target,
                                     double confidence, double assumed_nfr) {
  check_confidence(confidence);
  if (!(target > 0 && target < 1))
    throw input_error(fmt::format("the NFR to certify must be in (0, 1), got {}", target));
  if (items == 0) throw input_error("no items");
  if (disagreements > items) throw input_error("more disagreements than items");
  const double big_n = static_cast<double>(items);
  const double d = static_cast<double>(disagreements) / big_n;
  if (!(assumed_nfr >= 0 && assumed_nfr <= d))
    throw input_error(fmt::format(
        "the assumed NFR must be in [0, d] = [0, {:.6g}] (flips need disagreements), got {}", d,
        assumed_nfr));
  certification_size result;
  result.target = target;
  result.confidence = confidence;
  result.assumed_nfr = assumed_nfr;
  result.items = items;
  result.disagreements = disagreements;
  if (d <= target) {
    result.certified_without_labels = true;
    result.disagreement_labels = 0;
    result.uniform_labels = 0;
    return result;
  }
  // The fewest labels n in [1, population] from which every larger sample certifies: the bound
  // on the flips, from the flips an NFR of assumed_nfr would show, is at most target * N. With
  // no flips the bound falls with n and a binary search finds n. With flips, the rounded flip
  // count makes certification flicker over one rounding cycle (about 1/share labels), so the
  // search result is then walked up until a whole cycle certifies.
  auto smallest = [&](std::size_t population, double flip_share) -> std::optional<std::size_t> {
    auto certifies = [&](std::size_t n) {
      const auto flips =
          static_cast<std::size_t>(std::llround(flip_share * static_cast<double>(n)));
      return hypergeometric_upper_count(std::min(flips, n), n, population, confidence) <=
             target * big_n + 1e-9;
    };
    if (!certifies(population)) return std::nullopt;
    std::size_t low = 1, high = population;
    while (low < high) {
      const std::size_t middle = low + (high - low) / 2;
      if (certifies(middle)) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    if (flip_share <= 0) return low;
    const auto cycle = static_cast<std::size_t>(std::ceil(1 / flip_share)) + 1;
    std::size_t candidate = low;
    for (std::size_t n = candidate + 1; n <= population && n <= candidate + cycle; ++n) {
      if (!certifies(n)) candidate = n + 1;
    }
    return std::min(candidate, population);
  };
  result.disagreement_labels = smallest(disagreements, assumed_nfr / d);
  result.uniform_labels = smallest(items, assumed_nfr);
  return result;
}

}  // namespace frugal::update
