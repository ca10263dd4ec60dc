// The paraphrase detector on a generated task: frames (intent + carrier templates) with slot
// values drawn from per-type pools, pairs from synthesize_pairs. Training and test data come
// from disjoint value pools and different seeds, so the detector must generalise to unseen slot
// values. Checks: it learns (accuracy), its probabilities are calibrated (ECE within a stated
// tolerance on independent data), it is symmetric, and model files round-trip exactly while
// garbage, a friction model and truncated files are input_error.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/paraphrase.hpp"

namespace frugal::harvest {
namespace {

struct frame {
  std::string intent;
  std::vector<std::string> carriers;  // "{city}" marks a slot
};

const std::vector<frame> frames = {
    {"book",
     {"book a flight to {city}", "i want to fly to {city}", "get me a ticket to {city} please",
      "fly me to {city}", "i need a plane to {city}"}},
    {"cancel",
     {"cancel my flight to {city}", "drop the trip to {city}", "i no longer fly to {city}",
      "forget the flight to {city}"}},
    {"weather",
     {"what is the weather in {city}", "is it raining in {city}", "weather for {city} please",
      "how warm is it in {city}"}},
    {"alarm",
     {"wake me at {time}", "set an alarm for {time}", "alarm at {time} please",
      "i need to get up at {time}"}},
    {"remove_alarm",
     {"remove the alarm at {time}", "delete my {time} alarm", "no alarm at {time} any more"}},
};

// Disjoint value pools: `part` 0 for training, 1 for testing.
std::vector<std::string> values(const std::string& type, int part) {
  std::vector<std::string> out;
  for (int i = 0; i < 40; ++i)
    out.push_back(type == "city" ? "town" + std::to_string(part) + "x" + std::to_string(i)
                                 : std::to_string(part * 40 + i) + "h");
  return out;
}

std::vector<annotated_utterance> generate(int part, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<annotated_utterance> data;
  for (std::size_t n = 0; n < count; ++n) {
    const frame& f = frames[random() % frames.size()];
    const std::string& carrier = f.carriers[random() % f.carriers.size()];
    annotated_utterance u;
    u.intent = f.intent;
    std::string word;
    const auto flush = [&] {
      if (word.empty()) return;
      if (word.front() == '{') {
        const std::string type = word.substr(1, word.size() - 2);
        const std::vector<std::string> pool = values(type, part);
        u.slots.push_back(
            {type, std::uint32_t(u.tokens.size()), std::uint32_t(u.tokens.size() + 1)});
        u.tokens.push_back(pool[random() % pool.size()]);
      } else {
        u.tokens.push_back(word);
      }
      word.clear();
    };
    for (const char c : carrier) {
      if (c == ' ')
        flush();
      else
        word += c;
    }
    flush();
    data.push_back(std::move(u));
  }
  return data;
}

class ParaphraseDetector : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    train_ =
        new std::vector<paraphrase_example>(synthesize_pairs(generate(0, 400, 1), {.seed = 1}));
    test_ = new std::vector<paraphrase_example>(synthesize_pairs(generate(1, 400, 2), {.seed = 2}));
    detector_ =
        new paraphrase_detector(paraphrase_detector::train(*train_, {.epochs = 6, .seed = 1}));
  }
  static void TearDownTestSuite() {
    delete detector_;
    delete train_;
    delete test_;
  }
  static std::vector<paraphrase_example>* train_;
  static std::vector<paraphrase_example>* test_;
  static paraphrase_detector* detector_;

  std::filesystem::path temp(const std::string& name) const {
    return std::filesystem::temp_directory_path() /
           ("frugal-paraphrase-test-" + std::to_string(::getpid()) + "-" + name);
  }
};

std::vector<paraphrase_example>* ParaphraseDetector::train_ = nullptr;
std::vector<paraphrase_example>* ParaphraseDetector::test_ = nullptr;
paraphrase_detector* ParaphraseDetector::detector_ = nullptr;

TEST_F(ParaphraseDetector, LearnsAndIsCalibrated) {
  ASSERT_GT(train_->size(), 1000u);
  const detector_metrics& held_out = detector_->training_metrics();
  EXPECT_GT(held_out.examples, 200u);
  EXPECT_GT(held_out.accuracy, 0.9);
  // Independent test pairs over unseen slot values (about 1,500 pairs; with 10 bins the ECE of
  // a calibrated model is then a few hundredths at most).
  const detector_metrics test = detector_->evaluate(*test_);
  EXPECT_GT(test.examples, 1000u);
  EXPECT_GT(test.precision, 0.85);
  EXPECT_GT(test.recall, 0.85);
  EXPECT_LT(test.expected_calibration_error, 0.08);
  EXPECT_LT(held_out.expected_calibration_error, 0.08);
}

// Three positives to each negative, and one label in six flipped so that the task is not
// separable: the training loss balances the classes, so only the Platt calibration brings the
// probabilities back to the 3:1 prior; without it they run low.
TEST_F(ParaphraseDetector, CalibratedOnImbalancedNoisyPairs) {
  const auto imbalanced = [](const std::vector<paraphrase_example>& pairs) {
    std::vector<paraphrase_example> kept;
    std::size_t negatives = 0;
    for (const paraphrase_example& pair : pairs)
      if (pair.paraphrase || negatives++ % 3 == 0) kept.push_back(pair);
    for (std::size_t i = 0; i < kept.size(); i += 6) kept[i].paraphrase = !kept[i].paraphrase;
    return kept;
  };
  // Fresh pairs over the training value pool: the same distribution, other utterances.
  const std::vector<paraphrase_example> train = imbalanced(*train_);
  const std::vector<paraphrase_example> test =
      imbalanced(synthesize_pairs(generate(0, 400, 3), {.seed = 3}));
  const paraphrase_detector detector = paraphrase_detector::train(train, {.seed = 2});
  const detector_metrics metrics = detector.evaluate(test);
  EXPECT_GT(metrics.positives * 100, metrics.examples * 55);
  // Measured: 0.047 calibrated, 0.065 with the Platt step left out (seeded, so not flaky).
  EXPECT_LT(metrics.expected_calibration_error, 0.055);
  EXPECT_LT(detector.training_metrics().expected_calibration_error, 0.06);
  double mean = 0;
  for (const paraphrase_example& pair : test) mean += detector.probability(pair.a, pair.b);
  mean /= double(test.size());
  // The mean probability matches the share of positives (about 0.58) within 0.03.
  EXPECT_NEAR(mean, double(metrics.positives) / double(metrics.examples), 0.03);
}

TEST_F(ParaphraseDetector, SlotValueChangeIsNotAParaphrase) {
  const std::vector<std::string> a = {"book", "a", "flight", "to", "town1x3"};
  EXPECT_GT(detector_->probability(a, {"fly", "me", "to", "town1x3"}), 0.5);
  EXPECT_LT(detector_->probability(a, {"fly", "me", "to", "town1x9"}), 0.5);
  EXPECT_LT(detector_->probability(a, {"cancel", "my", "flight", "to", "town1x3"}), 0.5);
}

TEST_F(ParaphraseDetector, Symmetric) {
  for (std::size_t i = 0; i < 50 && i < test_->size(); ++i) {
    const paraphrase_example& pair = (*test_)[i];
    EXPECT_DOUBLE_EQ(detector_->probability(pair.a, pair.b),
                     detector_->probability(pair.b, pair.a));
  }
}

TEST_F(ParaphraseDetector, DeterministicTraining) {
  const paraphrase_detector again = paraphrase_detector::train(*train_, {.epochs = 6, .seed = 1});
  for (std::size_t i = 0; i < 50; ++i) {
    const paraphrase_example& pair = (*test_)[i];
    EXPECT_EQ(again.probability(pair.a, pair.b), detector_->probability(pair.a, pair.b));
  }
}

TEST_F(ParaphraseDetector, SaveLoadRoundTrip) {
  const std::filesystem::path path = temp("model");
  detector_->save(path.string());
  const paraphrase_detector loaded = paraphrase_detector::load(path.string());
  for (const paraphrase_example& pair : *test_)
    ASSERT_EQ(loaded.probability(pair.a, pair.b), detector_->probability(pair.a, pair.b));
  EXPECT_EQ(loaded.training_metrics().examples, detector_->training_metrics().examples);
  EXPECT_EQ(loaded.training_metrics().expected_calibration_error,
            detector_->training_metrics().expected_calibration_error);
  std::filesystem::remove(path);
}

TEST_F(ParaphraseDetector, BadModelFilesAreInputErrors) {
  const std::filesystem::path path = temp("model"), bad = temp("bad");
  detector_->save(path.string());
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto write = [&](const std::string& content) {
    std::ofstream out(bad, std::ios::binary | std::ios::trunc);
    out << content;
  };
  const auto expect_input_error = [&](const std::string& what) {
    try {
      paraphrase_detector::load(bad.string());
      ADD_FAILURE() << what << " loaded";
    } catch (const input_error& error) {
      EXPECT_EQ(error.file(), bad.string()) << what;
    }
  };
  write("");
  expect_input_error("an empty file");
  write("garbage\nmore garbage\n");
  expect_input_error("garbage");
  // Truncated anywhere: in the magic, the settings or the weights.
  for (const std::size_t cut :
       {std::size_t(5), std::size_t(40), std::size_t(300), bytes.size() / 2, bytes.size() - 1}) {
    write(bytes.substr(0, cut));
    expect_input_error("a file cut at " + std::to_string(cut));
  }
  write(bytes + "x");
  expect_input_error("trailing bytes");
  // Settings that are JSON but not ours.
  const std::size_t settings_end = bytes.find('\n', bytes.find('\n') + 1);
  write(bytes.substr(0, bytes.find('\n') + 1) + "{\"platt_a\": \"one\"}" +
        bytes.substr(settings_end));
  expect_input_error("mistyped settings");
  // A friction model is not a paraphrase model, and the other way round.
  friction_detector friction;
  {
    std::vector<turn> turns(20);
    for (std::size_t i = 0; i < turns.size(); ++i) {
      turns[i].tokens = {"word" + std::to_string(i % 3)};
      turns[i].status = i % 2 ? "200" : "error";
      turns[i].friction = i % 2 == 0;
    }
    friction = friction_detector::train(turns);
  }
  friction.save(bad.string());
  expect_input_error("a friction model");
  EXPECT_THROW(friction_detector::load(path.string()), input_error);
  EXPECT_THROW(paraphrase_detector::load(temp("missing").string()), input_error);
  std::filesystem::remove(path);
  std::filesystem::remove(bad);
}

}  // namespace
}  // namespace frugal::harvest
