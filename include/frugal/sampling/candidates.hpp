#pragma once
/// Coordinated plans computed in pieces (a Dask DataFrame's partitions, files too big for one
/// machine): each part keeps, per set, only the items that can still be in the set's sample,
/// and the parts merge exactly.
///
/// Why it is exact. A coordinated sample is the n_s positives of smallest (key, id)
/// (priority.hpp), and the bottom-k of a union is the bottom-k of the parts' bottom-k's
/// (Cohen & Kaplan 2007). n_s is not known while a part is scanned (it depends on N_s, the
/// positives of the whole data), but Cochran's n never exceeds its value for an infinite
/// population, ceil(n0) (cochran_sample_size_unbounded): a part keeping that many + 1 per set
/// (the +1 is the next key, the rank-conditioning threshold) keeps every item the final plan
/// can use. Set sizes and membership patterns (for the expected cost of independent sampling)
/// are counts, so they merge by addition.
///
/// Example: collect_candidates on each half of a table, merge_candidates, then
/// plan_from_candidates gives the sets' samples and the queue of make_plan on the whole table.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/population.hpp"

namespace frugal::sampling {

/// An item that may be sampled: its priority key under the plan's seed, and its id.
struct candidate {
  std::uint64_t key = 0;
  std::string id;

  bool operator==(const candidate&) const = default;
};

/// How many of each items a part keeps: a membership pattern (bit s set when the item is a
/// positive of set s, population::membership) and its number of items.
struct pattern_count {
  std::uint64_t pattern = 0;
  std::uint64_t items = 0;

  bool operator==(const pattern_count&) const = default;
};

/// The summary of one part (or of several merged): everything a coordinated plan needs.
struct plan_candidates {
  std::uint64_t items = 0;
  std::vector<std::uint64_t> positives;  ///< N_s of the part, per set
  std::vector<pattern_count> patterns;   ///< ascending pattern; only patterns that occur
  /// Per set: the most candidates kept (candidate_capacities of the settings collected with);
  /// parts merge only with equal capacities.
  std::vector<std::size_t> capacities;
  /// Per set: at most capacities[s] candidates, ascending in (key, id).
  std::vector<std::vector<candidate>> sets;

  bool operator==(const plan_candidates&) const = default;
};

/// Per set: the most candidates any part must keep, cochran_sample_size_unbounded + 1 at the
/// settings' margin, confidence and prior of that set (0.5 when the settings have none). Throws
/// frugal::input_error for a margin, confidence or prior outside (0, 1).
std::vector<std::size_t> candidate_capacities(std::size_t set_count, const plan_settings& settings);

/// Scans every row of `items`: counts and the bottom-capacity[s] candidates of each set (the
/// capacities are kept in the result).
/// O(rows + sum_s N_s log capacity_s) time, one hash per item in some set.
plan_candidates collect_candidates(const population& items, std::span<const std::size_t> capacities,
                                   std::uint64_t seed);

/// Adds `part` to `into`, keeping the bottom-capacity[s] of each set. Both must come from
/// tables with the same sets, collected with the same capacities; throws frugal::input_error
/// when their set counts or capacities differ. O(sum_s capacity_s + patterns).
void merge_candidates(plan_candidates& into, const plan_candidates& part);

/// Checks that a summary from outside (unpickled) is one collect/merge can make: as many
/// positives, capacities and candidate lists as sets (at most 64), each list at most its
/// capacity and ascending in (key, id), pattern bits only of existing sets. Throws
/// frugal::input_error otherwise.
void check_candidates(const plan_candidates& summary);

/// The coordinated plan from the merged summary of every part.
struct candidate_plan {
  std::vector<std::size_t> sample_sizes;
  std::vector<std::vector<std::string>> samples;  ///< per set, in priority order
  /// Per set: the key of the last sampled item (unset for an empty sample).
  std::vector<std::optional<std::uint64_t>> threshold_keys;
  std::vector<std::string> queue;  ///< the union, in priority order
  std::size_t naive_sum = 0;
  double expected_independent = 0.0;
};

/// Sample sizes from the summed positives (as plan_sample_sizes), each set's first n_s
/// candidates, the queue, and the comparisons of make_plan. `settings.prior_precision` must
/// hold one prior per set (or be empty: 0.5). Equal, field for field, to make_plan on the
/// concatenated table with the same settings and design coordinated. Throws
/// frugal::input_error when a set has fewer candidates than its sample needs (the candidates
/// were collected at a wider margin or a lower confidence than `settings`).
candidate_plan plan_from_candidates(const plan_candidates& summary, const plan_settings& settings);

/// Expected distinct items of independent sampling from membership pattern counts (ascending
/// pattern): sum over patterns of items * (1 - prod over its sets of (1 - n_s/N_s)), summed in
/// pattern order, so every way of counting the patterns gives the same double.
double expected_distinct_independent(std::span<const pattern_count> patterns,
                                     std::span<const std::uint64_t> positives,
                                     std::span<const std::size_t> sample_sizes);

/// The membership pattern counts of a population, ascending.
std::vector<pattern_count> membership_patterns(const population& items);

}  // namespace frugal::sampling
