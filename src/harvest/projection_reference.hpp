#pragma once
// Label projection, the plain reference (frugal/harvest/projection.hpp): the rules written out
// once, as directly as possible, for the tests, the fuzzer and the benchmark to compare the fast
// path (src/harvest/projection.cpp) with. No caches, no bounds, the O(|a| |b|) edit distance.
//
// The rules. Words are compared in normal form (normalize_word: case folding + NFC) by
// Levenshtein distance over code points, d; with L = the longer word's length in code points, a
// source word and a target word may align only when d / L <= max_relative_distance, and one is
// closer than another when its d / L is smaller (compared exactly, as d1 * L2 < d2 * L1). The
// candidates of a source word are the free target words (taken by no source word yet) that may
// align with it at the smallest d / L, in target order.
//  - greedy: source words left to right; each takes its first (leftmost) candidate.
//  - slot_first: for each slot in source order, its words left to right: a word with exactly
//    one candidate takes it, a word with several waits; then the waiting words, left to right,
//    take (among their candidates, recomputed) the one closest to where the slot's nearest
//    aligned word predicts (its target position plus the source offset; the earlier word on
//    equal source distance; the leftmost candidate on equal target distance, and the leftmost
//    candidate when no word of the slot is aligned). Then carrier words (in no slot) left to
//    right take their first candidate. Last, rescue: a slot word still unaligned takes the
//    target word just after its left neighbour's target word (slots in source order, their
//    words left to right), then just before its right neighbour's (right to left), when that
//    target word is free and within one edit (d <= 1) — an ASR-damaged short word sits where
//    its neighbours say even when d / L is too large (one edit in "am" is already 0.5).
// Then each slot's target span is [leftmost, rightmost + 1) of its words' target words, so a
// target word inside it that no slot word took is part of the slot: a filler ("uh"), a damaged
// word, or a carrier word that landed there (the span wins). Rejected, in this order: the
// first slot (by source position) without any aligned word; then, spans sorted by start (source
// order on equal start), the first pair where a span starts before the previous one ends.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/edit_distance.hpp"
#include "frugal/harvest/projection.hpp"
#include "frugal/harvest/text.hpp"

namespace frugal::harvest::detail {

/// d / L <= threshold (an empty pair of words is at distance 0).
inline bool within_threshold(std::size_t distance, std::size_t length, double threshold) {
  return length == 0 || static_cast<double>(distance) / static_cast<double>(length) <= threshold;
}

/// The rejection reasons: a fixed kind before the colon (rejection_kind(), which summaries count
/// by), the slot types after it.
inline constexpr const char* unaligned_slot_kind = "slot without a target word";
inline constexpr const char* overlapping_slots_kind = "overlapping slots";
inline std::string unaligned_slot_reason(const std::string& type) {
  return std::string(unaligned_slot_kind) + ": " + type;
}
inline std::string overlapping_slots_reason(const std::string& first, const std::string& second) {
  return std::string(overlapping_slots_kind) + ": " + first + ", " + second;
}

inline projection_result project_reference(const annotated_utterance& source,
                                           const std::vector<std::string>& target,
                                           const projection_settings& settings) {
  const std::size_t n = source.tokens.size(), m = target.size();
  if (const std::string problem = slot_problem(source.slots, n); !problem.empty())
    throw input_error("label projection: invalid source slots: " + problem);
  std::vector<std::vector<std::uint32_t>> a(n), b(m);
  for (std::size_t i = 0; i < n; ++i) a[i] = decode_utf8(normalize_word(source.tokens[i]));
  for (std::size_t j = 0; j < m; ++j) b[j] = decode_utf8(normalize_word(target[j]));
  std::vector<int> aligned(n, -1), taken(m, -1);
  const auto length = [&](std::size_t i, std::size_t j) {
    return std::max(a[i].size(), b[j].size());
  };
  const auto distance = [&](std::size_t i, std::size_t j) {
    return levenshtein_reference(a[i], b[j]);
  };
  const auto candidates = [&](std::size_t i) {
    std::vector<std::size_t> best;
    std::size_t best_d = 0, best_l = 1;
    for (std::size_t j = 0; j < m; ++j) {
      if (taken[j] != -1) continue;
      const std::size_t d = distance(i, j), l = length(i, j);
      if (!within_threshold(d, l, settings.max_relative_distance)) continue;
      if (best.empty() || d * best_l < best_d * l) {
        best = {j};
        best_d = d;
        best_l = l;
      } else if (d * best_l == best_d * l) {
        best.push_back(j);
      }
    }
    return best;
  };
  const auto align = [&](std::size_t i, std::size_t j) {
    aligned[i] = int(j);
    taken[j] = int(i);
  };

  std::vector<std::size_t> order(source.slots.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return source.slots[x].start < source.slots[y].start;
  });

  if (settings.method == projection_method::greedy) {
    for (std::size_t i = 0; i < n; ++i)
      if (const auto c = candidates(i); !c.empty()) align(i, c.front());
  } else {
    // Unique best targets of every slot's words first, slot by slot; then the ties, each by the
    // nearest aligned word of its slot, else of any slot.
    std::vector<bool> in_slot(n, false);
    std::vector<std::pair<std::size_t, std::size_t>> waiting;  // (word, slot)
    for (const std::size_t s : order) {
      const slot_span& slot = source.slots[s];
      for (std::size_t i = slot.start; i < slot.end; ++i) {
        in_slot[i] = true;
        const auto c = candidates(i);
        if (c.size() == 1) align(i, c.front());
        if (c.size() > 1) waiting.push_back({i, s});
      }
    }
    for (const auto& [i, s] : waiting) {
      const slot_span& slot = source.slots[s];
      const auto c = candidates(i);
      if (c.empty()) continue;
      const auto nearest = [&](std::size_t from, std::size_t to, bool slot_words_only) {
        long anchor = -1;
        for (std::size_t k = from; k < to; ++k)
          if (aligned[k] != -1 && (!slot_words_only || in_slot[k]) &&
              (anchor == -1 || std::labs(long(k) - long(i)) < std::labs(anchor - long(i))))
            anchor = long(k);
        return anchor;
      };
      long anchor = nearest(slot.start, slot.end, false);
      if (anchor == -1) anchor = nearest(0, n, true);
      if (anchor == -1) {
        align(i, c.front());
        continue;
      }
      const long expected = aligned[anchor] + (long(i) - anchor);
      std::size_t pick = c.front();
      for (const std::size_t j : c)
        if (std::labs(long(j) - expected) < std::labs(long(pick) - expected)) pick = j;
      align(i, pick);
    }
    for (std::size_t i = 0; i < n; ++i)
      if (!in_slot[i])
        if (const auto c = candidates(i); !c.empty()) align(i, c.front());
    for (const std::size_t s : order) {
      const slot_span& slot = source.slots[s];
      for (std::size_t i = slot.start; i < slot.end; ++i) {
        if (aligned[i] != -1 || i == 0 || aligned[i - 1] == -1) continue;
        const std::size_t j = std::size_t(aligned[i - 1]) + 1;
        if (j < m && taken[j] == -1 && distance(i, j) <= 1) align(i, j);
      }
      for (std::size_t i = slot.end; i-- > slot.start;) {
        if (aligned[i] != -1 || i + 1 >= n || aligned[i + 1] <= 0) continue;
        const std::size_t j = std::size_t(aligned[i + 1]) - 1;
        if (taken[j] == -1 && distance(i, j) <= 1) align(i, j);
      }
    }
  }

  projection_result result;
  result.intent = source.intent;
  struct span {
    std::size_t slot, start, end;
  };
  std::vector<span> spans;
  for (const std::size_t s : order) {
    std::vector<std::size_t> positions;
    for (std::size_t i = source.slots[s].start; i < source.slots[s].end; ++i)
      if (aligned[i] != -1) positions.push_back(std::size_t(aligned[i]));
    if (positions.empty()) {
      result.reason = unaligned_slot_reason(source.slots[s].type);
      return result;
    }
    spans.push_back({s, *std::min_element(positions.begin(), positions.end()),
                     *std::max_element(positions.begin(), positions.end()) + 1});
  }
  std::stable_sort(spans.begin(), spans.end(),
                   [](const span& x, const span& y) { return x.start < y.start; });
  for (std::size_t k = 1; k < spans.size(); ++k)
    if (spans[k].start < spans[k - 1].end) {
      result.reason = overlapping_slots_reason(source.slots[spans[k - 1].slot].type,
                                               source.slots[spans[k].slot].type);
      return result;
    }
  for (const span& x : spans)
    result.slots.push_back(
        {source.slots[x.slot].type, std::uint32_t(x.start), std::uint32_t(x.end)});
  result.ok = true;
  return result;
}

}  // namespace frugal::harvest::detail
