// Corroboration (issue 8 point 5): every threshold at its boundary, the modal projection and its
// tie-break, distinct users, the Wilson lower bound against its closed form, and the fast
// grouping against a brute-force reference on seeded random votes.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/corroboration.hpp"

namespace frugal::harvest {
namespace {

const std::vector<std::string> kTokens{"play", "some", "jazz"};

annotated_utterance annotation(const std::string& intent, std::vector<slot_span> slots = {},
                               std::vector<std::string> tokens = kTokens) {
  return annotated_utterance{std::move(tokens), intent, std::move(slots)};
}

const annotated_utterance kMusic = annotation("play_music", {{"genre", 2, 3}});
const annotated_utterance kRadio = annotation("play_radio", {{"genre", 2, 3}});

// `count` ok votes for `projection`, cycling through `users` distinct users.
void add_votes(std::vector<projection_vote>& votes, const annotated_utterance& projection,
               std::size_t count, std::size_t users, const std::string& user_prefix = "user") {
  for (std::size_t i = 0; i < count; ++i)
    votes.push_back({user_prefix + std::to_string(i % users), projection, true});
}

void add_rejections(std::vector<projection_vote>& votes, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i)
    votes.push_back({fmt::format("rejecter{}", i), annotation(""), false});
}

// The Wilson score lower bound, written out (Brown, Cai & DasGupta 2001, eq. 4).
double wilson_lower(double successes, double trials, double z) {
  const double p = successes / trials;
  const double z2 = z * z;
  return (p + z2 / (2 * trials) -
          z * std::sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))) /
         (1 + z2 / trials);
}

corroborated_example only(const std::vector<projection_vote>& votes,
                          const corroboration_settings& settings = {}) {
  const std::vector<corroborated_example> results = corroborate(votes, settings);
  EXPECT_EQ(results.size(), 1u);
  return results.empty() ? corroborated_example{} : results.front();
}

TEST(Corroboration, OccurrencesBoundaryTenVersusNine) {
  std::vector<projection_vote> votes;
  add_votes(votes, kMusic, 10, 5);
  corroborated_example ten = only(votes);
  EXPECT_EQ(ten.occurrences, 10u);
  EXPECT_EQ(ten.agreeing, 10u);
  EXPECT_EQ(ten.users, 5u);
  EXPECT_DOUBLE_EQ(ten.agreement, 1.0);
  EXPECT_TRUE(ten.kept);
  EXPECT_EQ(ten.example, kMusic);
  EXPECT_EQ(ten.key, "play some jazz");

  votes.pop_back();
  corroborated_example nine = only(votes);
  EXPECT_EQ(nine.occurrences, 9u);
  EXPECT_FALSE(nine.kept);
}

TEST(Corroboration, AgreementBoundaryIsInclusive) {
  // 8 of 10 agree: exactly 0.8, kept.
  std::vector<projection_vote> votes;
  add_votes(votes, kMusic, 8, 4);
  add_votes(votes, kRadio, 2, 2, "other");
  corroborated_example exactly = only(votes);
  EXPECT_EQ(exactly.agreeing, 8u);
  EXPECT_EQ(exactly.occurrences, 10u);
  EXPECT_DOUBLE_EQ(exactly.agreement, 0.8);
  EXPECT_TRUE(exactly.kept);
  EXPECT_EQ(exactly.example, kMusic);

  // 8 of 11: below 0.8.
  votes.push_back({"other9", kRadio, true});
  corroborated_example below = only(votes);
  EXPECT_EQ(below.occurrences, 11u);
  EXPECT_NEAR(below.agreement, 8.0 / 11.0, 1e-15);
  EXPECT_FALSE(below.kept);

  // Rejected projections are occurrences that agree with nothing: 8 + 2 rejected is 0.8 again.
  votes.clear();
  add_votes(votes, kMusic, 8, 4);
  add_rejections(votes, 2);
  corroborated_example with_rejections = only(votes);
  EXPECT_EQ(with_rejections.occurrences, 10u);
  EXPECT_DOUBLE_EQ(with_rejections.agreement, 0.8);
  EXPECT_TRUE(with_rejections.kept);
  add_rejections(votes, 1);
  EXPECT_FALSE(only(votes).kept);
}

TEST(Corroboration, DistinctUsersBehindTheModalProjection) {
  std::vector<projection_vote> votes;
  add_votes(votes, kMusic, 12, 3);
  corroborated_example three = only(votes);
  EXPECT_EQ(three.users, 3u);
  EXPECT_TRUE(three.kept);

  votes.clear();
  add_votes(votes, kMusic, 12, 2);
  // A third user who projected differently does not corroborate the modal projection.
  votes.push_back({"someone_else", kRadio, true});
  votes.push_back({"rejecting_user", kMusic, false});
  corroborated_example two = only(votes);
  EXPECT_EQ(two.users, 2u);
  EXPECT_EQ(two.occurrences, 14u);
  EXPECT_FALSE(two.kept);

  // One user saying the same thing many times is one user.
  votes.clear();
  add_votes(votes, kMusic, 50, 1);
  corroborated_example one = only(votes);
  EXPECT_EQ(one.users, 1u);
  EXPECT_EQ(one.occurrences, 50u);
  EXPECT_FALSE(one.kept);
  EXPECT_TRUE(only(votes, {.min_occurrences = 10, .min_agreement = 0.8, .min_users = 1}).kept);
}

TEST(Corroboration, ModalTieGoesToTheProjectionSeenFirst) {
  std::vector<projection_vote> votes;
  votes.push_back({"a", kRadio, true});
  votes.push_back({"b", kMusic, true});
  votes.push_back({"c", kMusic, true});
  votes.push_back({"d", kRadio, true});
  corroborated_example tie = only(votes);
  EXPECT_EQ(tie.example, kRadio);
  EXPECT_EQ(tie.agreeing, 2u);
  EXPECT_DOUBLE_EQ(tie.agreement, 0.5);
  // A strict majority wins whatever came first.
  votes.push_back({"e", kMusic, true});
  EXPECT_EQ(only(votes).example, kMusic);
}

TEST(Corroboration, SlotsAreCompared) {
  std::vector<projection_vote> votes;
  votes.push_back({"a", annotation("play_music", {{"genre", 2, 3}}), true});
  votes.push_back({"b", annotation("play_music", {{"genre", 1, 3}}), true});
  votes.push_back({"c", annotation("play_music", {{"artist", 2, 3}}), true});
  votes.push_back({"d", annotation("play_music"), true});
  corroborated_example result = only(votes);
  EXPECT_EQ(result.agreeing, 1u);
  EXPECT_EQ(result.occurrences, 4u);
}

TEST(Corroboration, GroupsByNormalizedUtteranceInOrderOfFirstAppearance) {
  std::vector<projection_vote> votes;
  votes.push_back({"a", annotation("weather", {}, {"Weather", "in", "Rome"}), false});
  votes.push_back({"a", annotation("x", {}, {"only", "rejected"}), false});
  votes.push_back({"b", annotation("play_music", {}, {"PLAY", "Some", "Jazz"}), true});
  votes.push_back({"c", annotation("weather", {}, {"weather", "in", "rome"}), true});
  votes.push_back({"d", annotation("play_music", {}, {"play", "some", "jazz"}), true});
  const std::vector<corroborated_example> results = corroborate(votes);
  // "only rejected" has no ok projection: no result for it.
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].key, "weather in rome");
  EXPECT_EQ(results[0].occurrences, 2u);
  EXPECT_EQ(results[0].agreeing, 1u);
  // The example carries the tokens of the modal projection's first vote.
  EXPECT_EQ(results[0].example.tokens, (std::vector<std::string>{"weather", "in", "rome"}));
  EXPECT_EQ(results[1].key, "play some jazz");
  EXPECT_EQ(results[1].agreeing, 2u);
  EXPECT_EQ(results[1].example.tokens, (std::vector<std::string>{"PLAY", "Some", "Jazz"}));
  EXPECT_TRUE(corroborate(std::vector<projection_vote>{}).empty());
}

TEST(Corroboration, WilsonLowerBoundMatchesTheClosedForm) {
  for (const auto& [agreeing, occurrences] :
       std::vector<std::pair<std::size_t, std::size_t>>{{8, 10}, {10, 10}, {1, 3}, {45, 60}}) {
    std::vector<projection_vote> votes;
    add_votes(votes, kMusic, agreeing, 3);
    add_rejections(votes, occurrences - agreeing);
    EXPECT_NEAR(only(votes).agreement_lower,
                wilson_lower(double(agreeing), double(occurrences), 1.959963984540054), 1e-9);
    EXPECT_NEAR(only(votes, {.confidence = 0.9}).agreement_lower,
                wilson_lower(double(agreeing), double(occurrences), 1.6448536269514722), 1e-9);
  }
  // The bound from the header's example: 8 of 10 at 95% is about 0.490.
  std::vector<projection_vote> votes;
  add_votes(votes, kMusic, 8, 3);
  add_rejections(votes, 2);
  EXPECT_NEAR(only(votes).agreement_lower, 0.490, 0.001);
}

TEST(Corroboration, RejectsBadSettings) {
  std::vector<projection_vote> votes;
  add_votes(votes, kMusic, 3, 3);
  EXPECT_THROW(corroborate(votes, {.confidence = 1.0}), input_error);
  EXPECT_THROW(corroborate(votes, {.min_agreement = 1.5}), input_error);
}

// Brute force: every vote's group found by comparing keys with all groups so far, candidates by
// comparing (intent, slots) with all earlier ok votes of the group.
std::vector<corroborated_example> reference_corroborate(const std::vector<projection_vote>& votes,
                                                        const corroboration_settings& settings) {
  std::vector<std::string> keys;
  std::vector<std::vector<std::size_t>> members;
  for (std::size_t v = 0; v < votes.size(); ++v) {
    const std::string key = utterance_key(votes[v].projection.tokens);
    const auto found = std::find(keys.begin(), keys.end(), key);
    if (found == keys.end()) {
      keys.push_back(key);
      members.push_back({v});
    } else {
      members[found - keys.begin()].push_back(v);
    }
  }
  std::vector<corroborated_example> results;
  for (std::size_t g = 0; g < keys.size(); ++g) {
    std::size_t best = SIZE_MAX, best_count = 0;
    for (const std::size_t v : members[g]) {
      if (!votes[v].ok) continue;
      std::size_t count = 0;
      for (const std::size_t w : members[g])
        count += votes[w].ok && votes[w].projection.intent == votes[v].projection.intent &&
                 votes[w].projection.slots == votes[v].projection.slots;
      if (count > best_count) best = v, best_count = count;
    }
    if (best == SIZE_MAX) continue;
    std::set<std::string> users;
    for (const std::size_t w : members[g])
      if (votes[w].ok && votes[w].projection.intent == votes[best].projection.intent &&
          votes[w].projection.slots == votes[best].projection.slots)
        users.insert(votes[w].user);
    corroborated_example e;
    e.example = votes[best].projection;
    e.key = keys[g];
    e.occurrences = members[g].size();
    e.agreeing = best_count;
    e.users = users.size();
    e.agreement = double(best_count) / double(e.occurrences);
    e.kept = e.occurrences >= settings.min_occurrences && e.agreement >= settings.min_agreement &&
             e.users >= settings.min_users;
    results.push_back(e);
  }
  return results;
}

TEST(Corroboration, AgreesWithBruteForceOnRandomVotes) {
  std::mt19937_64 generator(99);
  // Spellings that normalize alike (case, "ß" -> "ss", a combining accent), and a token holding
  // a space, whose key is that of the two words: grouping must be by utterance_key exactly.
  const std::vector<std::vector<std::string>> utterances{{"play", "jazz"},
                                                         {"Play", "JAZZ"},
                                                         {"wake", "me", "up"},
                                                         {"stop"},
                                                         {"turn", "it", "off"},
                                                         {"Straße", "Müller"},
                                                         {"STRASSE", "müller"},
                                                         {"strasse", "Mu\u0308ller"},
                                                         {"new york"},
                                                         {"New", "York"},
                                                         {"perché"},
                                                         {"PERCHE\u0301"}};
  const std::vector<std::string> intents{"a", "b", "c"};
  for (int round = 0; round < 100; ++round) {
    std::vector<projection_vote> votes;
    const std::size_t size = std::uniform_int_distribution<std::size_t>(0, 80)(generator);
    for (std::size_t i = 0; i < size; ++i) {
      const auto& tokens = utterances[generator() % utterances.size()];
      std::vector<slot_span> slots;
      if (generator() % 2) slots.push_back({"x", 0, 1});
      votes.push_back({fmt::format("u{}", generator() % 6),
                       annotation(intents[generator() % intents.size()], slots, tokens),
                       generator() % 5 != 0});
    }
    const corroboration_settings settings{
        .min_occurrences = 5, .min_agreement = 0.5, .min_users = 2};
    const std::vector<corroborated_example> fast = corroborate(votes, settings);
    const std::vector<corroborated_example> slow = reference_corroborate(votes, settings);
    ASSERT_EQ(fast.size(), slow.size());
    for (std::size_t i = 0; i < fast.size(); ++i) {
      EXPECT_EQ(fast[i].example, slow[i].example);
      EXPECT_EQ(fast[i].key, slow[i].key);
      EXPECT_EQ(fast[i].occurrences, slow[i].occurrences);
      EXPECT_EQ(fast[i].agreeing, slow[i].agreeing);
      EXPECT_EQ(fast[i].users, slow[i].users);
      EXPECT_EQ(fast[i].agreement, slow[i].agreement);
      EXPECT_EQ(fast[i].kept, slow[i].kept);
      EXPECT_GE(fast[i].agreement_lower, 0.0);
      EXPECT_LE(fast[i].agreement_lower, fast[i].agreement);
    }
  }
}

}  // namespace
}  // namespace frugal::harvest
