// Multinomial logistic regression over hashed or dictionary features, Platt scaling and
// calibration error (frugal/harvest/linear_model.hpp).

#include "frugal/harvest/linear_model.hpp"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <istream>
#include <ostream>
#include <stdexcept>

#include "frugal/error.hpp"
#include "harvest/training_order.hpp"

namespace frugal::harvest {
namespace {

static_assert(std::endian::native == std::endian::little,
              "model files are little-endian; add byte swapping for this platform");

constexpr char model_magic[8] = {'f', 'r', 'u', 'g', 'a', 'l', 'L', 'M'};
constexpr std::uint32_t model_version = 1;
constexpr std::uint32_t max_feature_bits = 26;
constexpr std::uint64_t max_classes = 65536;
// Sizes stay well inside what a model of these settings can need (2^26 x 16 floats = 4 GiB):
// a corrupt header must not make read() allocate the machine away.
constexpr std::uint64_t max_weights = std::uint64_t{1} << 30;

void softmax(std::span<double> scores) {
  const double top = *std::max_element(scores.begin(), scores.end());
  double total = 0.0;
  for (double& s : scores) total += (s = std::exp(s - top));
  for (double& s : scores) s /= total;
}

template <class T>
void write_raw(std::ostream& out, const T& value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof value);
}

template <class T>
T read_raw(std::istream& in, const std::string& source) {
  T value{};
  if (!in.read(reinterpret_cast<char*>(&value), sizeof value))
    throw input_error(source, 0, 0, "truncated model file");
  return value;
}

}  // namespace

std::uint32_t feature_hasher::index(std::string_view name) const {
  const std::uint64_t hash = XXH3_64bits(name.data(), name.size());
  return static_cast<std::uint32_t>(hash >> (64 - bits_));
}

std::uint32_t feature_dictionary::add(std::string_view name) {
  const std::uint64_t fingerprint = XXH3_64bits(name.data(), name.size());
  const auto [at, added] =
      indices_.try_emplace(fingerprint, static_cast<std::uint32_t>(fingerprints_.size()));
  if (added) {
    if (fingerprints_.size() == max_size) {
      indices_.erase(at);
      throw std::length_error("feature_dictionary: more than 2^26 distinct features");
    }
    fingerprints_.push_back(fingerprint);
  }
  return at->second;
}

std::optional<std::uint32_t> feature_dictionary::find(std::string_view name) const {
  const auto at = indices_.find(XXH3_64bits(name.data(), name.size()));
  if (at == indices_.end()) return std::nullopt;
  return at->second;
}

std::uint32_t feature_dictionary::feature_bits() const {
  return std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::bit_width(
                                        fingerprints_.empty() ? 0 : fingerprints_.size() - 1)));
}

void feature_dictionary::write(std::ostream& out) const {
  write_raw(out, static_cast<std::uint64_t>(fingerprints_.size()));
  out.write(reinterpret_cast<const char*>(fingerprints_.data()),
            static_cast<std::streamsize>(fingerprints_.size() * sizeof(std::uint64_t)));
}

feature_dictionary feature_dictionary::read(std::istream& in, const std::string& source) {
  const auto count = read_raw<std::uint64_t>(in, source);
  if (count > max_size) throw input_error(source, 0, 0, "corrupt feature dictionary: too large");
  feature_dictionary dictionary;
  // Read in bounded chunks, so that a count the file cannot back allocates little.
  constexpr std::uint64_t chunk = 1 << 16;
  for (std::uint64_t done = 0; done < count;) {
    const std::uint64_t n = std::min(chunk, count - done);
    const std::size_t old_size = dictionary.fingerprints_.size();
    dictionary.fingerprints_.resize(old_size + n);
    if (!in.read(reinterpret_cast<char*>(dictionary.fingerprints_.data() + old_size),
                 static_cast<std::streamsize>(n * sizeof(std::uint64_t))))
      throw input_error(source, 0, 0, "truncated model file");
    done += n;
  }
  dictionary.indices_.reserve(dictionary.fingerprints_.size());
  for (std::size_t i = 0; i < dictionary.fingerprints_.size(); ++i)
    if (!dictionary.indices_.emplace(dictionary.fingerprints_[i], static_cast<std::uint32_t>(i))
             .second)
      throw input_error(source, 0, 0, "corrupt feature dictionary: a repeated feature");
  return dictionary;
}

linear_classifier::linear_classifier(std::size_t classes, std::uint32_t feature_bits)
    : classes_(classes), bits_(feature_bits) {
  if (classes < 2) throw std::invalid_argument("a classifier needs at least two classes");
  if (feature_bits == 0 || feature_bits > max_feature_bits)
    throw std::invalid_argument("feature bits must be in 1..26");
  if (classes > max_classes || (std::uint64_t{classes} << feature_bits) > max_weights)
    throw std::invalid_argument("too many classes for this many feature bits");
  weights_.assign(classes << feature_bits, 0.0f);
  bias_.assign(classes, 0.0f);
}

void linear_classifier::train(std::span<const feature_vector> features,
                              std::span<const std::uint32_t> labels,
                              const linear_training_settings& settings) {
  if (features.size() != labels.size())
    throw std::invalid_argument("features and labels differ in length");
  if (classes_ == 0) throw std::invalid_argument("train() on a default-constructed classifier");
  if (!settings.class_weights.empty() && settings.class_weights.size() != classes_)
    throw std::invalid_argument("class_weights needs one weight a class");
  if (!settings.example_weights.empty() && settings.example_weights.size() != labels.size())
    throw std::invalid_argument("example_weights needs one weight an example");
  for (const float weight : settings.example_weights)
    if (!(weight >= 0.0f && std::isfinite(weight)))
      throw std::invalid_argument("example_weights must be finite and >= 0");
  const std::uint32_t feature_limit = std::uint32_t{1} << bits_;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= classes_) throw std::invalid_argument("label out of range");
    if (features[i].indices.size() != features[i].values.size())
      throw std::invalid_argument("a feature vector's indices and values differ in length");
    for (const std::uint32_t index : features[i].indices)
      if (index >= feature_limit) throw std::invalid_argument("feature index out of range");
  }
  std::fill(weights_.begin(), weights_.end(), 0.0f);
  std::fill(bias_.begin(), bias_.end(), 0.0f);
  // AdaGrad: per-weight step sizes shrink with the squared gradients seen, so frequent features
  // (carrier words) settle while rare ones (a slot value seen twice) still learn.
  std::vector<float> squared_weights(weights_.size(), 0.0f);
  std::vector<float> squared_bias(bias_.size(), 0.0f);
  // Epoch orders from permanent priorities (training_order.hpp): added examples do not reshuffle
  // the others.
  std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
  std::vector<double> probabilities(classes_);
  const double rate = settings.learning_rate;
  const auto l2 = static_cast<float>(settings.l2);
  constexpr float epsilon = 1e-8f;
  for (std::size_t epoch = 0; epoch < settings.epochs; ++epoch) {
    detail::epoch_order(settings.seed, epoch, features.size(), order);
    for (const auto& [priority, i] : order) {
      const feature_vector& x = features[i];
      scores(x, probabilities);
      softmax(probabilities);
      const double example_weight =
          (settings.class_weights.empty() ? 1.0 : settings.class_weights[labels[i]]) *
          (settings.example_weights.empty() ? 1.0 : settings.example_weights[i]);
      for (std::size_t c = 0; c < classes_; ++c) {
        const auto gradient =
            static_cast<float>(example_weight * (probabilities[c] - (c == labels[i] ? 1.0 : 0.0)));
        if (gradient == 0.0f) continue;
        squared_bias[c] += gradient * gradient;
        bias_[c] -= static_cast<float>(rate * gradient / (std::sqrt(squared_bias[c]) + epsilon));
        for (std::size_t k = 0; k < x.size(); ++k) {
          const std::size_t at = std::size_t{x.indices[k]} * classes_ + c;
          const float g = gradient * x.values[k] + l2 * weights_[at];
          squared_weights[at] += g * g;
          weights_[at] -= static_cast<float>(rate * g / (std::sqrt(squared_weights[at]) + epsilon));
        }
      }
    }
  }
}

void linear_classifier::scores(const feature_vector& features, std::span<double> out) const {
  FRUGAL_ASSERT(out.size() == classes_);
  for (std::size_t c = 0; c < classes_; ++c) out[c] = bias_[c];
  add_weights(features, out);
}

void linear_classifier::add_weights(const feature_vector& features, std::span<double> out) const {
  FRUGAL_ASSERT(out.size() == classes_);
  const std::uint32_t feature_limit = std::uint32_t{1} << bits_;
  for (std::size_t k = 0; k < features.size(); ++k) {
    const std::uint32_t index = features.indices[k];
    if (index >= feature_limit) continue;  // from another hasher: contributes nothing
    const float* row = weights_.data() + std::size_t{index} * classes_;
    const double value = features.values[k];
    for (std::size_t c = 0; c < classes_; ++c) out[c] += row[c] * value;
  }
}

std::vector<double> linear_classifier::probabilities(const feature_vector& features) const {
  std::vector<double> result(classes_);
  scores(features, result);
  softmax(result);
  return result;
}

std::uint32_t linear_classifier::predict(const feature_vector& features) const {
  std::vector<double> result(classes_);
  scores(features, result);
  return static_cast<std::uint32_t>(std::max_element(result.begin(), result.end()) -
                                    result.begin());
}

double linear_classifier::margin(const feature_vector& features) const {
  FRUGAL_ASSERT(classes_ == 2);
  double result[2];
  scores(features, result);
  return result[1] - result[0];
}

void linear_classifier::write(std::ostream& out) const {
  out.write(model_magic, sizeof model_magic);
  write_raw(out, model_version);
  write_raw(out, static_cast<std::uint64_t>(classes_));
  write_raw(out, bits_);
  out.write(reinterpret_cast<const char*>(bias_.data()),
            static_cast<std::streamsize>(bias_.size() * sizeof(float)));
  out.write(reinterpret_cast<const char*>(weights_.data()),
            static_cast<std::streamsize>(weights_.size() * sizeof(float)));
}

linear_classifier linear_classifier::read(std::istream& in, const std::string& source) {
  char magic[sizeof model_magic];
  if (!in.read(magic, sizeof magic) || !std::equal(magic, magic + sizeof magic, model_magic))
    throw input_error(source, 0, 0, "not a frugal linear model (bad magic bytes)");
  const auto version = read_raw<std::uint32_t>(in, source);
  if (version != model_version)
    throw input_error(source, 0, 0, "unsupported linear model version " + std::to_string(version));
  const auto classes = read_raw<std::uint64_t>(in, source);
  const auto bits = read_raw<std::uint32_t>(in, source);
  if (classes < 2 || classes > max_classes || bits == 0 || bits > max_feature_bits ||
      (classes << bits) > max_weights)
    throw input_error(source, 0, 0, "corrupt linear model header");
  linear_classifier model(static_cast<std::size_t>(classes), bits);
  if (!in.read(reinterpret_cast<char*>(model.bias_.data()),
               static_cast<std::streamsize>(model.bias_.size() * sizeof(float))) ||
      !in.read(reinterpret_cast<char*>(model.weights_.data()),
               static_cast<std::streamsize>(model.weights_.size() * sizeof(float))))
    throw input_error(source, 0, 0, "truncated model file");
  const auto finite = [](float w) { return std::isfinite(w); };
  if (!std::all_of(model.bias_.begin(), model.bias_.end(), finite) ||
      !std::all_of(model.weights_.begin(), model.weights_.end(), finite))
    throw input_error(source, 0, 0, "corrupt linear model: non-finite weights");
  return model;
}

double platt_calibration::probability(double margin) const {
  const double z = a * margin + b;
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

platt_calibration platt_calibration::fit(std::span<const double> margins,
                                         std::span<const std::uint8_t> outcomes) {
  if (margins.size() != outcomes.size())
    throw std::invalid_argument("margins and outcomes differ in length");
  const double positives = static_cast<double>(std::count(outcomes.begin(), outcomes.end(), 1));
  const double negatives = static_cast<double>(outcomes.size()) - positives;
  platt_calibration fitted;
  if (margins.empty()) return fitted;
  // Platt's smoothed targets keep the fit finite when the classes separate perfectly.
  const double high = (positives + 1.0) / (positives + 2.0);
  const double low = 1.0 / (negatives + 2.0);
  // Newton's method with backtracking on the negative log-likelihood in (a, b) (Lin, Lin and
  // Weng 2007), started at a = 1, b = log odds of the prior.
  fitted.a = 1.0;
  fitted.b = std::log((positives + 1.0) / (negatives + 1.0));
  const auto loss = [&](double a, double b) {
    double total = 0.0;
    for (std::size_t i = 0; i < margins.size(); ++i) {
      const double t = outcomes[i] ? high : low;
      const double z = a * margins[i] + b;
      // -[t log p + (1 - t) log(1 - p)] with p = sigmoid(z), computed stably.
      total += (z >= 0 ? (1 - t) * z + std::log1p(std::exp(-z)) : -t * z + std::log1p(std::exp(z)));
    }
    return total;
  };
  double current = loss(fitted.a, fitted.b);
  for (int iteration = 0; iteration < 100; ++iteration) {
    double h11 = 1e-12, h22 = 1e-12, h21 = 0.0, g1 = 0.0, g2 = 0.0;
    for (std::size_t i = 0; i < margins.size(); ++i) {
      const double t = outcomes[i] ? high : low;
      const double p = fitted.probability(margins[i]);
      const double d1 = p - t;
      const double d2 = p * (1 - p);
      h11 += margins[i] * margins[i] * d2;
      h22 += d2;
      h21 += margins[i] * d2;
      g1 += margins[i] * d1;
      g2 += d1;
    }
    if (std::abs(g1) < 1e-9 && std::abs(g2) < 1e-9) break;
    const double determinant = h11 * h22 - h21 * h21;
    const double da = -(h22 * g1 - h21 * g2) / determinant;
    const double db = -(-h21 * g1 + h11 * g2) / determinant;
    double step = 1.0;
    bool improved = false;
    while (step > 1e-10) {
      const double next = loss(fitted.a + step * da, fitted.b + step * db);
      if (next < current + 1e-4 * step * (g1 * da + g2 * db)) {
        fitted.a += step * da;
        fitted.b += step * db;
        current = next;
        improved = true;
        break;
      }
      step /= 2;
    }
    if (!improved) break;
  }
  return fitted;
}

double expected_calibration_error(std::span<const double> probabilities,
                                  std::span<const std::uint8_t> outcomes, std::size_t bins) {
  if (probabilities.size() != outcomes.size())
    throw std::invalid_argument("probabilities and outcomes differ in length");
  if (probabilities.empty() || bins == 0) return 0.0;
  std::vector<double> sum_p(bins, 0.0), sum_y(bins, 0.0);
  std::vector<std::size_t> count(bins, 0);
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    const double p = std::clamp(probabilities[i], 0.0, 1.0);
    const auto bin = std::min(bins - 1, static_cast<std::size_t>(p * static_cast<double>(bins)));
    sum_p[bin] += p;
    sum_y[bin] += outcomes[i] ? 1.0 : 0.0;
    ++count[bin];
  }
  double error = 0.0;
  for (std::size_t b = 0; b < bins; ++b)
    error += std::abs(sum_p[b] - sum_y[b]);  // = count * |mean p - mean y|
  return error / static_cast<double>(probabilities.size());
}

}  // namespace frugal::harvest
