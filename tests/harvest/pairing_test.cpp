// Pairing of consecutive turns (issue 8 point 1): hand-made cases, and the O(n log n)
// implementation against a brute-force reference on seeded random logs.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/pairing.hpp"

namespace frugal::harvest {
namespace {

turn make_turn(std::string user, std::string session, double time, std::string id = {}) {
  turn t;
  t.user = std::move(user);
  t.session = std::move(session);
  t.time = time;
  t.id = std::move(id);
  return t;
}

// For each turn, its successor is the turn of the same user and session that comes next in
// (time, file position) order, found by scanning everything: O(n^2), obviously right.
std::vector<turn_pair> reference_pairs(const std::vector<turn>& turns, double max_gap) {
  std::vector<turn_pair> pairs;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    std::size_t best = turns.size();
    for (std::size_t j = 0; j < turns.size(); ++j) {
      if (j == i || turns[j].user != turns[i].user || turns[j].session != turns[i].session)
        continue;
      const bool after = std::tie(turns[j].time, j) > std::tie(turns[i].time, i);
      if (after &&
          (best == turns.size() || std::tie(turns[j].time, j) < std::tie(turns[best].time, best)))
        best = j;
    }
    if (best != turns.size() && turns[best].time - turns[i].time <= max_gap)
      pairs.push_back({i, best});
  }
  std::sort(pairs.begin(), pairs.end(), [&](const turn_pair& a, const turn_pair& b) {
    const turn& x = turns[a.first];
    const turn& y = turns[b.first];
    return std::tie(x.user, x.session, x.time, a.first) <
           std::tie(y.user, y.session, y.time, b.first);
  });
  return pairs;
}

TEST(Pairing, ChainGivesConsecutivePairs) {
  const std::vector<turn> turns{make_turn("u", "s", 0), make_turn("u", "s", 10),
                                make_turn("u", "s", 25)};
  EXPECT_EQ(pair_turns(turns), (std::vector<turn_pair>{{0, 1}, {1, 2}}));
}

TEST(Pairing, UsersAndSessionsAreKeptApart) {
  // Interleaved in the file: two users, and u1 in two sessions.
  const std::vector<turn> turns{
      make_turn("u1", "a", 0),  // 0
      make_turn("u2", "a", 1),  // 1 (same session name, other user)
      make_turn("u1", "b", 2),  // 2
      make_turn("u1", "a", 3),  // 3
      make_turn("u2", "a", 4),  // 4
      make_turn("u1", "b", 5),  // 5
  };
  // Sorted by (user, session, time): u1/a, u1/b, u2/a.
  EXPECT_EQ(pair_turns(turns), (std::vector<turn_pair>{{0, 3}, {2, 5}, {1, 4}}));
}

TEST(Pairing, OutOfOrderLinesAreSortedByTimeAndTiesKeepFileOrder) {
  const std::vector<turn> turns{
      make_turn("u", "s", 30),  // 0
      make_turn("u", "s", 10),  // 1
      make_turn("u", "s", 20),  // 2
      make_turn("u", "s", 20),  // 3: same time as 2, later in the file
  };
  EXPECT_EQ(pair_turns(turns), (std::vector<turn_pair>{{1, 2}, {2, 3}, {3, 0}}));
}

TEST(Pairing, GapBoundaryIsInclusive) {
  const std::vector<turn> turns{make_turn("u", "s", 100), make_turn("u", "s", 160),
                                make_turn("u", "s", 220.5)};
  // 60 s exactly pairs; 60.5 s does not, and it breaks the chain.
  EXPECT_EQ(pair_turns(turns, 60.0), (std::vector<turn_pair>{{0, 1}}));
  EXPECT_EQ(pair_turns(turns, 60.5), (std::vector<turn_pair>{{0, 1}, {1, 2}}));
  EXPECT_EQ(pair_turns(turns, 59.999), (std::vector<turn_pair>{}));
}

TEST(Pairing, ZeroGapPairsOnlySimultaneousTurns) {
  const std::vector<turn> turns{make_turn("u", "s", 5), make_turn("u", "s", 5),
                                make_turn("u", "s", 5.001)};
  EXPECT_EQ(pair_turns(turns, 0.0), (std::vector<turn_pair>{{0, 1}}));
}

TEST(Pairing, NoTurnsOrOneTurnGiveNoPairs) {
  EXPECT_TRUE(pair_turns(std::vector<turn>{}).empty());
  EXPECT_TRUE(pair_turns(std::vector<turn>{make_turn("u", "s", 0)}).empty());
}

TEST(Pairing, RejectsNegativeOrNanGap) {
  const std::vector<turn> turns{make_turn("u", "s", 0)};
  EXPECT_THROW(pair_turns(turns, -1.0), input_error);
  EXPECT_THROW(pair_turns(turns, std::nan("")), input_error);
}

TEST(Pairing, AgreesWithBruteForceOnRandomLogs) {
  std::mt19937_64 generator(20261124);
  for (int round = 0; round < 200; ++round) {
    const std::size_t size = std::uniform_int_distribution<std::size_t>(0, 60)(generator);
    const int users = std::uniform_int_distribution<int>(1, 4)(generator);
    const int sessions = std::uniform_int_distribution<int>(1, 3)(generator);
    // Coarse times so that ties and exact-gap boundaries occur often.
    std::uniform_int_distribution<int> user(0, users - 1), session(0, sessions - 1), tick(0, 30);
    std::vector<turn> turns;
    for (std::size_t i = 0; i < size; ++i)
      turns.push_back(make_turn(fmt::format("u{}", user(generator)),
                                fmt::format("s{}", session(generator)), 5.0 * tick(generator)));
    for (const double gap : {0.0, 5.0, 20.0, 1e9}) {
      SCOPED_TRACE(fmt::format("round {} gap {}", round, gap));
      EXPECT_EQ(pair_turns(turns, gap), reference_pairs(turns, gap));
    }
  }
}

TEST(Pairing, ScalesToHundredsOfThousandsOfTurns) {
  // 400,000 turns in 40,000 sessions, shuffled: a quadratic pairing would take minutes.
  std::mt19937_64 generator(7);
  std::vector<turn> turns;
  for (int s = 0; s < 40000; ++s)
    for (int k = 0; k < 10; ++k)
      turns.push_back(
          make_turn(fmt::format("user{}", s % 5000), fmt::format("session{}", s), 10.0 * k));
  std::shuffle(turns.begin(), turns.end(), generator);
  const auto start = std::chrono::steady_clock::now();
  const std::vector<turn_pair> pairs = pair_turns(turns, 10.0);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(pairs.size(), 40000u * 9u);
  for (const turn_pair& pair : pairs) {
    ASSERT_EQ(turns[pair.first].session, turns[pair.second].session);
    ASSERT_EQ(turns[pair.second].time - turns[pair.first].time, 10.0);
  }
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace frugal::harvest
