#pragma once
/// Corroboration (issue 8 point 5): a projected example is kept only when the failed utterance
/// was seen often enough, mostly projected the same way, by several distinct users.

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "frugal/harvest/annotation.hpp"

namespace frugal::harvest {

struct corroboration_settings {
  std::size_t min_occurrences = 10;  ///< projections (ok or not) of the utterance
  double min_agreement = 0.8;        ///< share of those that give the modal annotation
  std::size_t min_users = 3;         ///< distinct users behind the modal annotation
  double confidence = 0.95;          ///< for the Wilson lower bound on agreement
};

/// One projection attempt of a failed utterance. A rejected projection counts as an occurrence
/// that agrees with nothing.
struct projection_vote {
  std::string user;
  annotated_utterance projection;  ///< tokens = the failed turn's tokens
  bool ok = false;
};

struct corroborated_example {
  annotated_utterance example;  ///< the modal projection
  std::string key;              ///< utterance_key(example.tokens)
  std::size_t occurrences = 0;
  std::size_t agreeing = 0;
  std::size_t users = 0;  ///< distinct users among the agreeing votes
  double agreement = 0.0;
  double agreement_lower = 0.0;  ///< Wilson lower bound on agreement
  bool kept = false;
};

/// Groups votes by utterance_key, picks each group's modal projection (ties: the one seen
/// first) and applies the thresholds. One result per distinct utterance with at least one ok
/// projection, ordered by first appearance.
std::vector<corroborated_example> corroborate(std::span<const projection_vote> votes,
                                              const corroboration_settings& settings = {});

}  // namespace frugal::harvest
