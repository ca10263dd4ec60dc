#pragma once
/// Label-efficient estimation of a model update's flips (DESIGN.md §1.2): a negative flip can only
/// happen where the two models disagree, so labels are spent on a simple random sample of the
/// disagreement set D (N_D of N items, d = N_D/N), optionally stratified by the (old, new) class
/// pair, plus an optional small sample of the agreement set A for NFI, BTC and BEC.
///
/// Sampling uses frugal's permanent priorities: each item's priority is a seeded hash of its id
/// and a stratum's sample is its n lowest priorities, so a larger budget with the same seed
/// extends a plan instead of replacing it, and the queue is in priority order: a prefix of it is
/// itself a simple random sample of every stratum.
///
/// Estimates (per stratum h: N_h items, n_h labelled, k_h of a kind):
///   total T = sum_h N_h k_h / n_h, NFR = T_nf / N, PFR = T_pf / N (unbiased);
///   one stratum: the Wilson interval with finite-population correction on k/n, scaled by N_h/N;
///   several: the stratified variance sum_h N_h^2 (1 - n_h/N_h) s_h^2 / n_h and a Wilson interval
///   at the effective sample size (Korn & Graubard 1998); ratios (NFI, BTC, BEC) are linearised.
///   The certificate "NFR <= x" is the one-sided exact hypergeometric upper bound at confidence C
///   (several strata: Bonferroni over the strata that are sampled but not fully labelled); with
///   no flip in n labels from one stratum it is at most d (1 - (1 - C)^(1/n)).
///   Per class, domain estimates: the part of each disagreement stratum the old model assigns to
///   the class has a known size, and its labelled items are a simple random sample of it.
///   McNemar's exact test uses the discordant pairs of the labelled sample: the negative and the
///   positive flips (unstratified plans only).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/update/flips.hpp"
#include "frugal/update/model_predictions.hpp"

namespace frugal::update {

struct plan_settings {
  std::size_t budget = 0;  ///< labels in all
  std::uint64_t seed = 1;
  /// Share of the budget spent on the agreement set, in [0, 1).
  double agreement_share = 0;
  /// Stratify the disagreement set by the (old, new) class pair.
  bool stratify_by_pair = false;
};

struct plan_stratum {
  std::string name;  ///< "disagreement", "agreement", or "<old> -> <new>"
  bool agreement = false;
  /// Stratified plans only: the class pair (names, so that a plan is readable on its own).
  std::string old_class, new_class;
  std::size_t population = 0;
  /// Sampled ids in priority order; their count is the stratum's sample size.
  std::vector<std::string> ids;
  /// The same items as rows of the model pair the plan was drawn from (make_update_plan only;
  /// empty in a plan read from a file, which is matched by id).
  std::vector<std::uint32_t> rows;
};

struct update_plan {
  std::string source = "update plan";  ///< the file it was read from, for messages
  std::string version;
  std::uint64_t seed = 1;
  std::string hash;
  std::string old_fingerprint, new_fingerprint;  ///< 16 hex digits each
  std::size_t items = 0;
  std::size_t disagreements = 0;
  std::size_t budget = 0;
  double agreement_share = 0;
  bool stratified = false;
  std::vector<plan_stratum> strata;

  std::size_t sample_size() const;
};

/// Draws the plan. The agreement stratum gets floor(budget * agreement_share) labels (at most
/// its size), the disagreement set the rest (at most its size); with an agreement share, labels
/// the disagreement set cannot use go to the agreement stratum. Stratified plans give each pair
/// stratum one label, then one at a time to the largest N_h / (n_h + 1/2) (Webster: close to
/// proportional, and house-monotone, so a larger budget extends the plan); a budget smaller than
/// the number of pairs is an input_error. An empty disagreement set gives a plan
/// without disagreement strata.
update_plan make_update_plan(const model_pair& pair, const class_names& classes,
                             const plan_settings& settings);

/// Plan files (JSON). parse_update_plan checks every field's type and the strata's consistency
/// and throws frugal::input_error naming the file (and line:column for JSON syntax errors).
std::string update_plan_json(const update_plan& plan);
update_plan parse_update_plan(std::string_view text, const std::string& source);
update_plan read_update_plan(const std::string& path);

/// The labelling queue as CSV: order,id,label,content with `label` blank, every sampled item
/// once, in priority order. It is blind: neither model's prediction nor the stratum (which names
/// the class pair) is shown, so that annotators are not anchored on a model's answer.
std::string update_queue_csv(const update_plan& plan, const model_pair& pair);

/// Throws frugal::input_error unless `plan` was drawn from these very predictions (the
/// fingerprints and counts), naming which file differs.
void check_plan_matches(const update_plan& plan, const model_pair& pair);

struct stratum_summary {
  std::string name;
  bool agreement = false;
  std::size_t population = 0;
  std::size_t planned = 0;
  std::size_t used = 0;  ///< labelled prefix in priority order
  std::size_t negative_flips = 0, positive_flips = 0, both_wrong = 0, both_right = 0;
};

struct class_flip_estimate {
  std::uint32_t class_index = 0;
  std::string class_name;
  std::size_t old_predicted = 0;  ///< items the old model assigned to the class (known exactly)
  /// Negative flips of the class (old predicted it, rightly; new did not) over old_predicted.
  metric nfr;
  double upper_bound = 1;  ///< one-sided at the confidence level
};

struct update_estimate {
  double confidence = 0.95;
  std::size_t items = 0, disagreements = 0;
  double disagreement_rate = 0;
  std::size_t planned = 0;          ///< items in the plan
  std::size_t used = 0;             ///< labelled plan items used (per-stratum prefixes)
  std::size_t unused_labelled = 0;  ///< labelled plan items after an unlabelled one
  std::size_t outside_plan = 0;     ///< labelled items the plan did not sample
  std::size_t tied = 0;             ///< plan items whose annotators tied
  bool no_disagreement = false;     ///< D is empty: NFR = PFR = 0 exactly, no labels needed
  metric nfr, pfr, accuracy_difference;
  /// One-sided upper bound on NFR at the confidence level: the certificate.
  double nfr_upper_bound = 0;
  /// Needs an agreement stratum with labels (undefined otherwise).
  metric accuracy_old, accuracy_new, error_rate_new, both_wrong, nfi, btc, bec;
  bool has_agreement_stratum = false;
  std::size_t mcnemar_negative = 0, mcnemar_positive = 0;
  /// Exact, two-sided; NaN for a stratified plan, whose pooled sample is not a simple random
  /// sample of D.
  double mcnemar_p_value = 1;
  std::vector<stratum_summary> strata;
  std::vector<class_flip_estimate> by_old_prediction;
  std::vector<flipped_item> sampled_flips;  ///< in priority order
};

/// Estimates from the labels of a plan's items. The plan is drawn again from its settings and
/// must match (else an input_error naming the plan file). Within each stratum the labelled prefix
/// in priority order is used (a prefix of a priority-ordered sample is a simple random sample;
/// labels after a gap are counted in unused_labelled, not used).
update_estimate estimate_update(const model_pair& pair, const class_labels& labels,
                                const class_names& classes, const update_plan& plan,
                                double confidence);

/// Exact two-sided McNemar p-value: min(1, 2 P(X <= min(b, c))) for X ~ Binomial(b + c, 1/2).
double mcnemar_exact_p_value(std::size_t b, std::size_t c);

/// One-sided exact upper bound at `confidence` on the count M of a kind among `population`
/// items, having seen `successes` in a simple random sample of `trials`.
double hypergeometric_upper_count(std::size_t successes, std::size_t trials, std::size_t population,
                                  double confidence);

struct certification_size {
  double target = 0, confidence = 0.95, assumed_nfr = 0;
  std::size_t items = 0, disagreements = 0;
  /// d <= target: NFR <= d holds without a label.
  bool certified_without_labels = false;
  /// Labels from the disagreement set, or nullopt when even all of D cannot certify it.
  std::optional<std::size_t> disagreement_labels;
  /// Labels drawn uniformly from all items, or nullopt when all N cannot.
  std::optional<std::size_t> uniform_labels;
};

/// The fewest labels n from which every larger sample's one-sided bound certifies NFR <= target
/// when the sample shows the flips an NFR of `assumed_nfr` would give (rounded; 0 flips by
/// default), for disagreement sampling and for uniform sampling. Throws input_error for a
/// target outside (0, 1), a confidence outside (0.5, 1), or an assumed NFR outside [0, d].
certification_size labels_to_certify(std::size_t items, std::size_t disagreements, double target,
                                     double confidence, double assumed_nfr = 0);

}  // namespace frugal::update
