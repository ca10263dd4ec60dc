// The LibTorch trainer on real Fashion-MNIST, in reduced seeded runs: learning (an accuracy
// bound a broken trainer fails), exact save/load, reproducibility, one-vs-rest, bad input.

#include "frugal/train/trainer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "frugal/error.hpp"
#include "frugal/train/datasets.hpp"

namespace frugal::train {
namespace {

namespace fs = std::filesystem;

// One torch thread: with more, libgomp's busy-waiting workers (the CLI re-executes itself with
// OMP_WAIT_POLICY=PASSIVE; a test program cannot) made these tests 5-20x slower on a loaded
// machine. The matrix products still use OpenBLAS's own threads. Logits are bit-identical for
// the same thread count.
constexpr unsigned threads = 1;

class trainer_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    training_ = new image_dataset(load_fashion_mnist("train"));
    test_ = new image_dataset(load_fashion_mnist("test"));
  }
  static void TearDownTestSuite() {
    delete training_;
    delete test_;
    training_ = nullptr;
    test_ = nullptr;
    std::error_code ignored;
    fs::remove_all(scratch_directory(), ignored);
  }

  static fs::path scratch_directory() {
    return fs::temp_directory_path() / ("frugal_train_tests_" + std::to_string(::getpid()));
  }

  /// A quick model: `fraction` of the training images, one epoch.
  static model quick(const model_spec& spec, double fraction, std::uint64_t seed) {
    training_settings settings;
    settings.epochs = 1;
    settings.batch_size = 64;
    settings.seed = seed;
    settings.train_subset = fraction;
    settings.threads = threads;
    return train_model(spec, *training_, settings);
  }

  static fs::path scratch(const std::string& name) {
    fs::create_directories(scratch_directory());
    return scratch_directory() / name;
  }

  static inline image_dataset* training_ = nullptr;
  static inline image_dataset* test_ = nullptr;
};

TEST_F(trainer_test, mlp_on_ten_thousand_images_learns) {
  // 10,000 training images (1/6 of the split), two epochs of Adam, seed 1: measured test
  // accuracy 0.8334 (the same with 1 and 2 threads; under a second). Chance is 0.10; a linear
  // model on the same run reaches 0.8133. A trainer that does not learn, mislabels or shuffles
  // labels away from images fails 0.80 by far.
  const model_spec spec = fashion_mnist_spec(model_kind::mlp, {256, 128}, std::nullopt);
  training_settings settings;
  settings.epochs = 2;
  settings.seed = 1;
  settings.train_subset = 1.0 / 6.0;
  settings.threads = threads;
  std::size_t last_epoch = 0;
  double first_loss = 0;
  double last_loss = 0;
  const model trained = train_model(spec, *training_, settings, [&](const training_progress& step) {
    EXPECT_EQ(step.items_per_epoch, 10'000u);
    if (step.items_done == step.items_per_epoch) {
      last_epoch = step.epoch;
      (step.epoch == 1 ? first_loss : last_loss) = step.mean_loss;
    }
  });
  EXPECT_EQ(last_epoch, 2u);
  EXPECT_LT(last_loss, first_loss);
  const class_scores scores = predict(trained, *test_, threads);
  ASSERT_EQ(scores.size(), 10'000u);
  EXPECT_EQ(scores.class_names.size(), 10u);
  EXPECT_GE(accuracy(scores, spec, *test_), 0.80);
}

TEST_F(trainer_test, reloaded_model_reproduces_its_logits_exactly) {
  const model_spec spec = fashion_mnist_spec(model_kind::cnn, {}, std::nullopt);
  const model trained = quick(spec, 0.02, 7);
  const fs::path path = scratch("cnn.pt");
  trained.save(path.string());
  const model reloaded = model::load(path.string());
  EXPECT_EQ(reloaded.spec().kind, model_kind::cnn);
  EXPECT_EQ(reloaded.spec().dataset_classes, spec.dataset_classes);
  EXPECT_FALSE(reloaded.spec().target_class);
  const class_scores before = predict(trained, *test_, threads);
  const class_scores after = predict(reloaded, *test_, threads);
  ASSERT_EQ(before.logits.size(), after.logits.size());
  // Bit-identical, not merely close.
  EXPECT_EQ(0, std::memcmp(before.logits.data(), after.logits.data(),
                           before.logits.size() * sizeof(float)));
  EXPECT_EQ(before.predicted, after.predicted);
  fs::remove(path);
}

TEST_F(trainer_test, same_seed_same_weights_other_seed_other_weights) {
  const model_spec spec = fashion_mnist_spec(model_kind::mlp, {64}, std::nullopt);
  const class_scores first = predict(quick(spec, 0.05, 3), *test_, threads);
  const class_scores second = predict(quick(spec, 0.05, 3), *test_, threads);
  const class_scores other = predict(quick(spec, 0.05, 4), *test_, threads);
  EXPECT_EQ(first.logits, second.logits);
  EXPECT_NE(first.logits, other.logits);
}

TEST_F(trainer_test, one_vs_rest_separates_trousers_and_finds_shirts) {
  const model_spec trousers = fashion_mnist_spec(model_kind::linear, {}, "trouser");
  ASSERT_EQ(trousers.output_classes(), (std::vector<std::string>{"not-trouser", "trouser"}));
  const model trouser_model = quick(trousers, 0.1, 1);
  const class_scores trouser_scores = predict(trouser_model, *test_, threads);
  // Measured 0.9847 (6,000 images, one epoch); always answering "not-trouser" scores 0.90.
  EXPECT_GE(accuracy(trouser_scores, trousers, *test_), 0.97);

  // Shirt is the hardest class. 12,000 images, two epochs: measured 0.9293 with 679 predicted
  // shirts; answering "not-shirt" always scores 0.90 with none.
  const model_spec shirts = fashion_mnist_spec(model_kind::mlp, {128}, "shirt");
  training_settings settings;
  settings.epochs = 2;
  settings.seed = 1;
  settings.train_subset = 0.2;
  settings.threads = threads;
  const class_scores shirt_scores =
      predict(train_model(shirts, *training_, settings), *test_, threads);
  std::size_t predicted_shirts = 0;
  for (std::uint32_t c : shirt_scores.predicted) predicted_shirts += c;
  EXPECT_GE(accuracy(shirt_scores, shirts, *test_), 0.92);
  EXPECT_GT(predicted_shirts, 300u);
}

TEST_F(trainer_test, scores_file_has_the_update_format) {
  const model_spec spec = fashion_mnist_spec(model_kind::linear, {}, "shirt");
  const class_scores scores = predict(quick(spec, 0.01, 1), *test_, threads);
  const fs::path path = scratch("scores.csv");
  write_class_scores(path.string(), scores);
  std::ifstream in(path);
  std::string header;
  std::string first;
  std::getline(in, header);
  std::getline(in, first);
  EXPECT_EQ(header, "id,prediction,score_not-shirt,score_shirt");
  EXPECT_EQ(first.rfind("test-0," + scores.class_names[scores.predicted[0]] + ",", 0), 0u) << first;
  std::size_t rows = 1;
  for (std::string line; std::getline(in, line);) ++rows;
  EXPECT_EQ(rows, 10'000u);
  // The logits read back exactly.
  const std::size_t comma = first.rfind(',');
  EXPECT_EQ(std::stof(first.substr(comma + 1)), scores.logits[1]);
  fs::remove(path);
}

TEST(trainer_input, unknown_class_is_an_input_error_listing_the_classes) {
  try {
    fashion_mnist_spec(model_kind::mlp, {256}, "hoodie");
    FAIL() << "no error";
  } catch (const input_error& error) {
    EXPECT_NE(std::string(error.what()).find("hoodie"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("ankle-boot"), std::string::npos);
  }
}

TEST(trainer_input, bad_hidden_sizes_are_input_errors) {
  EXPECT_EQ(parse_hidden_sizes("256,128"), (std::vector<std::size_t>{256, 128}));
  EXPECT_THROW(parse_hidden_sizes(""), input_error);
  EXPECT_THROW(parse_hidden_sizes("256,"), input_error);
  EXPECT_THROW(parse_hidden_sizes("0"), input_error);
  EXPECT_THROW(parse_hidden_sizes("12x"), input_error);
  EXPECT_THROW(parse_hidden_sizes("-3"), input_error);
}

TEST(trainer_input, bad_settings_are_input_errors) {
  const model_spec spec = fashion_mnist_spec(model_kind::linear, {}, std::nullopt);
  image_dataset tiny;
  tiny.rows = 28;
  tiny.columns = 28;
  tiny.labels = {1, 2};
  tiny.pixels.assign(2 * 28 * 28, 0);
  training_settings settings;
  settings.epochs = 0;
  EXPECT_THROW(train_model(spec, tiny, settings), input_error);
  settings = {};
  settings.train_subset = 1.5;
  EXPECT_THROW(train_model(spec, tiny, settings), input_error);
  settings = {};
  tiny.labels[1] = 10;
  EXPECT_THROW(train_model(spec, tiny, settings), input_error);
  tiny.labels[1] = 2;
  tiny.rows = 14;
  EXPECT_THROW(train_model(spec, tiny, settings), input_error);
}

TEST(trainer_input, corrupt_truncated_missing_or_foreign_model_files_are_input_errors) {
  const fs::path directory =
      fs::temp_directory_path() / ("frugal_train_tests_files_" + std::to_string(::getpid()));
  fs::create_directories(directory);
  const model_spec spec = fashion_mnist_spec(model_kind::linear, {}, std::nullopt);
  const fs::path good = directory / "good.pt";
  model(spec, 1).save(good.string());
  EXPECT_NO_THROW(model::load(good.string()));

  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto write = [&](const std::string& name, const std::string& content) {
    const fs::path path = directory / name;
    std::ofstream(path, std::ios::binary) << content;
    return path.string();
  };
  EXPECT_THROW(model::load(write("truncated.pt", bytes.substr(0, bytes.size() / 2))), input_error);
  std::string flipped = bytes;
  for (std::size_t i = bytes.size() / 3; i < bytes.size() / 3 + 64; ++i) flipped[i] ^= 0x5a;
  EXPECT_THROW(model::load(write("flipped.pt", flipped)), input_error);
  EXPECT_THROW(model::load(write("text.pt", "id,prediction\ntest-0,shirt\n")), input_error);
  EXPECT_THROW(model::load(write("empty.pt", "")), input_error);
  EXPECT_THROW(model::load((directory / "missing.pt").string()), input_error);
  fs::remove_all(directory);
}

}  // namespace
}  // namespace frugal::train
