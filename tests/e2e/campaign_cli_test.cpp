// End-to-end tests of the campaign commands (DESIGN.md §3): `frugal campaign init`, `next`,
// `label`, `status`, run as the built binary on predictions made by the generator
// (FRUGAL_GENERATE_PATH) in a fresh temporary directory. Labels are filled in from the
// generator's gold `label` column; label counts before and after a refused import are compared
// through `frugal status --json`; campaign files are tampered with through the SQLite C API.
// Generator seeds are fixed, so every run sees the same data.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/run_command.hpp"
#include "frugal/campaign/store.hpp"

namespace frugal::e2e {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string frugal_path = FRUGAL_CLI_PATH;
const std::string generate_path = FRUGAL_GENERATE_PATH;

using record = std::vector<std::string>;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The generator's predictions: gold label per id, and each set's true precision.
struct generated_data {
  std::map<std::string, int> gold;
  std::vector<std::string> ids;
  std::map<std::string, double> precision;  // "ensemble" (majority) and "m1".."mK"
};

generated_data load_generated(const fs::path& path) {
  const std::vector<record> records = parse_csv(read_file(path));
  const record& header = records.at(0);
  std::vector<std::size_t> members;
  std::size_t label_column = 0;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (header[c].starts_with("m")) members.push_back(c);
    if (header[c] == "label") label_column = c;
  }
  generated_data data;
  std::map<std::string, std::pair<std::size_t, std::size_t>> counts;  // set -> (correct, total)
  for (std::size_t r = 1; r < records.size(); ++r) {
    const record& fields = records[r];
    const int gold = fields[label_column] == "1" ? 1 : 0;
    data.gold[fields[0]] = gold;
    data.ids.push_back(fields[0]);
    std::size_t votes = 0;
    for (const std::size_t c : members) {
      const bool yes = fields[c] == "1";
      votes += yes ? 1 : 0;
      if (yes) {
        counts[header[c]].first += static_cast<std::size_t>(gold);
        counts[header[c]].second += 1;
      }
    }
    if (votes > members.size() / 2) {
      counts["ensemble"].first += static_cast<std::size_t>(gold);
      counts["ensemble"].second += 1;
    }
  }
  for (const auto& [set, count] : counts)
    data.precision[set] = static_cast<double>(count.first) / static_cast<double>(count.second);
  return data;
}

// Sets PRAGMA user_version of a SQLite file.
void set_user_version(const fs::path& path, int version) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  const std::string sql = "PRAGMA user_version = " + std::to_string(version);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
}

class campaign_cli_test : public scratch_directory_test {
 protected:
  command_result frugal(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), frugal_path);
    return run_command(arguments, dir_);
  }
  std::string frugal_ok(const std::vector<std::string>& arguments) const {
    const command_result result = frugal(arguments);
    EXPECT_EQ(result.exit_code, 0)
        << fmt::format("frugal {}\n{}", fmt::join(arguments, " "), result.err);
    return result.out;
  }
  json status(const std::string& db, const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> arguments = {"status", db, "--json"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    const std::string out = frugal_ok(arguments);
    return json::parse(out, nullptr, false);
  }

  // 20,000 items, 5 members with skills 1.5..2.5 (so every set's precision is above 0.9, checked
  // by the tests that need it), base rate 0.3, with content.
  void generate(const std::string& name, std::size_t items = 20000, std::uint64_t seed = 5) const {
    const command_result result =
        run_command({generate_path, "--items", std::to_string(items), "--members", "5", "--seed",
                     std::to_string(seed), "--base-rate", "0.3", "--skill-low", "1.5",
                     "--skill-high", "2.5", "--content", name},
                    dir_);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  void init(const std::string& db, const std::string& predictions,
            const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> arguments = {"campaign",  "init",   db, "--predictions",
                                          predictions, "--seed", "3"};
    arguments.insert(arguments.end(), extra.begin(), extra.end());
    const command_result result = frugal(arguments);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::string read(const std::string& name) const { return read_file(dir_ / name); }
};

// Bad input: exit 3, nothing on stdout, stderr opening with the position.
void expect_bad_input(const command_result& result, const std::string& position) {
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_EQ(result.out, "");
  const std::string prefix = "frugal: error: " + position + ": ";
  EXPECT_TRUE(result.err.starts_with(prefix))
      << "expected stderr to start with \"" << prefix << "\", got:\n"
      << result.err;
}

TEST_F(campaign_cli_test, init_refuses_an_existing_campaign_and_leaves_it_unchanged) {
  generate("pred.csv", 2000);
  const command_result created =
      frugal({"campaign", "init", "c.db", "--predictions", "pred.csv", "--seed", "3"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("c.db created from pred.csv"), std::string::npos) << created.out;
  const std::string before = read("c.db");
  ASSERT_FALSE(before.empty());
  const command_result again =
      frugal({"campaign", "init", "c.db", "--predictions", "pred.csv", "--seed", "4"});
  EXPECT_EQ(again.exit_code, 3) << again.err;
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(read("c.db"), before) << "a refused init changed the campaign file";
  // Only the campaign and the predictions are left in the directory.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, std::vector<std::string>({"c.db", "pred.csv"}));
}

TEST_F(campaign_cli_test, next_then_label_then_relabel) {
  generate("pred.csv", 2000);
  init("c.db", "pred.csv");
  const generated_data data = load_generated(dir_ / "pred.csv");

  const std::string next = frugal_ok({"next", "c.db", "--batch", "5"});
  const std::vector<record> rows = parse_csv(next);
  ASSERT_EQ(rows.size(), 6u) << next;
  EXPECT_EQ(rows[0], record({"id", "label", "sets", "content"}));
  std::string labels = "id,label\n";
  for (std::size_t r = 1; r < rows.size(); ++r) {
    ASSERT_EQ(rows[r].size(), 4u) << next;
    ASSERT_TRUE(data.gold.count(rows[r][0])) << rows[r][0];
    EXPECT_EQ(rows[r][1], "") << "the label column is left to fill in";
    EXPECT_FALSE(rows[r][2].empty()) << "which sets need the item";
    EXPECT_TRUE(rows[r][3].starts_with("synthetic item ")) << rows[r][3];
    labels += rows[r][0] + ',' + std::to_string(data.gold.at(rows[r][0])) + '\n';
  }
  write("first.csv", labels);

  const std::string imported = frugal_ok({"label", "c.db", "first.csv"});
  EXPECT_NE(imported.find("5 labels, 5 new, 0 already stored"), std::string::npos) << imported;
  json state = status("c.db");
  EXPECT_EQ(state["label_records"], 5);
  EXPECT_EQ(state["distinct_labelled"], 5);

  const std::string again = frugal_ok({"label", "c.db", "first.csv"});
  EXPECT_NE(again.find("5 labels, 0 new, 5 already stored"), std::string::npos) << again;
  state = status("c.db");
  EXPECT_EQ(state["label_records"], 5);

  // The next batch moves on to other items.
  const std::vector<record> more = parse_csv(frugal_ok({"next", "c.db", "--batch", "5"}));
  ASSERT_EQ(more.size(), 6u);
  for (std::size_t r = 1; r < more.size(); ++r)
    EXPECT_EQ(labels.find(more[r][0] + ','), std::string::npos) << more[r][0] << " offered again";
}

TEST_F(campaign_cli_test, bad_labels_files_are_refused_with_their_position_and_write_nothing) {
  generate("pred.csv", 2000);
  init("c.db", "pred.csv");
  const generated_data data = load_generated(dir_ / "pred.csv");
  const std::vector<record> rows = parse_csv(frugal_ok({"next", "c.db", "--batch", "4"}));
  ASSERT_EQ(rows.size(), 5u);
  const std::string a = rows[1][0], b = rows[2][0], c = rows[3][0], d = rows[4][0];
  const int gold_a = data.gold.at(a);
  write("good.csv", fmt::format("id,label\n{},{}\n", a, gold_a));
  frugal_ok({"label", "c.db", "good.csv"});
  ASSERT_EQ(status("c.db")["label_records"], 1);

  auto label_records = [&] { return status("c.db")["label_records"].get<int>(); };

  // An id that is not an item, on line 3 (after a valid line): exit 3 naming file:line:column.
  write("unknown.csv", fmt::format("id,label\n{},{}\nno-such-item,1\n", b, data.gold.at(b)));
  command_result result = frugal({"label", "c.db", "unknown.csv"});
  expect_bad_input(result, "unknown.csv:3:1");
  EXPECT_NE(result.err.find("no-such-item"), std::string::npos) << result.err;
  EXPECT_EQ(label_records(), 1);

  // A label that is not 0/1: line 3, column of the label field.
  write("malformed.csv", fmt::format("id,label\n{},{}\n{},2\n", b, data.gold.at(b), c));
  result = frugal({"label", "c.db", "malformed.csv"});
  expect_bad_input(result, fmt::format("malformed.csv:3:{}", c.size() + 2));
  EXPECT_EQ(label_records(), 1);

  // A conflicting relabel of `a` by the same (unnamed) annotator, after a new valid line.
  write("conflict.csv", fmt::format("id,label\n{},{}\n{},{}\n", d, data.gold.at(d), a, 1 - gold_a));
  result = frugal({"label", "c.db", "conflict.csv"});
  expect_bad_input(result, fmt::format("conflict.csv:3:{}", a.size() + 2));
  EXPECT_NE(result.err.find(a), std::string::npos) << result.err;
  EXPECT_EQ(label_records(), 1);
  const json state = status("c.db");
  EXPECT_EQ(state["distinct_labelled"], 1);

  // None of the refused imports wrote anything: no import, label or event row.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / "c.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  auto count = [&](const char* sql) {
    sqlite3_stmt* statement = nullptr;
    int value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
      value = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    return value;
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM imports"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM labels"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM events WHERE kind = 'labels imported'"), 1);
  sqlite3_close(db);
}

TEST_F(campaign_cli_test, labelling_from_the_gold_column_runs_the_campaign_to_the_end) {
  generate("pred.csv");
  init("c.db", "pred.csv");
  const generated_data data = load_generated(dir_ / "pred.csv");
  for (const auto& [set, precision] : data.precision)
    ASSERT_GT(precision, 0.9) << set << ": the generator settings must give high precisions";

  // A first stretch of 10 labels: unfinished, and the what-if rule projects how many more.
  const command_result start =
      frugal({"label", "c.db", "--from-column", "label", "--max-labels", "10", "--json"});
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const json started = json::parse(start.out, nullptr, false);
  EXPECT_EQ(started["added"], 10);
  EXPECT_EQ(started["finished"], false);
  const json early = status("c.db", {"--rule", "atleast:4"});
  EXPECT_EQ(early["label_records"], 10);
  EXPECT_EQ(early["finished"], false);
  ASSERT_TRUE(early.contains("what_if")) << early.dump(2);
  EXPECT_EQ(early["what_if"]["finished"], false);
  ASSERT_TRUE(early["what_if"]["more_labels"].is_number_unsigned()) << early["what_if"].dump(2);
  EXPECT_GT(early["what_if"]["more_labels"].get<std::size_t>(), 0u);

  const command_result run = frugal({"label", "c.db", "--from-column", "label"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("the campaign is finished"), std::string::npos) << run.out;

  const json state = status("c.db");
  ASSERT_TRUE(state.is_object());
  EXPECT_EQ(state["finished"], true);
  EXPECT_EQ(state["items"], 20000);
  const double margin = state["margin"].get<double>();
  EXPECT_EQ(margin, 0.05);
  const std::size_t distinct = state["distinct_labelled"].get<std::size_t>();
  const std::size_t fixed = state["fixed_n_coordinated"].get<std::size_t>();
  EXPECT_GT(distinct, 0u);
  EXPECT_LT(distinct, fixed) << "sequential stopping should need fewer labels than fixed-n at "
                                "these precisions";
  EXPECT_EQ(state["label_records"].get<std::size_t>(), distinct);  // one annotator
  ASSERT_EQ(state["sets"].size(), 6u);
  for (const auto& [name, set] : state["sets"].items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(data.precision.count(name));
    EXPECT_EQ(set["status"], "finished");
    EXPECT_EQ(set["finished"], true);
    EXPECT_EQ(set["finished_after"], set["labelled"]);
    ASSERT_EQ(set["interval"].size(), 2u);
    const double lower = set["interval"][0].get<double>();
    const double upper = set["interval"][1].get<double>();
    const double precision = set["precision"].get<double>();
    EXPECT_LE(lower, precision);
    EXPECT_LE(precision, upper);
    EXPECT_LE(set["half_width"].get<double>(), margin);
    EXPECT_DOUBLE_EQ(set["half_width"].get<double>(), (upper - lower) / 2);
    EXPECT_LE(set["labelled"].get<std::size_t>(), set["positives"].get<std::size_t>());
    EXPECT_GT(set["fixed_sample_size"].get<std::size_t>(), 0u);
    // Each set's true precision is inside its interval (fixed seed; the sequence is a 95% one, so
    // for a new seed one of six sets could miss with small probability).
    EXPECT_LE(lower, data.precision.at(name));
    EXPECT_GE(upper, data.precision.at(name));
  }

  // The log holds one "set finished" event per set, at the label it finished, and one
  // "campaign finished".
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir_ / "c.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* query = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT kind, detail FROM events ORDER BY sequence", -1,
                                 &query, nullptr),
              SQLITE_OK);
    std::map<std::string, std::size_t> finished_at;
    int campaign_finished = 0;
    while (sqlite3_step(query) == SQLITE_ROW) {
      const std::string kind = reinterpret_cast<const char*>(sqlite3_column_text(query, 0));
      const json detail =
          json::parse(reinterpret_cast<const char*>(sqlite3_column_text(query, 1)), nullptr, false);
      if (kind == "set finished") {
        EXPECT_FALSE(finished_at.count(detail["set"])) << "finished twice: " << detail.dump();
        finished_at[detail["set"].get<std::string>()] = detail["after_labels"].get<std::size_t>();
      }
      if (kind == "campaign finished") ++campaign_finished;
    }
    sqlite3_finalize(query);
    sqlite3_close(db);
    EXPECT_EQ(campaign_finished, 1);
    EXPECT_EQ(finished_at.size(), 6u);
    for (const auto& [name, after] : finished_at)
      EXPECT_EQ(after, state["sets"][name]["finished_after"].get<std::size_t>()) << name;
  }

  // Nothing more to label.
  const command_result next = frugal({"next", "c.db", "--batch", "5"});
  EXPECT_EQ(next.exit_code, 0);
  EXPECT_EQ(next.out, "");
  EXPECT_NE(next.err.find("finished"), std::string::npos) << next.err;

  // What if the ensemble were atleast:4: a what_if object with the set's shape.
  const json what_if = status("c.db", {"--rule", "atleast:4"});
  ASSERT_TRUE(what_if.contains("what_if")) << what_if.dump(2);
  const json& rule = what_if["what_if"];
  EXPECT_EQ(rule["rule"], "atleast:4");
  for (const char* key : {"status", "positives", "labelled", "true_positives", "finished",
                          "precision", "interval", "half_width", "more_labels"})
    EXPECT_TRUE(rule.contains(key)) << key;
  EXPECT_GT(rule["positives"].get<std::size_t>(), 0u);
  EXPECT_GT(rule["labelled"].get<std::size_t>(), 0u) << "atleast:4 items are majority items";
  if (rule["finished"] == true) {
    EXPECT_LE(rule["half_width"].get<double>(), margin);
    EXPECT_TRUE(rule["more_labels"].is_null());
  }
  EXPECT_FALSE(what_if == state) << "--rule adds to the status";
}

// Content with a comma, quotes and a line break survives `next`'s CSV; two annotators who
// disagree leave a tie that `status` lists and `next` offers again.
TEST_F(campaign_cli_test, content_round_trips_and_ties_are_offered_again) {
  std::string predictions = "id,m1,m2,m3,label,content\n";
  for (int i = 0; i < 200; ++i)
    predictions += fmt::format("\"it,{}\",1,1,{},1,\"text {}, \"\"quoted\"\"\nsecond line\"\n", i,
                               i % 3 == 0 ? 0 : 1, i);
  write("pred.csv", predictions);
  init("c.db", "pred.csv");
  const std::vector<record> rows = parse_csv(frugal_ok({"next", "c.db", "--batch", "3"}));
  ASSERT_EQ(rows.size(), 4u);
  const std::string first = rows[1][0];
  ASSERT_TRUE(first.starts_with("it,")) << first;
  const std::string number = first.substr(3);
  EXPECT_EQ(rows[1][3], fmt::format("text {}, \"quoted\"\nsecond line", number));

  // Quoted ids in the labels file; annotators x and y disagree on the first item.
  const std::string quoted = "\"" + first + "\"";
  write("two.csv", fmt::format("id,label,annotator\n{},1,x\n{},0,y\n\"{}\",1,x\n", quoted, quoted,
                               rows[2][0]));
  frugal_ok({"label", "c.db", "two.csv"});
  const json state = status("c.db");
  EXPECT_EQ(state["annotators"]["count"], 2);
  ASSERT_EQ(state["annotators"]["disagreements"].size(), 1u) << state["annotators"].dump(2);
  EXPECT_EQ(state["annotators"]["disagreements"][0]["id"], first);
  EXPECT_EQ(state["annotators"]["disagreements"][0]["tied"], true);
  EXPECT_EQ(state["sets"]["ensemble"]["labelled"], 0) << "the tie ends the labelled prefix";
  const json next = json::parse(frugal_ok({"next", "c.db", "--batch", "2", "--json"}));
  ASSERT_EQ(next["items"].size(), 2u);
  EXPECT_EQ(next["items"][0]["id"], first);
  EXPECT_EQ(next["items"][0]["tied"], true);
  EXPECT_EQ(next["items"][1]["id"], rows[3][0]) << "the labelled second item is not offered";
}

TEST_F(campaign_cli_test, a_campaign_from_a_newer_frugal_is_refused) {
  generate("pred.csv", 500);
  init("c.db", "pred.csv");
  set_user_version(dir_ / "c.db", campaign::schema_version + 1);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"status", "c.db"}, std::vector<std::string>{"next", "c.db"},
        std::vector<std::string>{"status", "c.db", "--json"}}) {
    const command_result result = frugal(command);
    EXPECT_EQ(result.exit_code, 3) << result.err;
    EXPECT_NE(result.err.find("newer"), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "");
  }
  // Not a campaign at all: also bad input.
  write("text.db", std::string(4096, 'x'));
  const command_result text = frugal({"status", "text.db"});
  EXPECT_EQ(text.exit_code, 3) << text.err;
  EXPECT_NE(text.err.find("not a frugal campaign"), std::string::npos) << text.err;
  const command_result missing = frugal({"next", "missing.db"});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_FALSE(fs::exists(dir_ / "missing.db")) << "opening must not create a campaign file";
}

TEST_F(campaign_cli_test, recall_and_f1_metrics_add_strata) {
  generate("pred.csv", 3000);
  init("c.db", "pred.csv", {"--metrics", "recall,f1"});
  json state = status("c.db");
  ASSERT_TRUE(state.contains("strata")) << state.dump(2);
  ASSERT_EQ(state["strata"].size(), 6u);  // 0..5 votes
  std::size_t items = 0;
  for (std::size_t v = 0; v < 6; ++v) {
    const json& stratum = state["strata"][v];
    EXPECT_EQ(stratum["votes"], v);
    EXPECT_EQ(stratum["labelled"], 0);
    EXPECT_LE(stratum["sample_size"].get<std::size_t>(), stratum["items"].get<std::size_t>());
    items += stratum["items"].get<std::size_t>();
  }
  EXPECT_EQ(items, 3000u);
  for (const auto& [name, set] : state["sets"].items()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(set.contains("recall"));
    ASSERT_TRUE(set.contains("f1"));
    EXPECT_EQ(set["recall"]["status"], "no labels");
  }
  // Without the metrics there are neither.
  init("p.db", "pred.csv");
  const json plain = status("p.db");
  EXPECT_FALSE(plain.contains("strata"));
  EXPECT_FALSE(plain["sets"]["ensemble"].contains("recall"));

  // Run to the end: every stratum has its sample and recall/F1 are estimates with intervals.
  const command_result run = frugal({"label", "c.db", "--from-column", "label", "--batch", "200"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  state = status("c.db");
  EXPECT_EQ(state["finished"], true);
  for (const json& stratum : state["strata"])
    EXPECT_EQ(stratum["labelled"], stratum["sample_size"]);
  for (const auto& [name, set] : state["sets"].items()) {
    SCOPED_TRACE(name);
    for (const char* metric : {"recall", "f1"}) {
      const json& value = set[metric];
      EXPECT_EQ(value["status"], "ok") << metric;
      ASSERT_TRUE(value.contains("estimate")) << metric;
      const double estimate = value["estimate"].get<double>();
      EXPECT_LE(value["interval"][0].get<double>(), estimate) << metric;
      EXPECT_GE(value["interval"][1].get<double>(), estimate) << metric;
    }
  }
}

}  // namespace
}  // namespace frugal::e2e
