// The harvest pipeline (issue 8 point 6) with hand-written scorers standing in for the
// detectors: chains, double-vote avoidance, broken links, the summary counts, progress, and the
// chain resolution against a brute-force walk on seeded random logs.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/pairing.hpp"
#include "frugal/harvest/pipeline.hpp"
#include "frugal/harvest/text.hpp"

namespace frugal::harvest {
namespace {

// A turn; `failed` is stored as the friction label, which the stand-in friction scorer reads.
turn make_turn(const std::string& id, const std::string& user, const std::string& session,
               double time, const std::string& text, bool failed, const std::string& intent = "",
               std::vector<slot_span> slots = {}) {
  turn t;
  t.id = id;
  t.user = user;
  t.session = session;
  t.time = time;
  t.text = text;
  t.tokens = tokenize(text);
  t.nlu.intent = intent;
  t.nlu.slots = std::move(slots);
  t.friction = failed;
  return t;
}

double label_friction(const turn& t) {
  return t.friction.value_or(false) ? 0.9 : 0.1;
}

// Paraphrase scores by turn ids; unlisted pairs score 0.
struct paraphrase_table {
  std::map<std::pair<std::string, std::string>, double> scores;
  double operator()(const turn& a, const turn& b) const {
    const auto found = scores.find({a.id, b.id});
    return found == scores.end() ? 0.0 : found->second;
  }
};

// Thresholds low enough that a single vote is kept: these tests are about chains, not
// corroboration.
harvest_settings single_vote_settings(double min_agreement = 0.5) {
  harvest_settings settings;
  settings.corroboration.min_occurrences = 1;
  settings.corroboration.min_agreement = min_agreement;
  settings.corroboration.min_users = 1;
  return settings;
}

// Turns count as paraphrases when their texts have the same number of words: crude, but a
// function of the words only, like the real detector.
double same_length(const turn& a, const turn& b) {
  return a.tokens.size() == b.tokens.size() ? 1.0 : 0.0;
}

TEST(HarvestPipeline, ChainProjectsTheSuccessOntoEveryFailedTurnOnce) {
  // u1 fails, rephrases (fails again), rephrases and succeeds: u1 and u2 each get one vote from
  // u3, although u2 is reached from two chain starts (u1 and u2).
  const std::vector<turn> turns{
      make_turn("t1", "alice", "s", 0, "blast some jazz in kitchen", true, "unknown"),
      make_turn("t2", "alice", "s", 5, "put on jazz in kitchen", true, "unknown"),
      make_turn("t3", "alice", "s", 9, "play jazz in the kitchen", false, "play_music",
                {{"genre", 1, 2}, {"room", 4, 5}}),
  };
  const paraphrase_table paraphrase{{{{"t1", "t2"}, 0.8}, {{"t2", "t3"}, 0.7}}};
  const harvest_settings settings = single_vote_settings();
  const harvest_result result = run_harvest(turns, paraphrase, label_friction, settings);
  const harvest_summary& s = result.summary;
  EXPECT_EQ(s.turns, 3u);
  EXPECT_EQ(s.pairs, 2u);
  EXPECT_EQ(s.frictions, 2u);
  EXPECT_EQ(s.paraphrases, 2u);
  EXPECT_EQ(s.chains, 2u);
  EXPECT_EQ(s.projections, 2u);
  EXPECT_EQ(s.rejected_projections, 0u);
  EXPECT_EQ(s.utterances, 2u);
  EXPECT_EQ(s.kept, 2u);
  ASSERT_EQ(result.candidates.size(), 2u);
  // Each failed turn's own words, labelled from the success: "jazz" and "kitchen" align exactly.
  const annotated_utterance& first = result.candidates[0].example;
  EXPECT_EQ(first.tokens, turns[0].tokens);
  EXPECT_EQ(first.intent, "play_music");
  EXPECT_EQ(first.slots, (std::vector<slot_span>{{"genre", 2, 3}, {"room", 4, 5}}));
  EXPECT_EQ(result.candidates[0].occurrences, 1u);
  const annotated_utterance& second = result.candidates[1].example;
  EXPECT_EQ(second.tokens, turns[1].tokens);
  EXPECT_EQ(second.intent, "play_music");
  EXPECT_EQ(second.slots, (std::vector<slot_span>{{"genre", 2, 3}, {"room", 4, 5}}));
}

TEST(HarvestPipeline, ChainsStopAtLinksThatAreNotParaphrases) {
  const std::vector<turn> turns{
      make_turn("t1", "bob", "s", 0, "weather rome", true, "x"),
      make_turn("t2", "bob", "s", 5, "wake me up at seven", true, "x"),
      make_turn("t3", "bob", "s", 9, "set an alarm for seven", false, "set_alarm",
                {{"time", 4, 5}}),
      make_turn("t4", "bob", "s", 20, "what about tomorrow", false, "weather"),
  };
  // t1 -> t2 is not a rephrase (a new request); t2 -> t3 is. t3 -> t4 is never scored: t3 did
  // not fail.
  paraphrase_table paraphrase{{{{"t1", "t2"}, 0.2}, {{"t2", "t3"}, 0.9}, {{"t3", "t4"}, 1.0}}};
  const harvest_settings settings = single_vote_settings();
  harvest_result result = run_harvest(turns, paraphrase, label_friction, settings);
  EXPECT_EQ(result.summary.pairs, 3u);
  EXPECT_EQ(result.summary.paraphrases, 1u);
  EXPECT_EQ(result.summary.chains, 1u);
  ASSERT_EQ(result.candidates.size(), 1u);
  EXPECT_EQ(result.candidates[0].example.tokens, turns[1].tokens);
  EXPECT_EQ(result.candidates[0].example.intent, "set_alarm");

  // The paraphrase threshold is inclusive.
  paraphrase.scores[{"t1", "t2"}] = 0.5;
  result = run_harvest(turns, paraphrase, label_friction, settings);
  EXPECT_EQ(result.summary.paraphrases, 2u);
  EXPECT_EQ(result.summary.chains, 2u);
}

TEST(HarvestPipeline, NoSuccessNoGapNoVote) {
  const harvest_settings settings = single_vote_settings();  // max_gap 60
  // Every rephrase fails too: no chain reaches a success.
  std::vector<turn> turns{make_turn("a1", "u", "s", 0, "one two", true, "x"),
                          make_turn("a2", "u", "s", 10, "three four", true, "x"),
                          // Too late to pair with a2 (61 s after).
                          make_turn("a3", "u", "s", 71, "five six", false, "ok")};
  harvest_result result = run_harvest(turns, same_length, label_friction, settings);
  EXPECT_EQ(result.summary.pairs, 1u);
  EXPECT_EQ(result.summary.paraphrases, 1u);
  EXPECT_EQ(result.summary.chains, 0u);
  EXPECT_TRUE(result.candidates.empty());

  // Other sessions and users never chain.
  turns = {make_turn("b1", "u", "s1", 0, "one two", true, "x"),
           make_turn("b2", "u", "s2", 1, "three four", false, "ok"),
           make_turn("b3", "v", "s1", 2, "five six", false, "ok")};
  result = run_harvest(turns, same_length, label_friction, settings);
  EXPECT_EQ(result.summary.pairs, 0u);
  EXPECT_EQ(result.summary.chains, 0u);
}

TEST(HarvestPipeline, SuccessWithoutIntentOrUnalignableSlotIsRejected) {
  const harvest_settings settings = single_vote_settings(0.0);
  const std::vector<turn> turns{
      make_turn("a1", "u", "s", 0, "lights off", true, "x"),
      make_turn("a2", "u", "s", 1, "switch lights off", false, ""),  // no intent
      make_turn("b1", "v", "s", 0, "zzz qqq", true, "x"),
      // The slot word has nothing close in "zzz qqq".
      make_turn("b2", "v", "s", 1, "play beethoven", false, "play_music", {{"artist", 1, 2}}),
  };
  const paraphrase_table paraphrase{{{{"a1", "a2"}, 1.0}, {{"b1", "b2"}, 1.0}}};
  const harvest_result result = run_harvest(turns, paraphrase, label_friction, settings);
  EXPECT_EQ(result.summary.chains, 2u);
  EXPECT_EQ(result.summary.projections, 0u);
  EXPECT_EQ(result.summary.rejected_projections, 2u);
  // Rejected projections are occurrences without an ok projection: no candidate.
  EXPECT_EQ(result.summary.utterances, 0u);
  EXPECT_TRUE(result.candidates.empty());
}

// `users` users each fail on "tune jazz now" and succeed with "play jazz now" in their own
// session; `wrong` more users succeed with another intent.
std::vector<turn> repeated_rephrases(int users, int wrong) {
  std::vector<turn> turns;
  for (int u = 0; u < users + wrong; ++u) {
    const std::string user = fmt::format("user{}", u);
    const std::string intent = u < users ? "play_music" : "play_radio";
    turns.push_back(make_turn(user + "a", user, "s", 100.0 * u, "tune jazz now", true, "x"));
    turns.push_back(make_turn(user + "b", user, "s", 100.0 * u + 3, "play jazz now", false, intent,
                              {{"genre", 1, 2}}));
  }
  return turns;
}

TEST(HarvestPipeline, CorroboratesAcrossUsersWithDefaultThresholds) {
  harvest_result result = run_harvest(repeated_rephrases(8, 2), same_length, label_friction);
  ASSERT_EQ(result.candidates.size(), 1u);
  const corroborated_example& example = result.candidates[0];
  EXPECT_EQ(example.occurrences, 10u);
  EXPECT_EQ(example.agreeing, 8u);
  EXPECT_EQ(example.users, 8u);
  EXPECT_TRUE(example.kept);
  EXPECT_EQ(example.example.intent, "play_music");
  EXPECT_EQ(example.example.slots, (std::vector<slot_span>{{"genre", 1, 2}}));
  EXPECT_EQ(result.summary.kept, 1u);
  EXPECT_EQ(result.summary.utterances, 1u);
  EXPECT_EQ(result.summary.projections, 10u);

  // 7 of 10 agree: not kept.
  result = run_harvest(repeated_rephrases(7, 3), same_length, label_friction);
  ASSERT_EQ(result.candidates.size(), 1u);
  EXPECT_FALSE(result.candidates[0].kept);
  EXPECT_EQ(result.summary.kept, 0u);
}

TEST(HarvestPipeline, FrictionThresholdIsInclusive) {
  const std::vector<turn> turns = repeated_rephrases(10, 0);
  harvest_settings settings;
  settings.friction_threshold = 0.9;  // label_friction gives exactly 0.9 to failed turns
  EXPECT_EQ(run_harvest(turns, same_length, label_friction, settings).summary.frictions, 10u);
  settings.friction_threshold = 0.91;
  EXPECT_EQ(run_harvest(turns, same_length, label_friction, settings).summary.frictions, 0u);
}

TEST(HarvestPipeline, ReportsProgressForEveryStage) {
  std::vector<std::string> stages;
  std::map<std::string, std::pair<std::size_t, std::size_t>> last;
  run_harvest(repeated_rephrases(10, 0), same_length, label_friction, {},
              [&](const char* stage, std::size_t done, std::size_t total) {
                if (stages.empty() || stages.back() != stage) stages.push_back(stage);
                EXPECT_LE(done, total);
                last[stage] = {done, total};
              });
  EXPECT_EQ(stages, (std::vector<std::string>{"pairing", "friction", "paraphrase", "projection",
                                              "corroboration"}));
  for (const auto& [stage, counts] : last) EXPECT_EQ(counts.first, counts.second) << stage;
  EXPECT_EQ(last["friction"].second, 20u);
  EXPECT_EQ(last["paraphrase"].second, 10u);
}

TEST(HarvestPipeline, RejectsThresholdsOutsideTheUnitInterval) {
  const std::vector<turn> turns = repeated_rephrases(1, 0);
  harvest_settings settings;
  settings.paraphrase_threshold = 1.5;
  EXPECT_THROW(run_harvest(turns, same_length, label_friction, settings), input_error);
  settings = {};
  settings.friction_threshold = -0.1;
  EXPECT_THROW(run_harvest(turns, same_length, label_friction, settings), input_error);
  settings = {};
  settings.max_gap = -1;
  EXPECT_THROW(run_harvest(turns, same_length, label_friction, settings), input_error);
}

// The pipeline's chain resolution against a literal walk: from every flagged turn that starts a
// rephrase pair, follow rephrase pairs through flagged turns to the first unflagged one; each
// failed turn met on the way votes once.
TEST(HarvestPipeline, AgreesWithAWalkOfEveryChainOnRandomLogs) {
  std::mt19937_64 generator(31);
  const std::vector<std::string> texts{"play jazz",   "put on jazz", "play some jazz",
                                       "jazz please", "lights off",  "turn lights off"};
  for (int round = 0; round < 60; ++round) {
    std::vector<turn> turns;
    const int size = std::uniform_int_distribution<int>(0, 120)(generator);
    for (int i = 0; i < size; ++i) {
      const bool failed = generator() % 3 != 0;
      turns.push_back(
          make_turn(fmt::format("t{}", i), fmt::format("u{}", generator() % 4),
                    fmt::format("s{}", generator() % 2), double(generator() % 40) * 5.0,
                    texts[generator() % texts.size()], failed, failed ? "bad" : "good",
                    failed ? std::vector<slot_span>{} : std::vector<slot_span>{{"thing", 0, 1}}));
    }
    // A pseudo-random but fixed paraphrase relation over ids.
    const auto paraphrase = [](const turn& a, const turn& b) {
      return double((std::hash<std::string>{}(a.id + "|" + b.id) % 100)) / 100.0;
    };
    harvest_settings settings = single_vote_settings();
    settings.max_gap = 20;
    settings.corroboration.min_occurrences = 2;
    const harvest_result fast = run_harvest(turns, paraphrase, label_friction, settings);

    const std::vector<turn_pair> pairs = pair_turns(turns, settings.max_gap);
    std::map<std::size_t, std::size_t> next;
    for (const turn_pair& p : pairs) next[p.first] = p.second;
    const auto failed = [&](std::size_t t) { return label_friction(turns[t]) >= 0.5; };
    const auto rephrase = [&](std::size_t t) {
      const auto found = next.find(t);
      return found != next.end() && failed(t) && paraphrase(turns[t], turns[found->second]) >= 0.5;
    };
    std::map<std::size_t, std::size_t> success_of;
    for (std::size_t start = 0; start < turns.size(); ++start) {
      if (!failed(start) || !rephrase(start)) continue;
      std::vector<std::size_t> chain{start};
      std::size_t at = start;
      bool reached = false;
      while (rephrase(at)) {
        at = next[at];
        if (!failed(at)) {
          reached = true;
          break;
        }
        chain.push_back(at);
      }
      if (!reached) continue;
      for (const std::size_t t : chain) {
        const auto [it, inserted] = success_of.emplace(t, at);
        if (!inserted) {
          EXPECT_EQ(it->second, at);  // a turn has one success, whatever the start
        }
      }
    }
    std::vector<projection_vote> votes;
    for (const auto& [failed_turn, success] : success_of) {
      const projection_result p =
          project({turns[success].tokens, turns[success].nlu.intent, turns[success].nlu.slots},
                  turns[failed_turn].tokens);
      votes.push_back(
          {turns[failed_turn].user, {turns[failed_turn].tokens, p.intent, p.slots}, p.ok});
    }
    const std::vector<corroborated_example> slow = corroborate(votes, settings.corroboration);
    SCOPED_TRACE(fmt::format("round {}", round));
    EXPECT_EQ(fast.summary.chains, success_of.size());
    ASSERT_EQ(fast.candidates.size(), slow.size());
    for (std::size_t i = 0; i < slow.size(); ++i) {
      EXPECT_EQ(fast.candidates[i].example, slow[i].example);
      EXPECT_EQ(fast.candidates[i].occurrences, slow[i].occurrences);
      EXPECT_EQ(fast.candidates[i].users, slow[i].users);
      EXPECT_EQ(fast.candidates[i].kept, slow[i].kept);
    }
  }
}

TEST(HarvestPipeline, HandlesHundredsOfThousandsOfTurnsInSeconds) {
  // 200,000 turns: 50,000 sessions of fail, fail, succeed, unrelated.
  std::vector<turn> turns;
  turns.reserve(200000);
  for (int s = 0; s < 50000; ++s) {
    const std::string user = fmt::format("u{}", s % 2000);
    const std::string session = std::to_string(s);
    const double t0 = 1000.0 * s;
    turns.push_back(make_turn("", user, session, t0, "tune jazz now", true, "x"));
    turns.push_back(make_turn("", user, session, t0 + 5, "put jazz on", true, "x"));
    turns.push_back(make_turn("", user, session, t0 + 9, "play jazz now", false, "play_music",
                              {{"genre", 1, 2}}));
    turns.push_back(make_turn("", user, session, t0 + 15, "thanks", false, "thanks"));
  }
  const auto start = std::chrono::steady_clock::now();
  const harvest_result result = run_harvest(turns, same_length, label_friction);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.summary.pairs, 150000u);
  EXPECT_EQ(result.summary.frictions, 100000u);
  EXPECT_EQ(result.summary.chains, 100000u);
  EXPECT_EQ(result.summary.kept, 2u);  // "tune jazz now" and "put jazz on", 2,000 users each
  EXPECT_LT(seconds, 20.0);
  RecordProperty("seconds", std::to_string(seconds));
}

}  // namespace
}  // namespace frugal::harvest
