// `frugal harvest run` end to end: tiny detectors are trained through the library, and the CLI's
// summary and files must agree with run_harvest() on the same log and models; harvested.jsonl
// must read back as annotated training data; bad input exits 3 and writes nothing; --skip-bad
// counts; bad options exit 2.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/pipeline.hpp"
#include "frugal/harvest/text.hpp"

namespace frugal::harvest {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

const std::vector<std::string> kWords{
    "play", "jazz",    "now",  "please", "turn", "lights", "off",   "set",     "alarm",   "seven",
    "what", "weather", "rome", "call",   "mom",  "some",   "music", "kitchen", "tomorrow"};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(json::parse(line));
  return lines;
}

json log_line(const std::string& user, const std::string& session, double time,
              const std::string& text, bool failed, const std::string& intent,
              const json& slots = json::array()) {
  return json{{"user", user},
              {"session", session},
              {"time", time},
              {"text", text},
              {"asr_confidence", failed ? 0.55 : 0.95},
              {"nlu", {{"intent", intent}, {"slots", slots}, {"confidence", failed ? 0.1 : 0.9}}},
              {"status", failed ? "error" : "200"}};
}

// Trained once for the suite: a friction detector for which "error" with a low NLU confidence
// means failure, and a paraphrase detector for which a one-word change is a paraphrase and
// unrelated words are not.
class HarvestRunCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    models_ = new fs::path(fs::temp_directory_path() /
                           (fmt::format("frugal-harvest-run-models-{}", ::getpid())));
    fs::create_directories(*models_);
    std::mt19937_64 random(5);
    const auto sentence = [&](std::size_t length) {
      std::vector<std::string> words;
      for (std::size_t i = 0; i < length; ++i) words.push_back(kWords[random() % kWords.size()]);
      return words;
    };
    std::vector<paraphrase_example> pairs;
    for (int i = 0; i < 1500; ++i) {
      const std::vector<std::string> a = sentence(3 + random() % 3);
      std::vector<std::string> b = a;
      b[random() % b.size()] = kWords[random() % kWords.size()];
      pairs.push_back({a, b, true, "positive"});
      pairs.push_back({a, sentence(3 + random() % 3), false, "intent"});
    }
    paraphrase_detector::train(pairs, {.epochs = 4, .seed = 1})
        .save((*models_ / "paraphrase.model").string());

    std::vector<turn> labelled;
    for (int i = 0; i < 800; ++i) {
      turn t;
      t.id = std::to_string(i);
      t.tokens = sentence(2 + random() % 4);
      t.text = t.tokens.front();
      const bool failed = random() % 2 == 0;
      t.status = failed ? "error" : "200";
      t.nlu.intent = failed ? "unknown" : "play_music";
      t.nlu.confidence = failed ? 0.1 : 0.9;
      t.asr_confidence = failed ? 0.55 : 0.95;
      t.friction = failed;
      labelled.push_back(std::move(t));
    }
    friction_detector::train(labelled, {.epochs = 4, .seed = 1})
        .save((*models_ / "friction.model").string());
  }

  static void TearDownTestSuite() {
    std::error_code ignored;
    fs::remove_all(*models_, ignored);
    delete models_;
  }

  void SetUp() override {
    dir_ = *models_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(dir_);
    // 12 users fail on "tune jazz now please" and succeed with "play jazz now please"; 2 users
    // fail on "lights go away" and succeed with "turn lights off" (too few users to keep);
    // an unrelated turn follows each success.
    std::string text;
    for (int u = 0; u < 14; ++u) {
      const std::string user = fmt::format("user{}", u);
      const double t0 = 1000.0 * u;
      if (u < 12) {
        text += log_line(user, "s", t0, "tune jazz now please", true, "unknown").dump() + "\n";
        text += log_line(user, "s", t0 + 4, "play jazz now please", false, "play_music",
                         json::array({json{{"type", "genre"}, {"start", 1}, {"end", 2}}}))
                    .dump() +
                "\n";
      } else {
        text += log_line(user, "s", t0, "lights go off", true, "unknown").dump() + "\n";
        text += log_line(user, "s", t0 + 4, "turn lights off", false, "lights_off",
                         json::array({json{{"type", "device"}, {"start", 1}, {"end", 2}}}))
                    .dump() +
                "\n";
      }
      text += log_line(user, "s", t0 + 30, "what weather tomorrow", false, "weather").dump() + "\n";
    }
    log_ = dir_ / "log.jsonl";
    write_text(log_, text);
  }

  e2e::command_result run(std::vector<std::string> arguments) const {
    std::vector<std::string> argv{FRUGAL_CLI_PATH, "harvest", "run"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return e2e::run_command(argv);
  }

  std::vector<std::string> model_options() const {
    return {"--paraphrase", (*models_ / "paraphrase.model").string(), "--friction",
            (*models_ / "friction.model").string()};
  }

  static fs::path* models_;
  fs::path dir_, log_;
};

fs::path* HarvestRunCli::models_ = nullptr;

TEST_F(HarvestRunCli, AgreesWithTheLibraryAndWritesTrainingData) {
  const fs::path out = dir_ / "harvested.jsonl";
  const fs::path candidates = dir_ / "candidates.jsonl";
  std::vector<std::string> arguments{log_.string(),       "--out", out.string(), "--candidates",
                                     candidates.string(), "--json"};
  for (const std::string& option : model_options()) arguments.push_back(option);
  const e2e::command_result result = run(arguments);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json summary = json::parse(result.out);

  const interaction_log log = read_interaction_log(log_.string());
  const paraphrase_detector paraphrases =
      paraphrase_detector::load((*models_ / "paraphrase.model").string());
  const friction_detector frictions =
      friction_detector::load((*models_ / "friction.model").string());
  const harvest_result expected = run_harvest(log.turns, paraphrases, frictions);
  const harvest_summary& s = expected.summary;
  EXPECT_EQ(summary["turns"], s.turns);
  EXPECT_EQ(summary["turns"], 42u);
  EXPECT_EQ(summary["skipped"], 0u);
  EXPECT_EQ(summary["pairs"], s.pairs);
  EXPECT_EQ(summary["pairs"], 28u);
  EXPECT_EQ(summary["paraphrases"], s.paraphrases);
  EXPECT_EQ(summary["frictions"], s.frictions);
  EXPECT_EQ(summary["chains"], s.chains);
  EXPECT_EQ(summary["projections"], s.projections);
  EXPECT_EQ(summary["rejected"], s.rejected_projections);
  EXPECT_EQ(summary["utterances"], s.utterances);
  EXPECT_EQ(summary["kept"], s.kept);
  // The data is easy: both detectors should recover the 12-user rephrase and keep it, and the
  // 2-user one is below --min-users.
  EXPECT_EQ(s.frictions, 14u);
  EXPECT_EQ(s.kept, 1u);

  // harvested.jsonl: the kept candidates, in order, readable as annotated training data.
  const std::vector<json> kept_lines = json_lines(read_text(out));
  std::vector<corroborated_example> kept;
  for (const corroborated_example& c : expected.candidates)
    if (c.kept) kept.push_back(c);
  ASSERT_EQ(kept_lines.size(), kept.size());
  const std::vector<annotated_utterance> reread = read_annotated_jsonl(out.string());
  ASSERT_EQ(reread.size(), kept.size());
  for (std::size_t i = 0; i < kept.size(); ++i) {
    EXPECT_EQ(reread[i], kept[i].example);
    const json& line = kept_lines[i];
    EXPECT_EQ(line["occurrences"], kept[i].occurrences);
    EXPECT_EQ(line["agreeing"], kept[i].agreeing);
    EXPECT_EQ(line["users"], kept[i].users);
    EXPECT_DOUBLE_EQ(line["agreement"].get<double>(), kept[i].agreement);
    EXPECT_DOUBLE_EQ(line["agreement_lower"].get<double>(), kept[i].agreement_lower);
    EXPECT_FALSE(line.contains("kept"));
  }
  if (!kept.empty()) {
    EXPECT_EQ(kept[0].example.tokens, (std::vector<std::string>{"tune", "jazz", "now", "please"}));
    EXPECT_EQ(kept[0].example.intent, "play_music");
    EXPECT_EQ(kept[0].example.slots, (std::vector<slot_span>{{"genre", 1, 2}}));
  }

  // --candidates: every distinct utterance, with its verdict.
  const std::vector<json> candidate_lines = json_lines(read_text(candidates));
  ASSERT_EQ(candidate_lines.size(), expected.candidates.size());
  for (std::size_t i = 0; i < candidate_lines.size(); ++i) {
    EXPECT_EQ(candidate_lines[i]["kept"], expected.candidates[i].kept);
    EXPECT_EQ(candidate_lines[i]["tokens"].get<std::vector<std::string>>(),
              expected.candidates[i].example.tokens);
  }
}

harvest_settings two_user_settings() {
  harvest_settings settings;
  settings.corroboration.min_users = 2;
  return settings;
}

TEST_F(HarvestRunCli, PrintsATableAndHonoursTheThresholds) {
  const fs::path out = dir_ / "harvested.jsonl";
  std::vector<std::string> arguments{log_.string(), "--out", out.string(), "--min-users", "2"};
  for (const std::string& option : model_options()) arguments.push_back(option);
  const e2e::command_result result = run(arguments);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.err.empty()) << result.err;  // no progress when stderr is not a terminal
  for (const char* row : {"turns", "pairs", "paraphrases", "frictions", "chains", "projections",
                          "rejected", "utterances", "kept"})
    EXPECT_NE(result.out.find(row), std::string::npos) << row;

  // With --min-users 2 the two-user rephrase is corroborated too, if it projected.
  const interaction_log log = read_interaction_log(log_.string());
  const harvest_result expected = run_harvest(
      log.turns, paraphrase_detector::load((*models_ / "paraphrase.model").string()),
      friction_detector::load((*models_ / "friction.model").string()), two_user_settings());
  EXPECT_EQ(json_lines(read_text(out)).size(), expected.summary.kept);
  EXPECT_NE(result.out.find(fmt::format("wrote {} example", expected.summary.kept)),
            std::string::npos)
      << result.out;
}

TEST_F(HarvestRunCli, BadInputExitsThreeAndWritesNothing) {
  std::string text = read_text(log_);
  // Line 3 loses its status.
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  json third = json::parse(lines[2]);
  third.erase("status");
  lines[2] = third.dump();
  text.clear();
  for (const std::string& line : lines) text += line + "\n";
  const fs::path bad_log = dir_ / "bad.jsonl";
  write_text(bad_log, text);

  const fs::path out = dir_ / "harvested.jsonl";
  const fs::path candidates = dir_ / "candidates.jsonl";
  write_text(out, "previous\n");
  std::vector<std::string> arguments{bad_log.string(),    "--out", out.string(), "--candidates",
                                     candidates.string(), "--json"};
  for (const std::string& option : model_options()) arguments.push_back(option);
  e2e::command_result result = run(arguments);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find(fmt::format("{}:3:", bad_log.string())), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("missing field \"status\""), std::string::npos) << result.err;
  EXPECT_EQ(read_text(out), "previous\n");
  EXPECT_FALSE(fs::exists(candidates));

  // --skip-bad: the line is counted and reported, the rest harvested.
  arguments.push_back("--skip-bad");
  result = run(arguments);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json summary = json::parse(result.out);
  EXPECT_EQ(summary["skipped"], 1u);
  EXPECT_EQ(summary["turns"], lines.size() - 1);
  ASSERT_EQ(summary["skip_messages"].size(), 1u);
  EXPECT_NE(summary["skip_messages"][0].get<std::string>().find(":3:"), std::string::npos);
  EXPECT_NE(result.err.find("skipped 1 bad line"), std::string::npos) << result.err;
  EXPECT_NE(read_text(out), "previous\n");

  // A model file that is not a model is bad input too.
  const fs::path not_a_model = dir_ / "not-a-model";
  write_text(not_a_model, "hello\n");
  result = run({log_.string(), "--out", out.string(), "--paraphrase", not_a_model.string(),
                "--friction", (*models_ / "friction.model").string()});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  result = run({(dir_ / "missing.jsonl").string(), "--out", out.string(), "--paraphrase",
                not_a_model.string(), "--friction", not_a_model.string()});
  EXPECT_EQ(result.exit_code, 3) << result.err;
}

// --out and --candidates appear together or not at all: an unwritable one (its directory is
// missing) exits 3 like other bad input and leaves the other as it was, and no temporary file.
TEST_F(HarvestRunCli, AnUnwritableOutputLeavesNeitherOutput) {
  const fs::path missing_dir = dir_ / "missing";
  const fs::path out = dir_ / "harvested.jsonl";
  const fs::path candidates = dir_ / "candidates.jsonl";
  const auto run_with = [&](const fs::path& out_path, const fs::path& candidates_path) {
    std::vector<std::string> arguments{log_.string(), "--out", out_path.string(), "--candidates",
                                       candidates_path.string()};
    for (const std::string& option : model_options()) arguments.push_back(option);
    return run(arguments);
  };

  e2e::command_result result = run_with(missing_dir / "harvested.jsonl", candidates);
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find((missing_dir / "harvested.jsonl").string()), std::string::npos)
      << result.err;
  EXPECT_FALSE(fs::exists(candidates));

  write_text(out, "previous\n");
  result = run_with(out, missing_dir / "candidates.jsonl");
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_EQ(read_text(out), "previous\n");

  std::vector<std::string> left;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_))
    left.push_back(entry.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"harvested.jsonl", "log.jsonl"}));
}

TEST_F(HarvestRunCli, BadOptionsAreUsageErrors) {
  const fs::path out = dir_ / "harvested.jsonl";
  for (const std::vector<std::string>& extra :
       std::vector<std::vector<std::string>>{{"--paraphrase-threshold", "1.5"},
                                             {"--friction-threshold", "-0.1"},
                                             {"--max-gap", "-1"},
                                             {"--min-agreement", "2"},
                                             {"--method", "fastest"},
                                             {"--confidence", "1"},
                                             {"--min-users", "many"},
                                             // NaN passes CLI::Range; -1 wraps in size_t.
                                             {"--max-gap", "nan"},
                                             {"--paraphrase-threshold", "nan"},
                                             {"--min-agreement", "nan"},
                                             {"--min-occurrences", "-1"},
                                             {"--min-users", "-1"},
                                             {"--min-users", "0"}}) {
    std::vector<std::string> arguments{log_.string(), "--out", out.string()};
    for (const std::string& option : model_options()) arguments.push_back(option);
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    const e2e::command_result result = run(arguments);
    EXPECT_EQ(result.exit_code, 2) << extra[0] << " " << extra[1] << "\n" << result.err;
    EXPECT_FALSE(fs::exists(out));
  }
  const e2e::command_result missing_out =
      run({log_.string(), "--paraphrase", "p", "--friction", "f"});
  EXPECT_EQ(missing_out.exit_code, 2);
}

}  // namespace
}  // namespace frugal::harvest
