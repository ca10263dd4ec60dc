#include "frugal/sampling/designs.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <queue>
#include <thread>
#include <unordered_set>

#include "common/random.hpp"
#include "frugal/error.hpp"
#include "frugal/sampling/candidates.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::sampling {
namespace {

// Distinct streams per purpose, so that adding a set never changes another set's draw.
constexpr std::uint64_t parent_stream = 0x70617265ull;
constexpr std::uint64_t child_stream = 0x6368696cull;
constexpr std::uint64_t independent_stream = 0x696e6465ull;

struct keyed_row {
  std::uint64_t key;
  std::uint32_t row;
};

// Bottom-(k+1) selection per set over a range of rows: max-heaps on (key, id).
class bottom_k {
 public:
  bottom_k(const population& items, std::span<const std::size_t> sizes)
      : items_(items), heaps_(items.set_count()), capacity_(items.set_count()) {
    for (std::size_t s = 0; s < capacity_.size(); ++s)
      capacity_[s] = sizes[s] == 0 ? 0 : sizes[s] + 1;  // one more: the next key
  }

  bool before(const keyed_row& a, const keyed_row& b) const {
    const auto& ids = items_.table().ids;
    return priority_before(a.key, ids[a.row], b.key, ids[b.row]);
  }

  void scan(std::size_t begin, std::size_t end, std::uint64_t seed) {
    const auto& ids = items_.table().ids;
    for (std::size_t row = begin; row < end; ++row) {
      std::uint64_t sets = items_.membership(row);
      if (sets == 0) continue;
      const keyed_row entry{priority_key(seed, ids[row]), static_cast<std::uint32_t>(row)};
      while (sets != 0) {
        offer(static_cast<std::size_t>(std::countr_zero(sets)), entry);
        sets &= sets - 1;
      }
    }
  }

  // Bottom-k of a union is the bottom-k of the parts' bottom-k: merging is exact.
  void merge(bottom_k&& other) {
    for (std::size_t s = 0; s < heaps_.size(); ++s) {
      for (const keyed_row& entry : other.heaps_[s]) offer(s, entry);
    }
  }

  std::vector<std::vector<keyed_row>> sorted() && {
    const auto less = [this](const keyed_row& a, const keyed_row& b) { return before(a, b); };
    for (auto& heap : heaps_) std::sort_heap(heap.begin(), heap.end(), less);
    return std::move(heaps_);
  }

 private:
  // Keeps `entry` in set s's max-heap if it is among the capacity smallest seen so far.
  void offer(std::size_t s, const keyed_row& entry) {
    const auto less = [this](const keyed_row& a, const keyed_row& b) { return before(a, b); };
    std::vector<keyed_row>& heap = heaps_[s];
    if (heap.size() < capacity_[s]) {
      heap.push_back(entry);
      std::push_heap(heap.begin(), heap.end(), less);
    } else if (capacity_[s] > 0 && before(entry, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), less);
      heap.back() = entry;
      std::push_heap(heap.begin(), heap.end(), less);
    }
  }

  const population& items_;
  std::vector<std::vector<keyed_row>> heaps_;
  std::vector<std::size_t> capacity_;
};

drawn_sample draw_coordinated(const population& items, std::span<const std::size_t> sizes,
                              std::uint64_t seed, unsigned threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, 2);
  const std::size_t rows = items.items();
  if (rows < 100000) threads = 1;
  bottom_k all(items, sizes);
  if (threads == 1) {
    all.scan(0, rows, seed);
  } else {
    bottom_k second(items, sizes);
    std::thread worker([&] { second.scan(rows / 2, rows, seed); });
    all.scan(0, rows / 2, seed);
    worker.join();
    all.merge(std::move(second));
  }
  std::vector<std::vector<keyed_row>> chosen = std::move(all).sorted();

  drawn_sample result;
  result.design = design_kind::coordinated;
  result.sets.resize(items.set_count());
  std::vector<keyed_row> union_rows;
  for (std::size_t s = 0; s < chosen.size(); ++s) {
    std::vector<keyed_row>& picked = chosen[s];
    const std::size_t n = std::min(sizes[s], picked.size());
    set_sample& sample = result.sets[s];
    if (picked.size() > n) sample.next_key = picked[n].key;
    picked.resize(n);
    if (n > 0) sample.threshold_key = picked.back().key;
    for (const keyed_row& entry : picked) {
      sample.rows.push_back(entry.row);
      union_rows.push_back(entry);
    }
  }
  const auto& ids = items.table().ids;
  std::sort(union_rows.begin(), union_rows.end(), [&](const keyed_row& a, const keyed_row& b) {
    return priority_before(a.key, ids[a.row], b.key, ids[b.row]);
  });
  union_rows.erase(
      std::unique(union_rows.begin(), union_rows.end(),
                  [](const keyed_row& a, const keyed_row& b) { return a.row == b.row; }),
      union_rows.end());
  for (const keyed_row& entry : union_rows) result.queue.push_back(entry.row);
  return result;
}

// The queue of a non-coordinated design: the parent's sample first, then each set's new items.
void queue_in_set_order(drawn_sample& result) {
  std::unordered_set<std::uint32_t> seen;
  for (const set_sample& sample : result.sets) {
    for (const std::uint32_t row : sample.rows) {
      if (seen.insert(row).second) result.queue.push_back(row);
    }
  }
}

drawn_sample draw_independent(const population& items, std::span<const std::size_t> sizes,
                              std::uint64_t seed) {
  drawn_sample result;
  result.design = design_kind::independent;
  result.sets.resize(items.set_count());
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    detail::random_source random(seed, independent_stream + s);
    result.sets[s].rows = random.sample(items.positive_rows(s), sizes[s]);
  }
  queue_in_set_order(result);
  return result;
}

drawn_sample draw_paper(const population& items, std::span<const std::size_t> sizes,
                        std::uint64_t seed, bool resample) {
  drawn_sample result;
  result.design = resample ? design_kind::paper_resample : design_kind::paper_reshuffle;
  result.sets.resize(items.set_count());
  detail::random_source parent_random(seed, parent_stream);
  const std::vector<std::uint32_t>& parent_rows = items.positive_rows(0);
  result.sets[0].rows = parent_random.sample(parent_rows, sizes[0]);
  std::vector<std::uint8_t> in_parent_sample(items.items(), 0);
  for (const std::uint32_t row : result.sets[0].rows) in_parent_sample[row] = 1;

  for (std::size_t child = 1; child < items.set_count(); ++child) {
    detail::random_source random(seed, child_stream + child);
    std::vector<std::uint32_t> reused;   // S+
    std::vector<std::uint32_t> outside;  // A_C \ A_P
    std::size_t inside_count = 0;        // |A_C ∩ A_P|
    for (const std::uint32_t row : items.positive_rows(child)) {
      if (items.parent_vote(row)) {
        ++inside_count;
        if (in_parent_sample[row]) reused.push_back(row);
      } else {
        outside.push_back(row);
      }
    }
    std::size_t outside_size = 0;  // |S-|
    if (inside_count > 0) {
      outside_size = static_cast<std::size_t>(
          std::llround(static_cast<double>(reused.size()) * static_cast<double>(outside.size()) /
                       static_cast<double>(inside_count)));
      outside_size = std::min(outside_size, outside.size());
    }
    std::vector<std::uint32_t> combined = reused;
    const std::vector<std::uint32_t> drawn_outside = random.sample(outside, outside_size);
    combined.insert(combined.end(), drawn_outside.begin(), drawn_outside.end());
    if (combined.size() < sizes[child]) {
      // S_remain: more positives of the child, from those not yet taken.
      std::vector<std::uint8_t> taken(items.items(), 0);
      for (const std::uint32_t row : combined) taken[row] = 1;
      std::vector<std::uint32_t> remaining;
      for (const std::uint32_t row : items.positive_rows(child)) {
        if (!taken[row]) remaining.push_back(row);
      }
      const std::vector<std::uint32_t> top_up =
          random.sample(remaining, std::min(remaining.size(), sizes[child] - combined.size()));
      combined.insert(combined.end(), top_up.begin(), top_up.end());
    }
    if (resample) {
      std::vector<std::uint32_t> drawn(combined.size());
      for (std::uint32_t& row : drawn) row = combined[random.below(combined.size())];
      result.sets[child].rows = std::move(drawn);
    } else {
      random.shuffle(combined);
      result.sets[child].rows = std::move(combined);
    }
  }
  queue_in_set_order(result);
  return result;
}

}  // namespace

std::string_view to_string(design_kind design) {
  switch (design) {
    case design_kind::independent:
      return "independent";
    case design_kind::paper_reshuffle:
      return "paper-reshuffle";
    case design_kind::paper_resample:
      return "paper-resample";
    case design_kind::coordinated:
      return "coordinated";
  }
  return "coordinated";
}

std::optional<design_kind> parse_design(std::string_view name) {
  for (const design_kind design : all_designs) {
    if (to_string(design) == name) return design;
  }
  return std::nullopt;
}

drawn_sample draw_sample(const population& items, design_kind design,
                         std::span<const std::size_t> sample_sizes, std::uint64_t seed,
                         unsigned threads) {
  FRUGAL_ASSERT(sample_sizes.size() == items.set_count());
  for (std::size_t s = 0; s < items.set_count(); ++s)
    FRUGAL_ASSERT(sample_sizes[s] <= items.positives(s));
  switch (design) {
    case design_kind::independent:
      return draw_independent(items, sample_sizes, seed);
    case design_kind::paper_reshuffle:
      return draw_paper(items, sample_sizes, seed, false);
    case design_kind::paper_resample:
      return draw_paper(items, sample_sizes, seed, true);
    case design_kind::coordinated:
      return draw_coordinated(items, sample_sizes, seed, threads);
  }
  FRUGAL_ASSERT(false);
  return {};
}

double expected_distinct_independent(const population& items,
                                     std::span<const std::size_t> sample_sizes) {
  // Through the pattern counts, so that a plan computed in parts (candidates.hpp) adds the same
  // terms in the same order and gets the same double.
  std::vector<std::uint64_t> positives(items.set_count());
  for (std::size_t s = 0; s < items.set_count(); ++s) positives[s] = items.positives(s);
  return expected_distinct_independent(membership_patterns(items), positives, sample_sizes);
}

}  // namespace frugal::sampling
