// End-to-end tests of `frugal compat` (backward-compatible embeddings, issue #7), run as the built
// binary on synthetic embedding files: a new model in the old one's space that is less noisy
// (compatible), the old embeddings under a random rotation (not compatible with l2: new-to-old
// retrieval falls to chance), the same file as query and gallery (leave-one-out), and the exit
// codes and positioned messages of usage errors and bad input.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/run_command.hpp"

namespace frugal::e2e {
namespace {

using json = nlohmann::json;

const std::string frugal_path = FRUGAL_CLI_PATH;

constexpr std::size_t dimension = 16;
constexpr std::size_t classes = 10;

using vectors = std::vector<std::vector<double>>;

// Items of `classes` classes around random centres (class = index % classes).
struct synthetic {
  std::vector<std::string> ids, labels;
  vectors old_values, better_values, rotated_values;
};

synthetic make_items(const std::string& prefix, std::size_t count, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> normal(0, 1);
  // The same centres and rotation for queries and gallery (seeded apart from the noise).
  std::mt19937_64 shared(99);
  vectors centres(classes, std::vector<double>(dimension));
  for (auto& centre : centres)
    for (double& value : centre) value = 2 * normal(shared);
  // A random rotation: Gram-Schmidt on a Gaussian matrix.
  vectors rotation(dimension, std::vector<double>(dimension));
  for (std::size_t i = 0; i < dimension; ++i) {
    for (double& value : rotation[i]) value = normal(shared);
    for (std::size_t j = 0; j < i; ++j) {
      double dot = 0;
      for (std::size_t d = 0; d < dimension; ++d) dot += rotation[i][d] * rotation[j][d];
      for (std::size_t d = 0; d < dimension; ++d) rotation[i][d] -= dot * rotation[j][d];
    }
    double norm = 0;
    for (const double value : rotation[i]) norm += value * value;
    for (double& value : rotation[i]) value /= std::sqrt(norm);
  }
  synthetic items;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t c = i % classes;
    items.ids.push_back(fmt::format("{}-{}", prefix, i));
    items.labels.push_back(fmt::format("class {}", c));
    std::vector<double> old_value(dimension), better(dimension), rotated(dimension, 0.0);
    for (std::size_t d = 0; d < dimension; ++d) {
      old_value[d] = centres[c][d] + 1.2 * normal(random);
      better[d] = centres[c][d] + 0.3 * normal(random);
    }
    for (std::size_t i2 = 0; i2 < dimension; ++i2)
      for (std::size_t d = 0; d < dimension; ++d) rotated[i2] += rotation[i2][d] * old_value[d];
    items.old_values.push_back(old_value);
    items.better_values.push_back(better);
    items.rotated_values.push_back(rotated);
  }
  return items;
}

std::string embedding_csv(const synthetic& items, const vectors& values) {
  std::string text = "id,label";
  for (std::size_t d = 0; d < values.front().size(); ++d) text += fmt::format(",e{}", d);
  text += '\n';
  for (std::size_t i = 0; i < items.ids.size(); ++i) {
    text += items.ids[i] + ',' + items.labels[i];
    for (const double value : values[i]) text += fmt::format(",{:.9g}", value);
    text += '\n';
  }
  return text;
}

::testing::AssertionResult contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text;
}

class compat_cli : public scratch_directory_test {
 protected:
  void SetUp() override {
    scratch_directory_test::SetUp();
    const synthetic query = make_items("q", 200, 1);
    const synthetic gallery = make_items("g", 600, 2);
    write("old_q.csv", embedding_csv(query, query.old_values));
    write("old_g.csv", embedding_csv(gallery, gallery.old_values));
    write("better_q.csv", embedding_csv(query, query.better_values));
    write("better_g.csv", embedding_csv(gallery, gallery.better_values));
    write("rotated_q.csv", embedding_csv(query, query.rotated_values));
    write("rotated_g.csv", embedding_csv(gallery, gallery.rotated_values));
  }
  command_result frugal(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), frugal_path);
    return run_command(arguments, dir_);
  }
  json frugal_json(std::vector<std::string> arguments, int expected_exit = 0) const {
    arguments.push_back("--json");
    const command_result result = frugal(arguments);
    EXPECT_EQ(result.exit_code, expected_exit) << result.err;
    const json parsed = json::parse(result.out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "not JSON:\n" << result.out;
    return parsed;
  }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  // A bad-input run: exit 3, nothing on stdout, the message on stderr.
  void expect_bad_input(const std::vector<std::string>& arguments, std::string_view part) const {
    const command_result result = frugal(arguments);
    EXPECT_EQ(result.exit_code, 3) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_TRUE(contains(result.err, part));
  }
};

TEST_F(compat_cli, less_noisy_embeddings_in_the_old_space_are_compatible) {
  const json root =
      frugal_json({"compat", "--query", "old_q.csv", "better_q.csv", "--gallery", "old_g.csv",
                   "better_g.csv", "--threads", "2", "--require-compatible"});
  EXPECT_EQ(root["metric"], "l2");
  for (const char* pair : {"old_old", "new_old", "new_new"}) {
    const json& m = root["pairs"][pair];
    EXPECT_EQ(m["queries"], 200);
    EXPECT_EQ(m["gallery_items"], 600);
    EXPECT_EQ(m["dimension"], 16);
    EXPECT_EQ(m["self_matches"], 0);
    EXPECT_EQ(m["queries_without_relevant"], 0);
    EXPECT_NEAR(m["chance_top1"].get<double>(), 0.1, 1e-12);
    EXPECT_DOUBLE_EQ(m["top1"].get<double>(), m["top1_hits"].get<double>() / 200);
  }
  EXPECT_EQ(root["pairs"]["new_old"]["query"], "better_q.csv");
  EXPECT_EQ(root["pairs"]["new_old"]["gallery"], "old_g.csv");
  EXPECT_GT(root["pairs"]["new_old"]["top1"], root["pairs"]["old_old"]["top1"]);
  EXPECT_GT(root["pairs"]["new_old"]["map"], root["pairs"]["old_old"]["map"]);
  EXPECT_EQ(root["criterion"]["top1"], true);
  EXPECT_EQ(root["criterion"]["map"], true);
  EXPECT_EQ(root["compatible"], true);

  const command_result table = frugal(
      {"compat", "--query", "old_q.csv", "better_q.csv", "--gallery", "old_g.csv", "better_g.csv"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "(new query, old gallery)"));
  EXPECT_TRUE(contains(table.out, "verdict (top-1 and mAP): compatible\n"));
}

TEST_F(compat_cli, rotated_embeddings_are_not_compatible_and_fall_to_chance) {
  for (const char* metric : {"l2", "cosine"}) {
    SCOPED_TRACE(metric);
    const json root = frugal_json({"compat", "--query", "old_q.csv", "rotated_q.csv", "--gallery",
                                   "old_g.csv", "rotated_g.csv", "--metric", metric});
    EXPECT_EQ(root["metric"], metric);
    const json& old_old = root["pairs"]["old_old"];
    const json& new_old = root["pairs"]["new_old"];
    const json& new_new = root["pairs"]["new_new"];
    // The old model retrieves well; a rotation keeps distances, so new-to-new does as well
    // (up to rounding), but new-to-old is near chance (0.1).
    EXPECT_GT(old_old["top1"].get<double>(), 0.5);
    EXPECT_NEAR(new_new["top1"].get<double>(), old_old["top1"].get<double>(), 0.02);
    EXPECT_LT(new_old["top1"].get<double>(), 0.25);
    EXPECT_LT(new_old["map"].get<double>(), 0.25);
    EXPECT_EQ(root["criterion"]["top1"], false);
    EXPECT_EQ(root["criterion"]["map"], false);
    EXPECT_EQ(root["compatible"], false);
  }
  // A measurement, not a gate: exit 0, unless asked to gate.
  const command_result table = frugal({"compat", "--query", "old_q.csv", "rotated_q.csv",
                                       "--gallery", "old_g.csv", "rotated_g.csv"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "verdict (top-1 and mAP): not compatible\n"));
  EXPECT_TRUE(contains(table.out, "fails"));
  const command_result gate =
      frugal({"compat", "--query", "old_q.csv", "rotated_q.csv", "--gallery", "old_g.csv",
              "rotated_g.csv", "--require-compatible"});
  EXPECT_EQ(gate.exit_code, 1) << gate.err;
  EXPECT_TRUE(contains(gate.out, "verdict (top-1 and mAP): not compatible"));
}

TEST_F(compat_cli, identical_embeddings_measure_the_same_and_are_no_improvement) {
  const json root = frugal_json({"compat", "--query", "old_q.csv", "old_q.csv", "--gallery",
                                 "old_g.csv", "old_g.csv", "--require-compatible"},
                                1);
  EXPECT_EQ(root["pairs"]["new_old"]["top1"], root["pairs"]["old_old"]["top1"]);
  EXPECT_EQ(root["pairs"]["new_old"]["map"], root["pairs"]["old_old"]["map"]);
  EXPECT_EQ(root["compatible"], false);
  EXPECT_EQ(root["verdict_by"], "both");
  // Equal is no improvement under either metric alone.
  for (const char* metric : {"map", "top1"}) {
    const json one =
        frugal_json({"compat", "--query", "old_q.csv", "old_q.csv", "--gallery", "old_g.csv",
                     "old_g.csv", "--criterion", metric, "--require-compatible"},
                    1);
    EXPECT_EQ(one["verdict_by"], metric);
    EXPECT_EQ(one["compatible"], false);
  }
}

TEST_F(compat_cli, one_file_each_is_plain_retrieval_and_leave_one_out_on_one_file) {
  const json root = frugal_json({"compat", "--query", "old_g.csv", "--gallery", "old_g.csv"});
  ASSERT_TRUE(root["pairs"].contains("query_gallery")) << root.dump();
  EXPECT_FALSE(root.contains("compatible"));
  const json& m = root["pairs"]["query_gallery"];
  EXPECT_EQ(m["queries"], 600);
  EXPECT_EQ(m["self_matches"], 600);
  // 60 items a class: 59 relevant among the 599 others.
  EXPECT_NEAR(m["chance_top1"].get<double>(), 59.0 / 599, 1e-12);
  EXPECT_GT(m["top1"].get<double>(), 0.5);
  EXPECT_LT(m["top1"].get<double>(), 1.0);
  // The human table has the single pair and no verdict.
  const command_result table = frugal({"compat", "--query", "old_q.csv", "--gallery", "old_g.csv"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  EXPECT_TRUE(contains(table.out, "(query, gallery)"));
  EXPECT_FALSE(contains(table.out, "verdict"));
}

TEST_F(compat_cli, usage_errors_exit_2) {
  for (const std::vector<std::string>& arguments :
       {std::vector<std::string>{"compat", "--query", "old_q.csv", "better_q.csv", "--gallery",
                                 "old_g.csv"},
        std::vector<std::string>{"compat", "--query", "old_q.csv"},
        std::vector<std::string>{"compat", "--query", "old_q.csv", "--gallery", "old_g.csv",
                                 "--metric", "manhattan"},
        std::vector<std::string>{"compat", "--query", "a.csv", "b.csv", "c.csv", "--gallery",
                                 "old_g.csv"},
        // A verdict needs an old and a new model.
        std::vector<std::string>{"compat", "--query", "old_q.csv", "--gallery", "old_g.csv",
                                 "--require-compatible"},
        std::vector<std::string>{"compat", "--query", "old_q.csv", "--gallery", "old_g.csv",
                                 "--criterion", "map"},
        std::vector<std::string>{"compat", "--query", "old_q.csv", "old_q.csv", "--gallery",
                                 "old_g.csv", "old_g.csv", "--criterion", "recall"}}) {
    const command_result result = frugal(arguments);
    EXPECT_EQ(result.exit_code, 2) << fmt::format("{}\n{}", fmt::join(arguments, " "), result.err);
    EXPECT_EQ(result.out, "");
  }
}

TEST_F(compat_cli, bad_input_exits_3_with_file_line_and_column) {
  write("bad_value.csv", "id,label,e0,e1\nq-0,class 0,1,2\nq-1,class 1,0.5,x\n");
  expect_bad_input({"compat", "--query", "bad_value.csv", "--gallery", "old_g.csv"},
                   "bad_value.csv:3:17: embedding value \"x\" is not a finite number");
  write("nan.csv", "id,label,e0\nq-0,class 0,nan\n");
  expect_bad_input({"compat", "--query", "nan.csv", "--gallery", "nan.csv"}, "nan.csv:2:13:");
  write("no_label.csv", "id,e0\nq-0,1\n");
  expect_bad_input({"compat", "--query", "no_label.csv", "--gallery", "old_g.csv"},
                   "no_label.csv:1:1: no \"label\" column");
  write("empty.csv", "");
  expect_bad_input({"compat", "--query", "empty.csv", "--gallery", "old_g.csv"},
                   "empty.csv:1:1: empty file");
  write("duplicate.csv", "id,label,e0\na,x,1\nb,x,2\na,y,3\n");
  expect_bad_input({"compat", "--query", "duplicate.csv", "--gallery", "old_g.csv"},
                   "duplicate.csv:4:1: duplicate id \"a\"");
  expect_bad_input({"compat", "--query", "missing.csv", "--gallery", "old_g.csv"}, "missing.csv");
  // The single pair needs equal dimensions.
  write("short_q.csv", "id,label,e0,e1\nq-0,class 0,1,2\n");
  expect_bad_input({"compat", "--query", "short_q.csv", "--gallery", "old_g.csv"},
                   "short_q.csv has 2 embedding dimensions, old_g.csv has 16");
  // A new query with a dimension the old gallery does not have cannot search it.
  {
    std::string narrow_q = "id,label,e0,e1\n";
    std::string narrow_g = "id,label,e0,e1\n";
    const synthetic query = make_items("q", 200, 1);
    const synthetic gallery = make_items("g", 600, 2);
    for (std::size_t i = 0; i < 200; ++i)
      narrow_q += fmt::format("{},{},{},0\n", query.ids[i], query.labels[i], i);
    for (std::size_t i = 0; i < 600; ++i)
      narrow_g += fmt::format("{},{},{},1\n", gallery.ids[i], gallery.labels[i], i);
    write("narrow_q.csv", narrow_q);
    write("narrow_g.csv", narrow_g);
    expect_bad_input({"compat", "--query", "old_q.csv", "narrow_q.csv", "--gallery", "old_g.csv",
                      "narrow_g.csv"},
                     "(new query, old gallery) compatibility pair needs equal dimensions");
  }
  // The old and the new query files must hold the same items.
  {
    const synthetic query = make_items("q", 200, 1);
    synthetic fewer = query;
    fewer.ids.pop_back();
    fewer.labels.pop_back();
    fewer.better_values.pop_back();
    write("fewer_q.csv", embedding_csv(fewer, fewer.better_values));
    expect_bad_input(
        {"compat", "--query", "old_q.csv", "fewer_q.csv", "--gallery", "old_g.csv", "better_g.csv"},
        "old_q.csv:201:1: id \"q-199\" of old_q.csv is missing from fewer_q.csv");
  }
  // Cosine distance of a zero vector.
  write("zero.csv", "id,label,e0,e1\na,x,1,0\nb,x,0,0\nc,y,0,1\n");
  expect_bad_input({"compat", "--query", "zero.csv", "--gallery", "zero.csv", "--metric", "cosine"},
                   "zero.csv:3:1: id \"b\" has a zero vector");
  // With l2 the same file is fine.
  EXPECT_EQ(frugal({"compat", "--query", "zero.csv", "--gallery", "zero.csv"}).exit_code, 0);
}

}  // namespace
}  // namespace frugal::e2e
