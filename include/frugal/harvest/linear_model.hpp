#pragma once
/// Multinomial logistic regression over sparse features: the one learner behind the
/// paraphrase detector, the friction detector and the NLU model (intent classifier and slot
/// tagger). Plain C++ (no LibTorch): these models are small and train in seconds on two cores.
///
/// Features are named strings turned into row indices of 2^bits weights per class, either hashed
/// (feature_hasher, the hashing trick: the detectors) or looked up in the features seen in
/// training (feature_dictionary: the NLU); a feature vector is a list of (index, value). Training
/// is AdaGrad on the cross-entropy with L2 regularisation, so the same data and seed give the same
/// model. Each epoch visits the examples by a seeded per-example priority rather than a shuffle:
/// appending examples leaves the order of the others as it was, so retraining with added data
/// changes the model by that data and not by a reshuffle.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace frugal::harvest {

struct feature_vector {
  std::vector<std::uint32_t> indices;
  std::vector<float> values;
  void add(std::uint32_t index, float value) {
    indices.push_back(index);
    values.push_back(value);
  }
  std::size_t size() const { return indices.size(); }
  /// Empties the vector but keeps its storage, for reuse on a hot path.
  void clear() {
    indices.clear();
    values.clear();
  }
};

/// Builds hashed feature vectors: add("w=hello") or add("len", 0.3).
class feature_hasher {
 public:
  explicit feature_hasher(std::uint32_t bits) : bits_(bits) {}
  std::uint32_t bits() const { return bits_; }
  std::uint32_t index(std::string_view name) const;
  void add(feature_vector& features, std::string_view name, float value = 1.0f) const {
    features.add(index(name), value);
  }

 private:
  std::uint32_t bits_;
};

/// Feature names mapped to dense indices, one weight row each: for a model that must not let a
/// feature it never saw in training borrow the weights of one it did, which is what hashing
/// does once its table fills up (the NLU tagger's ~40,000 features in 2^16 rows shared rows
/// by the thousand, so an unseen slot value was scored by unrelated weights). Names are kept as
/// 64-bit fingerprints; two of n names share a row with probability about n^2 / 2^65.
class feature_dictionary {
 public:
  /// The largest number of features (a linear_classifier's row limit).
  static constexpr std::size_t max_size = std::size_t{1} << 26;

  /// Training: the index of `name`, adding it when new (indices in order of first sight).
  /// Throws std::length_error beyond max_size.
  std::uint32_t add(std::string_view name);
  /// Prediction: the index of `name`, or nothing when training never saw it.
  std::optional<std::uint32_t> find(std::string_view name) const;
  std::size_t size() const { return fingerprints_.size(); }
  /// The feature bits of a linear_classifier with a row for every index (at least 1).
  std::uint32_t feature_bits() const;

  /// Binary form: a count, then the fingerprints in index order (little-endian).
  void write(std::ostream& out) const;
  /// Reads what write() wrote; throws input_error naming `source` on a truncated file, a
  /// repeated fingerprint or more than max_size features.
  static feature_dictionary read(std::istream& in, const std::string& source);

 private:
  std::vector<std::uint64_t> fingerprints_;  // by index
  std::unordered_map<std::uint64_t, std::uint32_t> indices_;
};

struct linear_training_settings {
  std::size_t epochs = 10;
  double learning_rate = 0.2;  ///< AdaGrad's base step
  double l2 = 1e-6;            ///< per-example L2 strength
  std::uint64_t seed = 1;
  /// Per-class weights on the loss (empty = all 1): to balance rare classes.
  std::vector<double> class_weights = {};
  /// Per-example weights on the loss (empty = all 1; else one a training example, each finite
  /// and >= 0), multiplying the class weight: to trust some labels less. An example of weight 0
  /// leaves the model exactly as if it were absent (the epoch order keeps the others' order).
  std::span<const float> example_weights = {};
};

class linear_classifier {
 public:
  linear_classifier() = default;
  linear_classifier(std::size_t classes, std::uint32_t feature_bits);

  std::size_t classes() const { return classes_; }
  std::uint32_t feature_bits() const { return bits_; }

  /// Trains from scratch on (features[i], labels[i]); labels are class indices < classes().
  /// Throws std::invalid_argument on mismatched lengths or an out-of-range label.
  void train(std::span<const feature_vector> features, std::span<const std::uint32_t> labels,
             const linear_training_settings& settings);

  /// The raw scores (logits), one a class.
  void scores(const feature_vector& features, std::span<double> out) const;
  /// Adds the features' weights (no bias) to `out`, one a class: scores() of a vector is its
  /// bias plus this, so a shared part of several vectors can be scored once.
  void add_weights(const feature_vector& features, std::span<double> out) const;
  /// Softmax probabilities, one a class.
  std::vector<double> probabilities(const feature_vector& features) const;
  /// The most probable class (lowest index on ties).
  std::uint32_t predict(const feature_vector& features) const;
  /// For two classes: the logit of class 1 against class 0.
  double margin(const feature_vector& features) const;

  /// Binary serialization (little-endian float32 weights after a small header).
  void write(std::ostream& out) const;
  /// Reads what write() wrote; throws frugal::input_error naming `source` when it is not that.
  static linear_classifier read(std::istream& in, const std::string& source);

 private:
  std::size_t classes_ = 0;
  std::uint32_t bits_ = 0;
  std::vector<float> weights_;  // [feature][class], so one feature's classes are contiguous
  std::vector<float> bias_;
};

/// Platt scaling: p = 1 / (1 + exp(-(a * margin + b))), fitted by Newton's method on held-out
/// margins and 0/1 outcomes (with Platt's smoothed targets), so that detector outputs are
/// calibrated probabilities.
struct platt_calibration {
  double a = 1.0;
  double b = 0.0;
  double probability(double margin) const;
  static platt_calibration fit(std::span<const double> margins,
                               std::span<const std::uint8_t> outcomes);
};

/// Expected calibration error over `bins` equal-width probability bins.
double expected_calibration_error(std::span<const double> probabilities,
                                  std::span<const std::uint8_t> outcomes, std::size_t bins = 10);

}  // namespace frugal::harvest
