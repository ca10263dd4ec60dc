// `frugal harvest run` as a library call: pairing -> friction -> paraphrase -> chains ->
// projection -> corroboration.
//
// Cost: the friction scorer runs once per turn, the paraphrase scorer once per candidate pair
// that starts at a flagged turn (only those can begin or continue a chain), the projection once
// per failed turn with a successful rephrase. Chains are resolved by one backward pass over the
// pairs, so the whole run is O(n log n) in the number of turns (the sort in pairing) plus the
// scorers' own cost.

#include "frugal/harvest/pipeline.hpp"

#include <cstdint>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/pairing.hpp"

namespace frugal::harvest {
namespace {

constexpr std::size_t no_turn = SIZE_MAX;
// Progress is reported at most every this many items, so that callbacks stay cheap.
constexpr std::size_t progress_step = 1u << 14;

void report(const harvest_progress& progress, const char* stage, std::size_t done,
            std::size_t total) {
  if (progress) progress(stage, done, total);
}

bool in_unit_interval(double value) {
  return value >= 0.0 && value <= 1.0;
}

}  // namespace

harvest_result run_harvest(std::span<const turn> turns, const paraphrase_scorer& paraphrase,
                           const friction_scorer& friction, const harvest_settings& settings,
                           const harvest_progress& progress) {
  if (!in_unit_interval(settings.paraphrase_threshold) ||
      !in_unit_interval(settings.friction_threshold))
    throw input_error("harvest: the paraphrase and friction thresholds must be in [0, 1]");
  harvest_result result;
  harvest_summary& summary = result.summary;
  summary.turns = turns.size();

  report(progress, "pairing", 0, turns.size());
  const std::vector<turn_pair> pairs = pair_turns(turns, settings.max_gap);
  summary.pairs = pairs.size();
  report(progress, "pairing", turns.size(), turns.size());

  std::vector<char> failed(turns.size(), 0);
  for (std::size_t i = 0; i < turns.size(); ++i) {
    if (i % progress_step == 0) report(progress, "friction", i, turns.size());
    if (friction(turns[i]) >= settings.friction_threshold) {
      failed[i] = 1;
      ++summary.frictions;
    }
  }
  report(progress, "friction", turns.size(), turns.size());

  // rephrase_of[a] = b when (a, b) is a candidate pair that the paraphrase detector accepts.
  // Pairs come from consecutive turns of one session, so a turn starts at most one pair and the
  // rephrase links form disjoint paths that go forward within the sorted pair order.
  std::vector<std::size_t> rephrase_of(turns.size(), no_turn);
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    if (k % progress_step == 0) report(progress, "paraphrase", k, pairs.size());
    const turn_pair& pair = pairs[k];
    if (!failed[pair.first]) continue;  // only a failed turn starts or continues a chain
    if (paraphrase(turns[pair.first], turns[pair.second]) >= settings.paraphrase_threshold) {
      rephrase_of[pair.first] = pair.second;
      ++summary.paraphrases;
    }
  }
  report(progress, "paraphrase", pairs.size(), pairs.size());

  // success_of[t]: for a failed turn t, the first turn that did not fail along its rephrase
  // chain. Within a session the pairs are in time order, so walking them backwards resolves
  // each link after the one it continues into: every failed turn is resolved once, however
  // many chain starts reach it, and so gets one vote.
  std::vector<std::size_t> success_of(turns.size(), no_turn);
  for (std::size_t k = pairs.size(); k-- > 0;) {
    const std::size_t first = pairs[k].first;
    const std::size_t next = rephrase_of[first];
    if (next == no_turn) continue;
    success_of[first] = failed[next] ? success_of[next] : next;
  }

  std::vector<projection_vote> votes;
  std::size_t to_project = 0;
  for (std::size_t t = 0; t < turns.size(); ++t)
    if (failed[t] && success_of[t] != no_turn) ++to_project;
  summary.chains = to_project;
  votes.reserve(to_project);
  report(progress, "projection", 0, to_project);
  for (std::size_t t = 0; t < turns.size(); ++t) {
    if (!failed[t] || success_of[t] == no_turn) continue;
    const turn& target = turns[t];
    const turn& success = turns[success_of[t]];
    projection_vote vote;
    vote.user = target.user;
    vote.projection.tokens = target.tokens;
    // A successful turn without an intent has nothing to teach; its projection is a rejection
    // (an occurrence agreeing with nothing), not a training example with an empty intent.
    if (!success.nlu.intent.empty()) {
      const annotated_utterance source{success.tokens, success.nlu.intent, success.nlu.slots};
      projection_result projected = project(source, target.tokens, settings.projection);
      vote.ok = projected.ok;
      vote.projection.intent = std::move(projected.intent);
      vote.projection.slots = std::move(projected.slots);
    }
    if (vote.ok)
      ++summary.projections;
    else
      ++summary.rejected_projections;
    votes.push_back(std::move(vote));
    if (votes.size() % progress_step == 0) report(progress, "projection", votes.size(), to_project);
  }
  report(progress, "projection", votes.size(), to_project);

  report(progress, "corroboration", 0, votes.size());
  result.candidates = corroborate(votes, settings.corroboration);
  summary.utterances = result.candidates.size();
  for (const corroborated_example& candidate : result.candidates)
    if (candidate.kept) ++summary.kept;
  report(progress, "corroboration", votes.size(), votes.size());
  return result;
}

harvest_result run_harvest(std::span<const turn> turns, const paraphrase_detector& paraphrases,
                           const friction_detector& frictions, const harvest_settings& settings,
                           const harvest_progress& progress) {
  return run_harvest(
      turns,
      [&](const turn& a, const turn& b) { return paraphrases.probability(a.tokens, b.tokens); },
      [&](const turn& t) { return frictions.probability(t); }, settings, progress);
}

}  // namespace frugal::harvest
