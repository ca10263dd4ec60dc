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

TEST_F(update_training_cli_test, experiment_prints_the_table_and_writes_the_plot) {
  const auto run = run_command({FRUGAL_CLI_PATH,
                                "train",
                                "experiment",
                                "--seeds",
                                "1,2",
                                "--models",
                                "mlp",
                                "--hidden",
                                "32",
                                "--epochs",
                                "1",
                                "--old-epochs",
                                "1",
                                "--old-subset",
                                "0.03",
                                "--train-subset",
                                "0.05",
                                "--sweep",
                                "0.5",
                                "--svg",
                                path("sweep.svg"),
                                "--threads",
                                "1",
                                "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json result = nlohmann::json::parse(run.out);
  // Two seeds x four losses, plus the sweep at w = 0.5 for the three weighted losses (seed 1).
  EXPECT_EQ(result["runs"].size(), 2u * 4u + 3u);
  ASSERT_EQ(result["summary"].size(), 4u);
  EXPECT_EQ(result["summary"][0]["loss"], "cross-entropy");
  EXPECT_EQ(result["summary"][0]["runs"], 2);
  EXPECT_DOUBLE_EQ(result["summary"][0]["nfr_ratio_to_cross_entropy"].get<double>(), 1.0);
  // The table's means are the means of its runs.
  double sum = 0;
  for (const auto& one : result["runs"])
    if (one["loss"] == "focal-distillation" && !one["sweep"].get<bool>())
      sum += one["nfr"].get<double>();
  EXPECT_NEAR(result["summary"][2]["nfr"]["mean"].get<double>(), sum / 2, 1e-12);
  EXPECT_EQ(result["old_accuracy"].size(), 2u);
  EXPECT_TRUE(fs::exists(path("sweep.svg")));

  // The human table names every loss.
  const auto table = run_command({FRUGAL_CLI_PATH,
                                  "train",
                                  "experiment",
                                  "--seeds",
                                  "3",
                                  "--models",
                                  "mlp",
                                  "--hidden",
                                  "16",
                                  "--epochs",
                                  "1",
                                  "--old-epochs",
                                  "1",
                                  "--old-subset",
                                  "0.02",
                                  "--train-subset",
                                  "0.02",
                                  "--sweep",
                                  "none",
                                  "--threads",
                                  "1"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const char* loss :
       {"cross-entropy", "distillation", "focal-distillation", "logit-inhibition"})
    EXPECT_NE(table.out.find(loss), std::string::npos) << table.out;
}

// `frugal compat --json` on the old and a new model's embeddings of the test images.
nlohmann::json compat_of(const std::string& old_path, const std::string& new_path,
                         const std::string& criterion, int expected_exit) {
  const auto run =
      run_command({FRUGAL_CLI_PATH, "compat", "--query", old_path, new_path, "--gallery", old_path,
                   new_path, "--criterion", criterion, "--require-compatible", "--json"});
  EXPECT_EQ(run.exit_code, expected_exit) << run.err;
  return nlohmann::json::parse(run.out);
}

TEST_F(update_training_cli_test, bct_embeddings_search_the_old_index_independent_ones_do_not) {
  // examples/compatible_embeddings.sh --quick, on one thread: old linear (32-wide embedding, a
  // tenth of the images, 1 epoch); new mlp (a fifth, 2 epochs) on its own and with BCT.
  const std::vector<std::string> old_common = {FRUGAL_CLI_PATH, "train", "--embedding-dim", "32",
                                               "--threads",     "1",     "--train-subset",  "0.1",
                                               "--epochs",      "1",     "--seed",          "1"};
  std::vector<std::string> old_run = old_common;
  old_run.insert(old_run.end(), {"--model", "linear", "--out-model", path("old.pt"),
                                 "--embeddings-out", path("old.csv")});
  ASSERT_EQ(run_command(old_run).exit_code, 0);
  const std::vector<std::string> new_common = {
      FRUGAL_CLI_PATH,  "train", "--model",  "mlp", "--embedding-dim", "32", "--threads", "1",
      "--train-subset", "0.2",   "--epochs", "2",   "--seed",          "2"};
  std::vector<std::string> independent = new_common;
  independent.insert(independent.end(), {"--embeddings-out", path("independent.csv")});
  const auto independent_run = run_command(independent);
  ASSERT_EQ(independent_run.exit_code, 0) << independent_run.err;
  std::vector<std::string> compatible = new_common;
  compatible.insert(compatible.end(), {"--loss", "bct", "--old-model", path("old.pt"),
                                       "--bct-weight", "3", "--embeddings-out", path("bct.csv")});
  const auto compatible_run = run_command(compatible);
  ASSERT_EQ(compatible_run.exit_code, 0) << compatible_run.err;

  // Measured 2026-11-24: old->old top-1 0.783, mAP 0.548; independent new->old top-1 0.133
  // (chance 0.100), mAP 0.168; BCT new->old top-1 0.676, mAP 0.571: the mAP criterion holds,
  // top-1 does not (see docs/model-updates.md).
  const nlohmann::json alone = compat_of(path("old.csv"), path("independent.csv"), "map", 1);
  const auto& chance = alone["pairs"]["new_old"]["chance_top1"];
  EXPECT_LT(alone["pairs"]["new_old"]["top1"].get<double>(), chance.get<double>() + 0.1)
      << alone.dump();
  EXPECT_EQ(alone["compatible"], false);
  const nlohmann::json bct = compat_of(path("old.csv"), path("bct.csv"), "map", 0);
  EXPECT_EQ(bct["criterion"]["map"], true) << bct.dump();
  EXPECT_EQ(bct["compatible"], true);
  EXPECT_GT(bct["pairs"]["new_old"]["top1"].get<double>(),
            3 * alone["pairs"]["new_old"]["top1"].get<double>());
}

TEST_F(update_training_cli_test, experiment_and_embedding_option_errors) {
  const std::vector<std::vector<std::string>> usage = {
      {"--sweep", "1.5"},  {"--seeds", "one"},
      {"--seeds", "1,,2"}, {"--models", "transformer"},
      {"--losses", "bct"}, {"--sweep", "none", "--svg", "plot.svg"},
      {"--seeds", "-1"},   {"--seeds", "1,2,1"},
      {"--sweep", "0"},    {"--losses", "cross-entropy,new-error", "--sweep", "0.5"},
      {"--models", "cnn"},  // the sweep model (mlp) must be trained as a new model
      {"--hidden", "0"},
  };
  for (const auto& options : usage) {
    std::vector<std::string> command = {FRUGAL_CLI_PATH, "train", "experiment"};
    command.insert(command.end(), options.begin(), options.end());
    EXPECT_EQ(run_command(command).exit_code, 2) << options[0] << " " << options[1];
  }
  // An option of `frugal train` itself would be ignored by the experiment.
  EXPECT_EQ(run_command({FRUGAL_CLI_PATH, "train", "--epochs", "9", "experiment"}).exit_code, 2);
  const auto no_data =
      run_command({FRUGAL_CLI_PATH, "train", "experiment", "--data-dir", path("nowhere")});
  EXPECT_EQ(no_data.exit_code, 3) << no_data.err;
  EXPECT_FALSE(fs::exists(path("plot.svg")));
  // Embedding options: bct needs the old model and a width; the width needs a model option.
  EXPECT_EQ(run_command({FRUGAL_CLI_PATH, "train", "--model", "mlp", "--loss", "bct",
                         "--embedding-dim", "8"})
                .exit_code,
            2);
  EXPECT_EQ(
      run_command({FRUGAL_CLI_PATH, "train", "--model", "mlp", "--embeddings-out", path("e.csv")})
          .exit_code,
      2);
  EXPECT_EQ(run_command({FRUGAL_CLI_PATH, "train", "--embedding-dim", "8"}).exit_code, 2);
  // An old model that is not a model file: exit 3 naming it.
  const auto foreign = run_command({FRUGAL_CLI_PATH, "train", "--model", "mlp", "--loss", "bct",
                                    "--embedding-dim", "8", "--old-model", path("nothing.pt")});
  EXPECT_EQ(foreign.exit_code, 3) << foreign.err;
  EXPECT_NE(foreign.err.find("nothing.pt"), std::string::npos) << foreign.err;
}

}  // namespace
