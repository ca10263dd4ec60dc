#pragma once
/// Sampling designs: how each set's sample of labelled items is drawn (DESIGN.md §1.1).
///
/// - independent: a simple random sample (SRS) of n_s positives per set, drawn independently.
/// - paper-reshuffle / paper-resample: the published parent-then-children recipe ("Estimating
///   Precisions for Multiple Binary Classifiers Under Limited Samples", ECML-PKDD 2020). The
///   parent gets an SRS S_P of n_P. For child C: S+ = S_P ∩ A_C (free); S- = an SRS of
///   A_C \ A_P of size round(|S+| |A_C \ A_P| / |A_C ∩ A_P|); if |S+ ∪ S-| < n_C, S_remain =
///   an SRS of the other positives of C tops it up to n_C. Then the combined set is reshuffled,
///   or resampled with replacement to its own size (repeats are annotated once but count in the
///   estimate). A child whose positives lie mostly outside the parent pays for a large S-.
/// - coordinated: every item has the permanent priority of priority.hpp; a set's sample is its
///   n_s positives of smallest priority, so it is an exact SRS of the set and overlapping sets
///   share as many items as their marginals allow. The queue is the union in priority order.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "frugal/sampling/population.hpp"

namespace frugal::sampling {

enum class design_kind { independent, paper_reshuffle, paper_resample, coordinated };

/// "independent", "paper-reshuffle", "paper-resample", "coordinated".
std::string_view to_string(design_kind design);
std::optional<design_kind> parse_design(std::string_view name);
inline constexpr design_kind all_designs[] = {design_kind::independent, design_kind::coordinated,
                                              design_kind::paper_reshuffle,
                                              design_kind::paper_resample};

struct set_sample {
  /// Rows in the set's sample, in the order they are meant to be labelled; paper-resample may
  /// repeat a row.
  std::vector<std::uint32_t> rows;
  /// Coordinated only: the key of the last sampled item (the n-th smallest) and of the next
  /// positive after it (the (n+1)-th smallest, Cohen & Kaplan's rank-conditioning threshold);
  /// unset when the set has no further positives.
  std::optional<std::uint64_t> threshold_key;
  std::optional<std::uint64_t> next_key;
};

struct drawn_sample {
  design_kind design = design_kind::coordinated;
  std::vector<set_sample> sets;      ///< one per population set
  std::vector<std::uint32_t> queue;  ///< distinct rows to annotate, in annotation order
};

/// Draws one sample. `sample_sizes[s]` is n_s (at most N_s). `seed` fixes everything: the
/// priorities for coordinated sampling, the random streams otherwise. `threads` (0 = all cores)
/// only changes the speed of coordinated sampling, never its result.
/// Complexity: coordinated O(N + sum_s N_s log n_s) time and O(sum_s n_s) memory, one hash per
/// item that is in some set; the others O(sum_s N_s).
drawn_sample draw_sample(const population& items, design_kind design,
                         std::span<const std::size_t> sample_sizes, std::uint64_t seed,
                         unsigned threads = 0);

/// Expected number of distinct items that independent sampling annotates:
/// sum over items of 1 - prod over the sets s holding it of (1 - n_s/N_s). O(N).
double expected_distinct_independent(const population& items,
                                     std::span<const std::size_t> sample_sizes);

}  // namespace frugal::sampling
