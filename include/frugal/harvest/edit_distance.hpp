#pragma once
/// Levenshtein distance (unit-cost insertions, deletions and substitutions) between sequences of
/// symbols, for label projection (DESIGN.md §1.3, issue 8): a word is a sequence of code points
/// and an utterance a sequence of word ids, so one routine serves both levels.
///
/// The fast path is the bit-parallel algorithm of Myers (1999) in Hyyrö's (2001) formulation: the
/// shorter sequence, up to 64 symbols, is the pattern held in one machine word, and each symbol of
/// the other costs a handful of word operations, O(n) for n symbols. Longer pairs fall back to
/// the plain dynamic programme, which the tests also use as the reference.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace frugal::harvest {

/// The edit distance between `a` and `b`. O(|a| + |b|) when the shorter has at most 64 symbols
/// (plus indexing its at most 64 symbols once), else O(|a| |b|) time and O(min) memory.
std::size_t levenshtein(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b);

/// A pattern of 1 to 64 symbols indexed once for the bit-parallel algorithm, so that its
/// distance to many texts (one source word against every target word in label projection) pays
/// for the index once. Symbols below 128 (ASCII code points) index a table; others are searched
/// among the pattern's few distinct symbols. Reusable: assign() replaces the pattern.
class bit_parallel_pattern {
 public:
  /// `symbols` must hold 1 to 64 symbols (copied: the pattern owns them).
  void assign(std::span<const std::uint32_t> symbols);
  std::size_t size() const { return symbols_.size(); }
  /// The edit distance between the pattern and `text`, O(|text|).
  std::size_t distance(std::span<const std::uint32_t> text) const;

 private:
  std::uint64_t mask(std::uint32_t symbol) const {
    if (symbol < 128) return ascii_[symbol];
    for (const auto& [value, bits] : other_)
      if (value == symbol) return bits;
    return 0;
  }

  std::array<std::uint64_t, 128> ascii_{};
  std::vector<std::pair<std::uint32_t, std::uint64_t>> other_;
  std::vector<std::uint32_t> symbols_;
};

/// The plain dynamic programme, O(|a| |b|) time and O(|b|) memory: the reference.
std::size_t levenshtein_reference(std::span<const std::uint32_t> a,
                                  std::span<const std::uint32_t> b);

}  // namespace frugal::harvest
