// Corroboration: votes grouped by utterance key, the modal projection per utterance, and the
// occurrence / agreement / distinct-user thresholds of DESIGN.md §1.3.
//
// Linear in the votes apart from hashing: each distinct (utterance, projection) is interned
// once, so an utterance with many different projections costs no more than one with few.

#include "frugal/harvest/corroboration.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/harvest/text.hpp"

namespace frugal::harvest {
namespace {

// A projection's identity within its utterance: intent and slots. Unit separators cannot occur
// in a slot type read from our formats' JSON strings unless escaped as \u001f, and even then the
// explicit lengths keep the encoding unambiguous.
void append_projection_identity(std::string& out, const annotated_utterance& projection) {
  out += std::to_string(projection.intent.size());
  out += '\x1f';
  out += projection.intent;
  for (const slot_span& slot : projection.slots) {
    out += '\x1e';
    out += std::to_string(slot.type.size());
    out += '\x1f';
    out += slot.type;
    out += '\x1f';
    out += std::to_string(slot.start);
    out += '\x1f';
    out += std::to_string(slot.end);
  }
}

struct utterance_group {
  std::size_t occurrences = 0;
  // The modal candidate so far; candidates are visited in order of first vote, and a later one
  // replaces it only with a strictly higher count (ties: the one seen first).
  std::size_t modal = SIZE_MAX;
};

struct candidate {
  std::size_t group = 0;
  std::size_t first_vote = 0;
  std::size_t count = 0;
};

}  // namespace

std::vector<corroborated_example> corroborate(std::span<const projection_vote> votes,
                                              const corroboration_settings& settings) {
  if (!(settings.confidence > 0.0 && settings.confidence < 1.0))
    throw input_error("corroboration: the confidence level must be in (0, 1)");
  if (!(settings.min_agreement >= 0.0 && settings.min_agreement <= 1.0))
    throw input_error("corroboration: the minimum agreement must be in [0, 1]");

  std::unordered_map<std::string, std::size_t> group_of;
  std::vector<utterance_group> groups;
  std::unordered_map<std::string, std::size_t> candidate_of;
  std::vector<candidate> candidates;
  // The candidate each vote gave (SIZE_MAX for rejected projections).
  std::vector<std::size_t> vote_candidate(votes.size(), SIZE_MAX);

  // Keys through one vocabulary, so that each distinct non-ASCII spelling is normalized once:
  // votes repeat the same words, and on non-ASCII words (ICU) utterance_key() per vote took
  // longer than all of corroboration does now (bench/harvest_run.cpp).
  word_vocabulary vocabulary;
  std::string key;

  std::string identity;
  for (std::size_t v = 0; v < votes.size(); ++v) {
    const projection_vote& vote = votes[v];
    utterance_key(vote.projection.tokens, vocabulary, key);
    const auto [group_entry, new_group] = group_of.try_emplace(key, groups.size());
    if (new_group) groups.push_back({0, SIZE_MAX});
    const std::size_t g = group_entry->second;
    ++groups[g].occurrences;
    if (!vote.ok) continue;
    identity = std::to_string(g);
    identity += '\x1d';
    append_projection_identity(identity, vote.projection);
    const auto [candidate_entry, new_candidate] =
        candidate_of.try_emplace(identity, candidates.size());
    if (new_candidate) candidates.push_back({g, v, 0});
    const std::size_t c = candidate_entry->second;
    ++candidates[c].count;
    vote_candidate[v] = c;
  }
  candidate_of.clear();

  // Candidates are numbered in order of their first vote, so visiting them in number order and
  // replacing only on a strictly larger count keeps the first seen among equals.
  for (std::size_t c = 0; c < candidates.size(); ++c) {
    utterance_group& group = groups[candidates[c].group];
    if (group.modal == SIZE_MAX || candidates[c].count > candidates[group.modal].count)
      group.modal = c;
  }

  // Distinct users behind each group's modal projection: (group, user) pairs, sorted, counted.
  std::vector<std::pair<std::size_t, std::string_view>> modal_users;
  for (std::size_t v = 0; v < votes.size(); ++v) {
    const std::size_t c = vote_candidate[v];
    if (c != SIZE_MAX && groups[candidates[c].group].modal == c)
      modal_users.emplace_back(candidates[c].group, votes[v].user);
  }
  std::sort(modal_users.begin(), modal_users.end());
  modal_users.erase(std::unique(modal_users.begin(), modal_users.end()), modal_users.end());
  std::vector<std::size_t> users(groups.size(), 0);
  for (const auto& [group, user] : modal_users) ++users[group];

  // Groups are numbered in order of their first vote: first appearance.
  std::vector<corroborated_example> results;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const utterance_group& group = groups[g];
    if (group.modal == SIZE_MAX) continue;  // no ok projection: nothing to corroborate
    const candidate& modal = candidates[group.modal];
    corroborated_example example;
    example.example = votes[modal.first_vote].projection;
    utterance_key(example.example.tokens, vocabulary, key);
    example.key = key;
    example.occurrences = group.occurrences;
    example.agreeing = modal.count;
    example.users = users[g];
    example.agreement = double(example.agreeing) / double(example.occurrences);
    example.agreement_lower =
        estimation::interval_for_proportion(estimation::interval_method::wilson,
                                            double(example.agreeing), double(example.occurrences),
                                            /*population: infinite*/ 0, settings.confidence)
            .lower;
    example.kept = example.occurrences >= settings.min_occurrences &&
                   example.agreement >= settings.min_agreement &&
                   example.users >= settings.min_users;
    results.push_back(std::move(example));
  }
  return results;
}

}  // namespace frugal::harvest
