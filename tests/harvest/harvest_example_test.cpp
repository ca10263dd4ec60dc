// examples/harvest.sh in quick mode: simulate a German log, train both detectors, harvest, and
// check the harvested labels against the simulator's truth; then label projection on its own.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "e2e/run_command.hpp"

namespace {

namespace fs = std::filesystem;

TEST(HarvestExample, RunsEndToEndAndHarvestsTrueLabels) {
  const fs::path root = fs::path(FRUGAL_TEST_DATA_DIR).parent_path().parent_path();
  const fs::path out = fs::temp_directory_path() / "frugal-harvest-example-test";
  fs::remove_all(out);
  const auto result = frugal::e2e::run_command({(root / "examples/harvest.sh").string(), "--quick",
                                                "--out-dir", out.string(), "--frugal",
                                                FRUGAL_CLI_PATH, "--data", FRUGAL_SHARED_DATA_DIR});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  // "N harvested examples, M with the true intent and slots": the example's own check against
  // the truth the simulator kept in the log. At least 10 kept, at least 95% of them right.
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.out, match,
                                std::regex("([0-9]+) harvested examples, ([0-9]+) with the true")))
      << result.out;
  const int kept = std::stoi(match[1]);
  const int right = std::stoi(match[2]);
  EXPECT_GE(kept, 10);
  EXPECT_GE(right, 0.95 * kept);
  EXPECT_NE(result.out.find("[datetime: morgen um sieben uhr] bitte wecken"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("put on [artist: the uh beatles]"), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "harvested.jsonl"));
  fs::remove_all(out);
}

}  // namespace
