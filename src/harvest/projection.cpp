// Label projection (frugal/harvest/projection.hpp): the fast path. The rules are stated once in
// harvest/projection_reference.hpp, whose plain implementation the tests and the fuzzer compare
// this one with, pair for pair.
//
// What makes it fast (bench/harvest_projection.cpp): words are interned once per thread
// (word_vocabulary caches raw spelling -> id, so a repeated word is one probe of its table),
// equal normal forms short-circuit to distance 0, a length-difference lower bound skips pairs
// that cannot be within the threshold or cannot beat the best candidate so far, the source word
// is indexed once as a bit-parallel pattern (Myers/Hyyrö) for all target words, distances are
// memoised per call, and every buffer is reused across calls.

#include "frugal/harvest/projection.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/edit_distance.hpp"
#include "frugal/harvest/text.hpp"
#include "harvest/projection_reference.hpp"

namespace frugal::harvest {
namespace {

constexpr int none = -1;

// One per thread: its vocabulary and buffers survive between calls.
class projector {
 public:
  projection_result run(const annotated_utterance& source,
                        const std::vector<std::string>& target_tokens,
                        const projection_settings& settings);

 private:
  void prepare(const annotated_utterance& source, const std::vector<std::string>& target_tokens);
  std::size_t distance(std::size_t i, std::size_t j);
  // Free target words within the threshold at the smallest relative distance, into
  // candidates_ in increasing order.
  void find_best(std::size_t i, bool leftmost_only);
  void align(std::size_t i, std::size_t j) {
    aligned_to_[i] = static_cast<int>(j);
    taken_by_[j] = static_cast<int>(i);
  }
  // Slot-first, in two passes over the slots: words with a single best target word first, then
  // the ties (deferred_), each placed by an aligned neighbour.
  void align_unique_slot_words(const slot_span& slot, std::size_t slot_index);
  void resolve_tie(std::size_t i, const slot_span& slot);
  void rescue_slot_words(const slot_span& slot);
  // Source slot indices by start; throws input_error when the slots are not valid.
  void order_slots(const annotated_utterance& source);
  projection_result spans_from_alignment(const annotated_utterance& source);

  struct target_span {
    std::size_t slot, start, end;
  };

  word_vocabulary vocabulary_;
  std::size_t n_ = 0, m_ = 0;
  double threshold_ = 0;
  std::vector<std::uint32_t> source_ids_, target_ids_;
  std::vector<std::span<const std::uint32_t>> source_chars_, target_chars_;
  std::vector<std::uint64_t> signatures_;  // by word id
  std::vector<std::uint64_t> source_signatures_, target_signatures_;
  std::vector<int> aligned_to_, taken_by_, distances_;
  struct tied_word {
    std::size_t word, slot;
  };
  std::vector<std::size_t> candidates_, slot_order_;
  std::vector<tied_word> deferred_;
  std::vector<char> in_slot_;
  std::vector<target_span> spans_;
  bit_parallel_pattern pattern_;
  std::size_t pattern_word_ = 0;
  bool pattern_valid_ = false;
};

void projector::prepare(const annotated_utterance& source,
                        const std::vector<std::string>& target_tokens) {
  // Ids are dense and only meaningful within one call: start afresh before the vocabulary of a
  // long-lived thread grows without bound.
  if (vocabulary_.size() > (std::size_t{1} << 20) ||
      vocabulary_.spellings() > (std::size_t{1} << 21)) {
    vocabulary_ = word_vocabulary{};
    signatures_.clear();
  }
  n_ = source.tokens.size();
  m_ = target_tokens.size();
  source_ids_.resize(n_);
  target_ids_.resize(m_);
  for (std::size_t i = 0; i < n_; ++i) source_ids_[i] = vocabulary_.id(source.tokens[i]);
  for (std::size_t j = 0; j < m_; ++j) target_ids_[j] = vocabulary_.id(target_tokens[j]);
  // Spans only after every id exists: interning may move the vocabulary's storage.
  source_chars_.resize(n_);
  target_chars_.resize(m_);
  // Signatures of new words: which of 64 classes (code point mod 64) each word's characters fall
  // in.
  for (std::size_t id = signatures_.size(); id < vocabulary_.size(); ++id) {
    std::uint64_t signature = 0;
    for (const std::uint32_t c : vocabulary_.code_points(std::uint32_t(id)))
      signature |= std::uint64_t{1} << (c & 63);
    signatures_.push_back(signature);
  }
  source_signatures_.resize(n_);
  target_signatures_.resize(m_);
  for (std::size_t i = 0; i < n_; ++i) {
    source_chars_[i] = vocabulary_.code_points(source_ids_[i]);
    source_signatures_[i] = signatures_[source_ids_[i]];
  }
  for (std::size_t j = 0; j < m_; ++j) {
    target_chars_[j] = vocabulary_.code_points(target_ids_[j]);
    target_signatures_[j] = signatures_[target_ids_[j]];
  }
  aligned_to_.assign(n_, none);
  taken_by_.assign(m_, none);
  distances_.assign(n_ * m_, none);
  pattern_valid_ = false;
}

std::size_t projector::distance(std::size_t i, std::size_t j) {
  int& known = distances_[i * m_ + j];
  if (known != none) return static_cast<std::size_t>(known);
  const std::span<const std::uint32_t> word = source_chars_[i];
  std::size_t result = 0;
  if (word.empty() || word.size() > 64) {
    result = levenshtein(word, target_chars_[j]);
  } else {
    if (!pattern_valid_ || pattern_word_ != i) {
      pattern_.assign(word);
      pattern_word_ = i;
      pattern_valid_ = true;
    }
    result = pattern_.distance(target_chars_[j]);
  }
  known = static_cast<int>(result);
  return result;
}

void projector::find_best(std::size_t i, bool leftmost_only) {
  candidates_.clear();
  std::size_t best_distance = 0, best_length = 0;
  const std::size_t source_length = source_chars_[i].size();
  for (std::size_t j = 0; j < m_; ++j) {
    if (taken_by_[j] != none) continue;
    const std::size_t target_length = target_chars_[j].size();
    const std::size_t length = std::max(source_length, target_length);
    std::size_t d = 0;
    if (source_ids_[i] != target_ids_[j]) {
      // A lower bound on d: the length difference, and the number of character classes one
      // word has and the other lacks (each needs its own substitution or deletion). Pairs that
      // cannot pass the threshold or cannot tie the best so far are skipped without a distance.
      const std::uint64_t a = source_signatures_[i], b = target_signatures_[j];
      const std::size_t bound =
          std::max({source_length > target_length ? source_length - target_length
                                                  : target_length - source_length,
                    std::size_t(std::popcount(a & ~b)), std::size_t(std::popcount(b & ~a))});
      if (!detail::within_threshold(bound, length, threshold_)) continue;
      if (!candidates_.empty() && bound * best_length > best_distance * length) continue;
      d = distance(i, j);
      if (!detail::within_threshold(d, length, threshold_)) continue;
    }
    if (candidates_.empty() || d * best_length < best_distance * length) {
      candidates_.assign(1, j);
      best_distance = d;
      best_length = length;
      // Nothing beats an identical word, and ties go left: the first is the answer.
      if (leftmost_only && d == 0) return;
    } else if (d * best_length == best_distance * length) {
      candidates_.push_back(j);
    }
  }
}

void projector::align_unique_slot_words(const slot_span& slot, std::size_t slot_index) {
  for (std::size_t i = slot.start; i < slot.end; ++i) {
    find_best(i, false);
    if (candidates_.size() == 1)
      align(i, candidates_[0]);
    else if (candidates_.size() > 1)
      deferred_.push_back({i, slot_index});
  }
}

void projector::resolve_tie(std::size_t i, const slot_span& slot) {
  find_best(i, false);
  if (candidates_.empty()) return;
  // The nearest aligned word of the same slot (the earlier one on a tie) predicts where this one
  // should land; without one, the nearest aligned word of any slot does, so that a word said
  // twice ("zeige die zeige from south africa") goes beside the slot it belongs with.
  const auto nearest_aligned = [&](std::size_t from, std::size_t to, bool slot_words_only) {
    std::size_t anchor = n_;
    for (std::size_t k = from; k < to; ++k) {
      if (aligned_to_[k] == none || (slot_words_only && !in_slot_[k])) continue;
      const std::size_t gap = k < i ? i - k : k - i;
      if (anchor == n_ || gap < (anchor < i ? i - anchor : anchor - i)) anchor = k;
    }
    return anchor;
  };
  std::size_t anchor = nearest_aligned(slot.start, slot.end, false);
  if (anchor == n_) anchor = nearest_aligned(0, n_, true);
  if (anchor == n_) {
    align(i, candidates_[0]);
    return;
  }
  const long expected = long(aligned_to_[anchor]) + (long(i) - long(anchor));
  std::size_t pick = candidates_[0];
  for (const std::size_t j : candidates_)
    if (std::labs(long(j) - expected) < std::labs(long(pick) - expected)) pick = j;
  align(i, pick);
}

void projector::rescue_slot_words(const slot_span& slot) {
  // Left to right from the left neighbour, then right to left from the right neighbour.
  for (std::size_t i = slot.start; i < slot.end; ++i) {
    if (aligned_to_[i] != none || i == 0 || aligned_to_[i - 1] == none) continue;
    const std::size_t j = std::size_t(aligned_to_[i - 1]) + 1;
    if (j < m_ && taken_by_[j] == none && distance(i, j) <= 1) align(i, j);
  }
  for (std::size_t i = slot.end; i-- > slot.start;) {
    if (aligned_to_[i] != none || i + 1 >= n_ || aligned_to_[i + 1] == none ||
        aligned_to_[i + 1] == 0)
      continue;
    const std::size_t j = std::size_t(aligned_to_[i + 1]) - 1;
    if (taken_by_[j] == none && distance(i, j) <= 1) align(i, j);
  }
}

projection_result projector::run(const annotated_utterance& source,
                                 const std::vector<std::string>& target_tokens,
                                 const projection_settings& settings) {
  const std::vector<slot_span>& slots = source.slots;
  order_slots(source);
  prepare(source, target_tokens);
  threshold_ = settings.max_relative_distance;

  if (settings.method == projection_method::greedy) {
    for (std::size_t i = 0; i < n_; ++i) {
      find_best(i, true);
      if (!candidates_.empty()) align(i, candidates_[0]);
    }
  } else {
    in_slot_.assign(n_, 0);
    deferred_.clear();
    for (const std::size_t s : slot_order_) {
      align_unique_slot_words(slots[s], s);
      std::fill(in_slot_.begin() + slots[s].start, in_slot_.begin() + slots[s].end, 1);
    }
    for (const tied_word& tied : deferred_) resolve_tie(tied.word, slots[tied.slot]);
    for (std::size_t i = 0; i < n_; ++i) {
      if (in_slot_[i]) continue;
      find_best(i, true);
      if (!candidates_.empty()) align(i, candidates_[0]);
    }
    for (const std::size_t s : slot_order_) rescue_slot_words(slots[s]);
  }
  return spans_from_alignment(source);
}

void projector::order_slots(const annotated_utterance& source) {
  const std::vector<slot_span>& slots = source.slots;
  slot_order_.resize(slots.size());
  for (std::size_t s = 0; s < slots.size(); ++s) slot_order_[s] = s;
  // Insertion sort, stable: slots usually arrive sorted and there are few.
  for (std::size_t k = 1; k < slot_order_.size(); ++k)
    for (std::size_t at = k;
         at > 0 && slots[slot_order_[at]].start < slots[slot_order_[at - 1]].start; --at)
      std::swap(slot_order_[at], slot_order_[at - 1]);
  bool valid = true;
  for (std::size_t k = 0; k < slot_order_.size() && valid; ++k) {
    const slot_span& slot = slots[slot_order_[k]];
    valid = !slot.type.empty() && slot.start < slot.end && slot.end <= source.tokens.size() &&
            (k == 0 || slots[slot_order_[k - 1]].end <= slot.start);
  }
  if (!valid)
    throw input_error("label projection: invalid source slots: " +
                      slot_problem(slots, source.tokens.size()));
}

projection_result projector::spans_from_alignment(const annotated_utterance& source) {
  projection_result result;
  result.intent = source.intent;
  spans_.clear();
  for (const std::size_t s : slot_order_) {
    const slot_span& slot = source.slots[s];
    std::size_t low = m_, high = 0;
    for (std::size_t i = slot.start; i < slot.end; ++i) {
      if (aligned_to_[i] == none) continue;
      low = std::min(low, std::size_t(aligned_to_[i]));
      high = std::max(high, std::size_t(aligned_to_[i]));
    }
    if (low == m_) {
      result.reason = detail::unaligned_slot_reason(slot.type);
      return result;
    }
    spans_.push_back({s, low, high + 1});
  }
  // Stable insertion sort by start: equal starts keep source order.
  for (std::size_t k = 1; k < spans_.size(); ++k)
    for (std::size_t at = k; at > 0 && spans_[at].start < spans_[at - 1].start; --at)
      std::swap(spans_[at], spans_[at - 1]);
  for (std::size_t k = 1; k < spans_.size(); ++k) {
    if (spans_[k].start < spans_[k - 1].end) {
      result.reason = detail::overlapping_slots_reason(source.slots[spans_[k - 1].slot].type,
                                                       source.slots[spans_[k].slot].type);
      return result;
    }
  }
  result.slots.reserve(spans_.size());
  for (const target_span& span : spans_)
    result.slots.push_back({source.slots[span.slot].type, static_cast<std::uint32_t>(span.start),
                            static_cast<std::uint32_t>(span.end)});
  result.ok = true;
  return result;
}

}  // namespace

projection_result project(const annotated_utterance& source,
                          const std::vector<std::string>& target_tokens,
                          const projection_settings& settings) {
  thread_local projector instance;
  return instance.run(source, target_tokens, settings);
}

}  // namespace frugal::harvest
