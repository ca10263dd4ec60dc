#pragma once
/// `frugal harvest run` as a library call (issue 8 point 6): pair turns, keep pairs the
/// paraphrase detector accepts, follow rephrase chains from a failed turn to the first turn that
/// did not fail, project that turn's NLU annotation onto each failed turn of the chain, and
/// corroborate.

#include <cstddef>
#include <functional>
#include <span>
#include <vector>

#include "frugal/harvest/corroboration.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/projection.hpp"

namespace frugal::harvest {

struct harvest_settings {
  double max_gap = 60.0;
  double paraphrase_threshold = 0.5;
  double friction_threshold = 0.5;
  projection_settings projection;
  corroboration_settings corroboration;
};

struct harvest_summary {
  std::size_t turns = 0;
  std::size_t pairs = 0;        ///< candidate pairs from pairing
  std::size_t paraphrases = 0;  ///< pairs from a flagged turn the paraphrase detector accepted
                                ///< (only those are scored: no other pair can start a chain)
  std::size_t frictions = 0;    ///< turns the friction detector flagged
  std::size_t chains = 0;       ///< failed turns with a successful rephrase after them
  std::size_t projections = 0;  ///< projections that succeeded
  std::size_t rejected_projections = 0;
  std::size_t utterances = 0;  ///< distinct failed utterances with an ok projection
  std::size_t kept = 0;        ///< corroborated examples
};

struct harvest_result {
  std::vector<corroborated_example> candidates;  ///< every distinct utterance, kept or not
  harvest_summary summary;
};

/// Progress: (stage name, done, total).
using harvest_progress = std::function<void(const char*, std::size_t, std::size_t)>;

/// P(b paraphrases a) and P(t failed): the detectors, or anything standing in for them in tests.
using paraphrase_scorer = std::function<double(const turn& a, const turn& b)>;
using friction_scorer = std::function<double(const turn& t)>;

harvest_result run_harvest(std::span<const turn> turns, const paraphrase_scorer& paraphrase,
                           const friction_scorer& friction, const harvest_settings& settings = {},
                           const harvest_progress& progress = {});

/// The same with trained detectors.
harvest_result run_harvest(std::span<const turn> turns, const paraphrase_detector& paraphrases,
                           const friction_detector& frictions,
                           const harvest_settings& settings = {},
                           const harvest_progress& progress = {});

}  // namespace frugal::harvest
