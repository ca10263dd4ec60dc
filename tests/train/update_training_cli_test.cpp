// `frugal train --loss ...` end to end on Fashion-MNIST: an old model writes its logits on the
// training images (--train-predictions), a new one trains against them, and `frugal flips`
// measures the negative flips. Also the option and input errors.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"

namespace {

namespace fs = std::filesystem;
using frugal::e2e::run_command;

class update_training_cli_test : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ =
        fs::temp_directory_path() / ("frugal_update_training_" + std::to_string(::getpid()));
    fs::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
  std::string path(const char* name) const { return (directory_ / name).string(); }
  fs::path directory_;
};

double nfr_of(const std::string& old_path, const std::string& new_path, const std::string& labels) {
  const auto flips =
      run_command({FRUGAL_CLI_PATH, "flips", old_path, new_path, "--labels", labels, "--json"});
  EXPECT_EQ(flips.exit_code, 0) << flips.err;
  return nlohmann::json::parse(flips.out)["metrics"]["nfr"]["value"].get<double>();
}

TEST_F(update_training_cli_test, focal_distillation_makes_fewer_negative_flips) {
  // The old model: linear, a fifth of the images, one epoch, one thread (reproducible).
  const auto old_run = run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--train-subset",
                                    "0.2", "--epochs", "1", "--threads", "1", "--predictions",
                                    path("old.csv"), "--train-predictions", path("old-train.csv"),
                                    "--labels-out", path("labels.csv")});
  ASSERT_EQ(old_run.exit_code, 0) << old_run.err;
  // Two new models on the same images and seed, an mlp: plain cross-entropy and focal
  // distillation with the published settings (alpha 1, beta 5, T 100, weight 0.9).
  const std::vector<std::string> common = {
      FRUGAL_CLI_PATH, "train",    "--model", "mlp",       "--hidden", "64",     "--train-subset",
      "0.2",           "--epochs", "1",       "--threads", "1",        "--seed", "2"};
  std::vector<std::string> plain = common;
  plain.insert(plain.end(), {"--predictions", path("new-ce.csv")});
  std::vector<std::string> focal = common;
  focal.insert(focal.end(), {"--loss", "focal-distillation", "--old-predictions",
                             path("old-train.csv"), "--predictions", path("new-fd.csv")});
  const auto plain_run = run_command(plain);
  ASSERT_EQ(plain_run.exit_code, 0) << plain_run.err;
  const auto focal_run = run_command(focal);
  ASSERT_EQ(focal_run.exit_code, 0) << focal_run.err;
  const double plain_nfr = nfr_of(path("old.csv"), path("new-ce.csv"), path("labels.csv"));
  const double focal_nfr = nfr_of(path("old.csv"), path("new-fd.csv"), path("labels.csv"));
  // Measured 2026-11-23 with these settings: 0.0326 with cross-entropy against 0.0234 with focal
  // distillation (0.72x; with two epochs on all images, 0.039 against 0.003). Seeded and on one
  // thread, so the run repeats; the bound leaves room for another BLAS.
  EXPECT_GT(plain_nfr, 0.01);
  EXPECT_LT(focal_nfr, 0.85 * plain_nfr)
      << "cross-entropy " << plain_nfr << ", focal " << focal_nfr;
  for (const char* loss : {"distillation", "logit-inhibition", "new-error"}) {
    const auto run = run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--train-subset",
                                  "0.05", "--epochs", "1", "--threads", "1", "--loss", loss,
                                  "--old-predictions", path("old-train.csv")});
    EXPECT_EQ(run.exit_code, 0) << loss << ": " << run.err;
  }
}

TEST_F(update_training_cli_test, option_and_input_errors) {
  // A loss that compares with the old model, without its logits: usage error.
  EXPECT_EQ(
      run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--loss", "focal-distillation"})
          .exit_code,
      2);
  EXPECT_EQ(
      run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--loss", "focal"}).exit_code, 2);
  // Logits of the test images are not logits of the training images: exit 3, naming the file.
  const auto test_only =
      run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--train-subset", "0.01",
                   "--epochs", "1", "--threads", "1", "--predictions", path("test-scores.csv")});
  ASSERT_EQ(test_only.exit_code, 0) << test_only.err;
  const auto wrong =
      run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--epochs", "1", "--loss",
                   "focal-distillation", "--old-predictions", path("test-scores.csv")});
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_NE(wrong.err.find("test-scores.csv"), std::string::npos) << wrong.err;
  EXPECT_NE(wrong.err.find("train-0"), std::string::npos) << wrong.err;
}

}  // namespace
