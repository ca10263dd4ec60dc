// frugal harvest synth-pairs / train-paraphrase / train-friction end to end: exit codes, output
// files and their determinism, --json summaries, and bad input reported as file:line with exit 3
// and nothing written.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"

namespace frugal::e2e {
namespace {

using json = nlohmann::json;

std::string slurp_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// Annotated JSONL: frames with one {city} or {time} slot, values from small pools.
std::string annotated_data() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> frames = {
      {"book", {"book a flight to @", "i want to fly to @", "fly me to @", "get me a ticket to @"}},
      {"cancel", {"cancel my flight to @", "drop the trip to @", "forget the flight to @"}},
      {"weather", {"what is the weather in @", "is it raining in @", "how warm is it in @"}}};
  const std::vector<std::string> cities = {"paris", "rome", "berlin", "madrid", "oslo", "lima"};
  std::mt19937_64 random(4);
  std::string text;
  for (int n = 0; n < 120; ++n) {
    const auto& [intent, carriers] = frames[random() % frames.size()];
    std::istringstream words(carriers[random() % carriers.size()]);
    json tokens = json::array(), slots = json::array();
    for (std::string word; words >> word;) {
      if (word == "@") {
        slots.push_back({{"type", "city"}, {"start", tokens.size()}, {"end", tokens.size() + 1}});
        word = cities[random() % cities.size()];
      }
      tokens.push_back(word);
    }
    text += json{{"tokens", tokens}, {"intent", intent}, {"slots", slots}}.dump() + "\n";
  }
  return text;
}

std::string friction_log(std::size_t turns, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::string text;
  for (std::size_t i = 0; i < turns; ++i) {
    const bool error = random() % 4 == 0;
    const double confidence = unit(random);
    const bool friction =
        error ? unit(random) < 0.9 : unit(random) < (confidence < 0.3 ? 0.7 : 0.1);
    // Ordered: "friction" stays the last key (a test cuts it out).
    nlohmann::ordered_json line{
        {"user", fmt::format("u{}", i % 7)},
        {"session", fmt::format("s{}", i / 5)},
        {"time", double(i) * 10.0},
        {"text", "play some music"},
        {"asr_confidence", unit(random)},
        {"nlu", {{"intent", "play_music"}, {"slots", json::array()}, {"confidence", confidence}}},
        {"status", error ? "error" : "200"},
        {"friction", friction}};
    text += line.dump() + "\n";
  }
  return text;
}

class DetectorCli : public scratch_directory_test {
 protected:
  command_result frugal(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), FRUGAL_CLI_PATH);
    return run_command(arguments, dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
};

// Every share in a detector's --json metrics carries its 95% Wilson interval [lower, upper],
// consistent with the counts it reports.
void expect_metrics_with_intervals(const json& m) {
  ASSERT_TRUE(m.is_object()) << m;
  const auto check = [&](const char* share, std::size_t part, std::size_t whole) {
    const json& interval = m[fmt::format("{}_interval", share)];
    ASSERT_TRUE(interval.is_array() && interval.size() == 2) << share << ": " << m;
    const double point = m[share].get<double>();
    EXPECT_DOUBLE_EQ(point, whole == 0 ? 0.0 : double(part) / double(whole)) << share;
    EXPECT_LE(interval[0].get<double>(), point) << share;
    EXPECT_GE(interval[1].get<double>(), point) << share;
    EXPECT_LT(interval[0].get<double>(), interval[1].get<double>()) << share;
  };
  const auto count = [&](const char* key) { return m.at(key).get<std::size_t>(); };
  check("precision", count("true_positives"), count("flagged"));
  check("recall", count("true_positives"), count("positives"));
  check("accuracy", count("correct"), count("examples"));
}

TEST_F(DetectorCli, SynthPairsThenTrainParaphrase) {
  write_file(dir_ / "data.jsonl", annotated_data());
  const command_result synth =
      frugal({"harvest", "synth-pairs", "data.jsonl", "--out", "pairs.jsonl",
              "--pairs-per-utterance", "3", "--seed", "5", "--json"});
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  const json summary = json::parse(synth.out);
  EXPECT_EQ(summary["utterances"], 120);
  const std::string pairs = slurp_file(dir_ / "pairs.jsonl");
  std::size_t lines = 0, positives = 0;
  std::istringstream in(pairs);
  for (std::string line; std::getline(in, line); ++lines) {
    const json pair = json::parse(line);
    ASSERT_TRUE(pair["a"].is_array() && pair["b"].is_array() && pair["kind"].is_string());
    positives += pair["paraphrase"].get<bool>();
  }
  EXPECT_EQ(summary["pairs"], lines);
  EXPECT_EQ(2 * positives, lines);
  std::size_t by_kind = 0;
  for (const auto& [kind, count] : summary["kinds"].items()) by_kind += count.get<std::size_t>();
  EXPECT_EQ(by_kind, lines);
  EXPECT_GT(summary["kinds"]["positive"].get<int>(), 0);

  // Same seed, same bytes.
  ASSERT_EQ(frugal({"harvest", "synth-pairs", "data.jsonl", "--out", "again.jsonl",
                    "--pairs-per-utterance", "3", "--seed", "5"})
                .exit_code,
            0);
  EXPECT_EQ(slurp_file(dir_ / "again.jsonl"), pairs);

  const command_result train = frugal({"harvest", "train-paraphrase", "pairs.jsonl", "--out",
                                       "pd.model", "--test", "again.jsonl", "--json"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const json metrics = json::parse(train.out);
  EXPECT_GT(metrics["held_out"]["examples"].get<int>(), 0);
  EXPECT_EQ(metrics["test"]["examples"], lines);
  EXPECT_GT(metrics["held_out"]["accuracy"].get<double>(), 0.7);
  expect_metrics_with_intervals(metrics["held_out"]);
  expect_metrics_with_intervals(metrics["test"]);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "pd.model"));
  const command_result human =
      frugal({"harvest", "train-paraphrase", "pairs.jsonl", "--out", "pd2.model"});
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("held-out"), std::string::npos);
  EXPECT_NE(human.out.find("[95% Wilson]"), std::string::npos) << human.out;
  // "precision 0.9512 [0.9301, 0.9660]"
  EXPECT_NE(human.out.find(fmt::format("precision {:.4f} [{:.4f}, ",
                                       metrics["held_out"]["precision"].get<double>(),
                                       metrics["held_out"]["precision_interval"][0].get<double>())),
            std::string::npos)
      << human.out;
  EXPECT_EQ(slurp_file(dir_ / "pd2.model"), slurp_file(dir_ / "pd.model"));
}

TEST_F(DetectorCli, BadPairsExitThreeWithPosition) {
  write_file(dir_ / "pairs.jsonl",
             "{\"a\": [\"x\"], \"b\": [\"y\"], \"paraphrase\": true}\n"
             "{\"a\": [\"x\"], \"b\": [\"z\"], \"paraphrase\": \"no\"}\n");
  const command_result bad =
      frugal({"harvest", "train-paraphrase", "pairs.jsonl", "--out", "pd.model"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("pairs.jsonl:2:"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "pd.model"));
  // One label only: nothing to learn.
  write_file(dir_ / "same.jsonl",
             "{\"a\": [\"x\"], \"b\": [\"y\"], \"paraphrase\": true}\n"
             "{\"a\": [\"x\"], \"b\": [\"z\"], \"paraphrase\": true}\n");
  const command_result same =
      frugal({"harvest", "train-paraphrase", "same.jsonl", "--out", "pd.model"});
  EXPECT_EQ(same.exit_code, 3);
  EXPECT_NE(same.err.find("same.jsonl"), std::string::npos) << same.err;
  // With --skip-bad the bad line is counted and the rest trains (if both labels remain).
  write_file(dir_ / "mixed.jsonl",
             "{\"a\": [\"x\"], \"b\": [\"y\"], \"paraphrase\": true}\n"
             "not json\n"
             "{\"a\": [\"x\"], \"b\": [\"z\"], \"paraphrase\": false}\n"
             "{\"a\": [\"w\"], \"b\": [\"w\", \"v\"], \"paraphrase\": true}\n"
             "{\"a\": [\"u\"], \"b\": [\"t\"], \"paraphrase\": false}\n");
  const command_result skipped = frugal(
      {"harvest", "train-paraphrase", "mixed.jsonl", "--out", "pd.model", "--skip-bad", "--json"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(json::parse(skipped.out)["skipped"], 1);
  // Bad annotated data: a slot past the last token.
  write_file(dir_ / "data.jsonl",
             "{\"tokens\": [\"fly\", \"to\", \"rome\"], \"intent\": \"book\", \"slots\": []}\n"
             "{\"tokens\": [\"fly\"], \"intent\": \"book\", \"slots\": [{\"type\": \"city\", "
             "\"start\": 0, \"end\": 4}]}\n");
  const command_result data = frugal({"harvest", "synth-pairs", "data.jsonl", "--out", "p.jsonl"});
  EXPECT_EQ(data.exit_code, 3);
  EXPECT_NE(data.err.find("data.jsonl:2:"), std::string::npos) << data.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "p.jsonl"));
  // Usage errors: no --out, an unknown option.
  EXPECT_EQ(frugal({"harvest", "synth-pairs", "data.jsonl"}).exit_code, 2);
  EXPECT_EQ(
      frugal({"harvest", "train-paraphrase", "pairs.jsonl", "--out", "x", "--bogus"}).exit_code, 2);
}

TEST_F(DetectorCli, TrainFriction) {
  write_file(dir_ / "log.jsonl", friction_log(600, 1));
  write_file(dir_ / "test.jsonl", friction_log(300, 2));
  const command_result train =
      frugal({"harvest", "train-friction", "log.jsonl", "--out", "fd.model", "--test", "test.jsonl",
              "--json", "--seed", "2"});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  const json metrics = json::parse(train.out);
  EXPECT_EQ(metrics["held_out"]["examples"], 120);
  EXPECT_EQ(metrics["test"]["examples"], 300);
  EXPECT_GT(metrics["test"]["accuracy"].get<double>(), 0.7);
  expect_metrics_with_intervals(metrics["held_out"]);
  expect_metrics_with_intervals(metrics["test"]);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "fd.model"));

  // A turn without "friction" is an error at its line.
  std::string log = friction_log(5, 3);
  const std::size_t third = log.find('\n', log.find('\n') + 1) + 1;
  const std::size_t label = log.find(",\"friction\"", third);
  log.erase(label, log.find('}', label) - label);
  write_file(dir_ / "unlabelled.jsonl", log);
  const command_result bad =
      frugal({"harvest", "train-friction", "unlabelled.jsonl", "--out", "fd2.model"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("unlabelled.jsonl:3:"), std::string::npos) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "fd2.model"));
}

}  // namespace
}  // namespace frugal::e2e
