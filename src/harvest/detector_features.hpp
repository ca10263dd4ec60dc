#pragma once
// What the paraphrase and friction detectors share: training a two-class linear model with a
// held-out part for Platt calibration and metrics, and the model file around it. Implemented in
// paraphrase.cpp (CMake lists no file of its own for it).
//
// Model file: a magic line naming the detector and the format version, one line of JSON (the
// detector's settings, calibration and training metrics), then linear_classifier::write's bytes.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/harvest/linear_model.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "harvest/json_lines.hpp"

namespace frugal::harvest::detail {

struct calibrated_model {
  linear_classifier classifier;
  platt_calibration calibration;
  detector_metrics metrics;

  double probability(const feature_vector& features) const {
    return calibration.probability(classifier.margin(features));
  }
};

/// Splits (features, labels) by a seeded shuffle, trains the classifier on the larger part with
/// class weights that balance the labels, fits Platt scaling on the held-out part and measures
/// it there. The metrics come from two-fold cross-fitting inside the held-out part (calibrate on
/// one half, measure the other, both ways), so they are not measured on the data the
/// calibration saw. Throws std::invalid_argument on fewer than two examples or a
/// calibration_fraction outside (0, 1).
calibrated_model train_calibrated(std::span<const feature_vector> features,
                                  std::span<const std::uint8_t> labels, std::uint32_t feature_bits,
                                  const detector_training_settings& settings);

/// Precision, recall, accuracy and ECE of `probabilities` against `outcomes` at `threshold`.
/// Precision is 0 when nothing is predicted positive, recall 0 when nothing is positive.
detector_metrics metrics_of(std::span<const double> probabilities,
                            std::span<const std::uint8_t> outcomes, double threshold);

/// The metrics with the given counts (detector_metrics states their meaning): the shares and
/// their 95% Wilson intervals. Every place that fills detector_metrics goes through here.
/// Throws std::invalid_argument unless true_positives <= flagged, positives and
/// flagged, positives, correct <= examples.
detector_metrics metrics_from_counts(std::size_t examples, std::size_t positives,
                                     std::size_t flagged, std::size_t true_positives,
                                     std::size_t correct, double threshold,
                                     double expected_calibration_error);

json metrics_json(const detector_metrics& metrics);

/// Writes magic line, settings (plus calibration and metrics) and the classifier, atomically.
void write_model_file(const std::string& path, std::string_view magic, json settings,
                      const calibrated_model& model);

struct model_file {
  json settings;
  calibrated_model model;
};

/// Reads what write_model_file wrote with the same magic. Anything else (another magic, bad
/// JSON, a missing or mistyped field, a truncated or oversized classifier, trailing bytes)
/// throws frugal::input_error naming `path`.
model_file read_model_file(const std::string& path, std::string_view magic);

/// Field readers for the settings JSON; each throws frugal::input_error naming `path`.
double number_setting(const std::string& path, const json& settings, std::string_view key);
std::uint64_t count_setting(const std::string& path, const json& settings, std::string_view key,
                            std::uint64_t max);

}  // namespace frugal::harvest::detail
