// `frugal demo` end to end, in its quick configuration (5% of the training images, one epoch):
// the predictions file, one estimate line per set, the model cache, and bad input.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"

namespace {

namespace fs = std::filesystem;
using frugal::e2e::run_command;

class demo_cli_test : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("frugal_demo_cli_" + std::to_string(::getpid()));
    fs::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
  }
  fs::path directory_;
};

// The line of `text` starting with `prefix` (followed by a space) in the section after `after`.
std::string line_starting(const std::string& text, const std::string& after,
                          const std::string& prefix) {
  std::istringstream in(text.substr(text.find(after)));
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix + " ", 0) == 0) return line;
  return {};
}

// From the simulation to the end of the round (the timing line after it varies).
std::string evaluation_part(const std::string& text) {
  const std::size_t begin = text.find("== simulate");
  const std::size_t end = text.find("frugal demo: done");
  if (begin == std::string::npos || end == std::string::npos) return {};
  return text.substr(begin, end - begin);
}

TEST_F(demo_cli_test, quick_run_writes_predictions_estimates_and_caches_models) {
  const std::vector<std::string> command{
      FRUGAL_CLI_PATH, "demo", "--quick",   "--dir", directory_.string(),
      "--trials",      "10",   "--threads", "1"};
  const auto first = run_command(command);
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;

  std::ifstream in(directory_ / "predictions.csv");
  std::string header;
  std::getline(in, header);
  EXPECT_EQ(header, "id,linear,mlp-256-128,mlp-128-half,mlp-512,cnn,label");
  std::size_t rows = 0;
  for (std::string line; std::getline(in, line);) {
    ++rows;
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), 6) << line;
  }
  EXPECT_EQ(rows, 10'000u);

  // One estimate line per set (defined or not), with the true precision beside it.
  for (const char* set : {"ensemble", "linear", "mlp-256-128", "mlp-128-half", "mlp-512", "cnn"}) {
    EXPECT_FALSE(line_starting(first.out, "== one round", set).empty()) << set << "\n" << first.out;
  }
  for (const char* design : {"independent", "coordinated", "paper-reshuffle", "paper-resample"})
    EXPECT_FALSE(line_starting(first.out, "== simulate", design).empty()) << design;
  EXPECT_NE(first.out.find("trained in"), std::string::npos) << first.out;
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_ / "models"), fs::directory_iterator{}),
            5);

  const auto second = run_command(command);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("training skipped"), std::string::npos) << second.out;
  // Same models, same seeds: the same round.
  EXPECT_EQ(evaluation_part(second.out), evaluation_part(first.out));
}

TEST_F(demo_cli_test, bad_class_and_missing_data) {
  EXPECT_EQ(run_command({FRUGAL_CLI_PATH, "demo", "--class", "sandal"}).exit_code, 2);
  const auto missing =
      run_command({FRUGAL_CLI_PATH, "demo", "--quick", "--dir", directory_.string(), "--data-dir",
                   (directory_ / "nowhere").string()});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_NE(missing.err.find("dataset-fashion-mnist"), std::string::npos) << missing.err;
}

}  // namespace
