#include "frugal/sampling/candidates.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <unordered_map>

#include "frugal/error.hpp"
#include "frugal/sampling/priority.hpp"
#include "frugal/sampling/sample_size.hpp"

namespace frugal::sampling {
namespace {

bool before(const candidate& a, const candidate& b) {
  return priority_before(a.key, a.id, b.key, b.id);
}

// Keeps the bottom `capacity` of a max-heap on (key, id).
void offer(std::vector<candidate>& heap, std::size_t capacity, candidate&& entry) {
  if (capacity == 0) return;
  if (heap.size() < capacity) {
    heap.push_back(std::move(entry));
    std::push_heap(heap.begin(), heap.end(), before);
  } else if (before(entry, heap.front())) {
    std::pop_heap(heap.begin(), heap.end(), before);
    heap.back() = std::move(entry);
    std::push_heap(heap.begin(), heap.end(), before);
  }
}

double prior_of(const plan_settings& settings, std::size_t set) {
  return set < settings.prior_precision.size() ? settings.prior_precision[set] : 0.5;
}

}  // namespace

std::vector<std::size_t> candidate_capacities(std::size_t set_count,
                                              const plan_settings& settings) {
  std::vector<std::size_t> capacities(set_count);
  for (std::size_t s = 0; s < set_count; ++s)
    capacities[s] =
        cochran_sample_size_unbounded(settings.margin_of_error, settings.confidence_level,
                                      prior_of(settings, s)) +
        1;
  return capacities;
}

std::vector<pattern_count> membership_patterns(const population& items) {
  std::vector<pattern_count> patterns;
  const std::size_t rows = items.items();
  // Few sets: a dense array of counts, as fast as the scan itself.
  if (items.set_count() <= 16) {
    std::vector<std::uint64_t> counts(std::size_t{1} << items.set_count(), 0);
    for (std::size_t row = 0; row < rows; ++row) ++counts[items.membership(row)];
    for (std::size_t pattern = 0; pattern < counts.size(); ++pattern) {
      if (counts[pattern] != 0) patterns.push_back({pattern, counts[pattern]});
    }
    return patterns;
  }
  // Real ensembles show few distinct patterns, so a hash map stays small.
  std::unordered_map<std::uint64_t, std::uint64_t> counts;
  for (std::size_t row = 0; row < rows; ++row) ++counts[items.membership(row)];
  for (const auto& [pattern, count] : counts) patterns.push_back({pattern, count});
  std::sort(patterns.begin(), patterns.end(),
            [](const pattern_count& a, const pattern_count& b) { return a.pattern < b.pattern; });
  return patterns;
}

plan_candidates collect_candidates(const population& items, std::span<const std::size_t> capacities,
                                   std::uint64_t seed) {
  FRUGAL_ASSERT(capacities.size() == items.set_count());
  plan_candidates summary;
  summary.items = items.items();
  summary.capacities.assign(capacities.begin(), capacities.end());
  summary.positives.resize(items.set_count());
  for (std::size_t s = 0; s < items.set_count(); ++s) summary.positives[s] = items.positives(s);
  summary.patterns = membership_patterns(items);
  summary.sets.resize(items.set_count());
  const auto& ids = items.table().ids;
  for (std::size_t row = 0; row < items.items(); ++row) {
    std::uint64_t sets = items.membership(row);
    if (sets == 0) continue;
    const std::uint64_t key = priority_key(seed, ids[row]);
    while (sets != 0) {
      const auto s = static_cast<std::size_t>(std::countr_zero(sets));
      sets &= sets - 1;
      std::vector<candidate>& heap = summary.sets[s];
      // Most rows lose against a full heap: decide on the key before building the string.
      if (heap.size() >= capacities[s] &&
          (capacities[s] == 0 ||
           !priority_before(key, ids[row], heap.front().key, heap.front().id)))
        continue;
      offer(heap, capacities[s], candidate{key, std::string(ids[row])});
    }
  }
  for (auto& heap : summary.sets) std::sort_heap(heap.begin(), heap.end(), before);
  return summary;
}

void merge_candidates(plan_candidates& into, const plan_candidates& part) {
  check_candidates(into);
  check_candidates(part);
  if (into.sets.size() != part.sets.size())
    throw input_error(fmt::format(
        "cannot merge plan candidates of {} sets with candidates of {} sets: the parts do not "
        "have the same models",
        into.sets.size(), part.sets.size()));
  if (into.capacities != part.capacities)
    throw input_error(fmt::format(
        "cannot merge plan candidates kept {} per set with candidates kept {} per set: the parts "
        "were collected with other margins, confidences or priors",
        fmt::join(into.capacities, ","), fmt::join(part.capacities, ",")));
  const std::vector<std::size_t>& capacities = into.capacities;
  into.items += part.items;
  for (std::size_t s = 0; s < into.positives.size(); ++s) into.positives[s] += part.positives[s];

  std::vector<pattern_count> patterns;
  patterns.reserve(into.patterns.size() + part.patterns.size());
  std::size_t i = 0, j = 0;
  while (i < into.patterns.size() || j < part.patterns.size()) {
    if (j == part.patterns.size() ||
        (i < into.patterns.size() && into.patterns[i].pattern < part.patterns[j].pattern)) {
      patterns.push_back(into.patterns[i++]);
    } else if (i == into.patterns.size() || part.patterns[j].pattern < into.patterns[i].pattern) {
      patterns.push_back(part.patterns[j++]);
    } else {
      patterns.push_back(
          {into.patterns[i].pattern, into.patterns[i].items + part.patterns[j].items});
      ++i;
      ++j;
    }
  }
  into.patterns = std::move(patterns);

  for (std::size_t s = 0; s < into.sets.size(); ++s) {
    // Both lists are sorted: a merge that stops at the capacity.
    const std::vector<candidate>& a = into.sets[s];
    const std::vector<candidate>& b = part.sets[s];
    std::vector<candidate> merged;
    merged.reserve(std::min(capacities[s], a.size() + b.size()));
    std::size_t x = 0, y = 0;
    while (merged.size() < capacities[s] && (x < a.size() || y < b.size())) {
      if (y == b.size() || (x < a.size() && !before(b[y], a[x]))) {
        // Equal (key, id) in two parts is the same id twice: keep both, as a table would fail
        // on it anyway (ids are unique within the data, checked elsewhere).
        merged.push_back(a[x++]);
      } else {
        merged.push_back(b[y++]);
      }
    }
    into.sets[s] = std::move(merged);
  }
}

void check_candidates(const plan_candidates& summary) {
  const std::size_t set_count = summary.sets.size();
  if (set_count == 0 || set_count > 64 || summary.positives.size() != set_count ||
      summary.capacities.size() != set_count)
    throw input_error(
        fmt::format("not plan candidates: {} candidate lists, {} set sizes and {} capacities",
                    set_count, summary.positives.size(), summary.capacities.size()));
  const std::uint64_t all_sets =
      set_count == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << set_count) - 1;
  for (std::size_t i = 0; i < summary.patterns.size(); ++i) {
    const std::uint64_t pattern = summary.patterns[i].pattern;
    if ((pattern & ~all_sets) != 0 || (i > 0 && summary.patterns[i - 1].pattern >= pattern))
      throw input_error(
          fmt::format("not plan candidates: membership pattern {:#x} of {} sets, or out of order",
                      pattern, set_count));
  }
  for (std::size_t s = 0; s < set_count; ++s) {
    const std::vector<candidate>& set = summary.sets[s];
    if (set.size() > summary.capacities[s] || set.size() > summary.positives[s])
      throw input_error(
          fmt::format("not plan candidates: set {} has {} candidates, {} positives and capacity {}",
                      s, set.size(), summary.positives[s], summary.capacities[s]));
    for (std::size_t i = 1; i < set.size(); ++i) {
      if (before(set[i], set[i - 1]))  // equal: one id in two parts (check_ids off)
        throw input_error(
            fmt::format("not plan candidates: set {} is not in priority order at {}", s, i));
    }
  }
}

double expected_distinct_independent(std::span<const pattern_count> patterns,
                                     std::span<const std::uint64_t> positives,
                                     std::span<const std::size_t> sample_sizes) {
  std::vector<double> miss(positives.size(), 1.0);
  for (std::size_t s = 0; s < positives.size(); ++s) {
    if (positives[s] > 0)
      miss[s] = 1.0 - static_cast<double>(sample_sizes[s]) / static_cast<double>(positives[s]);
  }
  double expected = 0.0;
  for (const pattern_count& entry : patterns) {
    std::uint64_t sets = entry.pattern;
    if (sets == 0) continue;
    double never = 1.0;
    while (sets != 0) {
      never *= miss[static_cast<std::size_t>(std::countr_zero(sets))];
      sets &= sets - 1;
    }
    expected += static_cast<double>(entry.items) * (1.0 - never);
  }
  return expected;
}

candidate_plan plan_from_candidates(const plan_candidates& summary, const plan_settings& settings) {
  check_candidates(summary);
  const std::size_t set_count = summary.sets.size();
  candidate_plan plan;
  plan.sample_sizes.resize(set_count);
  plan.samples.resize(set_count);
  plan.threshold_keys.resize(set_count);
  std::vector<const candidate*> chosen;
  for (std::size_t s = 0; s < set_count; ++s) {
    const std::size_t n = cochran_sample_size(summary.positives[s], settings.margin_of_error,
                                              settings.confidence_level, prior_of(settings, s));
    // A part keeps ceil(n0) + 1 >= n + 1 candidates, or all of its positives, when it was
    // collected with these settings; wider ones keep fewer.
    if (summary.sets[s].size() < std::min<std::uint64_t>(n, summary.positives[s]))
      throw input_error(fmt::format(
          "set {} needs a sample of {} and has {} candidates: they were collected at a wider "
          "margin, a lower confidence or another prior than the plan's",
          s, n, summary.sets[s].size()));
    plan.sample_sizes[s] = n;
    plan.naive_sum += n;
    for (std::size_t i = 0; i < n; ++i) {
      plan.samples[s].push_back(summary.sets[s][i].id);
      chosen.push_back(&summary.sets[s][i]);
    }
    if (n > 0) plan.threshold_keys[s] = summary.sets[s][n - 1].key;
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const candidate* a, const candidate* b) { return before(*a, *b); });
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (i > 0 && chosen[i]->id == chosen[i - 1]->id) continue;
    plan.queue.push_back(chosen[i]->id);
  }
  plan.expected_independent =
      expected_distinct_independent(summary.patterns, summary.positives, plan.sample_sizes);
  return plan;
}

}  // namespace frugal::sampling
