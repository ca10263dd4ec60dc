#pragma once
/// Sequential labelling over a campaign store: which items to label next, when each set is
/// done, and the estimates so far (DESIGN.md §1.1 "Beyond the paper", §5).
///
/// Order. Items are labelled in priority order; a set's labelled items are used as the longest
/// prefix of its positives (in priority order) that is labelled, so they are a simple random
/// sample drawn without replacement whatever other sets caused them to be labelled. An item
/// whose annotators are tied (or not yet labelled) ends the prefix until it is resolved.
///
/// Stopping. Each set runs the betting confidence sequence of confidence_sequence.hpp over its
/// prefix and is finished at the first label where the half-width is at most the margin; its
/// estimate and interval are the ones at that label. (The sequence is valid uniformly over time,
/// so continuing it over labels collected later for other sets would be valid too; it is not
/// done because a bound that moves costs O(t log N), which over long prefixes adds up to
/// O(t^2 log N).)
///
/// Recall and F1 (metrics "recall", "f1"). The items are split into strata by vote count, from
/// the stratum no member voted yes in up to the one where all did. Allocation: each stratum gets
/// the fixed sample size of a set of its size (Cochran with finite-population correction at the
/// campaign's margin and confidence, p = 0.5): its first n_v items in priority order. Recall of a
/// set = TP / (TP + FN) and F1 = 2 TP / (N_s + TP + FN) are stratified ratio estimates from those
/// samples, with Taylor-linearised variances and a Wilson interval at the Korn & Graubard
/// effective sample size, capped at the items sampled in the strata (fixed-size samples: these
/// intervals are not sequential).
///
/// Several annotators. Labels are kept per annotator and resolved by majority; a tie leaves the
/// item unresolved (and asked for again); every item whose annotators disagree is listed.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "frugal/campaign/store.hpp"
#include "frugal/estimation/agreement.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/sampling/ensemble_rule.hpp"

namespace frugal::campaign {

/// Majority-resolved labels per row of store::items().
struct resolved_labels {
  // The same codes as io::resolved_labels (io::majority_label decides them).
  static constexpr std::int8_t unlabelled = io::resolved_labels::unlabelled;
  static constexpr std::int8_t tied = io::resolved_labels::tied;
  std::vector<std::int8_t> by_row;
  std::vector<std::uint32_t> zeros;  ///< annotators who said 0, per row
  std::vector<std::uint32_t> ones;   ///< annotators who said 1, per row
  std::size_t records = 0;
  std::size_t annotators = 0;  ///< distinct annotator names (the unnamed one counts)
  /// With exactly two annotators: their labels per item, for Cohen's kappa.
  std::vector<estimation::label_pair> two_annotators;
};

/// Resolves stored labels by majority. A label for an id that is not an item, or one that is not
/// 0/1, can only come from an edited file: frugal::input_error.
resolved_labels resolve_labels(const store& campaign, const std::vector<label_record>& labels);

struct set_progress {
  std::string name;
  std::size_t positives = 0;          ///< N
  std::size_t fixed_sample_size = 0;  ///< what a fixed-n plan (p = 0.5) gives this set
  std::size_t labelled = 0;        ///< labels used: the labelled prefix, up to the finishing label
  std::size_t true_positives = 0;  ///< of which labelled 1
  std::optional<std::size_t>
      finished_after;  ///< labels at which the half-width first met the margin
  bool finished() const noexcept { return finished_after.has_value(); }
  double precision = 0.0;  ///< the prefix's share of 1s (0.5 with no labels)
  estimation::proportion_interval interval;
  std::string status;  ///< "finished", "labelling", "no positives"
};

struct stratum_progress {
  unsigned votes = 0;           ///< members voting yes
  std::size_t items = 0;        ///< N_v
  std::size_t sample_size = 0;  ///< n_v
  std::size_t labelled = 0;     ///< labelled prefix used, at most n_v
  std::size_t true_items = 0;   ///< of which labelled 1
};

struct ratio_estimate {
  bool defined = false;
  double value = 0.0;
  estimation::proportion_interval interval;
  double effective_sample_size = 0.0;
  std::string status;  ///< "ok", "in progress" (some stratum short of its sample), "no labels"
};

struct disagreement {
  std::string id;
  std::uint32_t zeros = 0;
  std::uint32_t ones = 0;
  bool tied() const noexcept { return zeros == ones; }
};

struct campaign_state {
  std::vector<set_progress> sets;        ///< population order: "ensemble" first, then members
  std::vector<stratum_progress> strata;  ///< empty unless recall or f1 is a metric
  std::vector<ratio_estimate> recall;    ///< per set, with strata
  std::vector<ratio_estimate> f1;        ///< per set, with strata
  std::size_t items = 0;
  std::size_t distinct_labelled = 0;  ///< items with at least one label
  std::size_t label_records = 0;
  std::size_t annotators = 0;
  /// Distinct labels of the fixed-n coordinated plan (p = 0.5), with the recall strata's
  /// samples when there are strata.
  std::size_t fixed_n_coordinated = 0;
  double independent_expected = 0.0;  ///< expected distinct labels of independent sampling
  std::size_t naive_sum = 0;          ///< sum of the fixed sample sizes
  // (these two, like fixed_n_coordinated, count the strata samples when there are strata)
  std::vector<disagreement> disagreements;
  /// Items labelled by two or more annotators: what the agreement figures rest on. They are
  /// point estimates (no interval yet), so the count is always shown next to them.
  std::size_t multiply_labelled_items = 0;
  std::optional<double> fleiss_kappa;
  std::optional<double> cohen_kappa;  ///< only with exactly two annotators
  /// Fleiss' P-bar: the share of agreeing pairs of labels on items labelled more than once.
  std::optional<double> observed_agreement;
  /// Per row: an unfinished set (or stratum) still needs its label.
  std::vector<std::uint8_t> needed;
  bool finished = false;  ///< every set and stratum done
};

/// The campaign's state from its labels. O(items + labels + sum over sets of the CS cost).
campaign_state evaluate(const store& campaign, const resolved_labels& labels);

/// What labels would make of the campaign without storing them: `labels` (e.g. the stored ones)
/// plus `pending` (read but not yet written), repeats of an (id, annotator) pair dropped,
/// resolved and evaluated. `frugal label` and the Python module report the sets an import
/// finishes from the states before and after.
struct labels_outcome {
  std::vector<label_record> labels;  ///< sorted by (id, annotator), without repeats
  resolved_labels resolved;
  campaign_state state;
};
labels_outcome evaluate_with(const store& campaign, std::vector<label_record> labels,
                             const std::vector<store::pending_label>& pending);

/// The next `batch` rows to send to annotators: needed and not resolved, in priority order.
std::vector<std::size_t> next_rows(const campaign_state& state, const resolved_labels& labels,
                                   std::size_t batch);

/// The precision of another ensemble rule (what-if) from the labels already collected: the
/// confidence sequence over the labelled prefix of that rule's positives.
struct rule_estimate {
  std::string rule;
  set_progress set;
  /// When the margin is not met: about how many more distinct items must be labelled, projected
  /// by continuing the sequence at the current estimate (unset when met or when even a census
  /// is projected not to reach it).
  std::optional<std::size_t> more_labels;
};
rule_estimate evaluate_rule(const store& campaign, const resolved_labels& labels,
                            const sampling::ensemble_rule& rule);

/// The same for any set: `rows` are its positives in priority order, `labels_by_row` the
/// resolved labels (-1 unlabelled, 0, 1, anything else unresolved). Used by `frugal estimate
/// --rule` on a coordinated plan's labels.
rule_estimate estimate_prefix(std::string name, std::span<const std::uint32_t> rows,
                              std::span<const std::int8_t> labels_by_row, double margin_of_error,
                              double confidence_level);

}  // namespace frugal::campaign
