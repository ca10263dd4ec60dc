#pragma once
/// The paraphrase detector (issue 8 point 2): is turn b a rephrasing of turn a (same intent, same
/// slot values), given only their words? Trained on synthetic pairs built from annotated data;
/// outputs a calibrated probability.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "frugal/estimation/intervals.hpp"
#include "frugal/harvest/annotation.hpp"

namespace frugal::harvest {

/// One training or evaluation pair. `kind` says how it was made ("positive", "slot-type",
/// "slot-value", "intent"), for per-kind error rates.
struct paraphrase_example {
  std::vector<std::string> a;
  std::vector<std::string> b;
  bool paraphrase = false;
  std::string kind;
};

struct synth_pair_settings {
  std::size_t pairs_per_utterance = 4;  ///< positives per source utterance (negatives alike)
  std::uint64_t seed = 1;
};

/// Synthetic pairs from annotated utterances. Carrier phrases are the utterances with their slot
/// values cut out. Positives: the same slot values injected into two carriers of one intent
/// with the same slot types. Hard negatives, one change each, using only substitutions observed
/// in `data`: a slot value replaced by another value of that type, a slot replaced by a slot of
/// another type (with one of its values), or the carrier replaced by a carrier of another intent
/// with the same slot types. Deterministic for a seed.
std::vector<paraphrase_example> synthesize_pairs(std::span<const annotated_utterance> data,
                                                 const synth_pair_settings& settings = {});

struct detector_training_settings {
  std::size_t epochs = 8;
  std::uint64_t seed = 1;
  /// Fraction held out (by a seeded shuffle) to fit the Platt calibration and report metrics.
  double calibration_fraction = 0.2;
};

/// Precision, recall and calibration of a detector at a threshold, on held-out examples.
///
/// Each share comes with its two-sided 95% Wilson score interval (no finite-population
/// correction: the examples stand for the detector's use, not for a finite population), from
/// the counts below: precision = true_positives / flagged, recall = true_positives / positives,
/// accuracy = correct / examples. A share whose denominator is 0 is 0 with the interval [0, 1].
/// The intervals treat examples as independent; synthetic pairs made from one source utterance
/// are not, so on them the intervals are somewhat too narrow.
struct detector_metrics {
  std::size_t examples = 0;
  std::size_t positives = 0;       ///< examples whose true label is 1
  std::size_t flagged = 0;         ///< examples with probability >= threshold
  std::size_t true_positives = 0;  ///< flagged examples whose true label is 1
  std::size_t correct = 0;         ///< flagged positives plus unflagged negatives
  double threshold = 0.5;
  double precision = 0.0;
  double recall = 0.0;
  double accuracy = 0.0;
  double expected_calibration_error = 0.0;
  estimation::proportion_interval precision_interval;
  estimation::proportion_interval recall_interval;
  estimation::proportion_interval accuracy_interval;
};

class paraphrase_detector {
 public:
  /// Trains on `examples` (holding out calibration_fraction for calibration) and records the
  /// held-out metrics in training_metrics().
  static paraphrase_detector train(std::span<const paraphrase_example> examples,
                                   const detector_training_settings& settings = {});

  /// Calibrated probability that b paraphrases a.
  double probability(const std::vector<std::string>& a, const std::vector<std::string>& b) const;

  /// Precision/recall/ECE on `examples` at `threshold`.
  detector_metrics evaluate(std::span<const paraphrase_example> examples,
                            double threshold = 0.5) const;
  const detector_metrics& training_metrics() const;

  /// Model files; load() throws frugal::input_error naming the file when it is not one.
  void save(const std::string& path) const;
  static paraphrase_detector load(const std::string& path);

  paraphrase_detector();
  ~paraphrase_detector();
  paraphrase_detector(paraphrase_detector&&) noexcept;
  paraphrase_detector& operator=(paraphrase_detector&&) noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace frugal::harvest
