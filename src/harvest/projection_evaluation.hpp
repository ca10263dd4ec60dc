#pragma once
// Label projection on natural paraphrase pairs (issue 8 acceptance): the pairs, the ASR-like
// noise and exact match, shared by tests/harvest/projection_slurp_test.cpp and
// bench/harvest_projection.cpp so that the test's bar and the benchmark's figures are one
// computation.
//
// Pairs: within each natural paraphrase group (same intent, same slot values, different wording:
// natural_paraphrase_groups), every ordered pair of distinct members; the source is one member
// with its gold annotation, the target the other's tokens. Exact match: the projection is ok and
// its intent and slots equal the target's gold annotation.
//
// Noise model (ASR-like, in the TARGET only): every token inside a gold slot is damaged, with
// probability `rate`, by one character edit chosen uniformly among substitution (a code point
// replaced by a different letter a-z), deletion (one code point removed; a one-code-point word is
// substituted instead, so no token becomes empty) and insertion (a letter a-z at a uniform
// position 0..length); the position is uniform over the word's code points. Pair k under seed s
// draws from random_source(s, k), so the damage does not depend on evaluation order.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/random.hpp"
#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/projection.hpp"
#include "frugal/harvest/text.hpp"

namespace frugal::harvest::detail {

struct natural_pair {
  std::size_t source = 0;  ///< index into the data
  std::size_t target = 0;
};

inline std::vector<natural_pair> natural_pairs(const std::vector<annotated_utterance>& data) {
  std::vector<natural_pair> pairs;
  for (const std::vector<std::size_t>& group : natural_paraphrase_groups(data))
    for (const std::size_t a : group)
      for (const std::size_t b : group)
        if (a != b) pairs.push_back({a, b});
  return pairs;
}

inline std::string utf8_encode(const std::vector<std::uint32_t>& code_points) {
  std::string text;
  for (const std::uint32_t c : code_points) {
    if (c < 0x80) {
      text.push_back(char(c));
    } else if (c < 0x800) {
      text.push_back(char(0xC0 | (c >> 6)));
      text.push_back(char(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      text.push_back(char(0xE0 | (c >> 12)));
      text.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      text.push_back(char(0x80 | (c & 0x3F)));
    } else {
      text.push_back(char(0xF0 | (c >> 18)));
      text.push_back(char(0x80 | ((c >> 12) & 0x3F)));
      text.push_back(char(0x80 | ((c >> 6) & 0x3F)));
      text.push_back(char(0x80 | (c & 0x3F)));
    }
  }
  return text;
}

/// One character edit of `word` (see the noise model above).
inline std::string damage_word(const std::string& word, frugal::detail::random_source& random) {
  std::vector<std::uint32_t> code_points = decode_utf8(word);
  std::uint64_t operation = random.below(3);  // 0 substitution, 1 deletion, 2 insertion
  if (operation == 1 && code_points.size() == 1) operation = 0;
  if (operation == 2) {
    const std::size_t at = random.below(code_points.size() + 1);
    code_points.insert(code_points.begin() + long(at), std::uint32_t('a' + random.below(26)));
  } else {
    const std::size_t at = random.below(code_points.size());
    if (operation == 1) {
      code_points.erase(code_points.begin() + long(at));
    } else {
      // 25 letters other than the original (all 26 when it is not a lower-case letter).
      std::uint32_t letter = std::uint32_t('a' + random.below(25));
      if (letter >= code_points[at] && code_points[at] >= 'a' && code_points[at] <= 'z') ++letter;
      code_points[at] = letter;
    }
  }
  return utf8_encode(code_points);
}

/// The target's tokens with slot words damaged at `rate` (rate 0: unchanged).
inline std::vector<std::string> damaged_tokens(const annotated_utterance& target, double rate,
                                               frugal::detail::random_source& random) {
  std::vector<std::string> tokens = target.tokens;
  if (rate <= 0) return tokens;
  for (const slot_span& slot : target.slots)
    for (std::size_t i = slot.start; i < slot.end; ++i)
      if (random.unit() < rate) tokens[i] = damage_word(tokens[i], random);
  return tokens;
}

inline bool exact_match(const projection_result& projected, const annotated_utterance& gold) {
  if (!projected.ok || projected.intent != gold.intent) return false;
  std::vector<slot_span> expected = gold.slots;
  sort_slots(expected);
  return projected.slots == expected;
}

struct projection_score {
  std::size_t pairs = 0;
  std::size_t exact = 0;
  std::size_t rejected = 0;
  std::size_t with_slots = 0;  ///< pairs whose source has a slot (the others only carry the intent)
  std::size_t exact_with_slots = 0;
  double exact_match() const { return pairs == 0 ? 0.0 : double(exact) / double(pairs); }
  double exact_match_with_slots() const {
    return with_slots == 0 ? 0.0 : double(exact_with_slots) / double(with_slots);
  }
};

/// Exact match of `project` over `pairs`, targets damaged at `rate` with `seed`.
template <class Projector>
projection_score score_projection(const std::vector<annotated_utterance>& data,
                                  const std::vector<natural_pair>& pairs, double rate,
                                  std::uint64_t seed, Projector&& project_pair) {
  projection_score score;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    frugal::detail::random_source random(seed, k);
    const annotated_utterance& target = data[pairs[k].target];
    const projection_result result =
        project_pair(data[pairs[k].source], damaged_tokens(target, rate, random));
    ++score.pairs;
    if (!result.ok) ++score.rejected;
    const bool exact = exact_match(result, target);
    score.exact += exact;
    if (!data[pairs[k].source].slots.empty()) {
      ++score.with_slots;
      score.exact_with_slots += exact;
    }
  }
  return score;
}

}  // namespace frugal::harvest::detail
