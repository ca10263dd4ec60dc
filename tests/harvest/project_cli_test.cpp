// `frugal harvest project` end to end: output modes, agreement with the library, bad input.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "e2e/run_command.hpp"
#include "frugal/harvest/projection.hpp"
#include "frugal/harvest/projection_pairs.hpp"

namespace frugal::e2e {
namespace {

using json = nlohmann::ordered_json;

// Line 1: the classic greedy failure (slot-first and greedy differ); line 2: rejected (no word
// for the artist); line 3: reordered slots with an integer id and a German normal form.
const std::string pairs_text =
    R"({"id": "weekend", "source": {"tokens": ["what", "is", "the", "weather", "for", "the", "weekend"], "intent": "weather_query", "slots": [{"type": "date", "start": 5, "end": 7}]}, "target": {"tokens": ["the", "weekend", "weather", "please"]}})"
    "\n"
    R"({"id": "adele", "source": {"tokens": ["play", "adele", "now"], "intent": "play_music", "slots": [{"type": "artist", "start": 1, "end": 2}]}, "target": {"tokens": ["play", "something", "now"]}})"
    "\n"
    R"({"id": 3, "source": {"tokens": ["von", "der", "Straße", "nach", "Köln"], "intent": "navigation", "slots": [{"type": "street", "start": 2, "end": 3}, {"type": "city", "start": 4, "end": 5}]}, "target": {"tokens": ["nach", "KÖLN", "von", "der", "STRASSE"]}})"
    "\n";

class ProjectCli : public scratch_directory_test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  static command_result frugal(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), {FRUGAL_CLI_PATH, "harvest", "project"});
    return run_command(arguments);
  }
  static std::vector<json> lines_of(const std::string& text) {
    std::vector<json> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
    return lines;
  }
};

TEST_F(ProjectCli, JsonLinesOnStdoutAgreeWithTheLibrary) {
  const std::string path = write("pairs.jsonl", pairs_text);
  for (const std::string method : {"slot-first", "greedy"}) {
    const command_result result = frugal({path, "--json", "--method", method});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const std::vector<json> lines = lines_of(result.out);
    const auto pairs = harvest::parse_projection_pairs(pairs_text, "x").pairs;
    ASSERT_EQ(lines.size(), pairs.size());
    harvest::projection_settings settings;
    settings.method = method == "greedy" ? harvest::projection_method::greedy
                                         : harvest::projection_method::slot_first;
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      const harvest::projection_result expected =
          harvest::project(pairs[k].source, pairs[k].target_tokens, settings);
      EXPECT_EQ(lines[k].dump(), json::parse(harvest::projection_line(pairs[k], expected)).dump());
    }
    EXPECT_EQ(lines[0]["id"], "weekend");
    EXPECT_EQ(lines[0]["status"], "ok");
    // Slot-first keeps "the" in the date; greedy's carrier "the" took it.
    EXPECT_EQ(lines[0]["slots"][0]["start"], method == "greedy" ? 1 : 0);
    EXPECT_EQ(lines[1]["status"], "rejected");
    EXPECT_EQ(lines[1]["reason"], "slot without a target word: artist");
    EXPECT_TRUE(lines[2]["id"].is_number_integer());
    EXPECT_EQ(lines[2]["slots"].dump(),
              R"([{"type":"city","start":1,"end":2},{"type":"street","start":4,"end":5}])");
  }
}

TEST_F(ProjectCli, HumanOutputHasOneLinePerPairAndASummary) {
  const std::string path = write("pairs.jsonl", pairs_text);
  const command_result result = frugal({path});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("weekend  ok        weather_query  [date: the weekend] weather please"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("adele  rejected  slot without a target word: artist"),
            std::string::npos);
  EXPECT_NE(result.out.find("3 pairs"), std::string::npos);
  EXPECT_NE(result.out.find("slot without a target word"), std::string::npos);
}

TEST_F(ProjectCli, OutFileGetsTheLinesStdoutTheSummary) {
  const std::string path = write("pairs.jsonl", pairs_text);
  const std::string out = (dir_ / "projected.jsonl").string();
  const command_result result = frugal({path, "--out", out, "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json summary = json::parse(result.out);
  EXPECT_EQ(summary["pairs"], 3);
  EXPECT_EQ(summary["ok"], 2);
  EXPECT_EQ(summary["rejected"], 1);
  EXPECT_EQ(summary["rejected_by_reason"]["slot without a target word"], 1);
  std::ifstream in(out);
  std::stringstream written;
  written << in.rdbuf();
  EXPECT_EQ(lines_of(written.str()).size(), 3u);
  const command_result human = frugal({path, "--out", out});
  ASSERT_EQ(human.exit_code, 0);
  EXPECT_EQ(human.out.find("weekend  ok"), std::string::npos);  // no per-pair lines
  EXPECT_NE(human.out.find("rejected"), std::string::npos);
}

TEST_F(ProjectCli, BadInputExits3WithPositionAndWritesNothing) {
  const std::string bad =
      pairs_text +
      R"({"id": 4, "source": {"tokens": ["a"], "intent": "i", "slots": [{"type": "t", "start": 0, "end": 2}]}, "target": {"tokens": ["a"]}})"
      "\n";
  const std::string path = write("bad.jsonl", bad);
  const std::string out = (dir_ / "projected.jsonl").string();
  const command_result result = frugal({path, "--out", out});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("bad.jsonl:4:"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(out));

  const command_result skipped = frugal({path, "--out", out, "--skip-bad", "--json"});
  ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_EQ(json::parse(skipped.out)["skipped_lines"], 1);
  EXPECT_EQ(json::parse(skipped.out)["pairs"], 3);
  EXPECT_NE(skipped.err.find("bad.jsonl:4:"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST_F(ProjectCli, UsageErrorsExit2) {
  const std::string path = write("pairs.jsonl", pairs_text);
  EXPECT_EQ(frugal({path, "--method", "hungarian"}).exit_code, 2);
  EXPECT_EQ(frugal({path, "--max-distance", "1.5"}).exit_code, 2);
  EXPECT_EQ(frugal({path, "--max-distance", "nan"}).exit_code, 2);  // NaN passes CLI::Range
  EXPECT_EQ(frugal({}).exit_code, 2);
  EXPECT_EQ(frugal({(dir_ / "missing.jsonl").string()}).exit_code, 3);
}

TEST_F(ProjectCli, MaxDistanceZeroNeedsIdenticalWords) {
  const std::string path = write(
      "pairs.jsonl",
      R"({"id": 1, "source": {"tokens": ["call", "beatrice"], "intent": "call", "slots": [{"type": "person", "start": 1, "end": 2}]}, "target": {"tokens": ["ring", "beatrise"]}})"
      "\n");
  EXPECT_EQ(lines_of(frugal({path, "--json", "--method", "greedy"}).out)[0]["status"], "ok");
  EXPECT_EQ(
      lines_of(
          frugal({path, "--json", "--method", "greedy", "--max-distance", "0"}).out)[0]["status"],
      "rejected");
}

TEST_F(ProjectCli, DashReadsStdin) {
  // run_command gives the child /dev/null as stdin: no pairs, a clean run.
  const command_result result = frugal({"-", "--json", "--out", (dir_ / "o.jsonl").string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(json::parse(result.out)["pairs"], 0);
}

}  // namespace
}  // namespace frugal::e2e
