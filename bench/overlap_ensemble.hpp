#pragma once
// A synthetic ensemble whose parent/child intersection ratio |A_C ∩ A_P| / |A_C| is set
// directly, per member: the knob of the paper's overlap sweep (REFERENCES.md, Ensemble
// evaluation). Shared by `frugal_generate --overlap` and `frugal_savings_sweep`, which parses
// the same CSV text in memory, so both see one population for one seed.
//
// Construction, for m members and strict-majority parent:
//  - round(parent_rate * N) parent items; each gets k ~ U{floor(m/2)+1 .. m} votes from a
//    uniformly random k-subset of the members. Member j then has I_j positives inside A_P.
//  - Member j needs O_j = round(I_j (1 - r_j) / r_j) positives outside A_P. The O_j vote slots
//    are shuffled and packed into items of g ~ U{1 .. floor(m/2)} distinct members, so no such
//    item reaches a majority and every member gets exactly O_j outside votes.
//  - The remaining items get no vote; rows are shuffled.
//  - Gold label y ~ Bernoulli(0.15 + 0.8 k/m) for an item with k votes: the parent is precise
//    (0.63 .. 0.95) and a member's outside positives are not (0.31 .. 0.47 for m = 5).
// Throws std::invalid_argument when the targets do not fit in N items.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace frugal::bench {

struct overlap_settings {
  std::size_t items = 40000;
  std::size_t members = 5;
  /// Target intersection ratio per member, in (0, 1]; a single value applies to every member.
  std::vector<double> overlap{0.5};
  /// Share of all items that the parent (majority vote) calls positive.
  double parent_rate = 0.03;
  std::uint64_t seed = 1;
  bool content = false;
};

/// Calls `emit(std::string_view line)` for the header and every row, each ending in '\n'.
/// O(N + sum_j O_j) time, O(N) memory (one 64-bit vote mask per item).
template <class Emit>
void write_overlap_ensemble(const overlap_settings& settings, Emit&& emit) {
  const std::size_t m = settings.members;
  if (m < 2 || m > 63) throw std::invalid_argument("--overlap needs 2 to 63 members");
  std::vector<double> ratio = settings.overlap;
  if (ratio.size() == 1) ratio.assign(m, ratio.front());
  if (ratio.size() != m) throw std::invalid_argument("--overlap takes one ratio or one per member");
  for (const double r : ratio) {
    if (!(r > 0.0 && r <= 1.0)) throw std::invalid_argument("--overlap ratios must be in (0, 1]");
  }
  if (!(settings.parent_rate > 0.0 && settings.parent_rate < 1.0))
    throw std::invalid_argument("--parent-rate must be in (0, 1)");

  std::mt19937_64 random(settings.seed);
  const std::size_t majority = m / 2 + 1;  // strictly more than half
  const std::size_t outside_max = m / 2;   // most votes an item outside the parent may carry
  std::vector<std::uint64_t> masks;
  masks.reserve(settings.items);

  std::vector<std::size_t> order(m);
  for (std::size_t j = 0; j < m; ++j) order[j] = j;
  std::vector<std::size_t> inside(m, 0);
  const auto parent_items = static_cast<std::size_t>(
      std::llround(settings.parent_rate * static_cast<double>(settings.items)));
  std::uniform_int_distribution<std::size_t> parent_votes(majority, m);
  for (std::size_t i = 0; i < parent_items; ++i) {
    const std::size_t k = parent_votes(random);
    std::uint64_t mask = 0;
    for (std::size_t t = 0; t < k; ++t) {  // partial Fisher-Yates: a uniform k-subset
      std::uniform_int_distribution<std::size_t> pick(t, m - 1);
      std::swap(order[t], order[pick(random)]);
      mask |= std::uint64_t{1} << order[t];
      ++inside[order[t]];
    }
    masks.push_back(mask);
  }

  std::vector<std::uint32_t> slots;
  for (std::size_t j = 0; j < m; ++j) {
    const double outside = static_cast<double>(inside[j]) * (1.0 - ratio[j]) / ratio[j];
    slots.insert(slots.end(), static_cast<std::size_t>(std::llround(outside)),
                 static_cast<std::uint32_t>(j));
  }
  std::shuffle(slots.begin(), slots.end(), random);
  std::uniform_int_distribution<std::size_t> group_size(1, outside_max);
  std::uint64_t group = 0;
  std::size_t wanted = group_size(random);
  for (const std::uint32_t j : slots) {
    const std::uint64_t bit = std::uint64_t{1} << j;
    if ((group & bit) != 0) {  // a member votes once per item: close the group early
      masks.push_back(group);
      group = 0;
      wanted = group_size(random);
    }
    group |= bit;
    if (static_cast<std::size_t>(std::popcount(group)) == wanted) {
      masks.push_back(group);
      group = 0;
      wanted = group_size(random);
    }
  }
  if (group != 0) masks.push_back(group);
  if (masks.size() > settings.items)
    throw std::invalid_argument(
        "--overlap: the targets need " + std::to_string(masks.size()) +
        " items with votes; raise --items or lower --parent-rate or raise the ratios");
  masks.resize(settings.items, 0);
  std::shuffle(masks.begin(), masks.end(), random);

  std::string line = "id";
  for (std::size_t j = 0; j < m; ++j) line += ",m" + std::to_string(j + 1);
  line += settings.content ? ",label,content\n" : ",label\n";
  emit(std::string_view(line));
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::size_t i = 0; i < settings.items; ++i) {
    const std::uint64_t mask = masks[i];
    const double votes = static_cast<double>(std::popcount(mask));
    const bool label = unit(random) < 0.15 + 0.8 * votes / static_cast<double>(m);
    line = "item-" + std::to_string(i);
    for (std::size_t j = 0; j < m; ++j) line += (mask >> j) & 1 ? ",1" : ",0";
    line += label ? ",1" : ",0";
    if (settings.content) line += ",\"synthetic item " + std::to_string(i) + "\"";
    line += '\n';
    emit(std::string_view(line));
  }
}

}  // namespace frugal::bench
