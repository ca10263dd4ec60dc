// The harvest simulator (frugal/harvest/simulation.hpp): the head/tail split of carrier phrases,
// determinism, a log that the interaction-log parser accepts, rephrase chains, friction labels
// that agree with the truth, and failed utterances that recur enough for corroboration.

#include "frugal/harvest/simulation.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/interaction_log.hpp"

namespace frugal::harvest {
namespace {

// SLURP devel is read once for the whole suite (about a second).
const std::vector<annotated_utterance>& slurp_devel() {
  static const std::vector<annotated_utterance> data =
      read_slurp(std::string(FRUGAL_SHARED_DATA_DIR) + "/slurp/devel.jsonl");
  return data;
}

struct small_world {
  simulation_world world;
  nlu_model model;
};

const small_world& trained_world() {
  static const small_world state = [] {
    small_world s{simulation_world::build(slurp_devel(), 3), {}};
    s.model = nlu_model::train(s.world.head_training_data(1, 3));
    return s;
  }();
  return state;
}

simulation_settings small_traffic(std::uint64_t seed) {
  simulation_settings settings;
  settings.turns = 20000;
  settings.users = 200;
  settings.seed = seed;
  return settings;
}

TEST(HarvestSimulationWorld, SplitsEachGroupOfCarriersInHalf) {
  const simulation_world world = simulation_world::build(slurp_devel(), 3);
  ASSERT_GT(world.carriers().size(), 1000u);
  std::size_t tails = 0;
  for (const auto& members : world.groups()) {
    std::size_t tail = 0;
    for (const std::size_t c : members) {
      tail += world.carriers()[c].tail;
      EXPECT_EQ(world.carriers()[c].intent, world.carriers()[members.front()].intent);
    }
    EXPECT_EQ(tail, members.size() / 2) << "a group of " << members.size();
    tails += tail;
  }
  EXPECT_EQ(tails, world.tail_carriers());
  // Every carrier refilled with its own values is the utterance it came from, and is found.
  std::set<std::string> keys;
  for (std::size_t c = 0; c < world.carriers().size(); ++c) {
    const annotated_utterance own = world.own_utterance(c);
    EXPECT_EQ(slot_problem(own.slots, own.tokens.size()), "");
    EXPECT_EQ(carrier_key(own), world.carriers()[c].key);
    EXPECT_EQ(world.kind_of(own), world.carriers()[c].tail ? phrase_kind::tail : phrase_kind::head);
    EXPECT_TRUE(keys.insert(world.carriers()[c].key).second) << "duplicate carrier";
  }
  // A different seed splits differently; the same seed the same way.
  const simulation_world again = simulation_world::build(slurp_devel(), 3);
  const simulation_world other = simulation_world::build(slurp_devel(), 4);
  std::size_t same = 0, differ = 0;
  for (std::size_t c = 0; c < world.carriers().size(); ++c) {
    same += world.carriers()[c].tail == again.carriers()[c].tail;
    differ += world.carriers()[c].tail != other.carriers()[c].tail;
  }
  EXPECT_EQ(same, world.carriers().size());
  EXPECT_GT(differ, 100u);
  // Training data never contains a tail carrier.
  for (const annotated_utterance& u : world.head_training_data(2, 1))
    EXPECT_EQ(world.kind_of(u), phrase_kind::head);
}

TEST(HarvestSimulation, SameSeedSameBytesAndTheLogParses) {
  const small_world& s = trained_world();
  const std::string a = simulated_log_text(simulate_log(s.world, s.model, small_traffic(5)));
  const std::string b = simulated_log_text(simulate_log(s.world, s.model, small_traffic(5)));
  const std::string c = simulated_log_text(simulate_log(s.world, s.model, small_traffic(6)));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  log_read_options options;
  options.require_friction = true;
  const interaction_log log = parse_interaction_log(a, "sim.jsonl", options);
  EXPECT_GE(log.turns.size(), 20000u);
  EXPECT_EQ(log.skipped, 0u);
}

TEST(HarvestSimulation, FrictionIsTheTruthAndChainsRephrase) {
  const small_world& s = trained_world();
  const simulated_log log = simulate_log(s.world, s.model, small_traffic(5));
  std::size_t frictions = 0, failed_statuses_200 = 0, noisy = 0;
  for (const simulated_turn& t : log.turns) {
    ASSERT_EQ(t.truth.tokens, t.logged.tokens);
    const bool wrong = !nlu_model::correct(s.model.predict(t.logged.tokens), t.truth);
    ASSERT_TRUE(t.logged.friction.has_value());
    EXPECT_EQ(*t.logged.friction, wrong);
    if (!wrong) {
      EXPECT_EQ(t.logged.status, "200");
    }
    frictions += wrong;
    failed_statuses_200 += wrong && t.logged.status == "200";
    noisy += t.noisy;
  }
  // Friction is common but not the rule, and not simply the status code.
  EXPECT_GT(frictions, log.turns.size() / 20);
  EXPECT_LT(frictions, log.turns.size() / 2);
  EXPECT_GT(failed_statuses_200, frictions / 10);
  EXPECT_NEAR(double(noisy) / double(log.turns.size()), 0.1, 0.01);

  // Chains: a failed turn followed seconds later in the same session by the same request
  // (intent and slot values) in other words.
  std::size_t chains = 0, other_words = 0;
  std::map<std::pair<std::string, std::string>, const simulated_turn*> last;
  for (const simulated_turn& t : log.turns) {
    const auto key = std::make_pair(t.logged.user, t.logged.session);
    const auto found = last.find(key);
    if (found != last.end() && t.attempt > 1) {
      const simulated_turn& before = *found->second;
      EXPECT_TRUE(before.logged.friction.value());
      EXPECT_EQ(before.truth.intent, t.truth.intent);
      EXPECT_EQ(slot_values(before.truth).size(), slot_values(t.truth).size());
      EXPECT_LE(t.logged.time - before.logged.time, 12.0);
      ++chains;
      other_words += utterance_key(before.truth.tokens) != utterance_key(t.truth.tokens);
    }
    last[key] = &t;
  }
  EXPECT_GT(chains, 1000u);
  EXPECT_GT(other_words, chains / 2);
  EXPECT_GT(log.chains, 0u);
  EXPECT_LE(log.chains, log.failed_requests);
}

TEST(HarvestSimulation, FailedTailUtterancesRecurAcrossUsers) {
  const small_world& s = trained_world();
  const simulated_log log = simulate_log(s.world, s.model, small_traffic(5));
  std::unordered_map<std::string, std::pair<std::size_t, std::set<std::string>>> failed;
  for (const simulated_turn& t : log.turns)
    if (t.tail && !t.noisy && t.logged.friction.value()) {
      auto& entry = failed[utterance_key(t.truth.tokens)];
      ++entry.first;
      entry.second.insert(t.logged.user);
    }
  std::size_t corroborable = 0;
  for (const auto& [key, entry] : failed)
    corroborable += entry.first >= 10 && entry.second.size() >= 3;
  // 20,000 turns already give dozens of failed tail utterances that corroboration can keep.
  EXPECT_GT(corroborable, 20u);
}

TEST(HarvestSimulation, RejectsImpossibleSettings) {
  const small_world& s = trained_world();
  simulation_settings settings = small_traffic(1);
  settings.users = 0;
  EXPECT_THROW(simulate_log(s.world, s.model, settings), std::invalid_argument);
  EXPECT_THROW(simulate_log(simulation_world{}, s.model, small_traffic(1)), std::invalid_argument);
}

}  // namespace
}  // namespace frugal::harvest
