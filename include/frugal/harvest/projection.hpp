#pragma once
/// Label projection (DESIGN.md §1.3, issue 8 point 4): carry the intent and slots of a
/// successful turn (the source) onto the words of the failed turn it rephrased (the target).
///
/// Each source word is mapped to at most one target word and each target word takes at most one
/// source word; words are compared in normal form (frugal/harvest/text.hpp) by character-level
/// Levenshtein distance, and a pair farther apart than the threshold is not aligned.
/// - greedy (the published baseline): source words left to right, each taking the closest free
///   target word (ties: the leftmost).
/// - slot_first (default): the same, but all slot words are aligned before any carrier word, so
///   a carrier word cannot take a target word a slot needs. A slot word with several equally
///   close candidates waits, then takes the one nearest the position its slot's aligned words
///   predict; after the carrier words, a slot word still unaligned may take the free target word
///   next to its aligned neighbour's when within one edit (damaged short words: "am" -> "an").
///   The full rules, written out plainly, are the reference in
///   src/harvest/projection_reference.hpp.
/// A slot's projection is the span from its leftmost to its rightmost aligned target word; target
/// words inside that span that no source word took (fillers like "uh") are filled in. A slot with
/// no aligned word, or whose spans would overlap another slot's, rejects the whole projection.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "frugal/harvest/annotation.hpp"

namespace frugal::harvest {

enum class projection_method { greedy, slot_first };

struct projection_settings {
  projection_method method = projection_method::slot_first;
  /// A source and a target word align only when distance / max(length) <= this (0 = identical
  /// words only, 1 = any two words).
  double max_relative_distance = 0.4;
};

struct projection_result {
  bool ok = false;
  std::string reason;  ///< why it was rejected; empty when ok
  std::string intent;
  std::vector<slot_span> slots;  ///< over the target's tokens, sorted by start
};

/// Projects `source` (valid slots) onto `target_tokens`. Deterministic.
projection_result project(const annotated_utterance& source,
                          const std::vector<std::string>& target_tokens,
                          const projection_settings& settings = {});

}  // namespace frugal::harvest
