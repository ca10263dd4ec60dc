// examples/model_update.sh in quick mode (train old and new on Fashion-MNIST, flips, update size,
// plan, simulated labelling, estimate, gate), and `frugal train --labels-out`, which the example
// relies on for its true classes.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"
#include "frugal/train/datasets.hpp"
#include "train/feature_blobs.hpp"

namespace {

namespace fs = std::filesystem;
using frugal::e2e::parse_csv;
using frugal::e2e::run_command;
using frugal::train::testing::blob_table;
using frugal::train::testing::write_text;
using table = std::vector<std::vector<std::string>>;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

table read_csv(const fs::path& path) {
  return parse_csv(read_text(path));
}

// The repository root: FRUGAL_TEST_DATA_DIR is <root>/tests/data.
fs::path repository_root() {
  return fs::path(FRUGAL_TEST_DATA_DIR).parent_path().parent_path();
}

// Row for row, the labels file has the ids of the predictions file.
void expect_same_ids(const table& predictions, const table& labels) {
  ASSERT_FALSE(predictions.empty());
  ASSERT_FALSE(labels.empty());
  EXPECT_EQ(labels[0], (std::vector<std::string>{"id", "label"}));
  ASSERT_EQ(labels.size(), predictions.size());
  for (std::size_t row = 1; row < labels.size(); ++row) {
    ASSERT_EQ(labels[row].size(), 2u) << "row " << row;
    ASSERT_EQ(labels[row][0], predictions[row][0]) << "row " << row;
  }
}

class model_update_example_test : public frugal::e2e::scratch_directory_test {};

TEST_F(model_update_example_test, quick_run_writes_every_output_and_finds_flips) {
  const fs::path script = repository_root() / "examples" / "model_update.sh";
  ASSERT_TRUE(fs::exists(script)) << script;
  const fs::path out = dir_ / "out";
  const auto result = run_command({"/bin/bash", script.string(), "--quick", "--threads", "1",
                                   "--out-dir", out.string(), "--frugal", FRUGAL_CLI_PATH});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  for (const char* name :
       {"old.csv", "new.csv", "labels.csv", "flips.html", "flips.json", "plan.json", "queue.csv",
        "queue-labelled.csv", "estimate.html", "estimate.json", "gate-pass.json", "gate-fail.json"})
    EXPECT_TRUE(fs::exists(out / name)) << name << "\n" << result.out;
  // Every command is printed before it runs.
  EXPECT_NE(result.out.find("+ " + std::string(FRUGAL_CLI_PATH) + " update plan old.csv new.csv"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("(exit code 1, as expected)"), std::string::npos) << result.out;

  // A linear -> mlp update flips some items the old model had right.
  const auto flips = nlohmann::json::parse(read_text(out / "flips.json"));
  EXPECT_EQ(flips["labelled"], 10'000);
  EXPECT_GT(flips["metrics"]["nfr"]["value"].get<double>(), 0) << flips["metrics"].dump(2);
  EXPECT_GT(flips["metrics"]["counts"]["negative_flips"].get<int>(), 0);

  // The queue is blind (no prediction column) and every planned item got a label.
  const table queue = read_csv(out / "queue.csv");
  ASSERT_FALSE(queue.empty());
  EXPECT_EQ(queue[0], (std::vector<std::string>{"order", "id", "label", "content"}));
  const auto plan = nlohmann::json::parse(read_text(out / "plan.json"));
  const auto estimate = nlohmann::json::parse(read_text(out / "estimate.json"));
  EXPECT_EQ(queue.size() - 1, estimate["planned"].get<std::size_t>());
  EXPECT_EQ(estimate["used"], estimate["planned"]);
  EXPECT_TRUE(estimate["agreement_stratum"].get<bool>());
  EXPECT_GT(plan["disagreements"].get<std::size_t>(), 0u) << plan.dump(2);

  EXPECT_TRUE(nlohmann::json::parse(read_text(out / "gate-pass.json"))["passed"].get<bool>());
  EXPECT_FALSE(nlohmann::json::parse(read_text(out / "gate-fail.json"))["passed"].get<bool>());
}

TEST_F(model_update_example_test, unknown_argument_is_exit_2) {
  const fs::path script = repository_root() / "examples" / "model_update.sh";
  const auto result = run_command({"/bin/bash", script.string(), "--no-such-option"});
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
}

TEST_F(model_update_example_test, train_labels_out_has_the_prediction_ids_and_class_names) {
  const fs::path scores = dir_ / "scores.csv";
  const fs::path labels = dir_ / "labels.csv";
  const auto result = run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--epochs", "1",
                                   "--train-subset", "0.02", "--threads", "1", "--predictions",
                                   scores.string(), "--labels-out", labels.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("test labels written to " + labels.string()), std::string::npos)
      << result.out;
  const table predicted = read_csv(scores);
  const table truth = read_csv(labels);
  expect_same_ids(predicted, truth);
  ASSERT_EQ(truth.size(), 10'001u);
  EXPECT_EQ(truth[1][0], "test-0");

  // The labels are the class names of the test set's own labels, in file order.
  const frugal::train::image_dataset test = frugal::train::load_fashion_mnist("test");
  const auto& names = frugal::train::fashion_mnist_classes();
  ASSERT_EQ(test.size(), 10'000u);
  for (std::size_t i = 0; i < test.size(); ++i)
    ASSERT_EQ(truth[i + 1][1], names[test.labels[i]]) << "test-" << i;
}

TEST_F(model_update_example_test, train_labels_out_one_vs_rest_uses_the_output_classes) {
  const fs::path scores = dir_ / "scores.csv";
  const fs::path labels = dir_ / "labels.csv";
  const auto result =
      run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--target-class", "shirt",
                   "--epochs", "1", "--train-subset", "0.02", "--threads", "1", "--predictions",
                   scores.string(), "--labels-out", labels.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const table predicted = read_csv(scores);
  const table truth = read_csv(labels);
  expect_same_ids(predicted, truth);
  std::map<std::string, std::size_t> counts;
  for (std::size_t row = 1; row < truth.size(); ++row) ++counts[truth[row][1]];
  // Fashion-MNIST's test set holds 1,000 images of each class.
  EXPECT_EQ(counts, (std::map<std::string, std::size_t>{{"not-shirt", 9'000}, {"shirt", 1'000}}));
}

TEST_F(model_update_example_test, train_labels_out_on_csv_tables_uses_the_table_ids) {
  const fs::path training = dir_ / "train.csv";
  const fs::path test = dir_ / "test.csv";
  write_text(training.string(), blob_table(300, 11, "train-"));
  write_text(test.string(), blob_table(90, 12, "row-"));
  const auto train = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{FRUGAL_CLI_PATH, "train",
                                  "--data",        "csv",
                                  "--train-table", training.string(),
                                  "--test-table",  test.string(),
                                  "--model",       "linear",
                                  "--epochs",      "2",
                                  "--threads",     "1",
                                  "--predictions", (dir_ / "scores.csv").string(),
                                  "--labels-out",  (dir_ / "labels.csv").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_command(args);
  };
  const table table_rows = read_csv(test);

  const auto multiclass = train({});
  ASSERT_EQ(multiclass.exit_code, 0) << multiclass.err;
  table truth = read_csv(dir_ / "labels.csv");
  expect_same_ids(read_csv(dir_ / "scores.csv"), truth);
  ASSERT_EQ(truth.size(), table_rows.size());
  for (std::size_t row = 1; row < truth.size(); ++row) {
    EXPECT_EQ(truth[row][0], table_rows[row][0]);
    EXPECT_EQ(truth[row][1], table_rows[row][1]);
  }

  const auto one_vs_rest = train({"--target-class", "beta"});
  ASSERT_EQ(one_vs_rest.exit_code, 0) << one_vs_rest.err;
  truth = read_csv(dir_ / "labels.csv");
  expect_same_ids(read_csv(dir_ / "scores.csv"), truth);
  for (std::size_t row = 1; row < truth.size(); ++row)
    EXPECT_EQ(truth[row][1], table_rows[row][1] == "beta" ? "beta" : "not-beta") << row;
}

TEST_F(model_update_example_test, train_labels_out_leaves_nothing_when_training_fails) {
  const fs::path labels = dir_ / "labels.csv";
  const auto result = run_command({FRUGAL_CLI_PATH, "train", "--model", "linear", "--data-dir",
                                   (dir_ / "nowhere").string(), "--labels-out", labels.string()});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_FALSE(fs::exists(labels));
}

}  // namespace
