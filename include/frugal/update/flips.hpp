#pragma once
/// Flip metrics of a model update on a labelled evaluation set (DESIGN.md §1.2; Yan et al.,
/// CVPR 2021; Bansal et al., AAAI 2019). On n labelled items, with
///   rr = both right, nf = old right and new wrong (negative flips),
///   pf = old wrong and new right (positive flips), ww = both wrong:
///   acc_old = (rr + nf)/n, acc_new = (rr + pf)/n, NFR = nf/n, PFR = pf/n,
///   NFI = NFR / ER_new = nf/(nf + ww), PFI = PFR / ER_old = pf/(pf + ww),
///   relative NFR = NFR / ((1 - ER_old) * ER_new), BTC = rr/(rr + nf) = 1 - NFR/acc_old,
///   BEC = ww/(nf + ww) = 1 - NFI (the new model's errors that the old model also made),
///   churn = share of changed predictions over all items (no labels needed).
/// So acc_new - acc_old = PFR - NFR exactly, and NFR + PFR <= churn when every item is labelled.
///
/// A metric whose denominator is zero is undefined (NaN, printed "undefined", JSON null), never 0.
/// Intervals are two-sided at the stated confidence: Wilson for every ratio of counts (the items
/// are taken as a sample of the traffic the models will see); for the accuracy difference
/// (pf - nf)/n, the MOVER combination of the two discordant cells' Wilson intervals (Zou &
/// Donner 2008; Newcombe, Stat. Med. 1998, builds paired differences the same way); and for
/// relative NFR, the one metric that is not a ratio of two counts, three Wilson intervals (NFR,
/// acc_old, ER_new) at 1 - (1 - C)/3 combined by interval arithmetic (Bonferroni: conservative,
/// but valid at zero flips, where the delta method would give a zero-width interval).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "frugal/update/model_predictions.hpp"

namespace frugal::update {

/// A metric with its interval; undefined metrics have NaN everywhere.
struct metric {
  double value = 0;
  double lower = 0;
  double upper = 0;
  double numerator = 0;    ///< the counts behind a ratio (0 for relative NFR)
  double denominator = 0;  ///< 0 means undefined
  bool defined() const noexcept;
};

/// The four cells of the old/new correctness table.
struct flip_counts {
  std::size_t both_right = 0;
  std::size_t negative_flips = 0;  ///< old right, new wrong
  std::size_t positive_flips = 0;  ///< old wrong, new right
  std::size_t both_wrong = 0;
  std::size_t both_wrong_changed = 0;  ///< both wrong with different predictions (in both_wrong)
  std::size_t total() const noexcept {
    return both_right + negative_flips + positive_flips + both_wrong;
  }
};

/// A labelled item the update flipped.
struct flipped_item {
  std::size_t row = 0;  ///< in the old file's order
  std::uint32_t true_class = 0;
  bool negative = false;  ///< a negative flip (else a positive one)
};

struct flip_metrics {
  flip_counts counts;
  metric accuracy_old, accuracy_new;
  metric accuracy_difference;  ///< acc_new - acc_old = PFR - NFR
  metric nfr, pfr, nfi, pfi, relative_nfr, btc, bec;
  metric both_wrong;  ///< ww/n: the items neither model gets right
  /// Changed predictions over every paired item (labelled or not) of the group.
  metric churn;
  std::size_t items = 0;    ///< paired items in the group
  std::size_t changed = 0;  ///< of which the two models disagree
};

/// The metrics of one set of counts: `items` and `changed` give churn.
flip_metrics metrics_from_counts(const flip_counts& counts, std::size_t items, std::size_t changed,
                                 double confidence);

struct class_flip_metrics {
  std::uint32_t class_index = 0;
  std::string class_name;
  flip_metrics metrics;
};

struct flips_result {
  double confidence = 0.95;
  std::size_t items = 0;     ///< paired items
  std::size_t labelled = 0;  ///< items with a resolved label
  std::size_t tied = 0;      ///< items whose annotators tied (left out)
  std::vector<std::string> classes_only_in_labels;
  flip_metrics overall;
  /// Per class over the labelled items whose true class is c (churn over those items).
  std::vector<class_flip_metrics> by_true_class;
  /// Per class over the items the old model predicted as c (churn over all such items).
  std::vector<class_flip_metrics> by_old_prediction;
  /// Every flipped labelled item: the negative flips in row order, then the positive ones.
  std::vector<flipped_item> flipped;
};

/// The flip metrics of `pair` on the labelled rows of `labels`. Classes appear in the per-class
/// lists when at least one item falls in their group. O(rows).
flips_result compute_flips(const model_pair& pair, const class_labels& labels,
                           const class_names& classes, double confidence);

/// The MOVER interval for the difference of two cell shares of one multinomial sample,
/// (k1 - k2)/n: each share's Wilson interval (finite-population corrected when population > 0)
/// combined with their correlation -sqrt(p1 p2 / ((1 - p1)(1 - p2))). Returns {lower, upper}.
/// MOVER (Zou & Donner 2008): the interval for x1 - x2 from each estimate's interval and their
/// correlation. Returns {lower, upper}, not clamped.
std::pair<double, double> mover_difference(double x1, double lower1, double upper1, double x2,
                                           double lower2, double upper2, double correlation);

std::pair<double, double> multinomial_difference_interval(double k1, double k2, double n,
                                                          std::size_t population,
                                                          double confidence);

}  // namespace frugal::update
