// Every floating-point option of every command rejects "nan" (and infinities) as a usage error,
// exit 2. CLI::Range, NonNegativeNumber and PositiveNumber let NaN through (every comparison
// with it is false), which then reached the library as a margin, a confidence level or a loss
// weight. Each case also runs with a finite value in place of "nan": that run must not be a
// usage error (its input files do not exist, so it stops at exit 3 before any work), which
// shows that the rest of the command line is valid and "nan" alone is refused.
// The harvest commands' options are tested beside their other tests (tests/harvest/).

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "e2e/run_command.hpp"

namespace frugal::e2e {
namespace {

struct option_case {
  std::vector<std::string> command;  // a command line without the option
  std::string option;
  std::string finite_value;  // a value the option accepts
};

std::ostream& operator<<(std::ostream& out, const option_case& c) {
  return out << fmt::format("frugal {} {}", fmt::join(c.command, " "), c.option);
}

class non_finite_option_test : public scratch_directory_test,
                               public ::testing::WithParamInterface<option_case> {
 protected:
  command_result frugal(const std::string& value) const {
    std::vector<std::string> arguments{FRUGAL_CLI_PATH};
    arguments.insert(arguments.end(), GetParam().command.begin(), GetParam().command.end());
    arguments.push_back(GetParam().option);
    arguments.push_back(value);
    return run_command(arguments, dir_);
  }
};

TEST_P(non_finite_option_test, nan_and_inf_are_usage_errors) {
  // "inf" passes CLI::NonNegativeNumber and CLI::PositiveNumber too.
  for (const char* value : {"nan", "inf"}) {
    SCOPED_TRACE(value);
    const command_result result = frugal(value);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find(GetParam().option), std::string::npos) << result.err;
  }
  const command_result finite = frugal(GetParam().finite_value);
  EXPECT_NE(finite.exit_code, 2) << finite.err;
}

// Files named here do not exist (the scratch directory is empty).
const std::vector<std::string> plan{"plan", "pred.csv", "--out", "plan.json"};
const std::vector<std::string> simulate{"simulate", "pred.csv"};
const std::vector<std::string> campaign_init{"campaign", "init", "c.db", "--predictions",
                                             "pred.csv"};
const std::vector<std::string> demo{"demo", "--dir", "demo", "--data-dir", "no-such-dir"};
const std::vector<std::string> flips{"flips", "old.csv", "new.csv", "--labels", "labels.csv"};
const std::vector<std::string> update_plan{"update",   "plan", "old.csv", "new.csv",
                                           "--budget", "10",   "--out",   "plan.json"};
const std::vector<std::string> update_estimate{"update", "estimate",  "old.csv",  "new.csv",
                                               "--plan", "plan.json", "--labels", "labels.csv"};
const std::vector<std::string> update_size{"update", "size", "old.csv", "new.csv"};
const std::vector<std::string> update_size_certified{"update",  "size",      "old.csv",
                                                     "new.csv", "--certify", "0.01"};
const std::vector<std::string> update_gate{"update",  "gate",     "old.csv",
                                           "new.csv", "--labels", "labels.csv"};
const std::vector<std::string> update_gate_budgeted{
    "update", "gate", "old.csv", "new.csv", "--labels", "labels.csv", "--max-churn", "0.1"};
const std::vector<std::string> train{"train",     "--data",       "csv",
                                     "--model",   "linear",       "--train-table",
                                     "train.csv", "--test-table", "test.csv"};
const std::vector<std::string> train_experiment{"train", "experiment", "--data-dir", "no-such-dir"};

INSTANTIATE_TEST_SUITE_P(
    every_command, non_finite_option_test,
    ::testing::Values(
        option_case{plan, "--margin", "0.05"}, option_case{plan, "--confidence", "0.9"},
        option_case{plan, "--prior-precision", "0.8"}, option_case{simulate, "--margin", "0.05"},
        option_case{simulate, "--confidence", "0.9"},
        option_case{campaign_init, "--margin", "0.05"},
        option_case{campaign_init, "--confidence", "0.9"}, option_case{demo, "--margin", "0.05"},
        option_case{demo, "--confidence", "0.9"}, option_case{flips, "--confidence", "0.9"},
        option_case{update_plan, "--agreement-share", "0.1"},
        option_case{update_estimate, "--confidence", "0.9"},
        option_case{update_size, "--certify", "0.01"},
        option_case{update_size_certified, "--assume-nfr", "0.001"},
        option_case{update_size_certified, "--confidence", "0.9"},
        option_case{update_gate, "--max-nfr", "0.01"},
        option_case{update_gate, "--max-class-nfr", "0.01"},
        option_case{update_gate, "--max-churn", "0.1"},
        option_case{update_gate_budgeted, "--confidence", "0.9"},
        option_case{train, "--learning-rate", "0.01"}, option_case{train, "--train-subset", "0.5"},
        option_case{train, "--bct-weight", "1"}, option_case{train, "--fd-alpha", "1"},
        option_case{train, "--fd-beta", "1"}, option_case{train, "--fd-temperature", "2"},
        option_case{train, "--fd-weight", "0.5"}, option_case{train, "--ldi-margin", "0.5"},
        option_case{train, "--ldi-power", "2"}, option_case{train, "--ldi-weight", "0.5"},
        option_case{train, "--new-error-weight", "1"},
        option_case{train_experiment, "--old-subset", "0.5"},
        option_case{train_experiment, "--train-subset", "0.5"},
        option_case{train_experiment, "--fd-weight", "0.5"}));

}  // namespace
}  // namespace frugal::e2e
