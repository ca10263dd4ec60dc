// Bit-parallel and reference edit distances (frugal/harvest/edit_distance.hpp).

#include "frugal/harvest/edit_distance.hpp"

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

namespace frugal::harvest {
namespace {

// Myers/Hyyrö for a pattern of 1 to 64 symbols against any text. Bit i of the vertical delta
// vectors describes row i + 1 of the dynamic-programming matrix (pattern prefix of length i + 1);
// `score` tracks the last row, D[m][j], column by column.
std::size_t bit_parallel(std::span<const std::uint32_t> pattern,
                         std::span<const std::uint32_t> text) {
  const std::size_t m = pattern.size();
  // Peq: for each distinct pattern symbol, the rows where it occurs; sorted for binary search
  // (a pattern has at most 64 distinct symbols, so this beats a hash map).
  std::vector<std::pair<std::uint32_t, std::uint64_t>> equal;
  equal.reserve(m);
  for (std::size_t i = 0; i < m; ++i) equal.emplace_back(pattern[i], std::uint64_t{1} << i);
  std::sort(equal.begin(), equal.end());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < equal.size(); ++i) {
    if (kept > 0 && equal[kept - 1].first == equal[i].first)
      equal[kept - 1].second |= equal[i].second;
    else
      equal[kept++] = equal[i];
  }
  equal.resize(kept);

  const std::uint64_t last = std::uint64_t{1} << (m - 1);
  std::uint64_t positive = ~std::uint64_t{0};  // Pv: every vertical delta +1 in column 0
  std::uint64_t negative = 0;                  // Mv
  std::size_t score = m;
  for (const std::uint32_t symbol : text) {
    const auto found = std::lower_bound(equal.begin(), equal.end(), symbol,
                                        [](const std::pair<std::uint32_t, std::uint64_t>& entry,
                                           std::uint32_t value) { return entry.first < value; });
    const std::uint64_t eq = found != equal.end() && found->first == symbol ? found->second : 0;
    const std::uint64_t xv = eq | negative;
    const std::uint64_t xh = (((eq & positive) + positive) ^ positive) | eq;
    std::uint64_t horizontal_plus = negative | ~(xh | positive);
    std::uint64_t horizontal_minus = positive & xh;
    if (horizontal_plus & last)
      ++score;
    else if (horizontal_minus & last)
      --score;
    // Row 0 is D[0][j] = j: its horizontal delta is always +1, shifted in at the bottom.
    horizontal_plus = (horizontal_plus << 1) | 1;
    horizontal_minus <<= 1;
    positive = horizontal_minus | ~(xv | horizontal_plus);
    negative = horizontal_plus & xv;
  }
  return score;
}

}  // namespace

std::size_t levenshtein_reference(std::span<const std::uint32_t> a,
                                  std::span<const std::uint32_t> b) {
  // One row of the matrix at a time: row[j] = D[i][j].
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::size_t levenshtein(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b) {
  // The distance is symmetric: the shorter sequence is the pattern.
  if (a.size() > b.size()) std::swap(a, b);
  if (a.empty()) return b.size();
  if (a.size() <= 64) return bit_parallel(a, b);
  return levenshtein_reference(b, a);  // O(min) memory: the row spans the shorter
}

}  // namespace frugal::harvest
