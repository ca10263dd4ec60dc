// Bit-parallel and reference edit distances (frugal/harvest/edit_distance.hpp).

#include "frugal/harvest/edit_distance.hpp"

#include <algorithm>
#include <numeric>
#include <utility>
#include <vector>

#include "frugal/error.hpp"

namespace frugal::harvest {
void bit_parallel_pattern::assign(std::span<const std::uint32_t> symbols) {
  FRUGAL_ASSERT(!symbols.empty() && symbols.size() <= 64);
  for (const std::uint32_t symbol : symbols_)
    if (symbol < 128) ascii_[symbol] = 0;
  other_.clear();
  symbols_.assign(symbols.begin(), symbols.end());
  // Peq: for each distinct symbol, the pattern positions where it occurs.
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (symbols[i] < 128) {
      ascii_[symbols[i]] |= bit;
      continue;
    }
    auto found = std::find_if(other_.begin(), other_.end(),
                              [&](const auto& entry) { return entry.first == symbols[i]; });
    if (found == other_.end())
      other_.emplace_back(symbols[i], bit);
    else
      found->second |= bit;
  }
}

// Myers/Hyyrö. Bit i of the vertical delta vectors describes row i + 1 of the
// dynamic-programming matrix (pattern prefix of length i + 1); `score` tracks the last row,
// D[m][j], column by column.
std::size_t bit_parallel_pattern::distance(std::span<const std::uint32_t> text) const {
  const std::size_t m = symbols_.size();
  const std::uint64_t last = std::uint64_t{1} << (m - 1);
  std::uint64_t positive = ~std::uint64_t{0};  // Pv: every vertical delta +1 in column 0
  std::uint64_t negative = 0;                  // Mv
  std::size_t score = m;
  for (const std::uint32_t symbol : text) {
    const std::uint64_t eq = mask(symbol);
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
  if (a.size() <= 64) {
    bit_parallel_pattern pattern;
    pattern.assign(a);
    return pattern.distance(b);
  }
  return levenshtein_reference(b, a);  // O(min) memory: the row spans the shorter
}

}  // namespace frugal::harvest
