#pragma once
/// Levenshtein distance (unit-cost insertions, deletions and substitutions) between sequences of
/// symbols, for label projection (DESIGN.md §1.3, issue 8): a word is a sequence of code points
/// and an utterance a sequence of word ids, so one routine serves both levels.
///
/// The fast path is the bit-parallel algorithm of Myers (1999) in Hyyrö's (2001) formulation: the
/// shorter sequence, up to 64 symbols, is the pattern held in one machine word, and each symbol of
/// the other costs a handful of word operations, O(n) for n symbols. Longer pairs fall back to
/// the plain dynamic programme, which the tests also use as the reference.

#include <cstddef>
#include <cstdint>
#include <span>

namespace frugal::harvest {

/// The edit distance between `a` and `b`. O(|a| + |b|) when the shorter has at most 64 symbols
/// (plus O(k log k) to index its k distinct symbols), else O(|a| |b|) time and O(min) memory.
std::size_t levenshtein(std::span<const std::uint32_t> a, std::span<const std::uint32_t> b);

/// The plain dynamic programme, O(|a| |b|) time and O(|b|) memory: the reference.
std::size_t levenshtein_reference(std::span<const std::uint32_t> a,
                                  std::span<const std::uint32_t> b);

}  // namespace frugal::harvest
