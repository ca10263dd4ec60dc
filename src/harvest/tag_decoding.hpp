#pragma once
// Decoding a tag sequence from a tagger that scores each token's tag given the previous tag (a
// maximum-entropy Markov model, as the NLU's slot tagger is): Viterbi, and the plain enumeration
// of every sequence it is tested against.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace frugal::harvest::detail {

struct decoded_tags {
  std::vector<std::size_t> tags;        ///< one a token
  std::vector<double> log_probability;  ///< each chosen tag's, given the chosen previous tag
  double total = 0.0;                   ///< their sum: the sequence's log-probability
};

// `row(i, previous, out)` writes log P(tag | previous tag, token i) for every tag into `out`
// (size `tags`; -infinity where a tag may not follow `previous`). At i = 0, previous == tags
// stands for the sentence start and no other previous is asked for.

/// The most probable sequence, by dynamic programming over the previous tag: n x tags rows,
/// O(n x tags) memory. Ties go to the earlier previous tag and, at the end, the lower tag. When
/// no sequence is possible at all, every tag is 0 with log-probability -infinity.
template <class Row>
decoded_tags best_tag_sequence(std::size_t n, std::size_t tags, Row&& row) {
  constexpr double impossible = -std::numeric_limits<double>::infinity();
  decoded_tags result;
  if (n == 0 || tags == 0) return result;
  std::vector<double> best(tags), next(tags), local(tags);
  // For token i and tag t: the best previous tag, and t's log-probability given it.
  std::vector<std::uint32_t> previous_of(n * tags, 0);
  std::vector<double> step_of(n * tags, impossible);
  row(0, tags, std::span<double>(local));
  for (std::size_t t = 0; t < tags; ++t) {
    best[t] = local[t];
    step_of[t] = local[t];
  }
  for (std::size_t i = 1; i < n; ++i) {
    std::fill(next.begin(), next.end(), impossible);
    for (std::size_t p = 0; p < tags; ++p) {
      if (best[p] == impossible) continue;  // no sequence reaches p: skip its row
      row(i, p, std::span<double>(local));
      for (std::size_t t = 0; t < tags; ++t) {
        const double score = best[p] + local[t];
        if (score > next[t]) {
          next[t] = score;
          previous_of[i * tags + t] = static_cast<std::uint32_t>(p);
          step_of[i * tags + t] = local[t];
        }
      }
    }
    best.swap(next);
  }
  std::size_t last = 0;
  for (std::size_t t = 1; t < tags; ++t)
    if (best[t] > best[last]) last = t;
  result.tags.assign(n, 0);
  result.log_probability.assign(n, impossible);
  result.total = best[last];
  if (best[last] == impossible) return result;
  for (std::size_t i = n; i-- > 0;) {
    result.tags[i] = last;
    result.log_probability[i] = step_of[i * tags + last];
    last = previous_of[i * tags + last];
  }
  return result;
}

/// Reference: every one of tags^n sequences scored in lexicographic order, the first best kept.
/// Exponential; for tests on a few tokens only.
template <class Row>
decoded_tags best_tag_sequence_by_enumeration(std::size_t n, std::size_t tags, Row&& row) {
  decoded_tags best;
  best.total = -std::numeric_limits<double>::infinity();
  if (n == 0 || tags == 0) return best;
  std::vector<std::size_t> sequence(n, 0);
  std::vector<double> local(tags);
  while (true) {
    decoded_tags candidate;
    candidate.tags = sequence;
    for (std::size_t i = 0; i < n; ++i) {
      row(i, i == 0 ? tags : sequence[i - 1], std::span<double>(local));
      candidate.log_probability.push_back(local[sequence[i]]);
      candidate.total += local[sequence[i]];
    }
    if (best.tags.empty() || candidate.total > best.total) best = candidate;
    std::size_t k = n;
    while (k > 0 && ++sequence[k - 1] == tags) sequence[--k] = 0;
    if (k == 0) break;
  }
  return best;
}

}  // namespace frugal::harvest::detail
