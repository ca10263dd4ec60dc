// Candidate rephrase pairs: consecutive turns of one (user, session) within max_gap seconds.
//
// Users and sessions are interned first so that the big sort compares integers and doubles, not
// strings: O(n) hashing, O(g log g) string comparisons for g distinct (user, session) groups and
// one O(n log n) sort of (group rank, time, file position) triples.

#include "frugal/harvest/pairing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "frugal/error.hpp"

namespace frugal::harvest {
namespace {

struct group_key {
  std::string_view user;
  std::string_view session;
  bool operator==(const group_key&) const = default;
};

struct group_key_hash {
  std::size_t operator()(const group_key& key) const noexcept {
    const std::size_t user = std::hash<std::string_view>{}(key.user);
    const std::size_t session = std::hash<std::string_view>{}(key.session);
    return user ^ (session + 0x9e3779b97f4a7c15ULL + (user << 6) + (user >> 2));
  }
};

struct ordered_turn {
  std::uint32_t group_rank;
  double time;
  std::size_t index;  // file order breaks ties in time
};

}  // namespace

std::vector<turn_pair> pair_turns(std::span<const turn> turns, double max_gap) {
  if (!(max_gap >= 0.0))
    throw input_error(
        "pairing: the maximum gap between turns must be a non-negative number of "
        "seconds");
  std::unordered_map<group_key, std::uint32_t, group_key_hash> group_of;
  group_of.reserve(turns.size() / 4 + 1);
  std::vector<group_key> groups;
  std::vector<std::uint32_t> turn_group(turns.size());
  for (std::size_t i = 0; i < turns.size(); ++i) {
    // NaN times would break the sort's strict weak ordering; the log reader never produces them.
    if (!std::isfinite(turns[i].time))
      throw input_error("pairing: turn " + turns[i].id + " has a time that is not finite");
    const group_key key{turns[i].user, turns[i].session};
    const auto [found, inserted] = group_of.try_emplace(key, std::uint32_t(groups.size()));
    if (inserted) groups.push_back(key);
    turn_group[i] = found->second;
  }

  // Rank groups by (user, session) so that the pairs come out in that order.
  std::vector<std::uint32_t> by_name(groups.size());
  for (std::uint32_t g = 0; g < by_name.size(); ++g) by_name[g] = g;
  std::sort(by_name.begin(), by_name.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::tie(groups[a].user, groups[a].session) <
           std::tie(groups[b].user, groups[b].session);
  });
  std::vector<std::uint32_t> rank(groups.size());
  for (std::uint32_t r = 0; r < by_name.size(); ++r) rank[by_name[r]] = r;

  std::vector<ordered_turn> order(turns.size());
  for (std::size_t i = 0; i < turns.size(); ++i) order[i] = {rank[turn_group[i]], turns[i].time, i};
  std::sort(order.begin(), order.end(), [](const ordered_turn& a, const ordered_turn& b) {
    return std::tie(a.group_rank, a.time, a.index) < std::tie(b.group_rank, b.time, b.index);
  });

  std::vector<turn_pair> pairs;
  for (std::size_t k = 1; k < order.size(); ++k) {
    const ordered_turn& previous = order[k - 1];
    const ordered_turn& next = order[k];
    if (previous.group_rank == next.group_rank && next.time - previous.time <= max_gap)
      pairs.push_back({previous.index, next.index});
  }
  return pairs;
}

}  // namespace frugal::harvest
