// The friction detector on simulated turns whose true failure probability is known: an error
// status fails 85% of the time, a low NLU confidence 60%, a low ASR confidence 45%, anything else
// 8%. A calibrated detector's mean probability in each group must match these rates, and its
// expected calibration error on independent turns must be small.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/friction.hpp"

namespace frugal::harvest {
namespace {

const std::vector<std::string> words = {"play", "some", "music",   "turn", "on",    "the", "lights",
                                        "what", "is",   "weather", "set",  "alarm", "for", "seven"};
const std::vector<std::string> intents = {"play_music", "lights_on", "weather", "alarm_set"};

double true_rate(const turn& t) {
  if (t.status == "error") return 0.85;
  if (t.nlu.confidence < 0.4) return 0.60;
  if (t.asr_confidence < 0.4) return 0.45;
  return 0.08;
}

std::vector<turn> simulate(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<turn> turns(count);
  for (std::size_t i = 0; i < count; ++i) {
    turn& t = turns[i];
    t.id = std::to_string(i + 1);
    const std::size_t length = 2 + random() % 5;
    for (std::size_t w = 0; w < length; ++w) t.tokens.push_back(words[random() % words.size()]);
    t.nlu.intent = intents[random() % intents.size()];
    if (random() % 2) t.nlu.slots.push_back({"thing", 0, 1});
    t.nlu.confidence = unit(random);
    t.asr_confidence = unit(random);
    t.status = random() % 10 == 0 ? "error" : "200";
    t.friction = unit(random) < true_rate(t);
  }
  return turns;
}

TEST(FrictionDetector, CalibratedOnKnownRates) {
  const std::vector<turn> train = simulate(4000, 1);
  const friction_detector detector = friction_detector::train(train, {.epochs = 8, .seed = 3});
  EXPECT_EQ(detector.training_metrics().examples, 800u);
  const std::vector<turn> test = simulate(4000, 2);
  const detector_metrics metrics = detector.evaluate(test);
  // 4,000 turns, 10 bins: sampling noise alone gives an ECE around 0.02.
  EXPECT_LT(metrics.expected_calibration_error, 0.05);
  EXPECT_LT(detector.training_metrics().expected_calibration_error, 0.08);
  // Mean predicted probability per true-rate group, against the rate (groups of 400+ turns:
  // a binomial standard error of 0.025 at most; the tolerance is 0.08).
  for (const double rate : {0.85, 0.60, 0.45, 0.08}) {
    double sum = 0;
    std::size_t n = 0;
    for (const turn& t : test)
      if (true_rate(t) == rate) {
        sum += detector.probability(t);
        ++n;
      }
    ASSERT_GT(n, 300u);
    EXPECT_NEAR(sum / double(n), rate, 0.08) << "group with rate " << rate;
  }
  // Against the best possible accuracy (flag exactly the groups whose rate is above one half),
  // within 0.03 (sampling noise of 4,000 turns is about 0.007).
  double best = 0;
  for (const turn& t : test) best += std::max(true_rate(t), 1 - true_rate(t));
  best /= double(test.size());
  EXPECT_GT(metrics.accuracy, best - 0.03);
}

TEST(FrictionDetector, SaveLoadRoundTripAndLabelsRequired) {
  const std::vector<turn> train = simulate(600, 5);
  const friction_detector detector = friction_detector::train(train, {.epochs = 4, .seed = 1});
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("frugal-friction-test-" + std::to_string(::getpid()));
  detector.save(path.string());
  const friction_detector loaded = friction_detector::load(path.string());
  for (const turn& t : simulate(200, 6)) ASSERT_EQ(loaded.probability(t), detector.probability(t));
  EXPECT_EQ(loaded.training_metrics().precision, detector.training_metrics().precision);
  std::filesystem::remove(path);

  std::vector<turn> unlabelled = simulate(10, 7);
  unlabelled[4].friction.reset();
  EXPECT_THROW(friction_detector::train(unlabelled), std::invalid_argument);
  EXPECT_THROW(detector.evaluate(unlabelled), std::invalid_argument);
  EXPECT_THROW(friction_detector::train(simulate(1, 8)), std::invalid_argument);
  EXPECT_THROW(friction_detector::train(train, {.calibration_fraction = 1.0}),
               std::invalid_argument);
}

TEST(FrictionDetector, StatusAndConfidenceMatter) {
  const friction_detector detector = friction_detector::train(simulate(3000, 11));
  turn t;
  t.tokens = {"play", "some", "music"};
  t.nlu.intent = "play_music";
  t.nlu.confidence = 0.9;
  t.asr_confidence = 0.9;
  t.status = "200";
  const double fine = detector.probability(t);
  t.status = "error";
  const double failed = detector.probability(t);
  t.status = "200";
  t.nlu.confidence = 0.1;
  const double unsure = detector.probability(t);
  EXPECT_LT(fine, 0.25);
  EXPECT_GT(failed, 0.6);
  EXPECT_GT(unsure, 0.4);
}

}  // namespace
}  // namespace frugal::harvest
