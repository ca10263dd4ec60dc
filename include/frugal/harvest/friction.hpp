#pragma once
/// The friction detector (issue 8 point 3): did this turn fail the user? Features: the
/// utterance's words, the NLU's intent and slot hypotheses, the NLU and ASR confidences and the
/// handler's status code. Trained on turns labelled with `friction`; calibrated probability out.

#include <memory>
#include <span>
#include <string>

#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/paraphrase.hpp"  // detector_training_settings, detector_metrics

namespace frugal::harvest {

class friction_detector {
 public:
  /// Trains on labelled turns (each must carry `friction`; throws std::invalid_argument
  /// otherwise) and records held-out metrics in training_metrics().
  static friction_detector train(std::span<const turn> labelled,
                                 const detector_training_settings& settings = {});

  /// Calibrated probability that `t` is a failed turn.
  double probability(const turn& t) const;

  detector_metrics evaluate(std::span<const turn> labelled, double threshold = 0.5) const;
  const detector_metrics& training_metrics() const;

  void save(const std::string& path) const;
  static friction_detector load(const std::string& path);

  friction_detector();
  ~friction_detector();
  friction_detector(friction_detector&&) noexcept;
  friction_detector& operator=(friction_detector&&) noexcept;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace frugal::harvest
