// `frugal harvest simulate` and `frugal harvest evaluate` end to end, run as the built binary:
// the log and the NLU model it writes read back through the library, the same seed writes the
// same bytes, a small seeded evaluation meets the issue's bar, and bad input or options exit 3
// or 2 without writing anything.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/nlu.hpp"

namespace frugal::e2e {
namespace {

using json = nlohmann::json;

const std::string frugal_path = FRUGAL_CLI_PATH;
const std::string data_dir = FRUGAL_SHARED_DATA_DIR;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class HarvestSimulateCli : public scratch_directory_test {};

TEST_F(HarvestSimulateCli, WritesALogAndAModelThatReadBack) {
  const std::string log_path = (dir_ / "log.jsonl").string();
  const std::string model_path = (dir_ / "nlu.model").string();
  const command_result result =
      run_command({frugal_path, "harvest", "simulate", "--data", data_dir + "/xsid/de.valid.conll",
                   "--language", "de", "--turns", "4000", "--users", "50", "--seed", "3", "--out",
                   log_path, "--nlu-out", model_path, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json summary = json::parse(result.out);
  harvest::log_read_options options;
  options.require_friction = true;
  const harvest::interaction_log log = harvest::read_interaction_log(log_path, options);
  EXPECT_EQ(summary["turns"].get<std::size_t>(), log.turns.size());
  EXPECT_GE(log.turns.size(), 4000u);
  std::size_t frictions = 0;
  for (const harvest::turn& t : log.turns) frictions += *t.friction;
  EXPECT_EQ(summary["friction_turns"].get<std::size_t>(), frictions);
  // The saved model is the one that produced the log's hypotheses.
  const harvest::nlu_model model = harvest::nlu_model::load(model_path);
  for (std::size_t i = 0; i < log.turns.size(); i += 97) {
    const harvest::nlu_hypothesis h = model.predict(log.turns[i].tokens);
    EXPECT_EQ(h.intent, log.turns[i].nlu.intent);
    EXPECT_EQ(h.slots, log.turns[i].nlu.slots);
  }

  // The same seed writes the same bytes.
  const std::string again_path = (dir_ / "again.jsonl").string();
  ASSERT_EQ(
      run_command({frugal_path, "harvest", "simulate", "--data", data_dir + "/xsid/de.valid.conll",
                   "--turns", "4000", "--users", "50", "--seed", "3", "--out", again_path})
          .exit_code,
      0);
  EXPECT_EQ(read_file(log_path), read_file(again_path));
}

TEST_F(HarvestSimulateCli, BadInputAndOptions) {
  const std::string out = (dir_ / "log.jsonl").string();
  const std::string bad = (dir_ / "bad.jsonl").string();
  std::ofstream(bad) << "{\"tokens\": [\"a\", \"b\"], \"intent\": \"x\", \"slots\": []}\n"
                     << "{\"tokens\": [\"a\"], \"intent\": \"x\", \"slots\": [{\"type\": \"t\", "
                        "\"start\": 0, \"end\": 3}]}\n";
  command_result result =
      run_command({frugal_path, "harvest", "simulate", "--data", bad, "--out", out});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find("bad.jsonl:2"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  result = run_command(
      {frugal_path, "harvest", "simulate", "--data", (dir_ / "none.conll").string(), "--out", out});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  result = run_command(
      {frugal_path, "harvest", "simulate", "--data", bad, "--out", out, "--turns", "0"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  result = run_command({frugal_path, "harvest", "evaluate", "--data-dir", data_dir});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  result =
      run_command({frugal_path, "harvest", "evaluate", "--data-dir", data_dir, "--language", "fr"});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  result = run_command({frugal_path, "harvest", "evaluate", "--train", bad});
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

// Tiny annotated JSONL data: two intents, a slot type, short utterances.
const std::vector<std::string> kPlayLines{
    R"({"tokens": ["play", "jazz"], "intent": "play_music", "slots": [{"type": "genre", "start": 1, "end": 2}]})",
    R"({"tokens": ["put", "on", "rock"], "intent": "play_music", "slots": [{"type": "genre", "start": 2, "end": 3}]})"};
const std::vector<std::string> kLightLines{
    R"({"tokens": ["turn", "lights", "off"], "intent": "lights_off", "slots": []})",
    R"({"tokens": ["lights", "off", "please"], "intent": "lights_off", "slots": []})",
    R"({"tokens": ["what", "time", "is", "it"], "intent": "time", "slots": []})"};

std::string write_lines(const std::filesystem::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary);
  for (const std::string& line : lines) out << line << '\n';
  return path.string();
}

std::vector<std::string> both(const std::vector<std::string>& a,
                              const std::vector<std::string>& b) {
  std::vector<std::string> lines = a;
  lines.insert(lines.end(), b.begin(), b.end());
  return lines;
}

// The log and the NLU model appear together or not at all: an unwritable --nlu-out (its
// directory is missing) exits 3, as other unwritable outputs do, and leaves no log behind.
TEST_F(HarvestSimulateCli, AnUnwritableModelLeavesNoLog) {
  const std::string data = write_lines(dir_ / "data.jsonl", both(kPlayLines, kLightLines));
  const std::string log = (dir_ / "log.jsonl").string();
  const std::string model = (dir_ / "nlu.model").string();
  const std::string missing = (dir_ / "missing" / "file").string();
  const std::vector<std::string> simulate{frugal_path, "harvest", "simulate", "--data", data,
                                          "--turns",   "200",     "--users",  "5"};
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = simulate;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  };

  command_result result = run_command(with({"--out", log, "--nlu-out", missing}));
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find(missing), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(log));
  result = run_command(with({"--out", missing, "--nlu-out", model}));
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_FALSE(std::filesystem::exists(model));
  std::size_t left = 0;  // the data file only: no temporary either
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir_)) ++left;
  EXPECT_EQ(left, 1u);

  // The same data and outputs in a directory that exists: both written.
  result = run_command(with({"--out", log, "--nlu-out", model}));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(std::filesystem::exists(log));
  EXPECT_TRUE(std::filesystem::exists(model));
}

// Data the NLU cannot be trained on (its intent classifier needs two intents, its slot tagger a
// slot, both an utterance that can be simulated) is bad input naming the file, for simulate and
// for evaluate's train split alike, not an internal error.
TEST_F(HarvestSimulateCli, DataTheNluCannotLearnFromIsBadInput) {
  const std::string good = write_lines(dir_ / "good.jsonl", both(kPlayLines, kLightLines));
  struct bad_data {
    std::string name;
    std::vector<std::string> lines;
    std::string message_part;
  };
  const std::vector<bad_data> cases{
      {"one-intent.jsonl", kPlayLines,
       "every utterance has the intent \"play_music\"; the NLU's intent classifier needs two"},
      {"no-slots.jsonl", kLightLines, "no utterance has a slot"},
      // Tokens holding a space cannot be logged as text and read back as the same tokens.
      {"no-carrier.jsonl",
       {R"({"tokens": ["play jazz"], "intent": "play_music", "slots": []})",
        R"({"tokens": ["lights off"], "intent": "lights_off", "slots": []})"},
       "no utterance can be simulated"}};
  const std::string out = (dir_ / "log.jsonl").string();
  for (const bad_data& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string data = write_lines(dir_ / c.name, c.lines);
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{frugal_path, "harvest", "simulate", "--data", data, "--out", out,
                                   "--turns", "200", "--users", "5"},
          std::vector<std::string>{frugal_path, "harvest", "evaluate", "--train", data, "--test",
                                   good, "--turns", "200", "--users", "5", "--friction-turns",
                                   "100"}}) {
      const command_result result = run_command(argv);
      EXPECT_EQ(result.exit_code, 3) << argv[2] << "\n" << result.err;
      EXPECT_NE(result.err.find(data + ": "), std::string::npos) << argv[2] << "\n" << result.err;
      EXPECT_NE(result.err.find(c.message_part), std::string::npos) << argv[2] << "\n"
                                                                    << result.err;
    }
    EXPECT_FALSE(std::filesystem::exists(out));
  }
}

// evaluate also trains a paraphrase detector on pairs synthesized from the head: data with no
// two phrasings of one intent and slot types among the head carriers gives it none. The same
// data simulates (no paraphrase detector there).
TEST_F(HarvestSimulateCli, DataWithoutParaphrasePairsIsBadInputToEvaluate) {
  const std::string data = write_lines(dir_ / "data.jsonl", both(kPlayLines, kLightLines));
  command_result result =
      run_command({frugal_path, "harvest", "evaluate", "--train", data, "--test", data, "--turns",
                   "200", "--users", "5", "--friction-turns", "100"});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_NE(result.err.find(data + ": too little variety for the paraphrase detector"),
            std::string::npos)
      << result.err;
  result = run_command({frugal_path, "harvest", "simulate", "--data", data, "--out",
                        (dir_ / "log.jsonl").string(), "--turns", "200", "--users", "5"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

// Floating-point options reject NaN (CLI::Range lets it through) and counts reject values that
// wrap around in size_t: usage errors, exit 2. Each option with an accepted value passes the
// parser (the run then fails on the data, exit 3), so "nan" alone is what is refused.
TEST_F(HarvestSimulateCli, NonFiniteOrWrappingOptionValuesAreUsageErrors) {
  const std::string data = write_lines(dir_ / "one-intent.jsonl", kPlayLines);
  const std::vector<std::string> simulate{
      frugal_path, "harvest", "simulate", "--data", data, "--out", (dir_ / "log.jsonl").string()};
  const std::vector<std::string> evaluate{frugal_path, "harvest", "evaluate", "--train",
                                          data,        "--test",  data};
  struct option_case {
    const std::vector<std::string>& command;
    std::string option, bad, good;
  };
  const std::vector<option_case> cases{{simulate, "--zipf", "nan", "1.5"},
                                       {simulate, "--noise", "nan", "0.2"},
                                       {evaluate, "--zipf", "nan", "1.5"},
                                       {evaluate, "--min-agreement", "nan", "0.5"},
                                       {evaluate, "--max-gap", "nan", "30"},
                                       {evaluate, "--max-gap", "-1", "30"},
                                       {evaluate, "--min-occurrences", "-1", "2"},
                                       {evaluate, "--min-users", "0", "2"},
                                       {simulate, "--nlu-slot-dropout", "nan", "0.5"},
                                       {simulate, "--nlu-slot-dropout", "1", "0"},
                                       {evaluate, "--nlu-slot-dropout", "inf", "0.5"},
                                       {evaluate, "--nlu-slot-dropout", "-0.1", "0"}};
  for (const option_case& c : cases) {
    SCOPED_TRACE(c.command[2] + " " + c.option + " " + c.bad);
    for (const auto& [value, expected] : {std::pair{c.bad, 2}, std::pair{c.good, 3}}) {
      std::vector<std::string> argv = c.command;
      argv.insert(argv.end(), {c.option, value});
      const command_result result = run_command(argv);
      EXPECT_EQ(result.exit_code, expected) << value << "\n" << result.err;
    }
  }
}

// A small seeded evaluation on German xSID (80,000 turns, about 4 s). The bar of the issue:
// harvested-label precision at least 0.95 at default corroboration, fewer errors on utterances
// with a tail carrier (natural test ones and tail carriers filled with test values, together),
// and the natural head utterances gain no errors. Observed (seed 1, errors summed over the 3 NLU
// trainings per side): 28 kept, all correct; tail errors 206 -> 169; head 9 -> 6. No tolerance
// on precision (it is the bar itself).
TEST_F(HarvestSimulateCli, SmallEvaluationMeetsTheBar) {
  const command_result result = run_command(
      {frugal_path, "harvest", "evaluate", "--data-dir", data_dir, "--language", "de", "--turns",
       "80000", "--users", "300", "--friction-turns", "10000", "--seed", "1", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json report = json::parse(result.out);
  const json& precision = report["precision"];
  ASSERT_GE(precision["kept"].get<std::size_t>(), 8u) << result.out;
  EXPECT_GE(precision["precision"].get<double>(), 0.95) << result.out;
  const json& errors = report["errors"];
  const auto count = [&](const char* set, const char* key) {
    return errors[set][key].get<std::size_t>();
  };
  EXPECT_LT(count("test_tail", "errors_after") + count("filled_tail", "errors_after"),
            count("test_tail", "errors_before") + count("filled_tail", "errors_before"))
      << result.out;
  EXPECT_LE(count("test_head", "errors_after"), count("test_head", "errors_before")) << result.out;
  // Errors are summed over the default 3 NLU trainings per side; the rates are their means.
  for (const char* set : {"test_head", "test_tail", "filled_head", "filled_tail"}) {
    const std::size_t models = count(set, "nlu_seeds");
    EXPECT_EQ(models, 3u) << set;
    const std::size_t utterances = count(set, "utterances");
    EXPECT_LE(count(set, "errors_before"), utterances * models) << set;
    if (utterances > 0) {
      EXPECT_DOUBLE_EQ(errors[set]["error_before"].get<double>(),
                       double(count(set, "errors_before")) / double(utterances * models))
          << set;
    }
  }
  EXPECT_TRUE(report["meets_bar"].get<bool>());

  // The hand-labelled baseline: as many random tail carriers as were kept, with their true
  // labels. Its "before" is the same deployed models, so every set's before counts are the
  // harvest's; learning tail phrasings with their true labels lowers the errors on tail carriers
  // filled with test values (observed at seed 1: 28 utterances, 156 -> 127 errors; the harvest
  // 156 -> 144). Skipping it leaves the harvest's figures as they were.
  const json& baseline = report["labelled_baseline"];
  ASSERT_TRUE(baseline.is_object()) << result.out;
  EXPECT_EQ(
      baseline["utterances"].get<std::size_t>(),
      std::min(precision["kept"].get<std::size_t>(), report["tail_carriers"].get<std::size_t>()));
  const json& baseline_errors = baseline["errors"];
  for (const char* set :
       {"test_head", "test_tail", "test_unseen", "test_all", "filled_head", "filled_tail"}) {
    EXPECT_EQ(baseline_errors[set]["errors_before"], errors[set]["errors_before"]) << set;
    EXPECT_EQ(baseline_errors[set]["utterances"], errors[set]["utterances"]) << set;
  }
  EXPECT_LT(baseline_errors["filled_tail"]["errors_after"].get<std::size_t>(),
            baseline_errors["filled_tail"]["errors_before"].get<std::size_t>());
  const command_result without =
      run_command({frugal_path, "harvest", "evaluate", "--data-dir", data_dir, "--language", "de",
                   "--turns", "80000", "--users", "300", "--friction-turns", "10000", "--seed", "1",
                   "--json", "--no-labelled-baseline"});
  ASSERT_EQ(without.exit_code, 0) << without.err;
  const json without_report = json::parse(without.out);
  EXPECT_TRUE(without_report["labelled_baseline"].is_null());
  EXPECT_EQ(without_report["errors"], errors);
  EXPECT_EQ(without_report["precision"], precision);

  EXPECT_EQ(run_command({frugal_path, "harvest", "evaluate", "--data-dir", data_dir, "--language",
                         "de", "--nlu-seeds", "0"})
                .exit_code,
            2);
  // --check turns the verdict into the exit code: nothing can be corroborated from 2,000 turns
  // with --min-occurrences 1000, so the bar fails and the exit code is 1.
  const command_result failing = run_command(
      {frugal_path, "harvest", "evaluate", "--data-dir", data_dir, "--language", "de", "--turns",
       "2000", "--friction-turns", "1000", "--min-occurrences", "1000", "--check"});
  EXPECT_EQ(failing.exit_code, 1) << failing.err;
  EXPECT_NE(failing.out.find("NOT met"), std::string::npos) << failing.out;
  // Nothing kept, so there is no baseline of that size to compare with.
  EXPECT_EQ(failing.out.find("baseline"), std::string::npos) << failing.out;
}

}  // namespace
}  // namespace frugal::e2e
