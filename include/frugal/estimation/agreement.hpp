#pragma once
/// Agreement between annotators on binary labels, beyond what chance would give.
///
/// - cohen_kappa: two annotators, over the items both labelled (Cohen, "A coefficient of
///   agreement for nominal scales", Educational and Psychological Measurement 20 (1960) 37-46).
///   P_o is the share of those items on which they agree; P_e = p1 q1 + (1 - p1)(1 - q1), with p1
///   and q1 the shares of 1-labels each annotator gave on them.
/// - fleiss_kappa: any number of annotators, who need not be the same nor equally many on every
///   item (Fleiss, "Measuring nominal scale agreement among many raters", Psychological
///   Bulletin 76 (1971) 378-382, generalised to n_i ratings on item i). Over the items with
///   n_i >= 2: P_i = sum_j n_ij (n_ij - 1) / (n_i (n_i - 1)), the share of ordered pairs of its
///   ratings that agree; P-bar = mean of P_i; p_j = share of those items' ratings in category j;
///   P_e = p_0^2 + p_1^2. Items with fewer than two ratings say nothing about agreement and are
///   left out of P_e too, so that P-bar and P_e describe the same items; with n_i = n for every
///   item this is Fleiss' formula. With two ratings per item it is Scott's pi.
///
/// Both return kappa = (P_o - P_e) / (1 - P_e): 1 for perfect agreement, about 0 for
/// annotators who label independently of each other and of the item, negative below chance.
/// Degenerate inputs are results with a status, not errors:
/// - fewer than 2 usable items: kappa, and P_e, are undefined (std::nullopt); the observed
///   agreement is still reported when there is one item;
/// - P_e = 1 (every usable label is the same category, so chance alone agrees perfectly):
///   kappa is undefined, P_o and P_e are reported (both 1).
/// Complexity: O(items), one pass.

#include <cstddef>
#include <optional>
#include <span>

namespace frugal::estimation {

/// Two annotators' labels of one item; std::nullopt where that annotator gave none.
struct label_pair {
  std::optional<bool> first;
  std::optional<bool> second;
};

/// The ratings of one item: how many annotators labelled it 0 and how many 1.
struct item_ratings {
  std::size_t zeros = 0;
  std::size_t ones = 0;
};

enum class agreement_status {
  defined,         ///< kappa computed
  too_few_items,   ///< fewer than 2 usable items
  no_variability,  ///< P_e = 1: all usable labels are the same category
};

struct agreement {
  agreement_status status = agreement_status::too_few_items;
  std::size_t items = 0;    ///< usable items: both labelled (Cohen), n_i >= 2 (Fleiss)
  std::size_t ratings = 0;  ///< labels on the usable items (2 per item for Cohen)
  std::optional<double> observed_agreement;  ///< P_o (Cohen) or P-bar (Fleiss); items >= 1
  std::optional<double> chance_agreement;    ///< P_e; items >= 2
  std::optional<double> kappa;               ///< only when status is `defined`
};

/// Cohen's kappa over the items both annotators labelled. Example: 20 items labelled 1 by
/// both, 15 by neither, 5 only by the first and 10 only by the second give P_o = 0.7,
/// P_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5 and kappa = 0.4.
agreement cohen_kappa(std::span<const label_pair> labels);

/// Fleiss' kappa with a varying number of ratings per item. Example: items rated
/// {zeros, ones} = {0,3}, {1,2}, {2,2}, {4,0}, {1,1} (and {1,0}, left out) give P_i = 1, 1/3,
/// 1/3, 1, 0, P-bar = 8/15, p_0 = p_1 = 8/16, P_e = 1/2 and kappa = 1/15.
agreement fleiss_kappa(std::span<const item_ratings> items);

}  // namespace frugal::estimation
