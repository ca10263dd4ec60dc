#include "frugal/update/flips.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "frugal/estimation/intervals.hpp"

namespace frugal::update {
namespace {

constexpr double undefined_value = std::numeric_limits<double>::quiet_NaN();

metric undefined_metric(double numerator = 0) {
  return {undefined_value, undefined_value, undefined_value, numerator, 0};
}

estimation::proportion_interval wilson(double successes, double trials, std::size_t population,
                                       double confidence) {
  return estimation::interval_for_proportion(estimation::interval_method::wilson, successes, trials,
                                             population, confidence);
}

// k/n with its Wilson interval; undefined when n = 0.
metric ratio(double k, double n, double confidence) {
  if (n <= 0) return undefined_metric(k);
  const auto interval = wilson(k, n, 0, confidence);
  return {k / n, interval.lower, interval.upper, k, n};
}

}  // namespace

bool metric::defined() const noexcept {
  return denominator > 0 && !std::isnan(value);
}

std::pair<double, double> multinomial_difference_interval(double k1, double k2, double n,
                                                          std::size_t population,
                                                          double confidence) {
  if (n <= 0) return {-1, 1};
  const double p1 = k1 / n, p2 = k2 / n;
  const auto i1 = wilson(k1, n, population, confidence);
  const auto i2 = wilson(k2, n, population, confidence);
  const double r =
      (p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1) ? -std::sqrt(p1 * p2 / ((1 - p1) * (1 - p2))) : 0.0;
  const auto [lower, upper] = mover_difference(p1, i1.lower, i1.upper, p2, i2.lower, i2.upper, r);
  return {std::max(-1.0, lower), std::min(1.0, upper)};
}

std::pair<double, double> mover_difference(double x1, double lower1, double upper1, double x2,
                                           double lower2, double upper2, double correlation) {
  const double low1 = x1 - lower1, high1 = upper1 - x1;
  const double low2 = x2 - lower2, high2 = upper2 - x2;
  const double r = correlation;
  return {(x1 - x2) - std::sqrt(std::max(0.0, low1 * low1 + high2 * high2 - 2 * r * low1 * high2)),
          (x1 - x2) + std::sqrt(std::max(0.0, high1 * high1 + low2 * low2 - 2 * r * high1 * low2))};
}

flip_metrics metrics_from_counts(const flip_counts& counts, std::size_t items, std::size_t changed,
                                 double confidence) {
  flip_metrics m;
  m.counts = counts;
  m.items = items;
  m.changed = changed;
  const auto n = static_cast<double>(counts.total());
  const auto rr = static_cast<double>(counts.both_right);
  const auto nf = static_cast<double>(counts.negative_flips);
  const auto pf = static_cast<double>(counts.positive_flips);
  const auto ww = static_cast<double>(counts.both_wrong);
  m.accuracy_old = ratio(rr + nf, n, confidence);
  m.accuracy_new = ratio(rr + pf, n, confidence);
  m.nfr = ratio(nf, n, confidence);
  m.pfr = ratio(pf, n, confidence);
  m.nfi = ratio(nf, nf + ww, confidence);
  m.pfi = ratio(pf, pf + ww, confidence);
  m.btc = ratio(rr, rr + nf, confidence);
  m.bec = ratio(ww, nf + ww, confidence);
  m.both_wrong = ratio(ww, n, confidence);
  m.churn = ratio(static_cast<double>(changed), static_cast<double>(items), confidence);
  if (n > 0) {
    const auto [lower, upper] = multinomial_difference_interval(pf, nf, n, 0, confidence);
    m.accuracy_difference = {(pf - nf) / n, lower, upper, pf - nf, n};
  } else {
    m.accuracy_difference = undefined_metric();
  }
  // relative NFR = NFR / (acc_old * ER_new). Its interval combines three Wilson intervals, each
  // at 1 - (1 - C)/3, by interval arithmetic: with probability at least C all three hold at
  // once (Bonferroni), and then so does the quotient's range. Conservative, but valid at zero
  // flips, where the delta method would return a zero-width interval.
  const double accuracy_old = (rr + nf) / n, error_new = (nf + ww) / n;
  if (n > 0 && accuracy_old > 0 && error_new > 0) {
    const double each = 1 - (1 - confidence) / 3;
    const auto flips = wilson(nf, n, 0, each);
    const auto old_right = wilson(rr + nf, n, 0, each);
    const auto new_wrong = wilson(nf + ww, n, 0, each);
    const double value = (nf / n) / (accuracy_old * error_new);
    const double lower = flips.lower / (old_right.upper * new_wrong.upper);
    // NFR <= min(acc_old, ER_new), so the ratio is at most 1 / max(acc_old, ER_new).
    const double cap = 1 / std::max(old_right.lower, new_wrong.lower);
    const double upper = old_right.lower > 0 && new_wrong.lower > 0
                             ? std::min(flips.upper / (old_right.lower * new_wrong.lower), cap)
                             : cap;
    m.relative_nfr = {value, std::min(lower, value), std::max(upper, value), 0, n};
  } else {
    m.relative_nfr = undefined_metric();
  }
  return m;
}

flips_result compute_flips(const model_pair& pair, const class_labels& labels,
                           const class_names& classes, double confidence) {
  flips_result result;
  result.confidence = confidence;
  result.items = pair.size();
  result.labelled = labels.labelled_items;
  result.tied = labels.tied_items;
  for (const std::uint32_t c : labels.classes_only_in_labels)
    result.classes_only_in_labels.push_back(classes.name(c));

  const std::size_t class_count = classes.size();
  flip_counts overall;
  std::vector<flip_counts> by_true(class_count), by_old(class_count);
  std::vector<std::size_t> true_items(class_count, 0), true_changed(class_count, 0);
  std::vector<std::size_t> old_items(class_count, 0), old_changed(class_count, 0);
  std::size_t changed = 0;
  for (std::size_t row = 0; row < pair.size(); ++row) {
    const std::uint32_t old_class = pair.old_class[row], new_class = pair.new_class[row];
    const bool differs = old_class != new_class;
    changed += differs;
    ++old_items[old_class];
    old_changed[old_class] += differs;
    const std::uint32_t truth = labels.by_row[row];
    if (truth >= class_labels::tied) continue;
    ++true_items[truth];
    true_changed[truth] += differs;
    const bool old_right = old_class == truth, new_right = new_class == truth;
    auto tally = [&](flip_counts& counts) {
      if (old_right && new_right) {
        ++counts.both_right;
      } else if (old_right) {
        ++counts.negative_flips;
      } else if (new_right) {
        ++counts.positive_flips;
      } else {
        ++counts.both_wrong;
        counts.both_wrong_changed += differs;
      }
    };
    tally(overall);
    if (old_right != new_right) result.flipped.push_back({row, truth, old_right});
    tally(by_true[truth]);
    tally(by_old[old_class]);
  }
  std::stable_partition(result.flipped.begin(), result.flipped.end(),
                        [](const flipped_item& item) { return item.negative; });
  result.overall = metrics_from_counts(overall, pair.size(), changed, confidence);
  for (std::uint32_t c = 0; c < class_count; ++c) {
    if (true_items[c] > 0)
      result.by_true_class.push_back(
          {c, classes.name(c),
           metrics_from_counts(by_true[c], true_items[c], true_changed[c], confidence)});
    if (old_items[c] > 0)
      result.by_old_prediction.push_back(
          {c, classes.name(c),
           metrics_from_counts(by_old[c], old_items[c], old_changed[c], confidence)});
  }
  auto by_name = [](const class_flip_metrics& a, const class_flip_metrics& b) {
    return a.class_name < b.class_name;
  };
  std::sort(result.by_true_class.begin(), result.by_true_class.end(), by_name);
  std::sort(result.by_old_prediction.begin(), result.by_old_prediction.end(), by_name);
  return result;
}

}  // namespace frugal::update
