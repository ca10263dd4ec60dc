// `frugal demo` end to end, in its quick configuration (5% of the training images, one epoch):
// the predictions file, one estimate line per set, the model cache, and bad input.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
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

// --serve: after the demo, the test images as PNG files, a campaign holding them, and `frugal
// serve` on it (exec'd, so SIGTERM stops it); an item handed out comes with its picture.
TEST_F(demo_cli_test, serve_shows_the_test_images) {
  const std::string out_path = (directory_ / "serve.out").string();
  std::vector<std::string> arguments{
      FRUGAL_CLI_PATH, "demo", "--quick",   "--dir", directory_.string(),
      "--trials",      "5",    "--threads", "1",     "--serve",
      "--port",        "0"};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t child = 0;
  ASSERT_EQ(posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  struct stopper {
    pid_t pid;
    ~stopper() {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  } stop{child};

  std::string url;
  for (int tries = 0; tries < 1800 && url.empty(); ++tries) {  // quick training: well under 3 min
    std::ifstream in(out_path);
    for (std::string line; std::getline(in, line);)
      if (line.rfind("frugal serve: http://", 0) == 0) url = line.substr(14);
    if (url.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(url.empty()) << "no URL printed";
  EXPECT_EQ(std::distance(fs::directory_iterator(directory_ / "images"), fs::directory_iterator{}),
            10000);
  const std::string origin = url.substr(0, url.find("/?token="));
  const std::string token = url.substr(url.find("token=") + 6);
  httplib::Client client(origin);
  const httplib::Headers headers{{"Authorization", "Bearer " + token}};
  const auto next = client.Get("/api/next?annotator=test", headers);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->status, 200) << next->body;
  const std::size_t image_at = next->body.find("/api/image?row=");
  ASSERT_NE(image_at, std::string::npos) << next->body;
  const std::string image_path =
      next->body.substr(image_at, next->body.find('"', image_at) - image_at);
  const auto image = client.Get(image_path, headers);
  ASSERT_TRUE(image);
  EXPECT_EQ(image->status, 200);
  EXPECT_EQ(image->body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
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
