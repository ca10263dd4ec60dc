// `frugal train` end to end: exit codes and messages for bad input, and a quick real run.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"
#include "train/feature_blobs.hpp"

namespace {

namespace fs = std::filesystem;
using frugal::e2e::run_command;
using frugal::train::testing::blob_table;
using frugal::train::testing::write_text;

class train_cli_test : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("frugal_train_cli_" + std::to_string(::getpid()));
    fs::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
  fs::path directory_;
};

TEST_F(train_cli_test, unknown_class_is_exit_3_listing_the_classes) {
  const auto result = run_command(
      {FRUGAL_CLI_PATH, "train", "--model", "mlp", "--target-class", "hoodie", "--epochs", "1"});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("\"hoodie\""), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("t-shirt, trouser, pullover"), std::string::npos) << result.err;
}

TEST_F(train_cli_test, bad_options_are_usage_errors) {
  EXPECT_EQ(run_command({FRUGAL_CLI_PATH, "train", "--model", "resnet"}).exit_code, 2);
  EXPECT_EQ(run_command({FRUGAL_CLI_PATH, "train"}).exit_code, 2);
  EXPECT_EQ(
      run_command({FRUGAL_CLI_PATH, "train", "--model", "mlp", "--hidden", "256,x"}).exit_code, 2);
  EXPECT_EQ(
      run_command({FRUGAL_CLI_PATH, "train", "--model", "mlp", "--train-subset", "1.5"}).exit_code,
      2);
}

TEST_F(train_cli_test, missing_or_corrupt_data_is_exit_3) {
  const auto missing = run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--data-dir",
                                    (directory_ / "nowhere").string()});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_NE(missing.err.find("dataset-fashion-mnist"), std::string::npos) << missing.err;

  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    std::ofstream(directory_ / name, std::ios::binary) << "\x1f\x8b\x08 truncated";
  }
  const auto corrupt = run_command(
      {FRUGAL_CLI_PATH, "train", "--model", "linear", "--data-dir", directory_.string()});
  EXPECT_EQ(corrupt.exit_code, 3) << corrupt.err;
}

TEST_F(train_cli_test, corrupt_or_truncated_idx_files_are_exit_3) {
  // A gzip stream cut short: half of the real test labels file, under every file name.
  const fs::path real = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
  std::ifstream in(real, std::ios::binary);
  ASSERT_TRUE(in) << real;
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const fs::path cut = directory_ / "cut";
  fs::create_directories(cut);
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}) {
    write_text((cut / name).string(), bytes.substr(0, bytes.size() / 2));
  }
  const auto gzip =
      run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--data-dir", cut.string()});
  EXPECT_EQ(gzip.exit_code, 3) << gzip.err;
  EXPECT_NE(gzip.err.find("gzip stream"), std::string::npos) << gzip.err;

  // Uncompressed IDX files whose data is shorter than their sizes say.
  const fs::path short_data = directory_ / "short";
  fs::create_directories(short_data);
  const std::string images =
      std::string("\0\0\x08\x03\0\0\0\x02\0\0\0\x1c\0\0\0\x1c", 16) + std::string(100, 'x');
  const std::string labels("\0\0\x08\x01\0\0\0\x02\x01", 9);
  for (const char* split : {"train", "t10k"}) {
    write_text((short_data / (std::string(split) + "-images-idx3-ubyte")).string(), images);
    write_text((short_data / (std::string(split) + "-labels-idx1-ubyte")).string(), labels);
  }
  const auto truncated = run_command(
      {FRUGAL_CLI_PATH, "train", "--model", "linear", "--data-dir", short_data.string()});
  EXPECT_EQ(truncated.exit_code, 3) << truncated.err;
  EXPECT_NE(truncated.err.find("data truncated"), std::string::npos) << truncated.err;
}

TEST_F(train_cli_test, csv_tables_train_an_mlp_and_write_scores_by_id) {
  const fs::path training = directory_ / "train.csv";
  const fs::path test = directory_ / "test.csv";
  const fs::path scores = directory_ / "scores.csv";
  write_text(training.string(), blob_table(600, 11, "train-"));
  write_text(test.string(), blob_table(300, 12, "row-"));
  const auto result = run_command(
      {FRUGAL_CLI_PATH, "train",        "--data",       "csv", "--train-table", training.string(),
       "--test-table",  test.string(),  "--model",      "mlp", "--hidden",      "16",
       "--epochs",      "20",           "--batch-size", "32",  "--threads",     "1",
       "--predictions", scores.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Measured 0.9633 (the library test's run); chance is 1/3.
  const std::size_t at = result.out.find("test accuracy: ");
  ASSERT_NE(at, std::string::npos) << result.out;
  EXPECT_GE(std::stod(result.out.substr(at + 15)), 0.90) << result.out;
  EXPECT_NE(result.out.find("(300 rows)"), std::string::npos) << result.out;
  std::ifstream in(scores);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "id,prediction,score_alpha,score_beta,score_gamma");
  std::getline(in, line);
  EXPECT_EQ(line.rfind("row-0,", 0), 0u) << line;
  std::size_t rows = 1;
  while (std::getline(in, line)) ++rows;
  EXPECT_EQ(rows, 300u);
}

TEST_F(train_cli_test, csv_bad_input_is_exit_3_and_bad_options_exit_2) {
  const fs::path training = directory_ / "train.csv";
  const fs::path test = directory_ / "test.csv";
  write_text(training.string(), "id,label,x,y\na,cat,1,2\nb,dog,3,oops\n");
  write_text(test.string(), "id,label,x,y\nc,cat,1,2\n");
  const auto csv_train = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{
        FRUGAL_CLI_PATH, "train",       "--data",   "csv", "--train-table", training.string(),
        "--test-table",  test.string(), "--epochs", "1",   "--threads",     "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_command(args);
  };
  const auto non_numeric = csv_train({"--model", "linear"});
  EXPECT_EQ(non_numeric.exit_code, 3) << non_numeric.err;
  EXPECT_NE(non_numeric.err.find(training.string() + ":3:9:"), std::string::npos)
      << non_numeric.err;
  EXPECT_NE(non_numeric.err.find("\"oops\""), std::string::npos) << non_numeric.err;

  write_text(training.string(), "id,label,x,y\na,cat,1,2\nb,dog,3,4\n");
  write_text(test.string(), "id,label,x,y\nc,cat,1,2\nd,bird,3,4\n");
  const auto unseen = csv_train({"--model", "mlp"});
  EXPECT_EQ(unseen.exit_code, 3) << unseen.err;
  EXPECT_NE(unseen.err.find(test.string() + ":3:"), std::string::npos) << unseen.err;
  EXPECT_NE(unseen.err.find("\"bird\""), std::string::npos) << unseen.err;

  write_text(test.string(), "id,label,x,y\nc,cat,1,2\n");
  const auto unknown_target = csv_train({"--model", "linear", "--target-class", "bird"});
  EXPECT_EQ(unknown_target.exit_code, 3) << unknown_target.err;
  EXPECT_NE(unknown_target.err.find("cat, dog"), std::string::npos) << unknown_target.err;

  EXPECT_EQ(csv_train({"--model", "cnn"}).exit_code, 2);
  EXPECT_EQ(run_command({FRUGAL_CLI_PATH, "train", "--data", "csv", "--model", "mlp"}).exit_code,
            2);
  EXPECT_EQ(
      run_command({FRUGAL_CLI_PATH, "train", "--model", "mlp", "--train-table", training.string()})
          .exit_code,
      2);
}

TEST_F(train_cli_test, quick_run_saves_model_and_scores) {
  const fs::path model = directory_ / "linear.pt";
  const fs::path scores = directory_ / "scores.csv";
  const auto result = run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--epochs", "1",
                                   "--train-subset", "0.05", "--threads", "1", "--out-model",
                                   model.string(), "--predictions", scores.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Measured 0.7453 (3,000 images, one epoch); chance is 0.10.
  const std::size_t at = result.out.find("test accuracy: ");
  ASSERT_NE(at, std::string::npos) << result.out;
  EXPECT_GE(std::stod(result.out.substr(at + 15)), 0.70) << result.out;
  EXPECT_TRUE(fs::exists(model));
  std::ifstream in(scores);
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header.rfind("id,prediction,score_t-shirt,score_trouser,", 0), 0u) << header;
  std::size_t rows = 0;
  for (std::string line; std::getline(in, line);) ++rows;
  EXPECT_EQ(rows, 10'000u);
}

}  // namespace
