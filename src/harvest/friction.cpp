// The friction detector (issue 8 point 3): did this turn fail the user? A two-class logistic
// regression over the turn's words, the NLU's hypothesis and confidences and the handler's
// status, calibrated by Platt scaling on held-out turns (training and the model file are shared
// with the paraphrase detector, detector_features.hpp).
//
// Confidences enter both raw (a linear trend) and binned (a failure rate need not be monotone in
// a confidence, e.g. ASR confidence only matters below some level); the intent crossed with the
// NLU confidence bin lets a low confidence mean more for some intents than for others.

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/text.hpp"
#include "harvest/detector_features.hpp"

namespace frugal::harvest {
namespace {

constexpr std::string_view friction_magic = "frugal-friction-detector 1";
constexpr std::uint32_t friction_feature_bits = 18;

std::string bin(double value, int bins) {
  return std::to_string(std::clamp(static_cast<int>(value * bins), 0, bins - 1));
}

feature_vector turn_features(const feature_hasher& hasher, const turn& t) {
  feature_vector f;
  hasher.add(f, "bias");
  std::vector<std::string> words;
  const std::vector<std::string> tokens = t.tokens.empty() ? tokenize(t.text) : t.tokens;
  for (const std::string& token : tokens) words.push_back(normalize_word(token));
  std::string previous = "<s>";
  for (const std::string& w : words) {
    hasher.add(f, "w=" + w);
    hasher.add(f, "b=" + previous + ' ' + w);
    previous = w;
  }
  hasher.add(f, "b=" + previous + " </s>");
  hasher.add(f, "length=" + std::to_string(std::min<std::size_t>(words.size(), 20)));
  hasher.add(f, "length", float(std::min<std::size_t>(words.size(), 40)) / 40.0f);

  const nlu_hypothesis& nlu = t.nlu;
  hasher.add(f, "intent=" + nlu.intent);
  std::size_t slot_words = 0;
  for (const slot_span& slot : nlu.slots) {
    hasher.add(f, "slot=" + slot.type);
    hasher.add(f, "intent_slot=" + nlu.intent + '|' + slot.type);
    slot_words += slot.end - slot.start;
  }
  hasher.add(f, "slots=" + std::to_string(std::min<std::size_t>(nlu.slots.size(), 5)));
  if (!words.empty()) hasher.add(f, "slot_coverage", float(slot_words) / float(words.size()));

  const double nlu_confidence = std::clamp(nlu.confidence, 0.0, 1.0);
  const double asr_confidence = std::clamp(t.asr_confidence, 0.0, 1.0);
  hasher.add(f, "nlu_confidence", float(nlu_confidence));
  hasher.add(f, "nlu_confidence_bin=" + bin(nlu_confidence, 10));
  hasher.add(f, "intent_nlu_bin=" + nlu.intent + '|' + bin(nlu_confidence, 5));
  hasher.add(f, "asr_confidence", float(asr_confidence));
  hasher.add(f, "asr_confidence_bin=" + bin(asr_confidence, 10));
  hasher.add(f, "both_bins=" + bin(nlu_confidence, 5) + '|' + bin(asr_confidence, 5));

  hasher.add(f, "status=" + t.status);
  hasher.add(f, "status_intent=" + t.status + '|' + nlu.intent);
  return f;
}

}  // namespace

struct friction_detector::state {
  feature_hasher hasher{friction_feature_bits};
  detail::calibrated_model model;
};

friction_detector::friction_detector() : state_(std::make_unique<state>()) {}
friction_detector::~friction_detector() = default;
friction_detector::friction_detector(friction_detector&&) noexcept = default;
friction_detector& friction_detector::operator=(friction_detector&&) noexcept = default;

friction_detector friction_detector::train(std::span<const turn> labelled,
                                           const detector_training_settings& settings) {
  friction_detector detector;
  std::vector<feature_vector> features;
  std::vector<std::uint8_t> labels;
  features.reserve(labelled.size());
  for (const turn& t : labelled) {
    if (!t.friction)
      throw std::invalid_argument("friction training: turn " + t.id + " carries no label");
    features.push_back(turn_features(detector.state_->hasher, t));
    labels.push_back(*t.friction);
  }
  detector.state_->model =
      detail::train_calibrated(features, labels, friction_feature_bits, settings);
  return detector;
}

double friction_detector::probability(const turn& t) const {
  return state_->model.probability(turn_features(state_->hasher, t));
}

detector_metrics friction_detector::evaluate(std::span<const turn> labelled,
                                             double threshold) const {
  std::vector<double> probabilities;
  std::vector<std::uint8_t> outcomes;
  for (const turn& t : labelled) {
    if (!t.friction)
      throw std::invalid_argument("friction evaluation: turn " + t.id + " carries no label");
    probabilities.push_back(probability(t));
    outcomes.push_back(*t.friction);
  }
  return detail::metrics_of(probabilities, outcomes, threshold);
}

const detector_metrics& friction_detector::training_metrics() const {
  return state_->model.metrics;
}

void friction_detector::save(const std::string& path) const {
  detail::json settings{{"detector", "friction"}, {"feature_bits", friction_feature_bits}};
  detail::write_model_file(path, friction_magic, std::move(settings), state_->model);
}

friction_detector friction_detector::load(const std::string& path) {
  detail::model_file file = detail::read_model_file(path, friction_magic);
  if (file.model.classifier.feature_bits() != friction_feature_bits)
    throw input_error(path, 0, 0, "the model's feature size is not this version's");
  friction_detector detector;
  detector.state_->model = std::move(file.model);
  return detector;
}

}  // namespace frugal::harvest
