#pragma once
/// A small NLU model for the harvest simulator (issue 8 point 7): an intent classifier and a slot
/// tagger, both multinomial logistic regressions (linear_model.hpp) over the features seen in
/// training (a feature_dictionary each): a feature never seen in training contributes nothing,
/// so an unseen slot value is tagged from its context, not from weights it shares by hash.
///
/// - Intent: normalized word unigrams and bigrams (with sentence-boundary markers).
/// - Slots: a BIO tagger that scores each token's tag given the previous tag (a maximum-entropy
///   Markov model). Each token's features are its word, its neighbours (two either side),
///   prefixes and suffixes, its shape, its position and the previous tag (the gold one while
///   training), and the word, its neighbours and the previous tag each joined with the intent
///   (the predicted one at prediction), so that one intent's examples do not move another's
///   tags. Decoding is Viterbi: the most probable tag sequence, not the greedy left-to-right one
///   (greedy, retraining with the harvest cost English head carriers about a point of error at
///   two SLURP test seeds of five; Viterbi at none: docs/harvest.md). An I- tag only continues
///   a slot of its type, so the output is always valid BIO.
/// - Confidence: the intent's probability times the least probable chosen tag's probability
///   (given the chosen previous tag), so that one doubtful word makes the whole hypothesis
///   doubtful (what the friction detector should see).
/// Deterministic: the same data and seed give the same model, byte for byte.

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <vector>

#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/interaction_log.hpp"  // nlu_hypothesis
#include "frugal/harvest/linear_model.hpp"

namespace frugal::harvest {

struct nlu_settings {
  std::size_t epochs = 6;
  double learning_rate = 0.2;  ///< AdaGrad's base step
  /// Slot-word dropout, in [0, 1): the share of slot-value tokens whose own word features (the
  /// word, its bigrams, the word after the previous tag) are left out in training, so that the
  /// tagger also learns to find a value from its context and affixes, which is all it has for
  /// a value it never saw. Without it, more examples of known values (as harvesting adds)
  /// teach the tagger to trust the word, and unseen values in familiar phrasings get tagged O.
  /// 0.5 was chosen on a split of SLURP devel among 0, 0.3, 0.5 and 0.7 (docs/harvest.md).
  double slot_word_dropout = 0.5;
  /// The weight, in [0, 1], of a harvested example's O tags in the tagger's loss (its slot tags
  /// and intent weigh 1). Projection confirms a harvested example's slots, but a word left O
  /// only says that the rephrase's hypothesis put no slot there, and such words (a date the
  /// annotators missed, say) then pull unseen values in head phrasings to O. 0.1 was chosen on
  /// a split of SLURP devel among 0, 0.1, 0.3, 0.5 and 1: it more than halves the head cost of
  /// retraining and keeps the tail gain; 0 loses a quarter of it (docs/harvest.md).
  double harvested_o_weight = 0.1;
  std::uint64_t seed = 1;
};

class nlu_model {
 public:
  nlu_model() = default;

  /// Trains on annotated utterances (valid slots). Throws std::invalid_argument when `data` is
  /// empty.
  static nlu_model train(std::span<const annotated_utterance> data,
                         const nlu_settings& settings = {});
  /// Trains on hand-labelled `labelled` utterances followed by `harvested` ones, whose O tags
  /// weigh nlu_settings::harvested_o_weight. With a weight of 1 this is train() on the two
  /// concatenated. Throws std::invalid_argument when both are empty or the weight is outside
  /// [0, 1].
  static nlu_model train(std::span<const annotated_utterance> labelled,
                         std::span<const annotated_utterance> harvested,
                         const nlu_settings& settings);

  /// The hypothesis for `tokens` (slots over these tokens, sorted by start). Empty tokens give
  /// an empty intent with confidence 0. Touches no shared state, so several threads may call it
  /// on one model.
  nlu_hypothesis predict(const std::vector<std::string>& tokens) const;

  /// True when the hypothesis is exactly `truth`: the same intent and the same slots.
  static bool correct(const nlu_hypothesis& hypothesis, const annotated_utterance& truth);

  const std::vector<std::string>& intents() const { return intents_; }
  const std::vector<std::string>& tags() const { return tags_; }

  /// Model files: a magic word, a version, the label names, then each classifier after its
  /// feature dictionary.
  void write(std::ostream& out) const;
  /// Reads what write() wrote; throws frugal::input_error naming `source` otherwise.
  static nlu_model read(std::istream& in, const std::string& source);
  void save(const std::string& path) const;
  static nlu_model load(const std::string& path);

 private:
  std::vector<std::string> intents_;
  std::vector<std::string> tags_;  ///< tags_[0] == "O"
  feature_dictionary intent_features_;
  linear_classifier intent_model_;
  feature_dictionary tag_features_;
  linear_classifier tagger_;
  /// (tags + 1) x tags: may tag t follow tag p (p == tags: the start)? Derived from tags_.
  std::vector<std::uint8_t> transitions_;
  void derive_transitions();
};

}  // namespace frugal::harvest
