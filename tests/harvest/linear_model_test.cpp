// The hashed logistic regression, Platt scaling and ECE (frugal/harvest/linear_model.hpp).

#include "frugal/harvest/linear_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "frugal/error.hpp"

namespace frugal::harvest {
namespace {

// Three classes, each marked by its own word plus shared noise words: learnable exactly.
struct toy_data {
  std::vector<feature_vector> x;
  std::vector<std::uint32_t> y;
};
toy_data make_toy(std::size_t n, std::uint64_t seed, const feature_hasher& hasher) {
  std::mt19937_64 generator(seed);
  toy_data data;
  for (std::size_t i = 0; i < n; ++i) {
    const auto label = static_cast<std::uint32_t>(generator() % 3);
    feature_vector features;
    hasher.add(features, "class-word=" + std::to_string(label));
    for (int k = 0; k < 3; ++k) hasher.add(features, "noise=" + std::to_string(generator() % 50));
    data.x.push_back(features);
    data.y.push_back(label);
  }
  return data;
}

TEST(LinearClassifier, LearnsASeparableTaskAndIsDeterministic) {
  const feature_hasher hasher(16);
  const toy_data train = make_toy(600, 1, hasher);
  const toy_data test = make_toy(300, 2, hasher);
  linear_classifier model(3, 16);
  model.train(train.x, train.y, {});
  std::size_t right = 0;
  for (std::size_t i = 0; i < test.x.size(); ++i) right += model.predict(test.x[i]) == test.y[i];
  EXPECT_EQ(right, test.x.size());
  const std::vector<double> p = model.probabilities(test.x[0]);
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
  EXPECT_GT(p[test.y[0]], 0.9);

  linear_classifier again(3, 16);
  again.train(train.x, train.y, {});
  EXPECT_EQ(again.probabilities(test.x[5]), model.probabilities(test.x[5]));
}

TEST(LinearClassifier, ClassWeightsShiftTheDecision) {
  // One ambiguous feature seen as class 0 three times and class 1 once: unweighted it says 0;
  // weighting class 1 by 5 makes it say 1.
  const feature_hasher hasher(8);
  feature_vector f;
  hasher.add(f, "same");
  const std::vector<feature_vector> x(4, f);
  const std::vector<std::uint32_t> y{0, 0, 0, 1};
  linear_classifier plain(2, 8), weighted(2, 8);
  plain.train(x, y, {.epochs = 50, .class_weights = {}});
  weighted.train(x, y, {.epochs = 50, .class_weights = {1.0, 5.0}});
  EXPECT_LT(plain.margin(f), 0.0);
  EXPECT_GT(weighted.margin(f), 0.0);
}

TEST(LinearClassifier, ExampleWeightsScaleTheLossAndZeroMeansAbsent) {
  const feature_hasher hasher(12);
  const toy_data train = make_toy(200, 4, hasher);
  const auto bytes = [](const linear_classifier& model) {
    std::ostringstream out;
    model.write(out);
    return out.str();
  };
  linear_classifier without(3, 12);
  without.train(train.x, train.y, {.epochs = 3});
  // A mislabelled copy of the first example, appended: of weight 0 it leaves the model as it
  // was, to the byte (the others keep their epoch order); of weight 1 it moves the model.
  toy_data more = train;
  more.x.push_back(train.x[0]);
  more.y.push_back((train.y[0] + 1) % 3);
  std::vector<float> weights(more.x.size(), 1.0f);
  weights.back() = 0.0f;
  linear_classifier ignored(3, 12), counted(3, 12);
  ignored.train(more.x, more.y, {.epochs = 3, .example_weights = weights});
  EXPECT_EQ(bytes(ignored), bytes(without));
  weights.back() = 1.0f;
  counted.train(more.x, more.y, {.epochs = 3, .example_weights = weights});
  EXPECT_NE(bytes(counted), bytes(without));
  // The ambiguous feature of ClassWeightsShiftTheDecision: its one class-1 example weighted by
  // 5 turns the decision, as weighting the class does.
  feature_vector f;
  hasher.add(f, "same");
  const std::vector<feature_vector> x(4, f);
  const std::vector<std::uint32_t> y{0, 0, 0, 1};
  const std::vector<float> heavy_last{1.0f, 1.0f, 1.0f, 5.0f};
  linear_classifier weighted(2, 12);
  weighted.train(x, y, {.epochs = 50, .example_weights = heavy_last});
  EXPECT_GT(weighted.margin(f), 0.0);
  // One weight an example, each finite and >= 0.
  for (const std::vector<float>& bad : std::vector<std::vector<float>>{
           {1.0f, 1.0f, 1.0f}, {1.0f, 1.0f, 1.0f, -1.0f}, {1.0f, 1.0f, 1.0f, std::nanf("")}}) {
    linear_classifier model(2, 12);
    EXPECT_THROW(model.train(x, y, {.example_weights = bad}), std::invalid_argument);
  }
}

TEST(LinearClassifier, RejectsBadTrainingInput) {
  linear_classifier model(2, 4);
  feature_vector f;
  f.add(3, 1.0f);
  const std::vector<feature_vector> x{f};
  EXPECT_THROW(model.train(x, std::vector<std::uint32_t>{2}, {}), std::invalid_argument);
  EXPECT_THROW(model.train(x, std::vector<std::uint32_t>{}, {}), std::invalid_argument);
  feature_vector wide;
  wide.add(16, 1.0f);  // 2^4 weights only
  EXPECT_THROW(model.train(std::vector<feature_vector>{wide}, std::vector<std::uint32_t>{0}, {}),
               std::invalid_argument);
  EXPECT_THROW(linear_classifier(1, 4), std::invalid_argument);
  EXPECT_THROW(linear_classifier(2, 40), std::invalid_argument);
}

TEST(LinearClassifier, RoundTripsThroughItsFileFormat) {
  const feature_hasher hasher(12);
  const toy_data train = make_toy(200, 3, hasher);
  linear_classifier model(3, 12);
  model.train(train.x, train.y, {.epochs = 3, .class_weights = {}});
  std::stringstream file;
  model.write(file);
  const linear_classifier loaded = linear_classifier::read(file, "model.bin");
  for (std::size_t i = 0; i < 20; ++i)
    EXPECT_EQ(loaded.probabilities(train.x[i]), model.probabilities(train.x[i]));

  const std::string bytes = file.str();
  for (const std::size_t cut :
       {std::size_t{0}, std::size_t{5}, std::size_t{20}, bytes.size() - 1}) {
    std::stringstream truncated(bytes.substr(0, cut));
    EXPECT_THROW(linear_classifier::read(truncated, "cut.bin"), input_error) << cut;
  }
  std::string corrupt = bytes;
  corrupt[0] = 'X';
  std::stringstream bad_magic(corrupt);
  EXPECT_THROW(linear_classifier::read(bad_magic, "magic.bin"), input_error);
  corrupt = bytes;
  corrupt[8] = 9;  // version
  std::stringstream bad_version(corrupt);
  EXPECT_THROW(linear_classifier::read(bad_version, "version.bin"), input_error);
  corrupt = bytes;
  corrupt[20] = 60;  // feature bits
  std::stringstream bad_bits(corrupt);
  EXPECT_THROW(linear_classifier::read(bad_bits, "bits.bin"), input_error);
}

TEST(FeatureDictionary, GivesDenseIndicesAndKnowsOnlyWhatItWasGiven) {
  feature_dictionary dictionary;
  EXPECT_EQ(dictionary.size(), 0u);
  EXPECT_EQ(dictionary.feature_bits(), 1u);
  EXPECT_EQ(dictionary.add("w=paris"), 0u);
  EXPECT_EQ(dictionary.add("w=berlin"), 1u);
  EXPECT_EQ(dictionary.add("w=paris"), 0u);  // again: the same index
  EXPECT_EQ(dictionary.size(), 2u);
  EXPECT_EQ(dictionary.find("w=berlin"), std::optional<std::uint32_t>(1));
  EXPECT_EQ(dictionary.find("w=rome"), std::nullopt);
  EXPECT_EQ(dictionary.find("w=Paris"), std::nullopt);  // names are exact
  EXPECT_EQ(dictionary.size(), 2u);                     // find() adds nothing
  // Bits: the smallest power of two with a row for every index.
  EXPECT_EQ(dictionary.feature_bits(), 1u);
  dictionary.add("w=rome");
  EXPECT_EQ(dictionary.feature_bits(), 2u);
  for (int i = 0; i < 5; ++i) dictionary.add("f" + std::to_string(i));
  EXPECT_EQ(dictionary.size(), 8u);
  EXPECT_EQ(dictionary.feature_bits(), 3u);
  dictionary.add("one more");
  EXPECT_EQ(dictionary.feature_bits(), 4u);
}

TEST(FeatureDictionary, RoundTripsAndRefusesCorruptFiles) {
  feature_dictionary dictionary;
  for (int i = 0; i < 1000; ++i) dictionary.add("feature " + std::to_string(i));
  std::stringstream file;
  dictionary.write(file);
  const std::string bytes = file.str();
  EXPECT_EQ(bytes.size(), 8u + 1000u * 8u);
  const feature_dictionary loaded = feature_dictionary::read(file, "d.bin");
  EXPECT_EQ(loaded.size(), 1000u);
  for (int i = 0; i < 1000; i += 37)
    EXPECT_EQ(loaded.find("feature " + std::to_string(i)), std::optional<std::uint32_t>(i));
  EXPECT_EQ(loaded.find("feature 1000"), std::nullopt);

  for (const std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{8}, bytes.size() - 1}) {
    std::stringstream truncated(bytes.substr(0, cut));
    EXPECT_THROW(feature_dictionary::read(truncated, "cut.bin"), input_error) << cut;
  }
  std::string repeated = bytes;
  std::copy_n(bytes.begin() + 8, 8, repeated.begin() + 16);  // index 1 := index 0
  std::stringstream bad_repeat(repeated);
  EXPECT_THROW(feature_dictionary::read(bad_repeat, "repeat.bin"), input_error);
  // A count far beyond the limit is refused before anything is allocated for it.
  std::string huge = bytes;
  huge[7] = 0x7f;
  std::stringstream bad_count(huge);
  try {
    feature_dictionary::read(bad_count, "huge.bin");
    FAIL() << "a count of 2^62 was accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "huge.bin");
  }
}

TEST(PlattCalibration, RecoversAKnownLogisticLink) {
  // Outcomes drawn with P(y = 1 | m) = sigmoid(2 m - 1): the fit should find a ~ 2, b ~ -1.
  std::mt19937_64 generator(7);
  std::normal_distribution<double> margin(0.0, 1.5);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<double> margins;
  std::vector<std::uint8_t> outcomes;
  for (int i = 0; i < 20000; ++i) {
    const double m = margin(generator);
    margins.push_back(m);
    outcomes.push_back(uniform(generator) < 1.0 / (1.0 + std::exp(-(2 * m - 1))) ? 1 : 0);
  }
  const platt_calibration fitted = platt_calibration::fit(margins, outcomes);
  EXPECT_NEAR(fitted.a, 2.0, 0.1);
  EXPECT_NEAR(fitted.b, -1.0, 0.1);
  std::vector<double> probabilities;
  for (const double m : margins) probabilities.push_back(fitted.probability(m));
  EXPECT_LT(expected_calibration_error(probabilities, outcomes), 0.02);
  // The raw margins through a plain sigmoid are miscalibrated by construction.
  std::vector<double> raw;
  for (const double m : margins) raw.push_back(1.0 / (1.0 + std::exp(-m)));
  EXPECT_GT(expected_calibration_error(raw, outcomes), 0.05);
}

TEST(PlattCalibration, StaysFiniteOnSeparableData) {
  const std::vector<double> margins{-3, -2, -1, 1, 2, 3};
  const std::vector<std::uint8_t> outcomes{0, 0, 0, 1, 1, 1};
  const platt_calibration fitted = platt_calibration::fit(margins, outcomes);
  EXPECT_TRUE(std::isfinite(fitted.a) && std::isfinite(fitted.b));
  EXPECT_GT(fitted.probability(3), 0.7);
  EXPECT_LT(fitted.probability(3), 1.0);  // smoothed targets: never certainty
  EXPECT_LT(fitted.probability(-3), 0.3);
}

TEST(ExpectedCalibrationError, MatchesAHandComputedCase) {
  // Bin [0.2, 0.3): p = 0.2, 0.2, outcomes 0, 1 -> |0.4 - 1| = 0.6; bin [0.9, 1]: p = 0.9,
  // outcome 1 -> 0.1. ECE = (0.6 + 0.1) / 3.
  const std::vector<double> p{0.2, 0.2, 0.9};
  const std::vector<std::uint8_t> y{0, 1, 1};
  EXPECT_NEAR(expected_calibration_error(p, y), 0.7 / 3, 1e-12);
}

}  // namespace
}  // namespace frugal::harvest
