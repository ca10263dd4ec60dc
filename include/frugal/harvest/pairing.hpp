#pragma once
/// Candidate rephrase pairs (issue 8 point 1): consecutive turns of the same user and session,
/// the second starting at most `max_gap` seconds after the first. Turns are ordered by time
/// within a session (file order breaks ties), so a chain u1 -> u2 -> u3 gives (u1, u2) and
/// (u2, u3); rephrase chains are followed in the pipeline (frugal/harvest/pipeline.hpp).

#include <cstddef>
#include <span>
#include <vector>

#include "frugal/harvest/interaction_log.hpp"

namespace frugal::harvest {

struct turn_pair {
  std::size_t first = 0;   ///< index into the turns
  std::size_t second = 0;  ///< the next turn of the same user and session
  bool operator==(const turn_pair&) const = default;
};

/// All candidate pairs, sorted by (first turn's user, session, time). O(n log n).
std::vector<turn_pair> pair_turns(std::span<const turn> turns, double max_gap = 60.0);

}  // namespace frugal::harvest
