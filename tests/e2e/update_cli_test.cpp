// End-to-end tests of the model-update commands (DESIGN.md §3): `frugal flips` and
// `frugal update plan|estimate|size|gate`, run as the built binary on small CSV files written to a
// fresh temporary directory. Metric values are checked against counts worked out by hand for a
// ten-item table; the sampled estimates are checked against `frugal flips` when the plan covers
// the whole disagreement set, where the two must agree exactly.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "e2e/run_command.hpp"

namespace frugal::e2e {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string frugal_path = FRUGAL_CLI_PATH;

// Ten items, three classes. Per item: truth / old / new.
//   item-a cat  cat  cat   both right        item-f bird dog  dog   both wrong
//   item-b cat  cat  dog   negative flip     item-g cat  cat  cat   both right
//   item-c dog  cat  dog   positive flip     item-h dog  dog  dog   both right
//   item-d dog  dog  dog   both right        item-i bird bird bird  both right
//   item-e bird dog  cat   both wrong        item-j cat  dog  cat   positive flip
// rr = 5, nf = 1, pf = 2, ww = 2, n = 10; the models disagree on b, c, e, j (churn 4/10).
constexpr std::string_view old_csv =
    "id,prediction,content\n"
    "item-a,cat,text a\nitem-b,cat,text b\nitem-c,cat,text c\nitem-d,dog,text d\n"
    "item-e,dog,text e\nitem-f,dog,text f\nitem-g,cat,text g\nitem-h,dog,text h\n"
    "item-i,bird,text i\nitem-j,dog,text j\n";
constexpr std::string_view new_csv =
    "id,prediction\n"
    "item-a,cat\nitem-b,dog\nitem-c,dog\nitem-d,dog\nitem-e,cat\nitem-f,dog\nitem-g,cat\n"
    "item-h,dog\nitem-i,bird\nitem-j,cat\n";
constexpr std::string_view labels_csv =
    "id,label\n"
    "item-a,cat\nitem-b,cat\nitem-c,dog\nitem-d,dog\nitem-e,bird\nitem-f,bird\nitem-g,cat\n"
    "item-h,dog\nitem-i,bird\nitem-j,cat\n";

::testing::AssertionResult contains(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos)
    return ::testing::AssertionSuccess() << "\"" << part << "\" is in:\n" << text;
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in:\n" << text;
}

::testing::AssertionResult starts_with(std::string_view text, std::string_view prefix) {
  if (text.starts_with(prefix)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\" does not start with \"" << prefix << "\"";
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

// The gate data: 300 items, 100 a class for the old model, which is right everywhere except on
// the 30 items z000..z029 it calls y. The new model turns x000..x029 into y (30 negative flips,
// all of class x) and gets z000..z029 right (30 positive flips). NFR = 0.1, churn = 0.2.
struct gate_data {
  std::string old_text = "id,prediction\n";
  std::string new_text = "id,prediction\n";
  std::string labels_text = "id,label\n";
  std::map<std::string, std::string> truth;
  gate_data() {
    for (const char c : std::string_view("xyz")) {
      for (int k = 0; k < 100; ++k) {
        const std::string id = fmt::format("{}{:03d}", c, k);
        const std::string truth_class(1, c);
        const bool negative = c == 'x' && k < 30;
        const bool positive = c == 'z' && k < 30;
        old_text += fmt::format("{},{}\n", id, positive ? "y" : truth_class);
        new_text += fmt::format("{},{}\n", id, negative ? "y" : truth_class);
        labels_text += fmt::format("{},{}\n", id, truth_class);
        truth[id] = truth_class;
      }
    }
  }
};

class update_cli_fixture : public scratch_directory_test {
 protected:
  command_result frugal(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), frugal_path);
    return run_command(arguments, dir_);
  }
  // Runs a command that must succeed and returns its stdout.
  std::string frugal_ok(const std::vector<std::string>& arguments) const {
    const command_result result = frugal(arguments);
    EXPECT_EQ(result.exit_code, 0)
        << fmt::format("frugal {}\n{}", fmt::join(arguments, " "), result.err);
    return result.out;
  }
  json frugal_json(const std::vector<std::string>& arguments) const {
    const std::string out = frugal_ok(arguments);
    const json parsed = json::parse(out, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << "not JSON:\n" << out;
    return parsed;
  }
  void write(const std::string& name, std::string_view text) const {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << text;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  bool exists(const std::string& name) const { return fs::exists(dir_ / name); }

  void write_tiny_table() const {
    write("old.csv", old_csv);
    write("new.csv", new_csv);
    write("labels.csv", labels_csv);
  }
  void write_gate_data() const {
    const gate_data data;
    write("old.csv", data.old_text);
    write("new.csv", data.new_text);
    write("labels.csv", data.labels_text);
  }

  // Fills the `label` column of a queue written by `update plan` from `truth` (every item, in the
  // queue's own format: order,id,label,content).
  void fill_queue(const std::string& queue, const std::string& filled,
                  const std::map<std::string, std::string>& truth) const {
    const auto records = parse_csv(read(queue));
    std::string text;
    for (std::size_t r = 0; r < records.size(); ++r) {
      std::vector<std::string> fields = records[r];
      if (r > 0) fields.at(2) = truth.at(fields.at(1));
      for (std::size_t f = 0; f < fields.size(); ++f) {
        if (f > 0) text += ',';
        text += csv_field(fields[f]);
      }
      text += '\n';
    }
    write(filled, text);
  }

  // Runs a command that must fail with `exit_code`, and returns its stderr.
  std::string frugal_fails(const std::vector<std::string>& arguments, int exit_code) const {
    const command_result result = frugal(arguments);
    EXPECT_EQ(result.exit_code, exit_code) << fmt::format(
        "frugal {}\nstdout:\n{}\nstderr:\n{}", fmt::join(arguments, " "), result.out, result.err);
    return result.err;
  }
};

std::map<std::string, std::string> tiny_truth() {
  std::map<std::string, std::string> truth;
  const auto records = parse_csv(labels_csv);
  for (std::size_t r = 1; r < records.size(); ++r) truth[records[r][0]] = records[r][1];
  return truth;
}

const json& class_row(const json& rows, const std::string& name) {
  for (const json& row : rows)
    if (row.at("class") == name) return row;
  static const json missing;
  ADD_FAILURE() << "no row for class " << name << " in " << rows.dump();
  return missing;
}

const json& gate_check(const json& verdict, const std::string& metric) {
  for (const json& check : verdict.at("checks"))
    if (check.at("metric") == metric) return check;
  static const json missing;
  ADD_FAILURE() << "no " << metric << " check in " << verdict.dump();
  return missing;
}

class FlipsCli : public update_cli_fixture {};
class UpdatePlanCli : public update_cli_fixture {};
class UpdateEstimateCli : public update_cli_fixture {};
class UpdateSizeCli : public update_cli_fixture {};
class UpdateGateCli : public update_cli_fixture {};

// ---------------------------------------------------------------------------------------------
// frugal flips

TEST_F(FlipsCli, JsonMetricsEqualHandComputedValues) {
  write_tiny_table();
  const json root =
      frugal_json({"flips", "old.csv", "new.csv", "--labels", "labels.csv", "--json"});
  EXPECT_EQ(root.at("items"), 10);
  EXPECT_EQ(root.at("labelled"), 10);
  EXPECT_EQ(root.at("tied"), 0);
  EXPECT_TRUE(root.at("classes_only_in_labels").empty());
  EXPECT_FALSE(root.contains("by_true_class"));
  const json& m = root.at("metrics");
  EXPECT_EQ(m.at("counts").at("both_right"), 5);
  EXPECT_EQ(m.at("counts").at("negative_flips"), 1);
  EXPECT_EQ(m.at("counts").at("positive_flips"), 2);
  EXPECT_EQ(m.at("counts").at("both_wrong"), 2);
  EXPECT_EQ(m.at("counts").at("both_wrong_changed"), 1);  // item-e: dog -> cat, truth bird
  EXPECT_EQ(m.at("counts").at("changed"), 4);
  const std::map<std::string, std::pair<double, double>> expected = {
      {"accuracy_old", {6, 10}}, {"accuracy_new", {7, 10}}, {"accuracy_difference", {1, 10}},
      {"nfr", {1, 10}},          {"pfr", {2, 10}},          {"nfi", {1, 3}},
      {"pfi", {2, 4}},           {"btc", {5, 6}},           {"bec", {2, 3}},
      {"churn", {4, 10}}};
  for (const auto& [name, ratio] : expected) {
    SCOPED_TRACE(name);
    const json& metric = m.at(name);
    const double value = metric.at("value").get<double>();
    EXPECT_NEAR(value, ratio.first / ratio.second, 1e-12);
    EXPECT_EQ(metric.at("numerator").get<double>(), ratio.first);
    EXPECT_EQ(metric.at("denominator").get<double>(), ratio.second);
    EXPECT_LE(metric.at("lower").get<double>(), value);
    EXPECT_GE(metric.at("upper").get<double>(), value);
  }
  // relative NFR = NFR / (acc_old * ER_new) = 0.1 / (0.6 * 0.3).
  EXPECT_NEAR(m.at("relative_nfr").at("value").get<double>(), 0.1 / (0.6 * 0.3), 1e-12);
  // acc_new - acc_old = PFR - NFR exactly.
  EXPECT_NEAR(m.at("accuracy_difference").at("value").get<double>(),
              m.at("pfr").at("value").get<double>() - m.at("nfr").at("value").get<double>(), 1e-15);
}

TEST_F(FlipsCli, HumanOutputShowsCountsAndMetrics) {
  write_tiny_table();
  const std::string out = frugal_ok({"flips", "old.csv", "new.csv", "--labels", "labels.csv"});
  EXPECT_TRUE(contains(out, "10 items, 10 labelled"));
  EXPECT_TRUE(contains(out, "5 both right, 1 negative flips"));
  EXPECT_TRUE(contains(out, "2 positive flips, 2 both wrong"));
  EXPECT_TRUE(contains(out, "NFR                   0.1000"));
  EXPECT_TRUE(contains(out, "PFR                   0.2000"));
  EXPECT_TRUE(contains(out, "churn (all items)     0.4000"));
  EXPECT_TRUE(contains(out, "+0.1000"));  // accuracy change
  EXPECT_FALSE(contains(out, "by true class"));
}

TEST_F(FlipsCli, UndefinedMetricIsJsonNullAndUndefinedInText) {
  write_tiny_table();
  // Only items the new model gets right: nf = ww = 0, so NFI = 0/0 and BEC = 0/0.
  write("right.csv", "id,label\nitem-a,cat\nitem-c,dog\nitem-d,dog\n");
  const json root = frugal_json({"flips", "old.csv", "new.csv", "--labels", "right.csv", "--json"});
  const json& m = root.at("metrics");
  EXPECT_EQ(root.at("labelled"), 3);
  for (const char* name : {"nfi", "bec", "relative_nfr"}) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(m.at(name).at("value").is_null()) << m.at(name).dump();
    EXPECT_TRUE(m.at(name).at("lower").is_null());
    EXPECT_TRUE(m.at(name).at("upper").is_null());
  }
  // Defined ones stay numbers, zero included.
  EXPECT_EQ(m.at("nfr").at("value").get<double>(), 0.0);
  EXPECT_NEAR(m.at("pfi").at("value").get<double>(), 1.0, 1e-15);
  const std::string out = frugal_ok({"flips", "old.csv", "new.csv", "--labels", "right.csv"});
  EXPECT_TRUE(contains(out, "NFI                   undefined"));
  EXPECT_TRUE(contains(out, "BEC                   undefined"));
}

TEST_F(FlipsCli, ByClassHasTrueClassAndOldPrediction) {
  write_tiny_table();
  const json root = frugal_json(
      {"flips", "old.csv", "new.csv", "--labels", "labels.csv", "--json", "--by-class"});
  ASSERT_TRUE(root.contains("by_true_class"));
  ASSERT_TRUE(root.contains("by_old_prediction"));
  std::vector<std::string> names;
  for (const json& row : root.at("by_true_class"))
    names.push_back(row.at("class").get<std::string>());
  EXPECT_EQ(names, (std::vector<std::string>{"bird", "cat", "dog"}));
  // True class cat: item-a, item-g both right, item-b negative, item-j positive.
  const json& cat = class_row(root.at("by_true_class"), "cat").at("metrics").at("counts");
  EXPECT_EQ(cat.at("both_right"), 2);
  EXPECT_EQ(cat.at("negative_flips"), 1);
  EXPECT_EQ(cat.at("positive_flips"), 1);
  EXPECT_EQ(cat.at("both_wrong"), 0);
  // Old prediction dog: item-d, item-h right, item-e, item-f both wrong, item-j positive.
  const json& dog_row = class_row(root.at("by_old_prediction"), "dog");
  const json& dog = dog_row.at("metrics").at("counts");
  EXPECT_EQ(dog.at("both_right"), 2);
  EXPECT_EQ(dog.at("negative_flips"), 0);
  EXPECT_EQ(dog.at("positive_flips"), 1);
  EXPECT_EQ(dog.at("both_wrong"), 2);
  EXPECT_EQ(dog_row.at("metrics").at("items"), 5);
  EXPECT_NEAR(dog_row.at("metrics").at("churn").at("value").get<double>(), 2.0 / 5, 1e-12);
  const std::string out =
      frugal_ok({"flips", "old.csv", "new.csv", "--labels", "labels.csv", "--by-class"});
  EXPECT_TRUE(contains(out, "by true class"));
  EXPECT_TRUE(contains(out, "by old prediction"));
}

TEST_F(FlipsCli, HtmlReportNamesFlippedItems) {
  write_tiny_table();
  frugal_ok({"flips", "old.csv", "new.csv", "--labels", "labels.csv", "--html", "report.html"});
  ASSERT_TRUE(exists("report.html"));
  const std::string page = read("report.html");
  EXPECT_TRUE(contains(page, "<html"));
  EXPECT_TRUE(contains(page, "item-b"));  // the negative flip
  EXPECT_TRUE(contains(page, "item-c"));  // the positive flips
  EXPECT_TRUE(contains(page, "item-j"));
  EXPECT_TRUE(contains(page, "text b"));  // with its content
}

TEST_F(FlipsCli, DifferentIdSetsExit3CountingEachSide) {
  write_tiny_table();
  // item-j is missing from the new file, which has two ids the old one lacks.
  std::string other(new_csv);
  other.erase(other.find("item-j,cat\n"));
  other += "item-y,cat\nitem-z,cat\n";
  write("new_other.csv", other);
  const std::string err = frugal_fails(
      {"flips", "old.csv", "new_other.csv", "--labels", "labels.csv", "--html", "report.html"}, 3);
  EXPECT_TRUE(contains(err, "old.csv:11:1:"));  // item-j's line in the old file
  EXPECT_TRUE(contains(err, "\"item-j\""));
  EXPECT_TRUE(contains(err, "\"item-y\""));
  EXPECT_TRUE(contains(err, "1 id of old.csv is missing from new_other.csv"));
  EXPECT_TRUE(contains(err, "2 ids of new_other.csv are missing from old.csv"));
  EXPECT_FALSE(exists("report.html"));
}

TEST_F(FlipsCli, DuplicateIdExit3NamingBothLines) {
  write_tiny_table();
  write("old_dup.csv", std::string(old_csv) + "item-c,dog,again\n");
  const std::string err = frugal_fails(
      {"flips", "old_dup.csv", "new.csv", "--labels", "labels.csv", "--html", "report.html"}, 3);
  EXPECT_TRUE(contains(err, "old_dup.csv:12:1:"));
  EXPECT_TRUE(contains(err, "\"item-c\""));
  EXPECT_TRUE(contains(err, "line 4"));
  EXPECT_FALSE(exists("report.html"));
}

TEST_F(FlipsCli, LabelIdNotInPredictionsExit3) {
  write_tiny_table();
  write("labels_unknown.csv", "id,label\nitem-a,cat\nitem-zz,cat\n");
  const std::string err = frugal_fails(
      {"flips", "old.csv", "new.csv", "--labels", "labels_unknown.csv", "--html", "report.html"},
      3);
  EXPECT_TRUE(contains(err, "labels_unknown.csv:3:1:"));
  EXPECT_TRUE(contains(err, "\"item-zz\""));
  EXPECT_FALSE(exists("report.html"));
}

TEST_F(FlipsCli, ConflictingLabelFromOneAnnotatorExit3) {
  write_tiny_table();
  write("labels_conflict.csv",
        "id,label,annotator\nitem-a,cat,ann\nitem-a,dog,bob\nitem-a,cat,ann\nitem-a,dog,ann\n");
  const std::string err = frugal_fails(
      {"flips", "old.csv", "new.csv", "--labels", "labels_conflict.csv", "--html", "report.html"},
      3);
  // Line 4 repeats line 2 (allowed); line 5 contradicts it: the label column is column 8.
  EXPECT_TRUE(contains(err, "labels_conflict.csv:5:8:"));
  EXPECT_TRUE(contains(err, "line 2"));
  EXPECT_FALSE(exists("report.html"));
}

TEST_F(FlipsCli, MalformedScoreExit3) {
  write_tiny_table();
  write("old_score.csv", "id,prediction,score_cat\nitem-a,cat,0.9\nitem-b,cat,0.8x\n");
  const std::string err = frugal_fails(
      {"flips", "old_score.csv", "new.csv", "--labels", "labels.csv", "--html", "report.html"}, 3);
  EXPECT_TRUE(contains(err, "old_score.csv:3:12:"));  // after "item-b,cat,"
  EXPECT_TRUE(contains(err, "0.8x"));
  EXPECT_FALSE(exists("report.html"));
}

TEST_F(FlipsCli, ClassOnlyInLabelsIsReported) {
  write_tiny_table();
  std::string with_annotator = "id,label,annotator\n";
  for (const auto& [id, label] : tiny_truth()) with_annotator += id + "," + label + ",ann\n";
  with_annotator += "item-f,fish,bob\nitem-f,fish,cid\n";  // item-f: fish by 2 of 3
  write("labels_fish.csv", with_annotator);
  const json root =
      frugal_json({"flips", "old.csv", "new.csv", "--labels", "labels_fish.csv", "--json"});
  EXPECT_EQ(root.at("classes_only_in_labels"), json::array({"fish"}));
  // item-f was bird, both wrong; as fish it is still both wrong.
  EXPECT_EQ(root.at("metrics").at("counts").at("both_wrong"), 2);
  const std::string out = frugal_ok({"flips", "old.csv", "new.csv", "--labels", "labels_fish.csv"});
  EXPECT_TRUE(contains(out, "neither model predicts"));
  EXPECT_TRUE(contains(out, "fish"));
}

TEST_F(FlipsCli, UsageErrorsExit2) {
  write_tiny_table();
  frugal_fails({"flips", "old.csv", "new.csv"}, 2);  // no --labels
  frugal_fails({"flips", "old.csv", "new.csv", "--labels", "labels.csv", "--confidence", "2"}, 2);
}

// ---------------------------------------------------------------------------------------------
// frugal update plan

TEST_F(UpdatePlanCli, WritesPlanAndBlindQueue) {
  write_tiny_table();
  frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "3", "--seed", "7", "--out",
             "plan.json", "--queue", "queue.csv"});
  const json plan = json::parse(read("plan.json"));
  EXPECT_EQ(plan.at("items"), 10);
  EXPECT_EQ(plan.at("disagreements"), 4);
  EXPECT_EQ(plan.at("sample_size"), 3);
  EXPECT_EQ(plan.at("seed"), 7);
  const std::set<std::string> disagreements = {"item-b", "item-c", "item-e", "item-j"};
  std::set<std::string> planned;
  for (const json& stratum : plan.at("strata"))
    for (const json& id : stratum.at("ids")) planned.insert(id.get<std::string>());
  EXPECT_EQ(planned.size(), 3u);
  for (const std::string& id : planned) EXPECT_TRUE(disagreements.contains(id)) << id;

  const std::string queue = read("queue.csv");
  EXPECT_TRUE(starts_with(queue, "order,id,label,content\n"));
  const auto records = parse_csv(queue);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], (std::vector<std::string>{"order", "id", "label", "content"}));
  std::set<std::string> queued;
  for (std::size_t r = 1; r < records.size(); ++r) {
    ASSERT_EQ(records[r].size(), 4u);
    EXPECT_EQ(records[r][0], std::to_string(r));
    queued.insert(records[r][1]);
    EXPECT_EQ(records[r][2], "");
    EXPECT_EQ(records[r][3], "text " + records[r][1].substr(5));
  }
  EXPECT_EQ(queued, planned);
  // Blind: no model's answer anywhere in the queue.
  for (const char* name : {"cat", "dog", "bird", "prediction", "old", "new"})
    EXPECT_FALSE(contains(queue, name));
}

TEST_F(UpdatePlanCli, BudgetZeroIsAUsageError) {
  write_tiny_table();
  frugal_fails({"update", "plan", "old.csv", "new.csv", "--budget", "0", "--out", "plan.json"}, 2);
  EXPECT_FALSE(exists("plan.json"));
}

TEST_F(UpdatePlanCli, SameSeedGivesByteIdenticalFiles) {
  write_tiny_table();
  for (const char* run : {"1", "2"})
    frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "3", "--seed", "11",
               "--agreement-share", "0.4", "--out", fmt::format("plan{}.json", run), "--queue",
               fmt::format("queue{}.csv", run)});
  EXPECT_EQ(read("plan1.json"), read("plan2.json"));
  EXPECT_EQ(read("queue1.csv"), read("queue2.csv"));
  EXPECT_FALSE(read("plan1.json").empty());
}

TEST_F(UpdatePlanCli, BadInputLeavesNeitherFile) {
  write_tiny_table();
  write("old_dup.csv", std::string(old_csv) + "item-a,dog,again\n");
  std::string err = frugal_fails({"update", "plan", "old_dup.csv", "new.csv", "--budget", "3",
                                  "--out", "plan.json", "--queue", "queue.csv"},
                                 3);
  EXPECT_TRUE(contains(err, "old_dup.csv:12:1:"));
  EXPECT_FALSE(exists("plan.json"));
  EXPECT_FALSE(exists("queue.csv"));
  // Two (old, new) class pairs in the disagreement set cannot share one label.
  err = frugal_fails({"update", "plan", "old.csv", "new.csv", "--budget", "1", "--stratify", "pair",
                      "--out", "plan.json", "--queue", "queue.csv"},
                     3);
  EXPECT_FALSE(exists("plan.json"));
  EXPECT_FALSE(exists("queue.csv"));
}

TEST_F(UpdatePlanCli, NoDisagreementNeedsNoLabels) {
  write_tiny_table();
  const std::string out = frugal_ok({"update", "plan", "old.csv", "old.csv", "--budget", "5",
                                     "--out", "plan.json", "--queue", "queue.csv"});
  EXPECT_TRUE(contains(out, "no labels are needed"));
  const json plan = json::parse(read("plan.json"));
  EXPECT_EQ(plan.at("disagreements"), 0);
  EXPECT_EQ(plan.at("sample_size"), 0);
  EXPECT_EQ(read("queue.csv"), "order,id,label,content\n");
}

// ---------------------------------------------------------------------------------------------
// frugal update estimate

TEST_F(UpdateEstimateCli, FromFilledQueue) {
  write_tiny_table();
  frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "3", "--out", "plan.json",
             "--queue", "queue.csv"});
  fill_queue("queue.csv", "filled.csv", tiny_truth());
  const json e = frugal_json({"update", "estimate", "old.csv", "new.csv", "--plan", "plan.json",
                              "--labels", "filled.csv", "--json"});
  EXPECT_EQ(e.at("planned"), 3);
  EXPECT_EQ(e.at("used"), 3);
  EXPECT_EQ(e.at("disagreements"), 4);
  EXPECT_FALSE(e.at("no_disagreement").get<bool>());
  for (const char* name : {"nfr", "pfr", "accuracy_difference"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(e.at(name).at("value").is_number()) << e.at(name).dump();
    EXPECT_LE(e.at(name).at("lower").get<double>(), e.at(name).at("value").get<double>());
    EXPECT_GE(e.at(name).at("upper").get<double>(), e.at(name).at("value").get<double>());
  }
  EXPECT_TRUE(starts_with(e.at("certificate").at("text").get<std::string>(), "NFR <= "));
  // The bound never exceeds d: a negative flip needs a disagreement.
  EXPECT_LE(e.at("certificate").at("nfr_upper_bound").get<double>(), 0.4 + 1e-12);
  EXPECT_GE(e.at("certificate").at("nfr_upper_bound").get<double>(),
            e.at("nfr").at("value").get<double>());
  const json& mcnemar = e.at("mcnemar");
  EXPECT_TRUE(mcnemar.at("p_value").is_number());
  EXPECT_LE(mcnemar.at("negative_flips").get<int>(), 1);
  EXPECT_LE(mcnemar.at("positive_flips").get<int>(), 2);
  const std::string out = frugal_ok({"update", "estimate", "old.csv", "new.csv", "--plan",
                                     "plan.json", "--labels", "filled.csv"});
  EXPECT_TRUE(contains(out, "certificate: NFR <= "));
  EXPECT_TRUE(contains(out, "McNemar"));
}

TEST_F(UpdateEstimateCli, FullBudgetEqualsFlips) {
  write_tiny_table();
  const json flips =
      frugal_json({"flips", "old.csv", "new.csv", "--labels", "labels.csv", "--json"});
  for (const char* stratify : {"none", "pair"}) {
    SCOPED_TRACE(stratify);
    frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "100", "--stratify", stratify,
               "--out", "plan.json", "--queue", "queue.csv"});
    EXPECT_EQ(json::parse(read("plan.json")).at("sample_size"), 4);
    fill_queue("queue.csv", "filled.csv", tiny_truth());
    const json e = frugal_json({"update", "estimate", "old.csv", "new.csv", "--plan", "plan.json",
                                "--labels", "filled.csv", "--json"});
    const json& m = flips.at("metrics");
    EXPECT_NEAR(e.at("nfr").at("value").get<double>(), m.at("nfr").at("value").get<double>(),
                1e-12);
    EXPECT_NEAR(e.at("pfr").at("value").get<double>(), m.at("pfr").at("value").get<double>(),
                1e-12);
    EXPECT_NEAR(e.at("accuracy_difference").at("value").get<double>(),
                m.at("accuracy_difference").at("value").get<double>(), 1e-12);
    // Every disagreement labelled: the totals are known, so is the bound.
    EXPECT_NEAR(e.at("certificate").at("nfr_upper_bound").get<double>(), 0.1, 1e-12);
    EXPECT_EQ(e.at("mcnemar").at("negative_flips"), 1);
    EXPECT_EQ(e.at("mcnemar").at("positive_flips"), 2);
  }
}

TEST_F(UpdateEstimateCli, OtherPredictionsThanThePlansExit3) {
  write_tiny_table();
  frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "4", "--out", "plan.json",
             "--queue", "queue.csv"});
  fill_queue("queue.csv", "filled.csv", tiny_truth());
  // Same ids, one prediction changed.
  std::string other(new_csv);
  other.replace(other.find("item-j,cat"), 10, "item-j,dog");
  write("new_other.csv", other);
  const std::string err =
      frugal_fails({"update", "estimate", "old.csv", "new_other.csv", "--plan", "plan.json",
                    "--labels", "filled.csv", "--json", "--html", "report.html"},
                   3);
  EXPECT_TRUE(contains(err, "new_other.csv"));
  EXPECT_FALSE(exists("report.html"));
}

TEST_F(UpdateEstimateCli, PlanWithOverflowingNumberExit3) {
  write_tiny_table();
  // Valid JSON whose number does not fit a double is bad input data (exit 3), not an internal
  // error (exit 4).
  write("plan.json", R"({"kind": "frugal update plan", "seed": 1e999})");
  write("filled.csv", "id,label\n");
  const std::string err = frugal_fails(
      {"update", "estimate", "old.csv", "new.csv", "--plan", "plan.json", "--labels", "filled.csv"},
      3);
  EXPECT_TRUE(contains(err, "plan.json"));
}

TEST_F(UpdateEstimateCli, NoDisagreementIsExactlyZero) {
  write_tiny_table();
  frugal_ok({"update", "plan", "old.csv", "old.csv", "--budget", "5", "--out", "plan.json",
             "--queue", "queue.csv"});
  write("none.csv", "id,label\n");
  const json e = frugal_json({"update", "estimate", "old.csv", "old.csv", "--plan", "plan.json",
                              "--labels", "none.csv", "--json"});
  EXPECT_TRUE(e.at("no_disagreement").get<bool>());
  EXPECT_EQ(e.at("disagreements"), 0);
  EXPECT_EQ(e.at("nfr").at("value").get<double>(), 0.0);
  EXPECT_EQ(e.at("nfr").at("upper").get<double>(), 0.0);
  EXPECT_EQ(e.at("pfr").at("value").get<double>(), 0.0);
  EXPECT_EQ(e.at("certificate").at("nfr_upper_bound").get<double>(), 0.0);
  const std::string out = frugal_ok(
      {"update", "estimate", "old.csv", "old.csv", "--plan", "plan.json", "--labels", "none.csv"});
  EXPECT_TRUE(contains(out, "no labels are needed"));
}

// ---------------------------------------------------------------------------------------------
// frugal update size

TEST_F(UpdateSizeCli, DisagreementSamplingNeedsFewerLabels) {
  // 1000 items, 10 disagreements: d = 0.01.
  std::string old_text = "id,prediction\n", new_text = "id,prediction\n";
  for (int k = 0; k < 1000; ++k) {
    old_text += fmt::format("i{},a\n", k);
    new_text += fmt::format("i{},{}\n", k, k < 10 ? "b" : "a");
  }
  write("old.csv", old_text);
  write("new.csv", new_text);
  const json size =
      frugal_json({"update", "size", "old.csv", "new.csv", "--certify", "0.005", "--json"});
  EXPECT_EQ(size.at("items"), 1000);
  EXPECT_EQ(size.at("disagreements"), 10);
  EXPECT_FALSE(size.at("certified_without_labels").get<bool>());
  ASSERT_TRUE(size.at("disagreement_labels").is_number_unsigned()) << size.dump();
  ASSERT_TRUE(size.at("uniform_labels").is_number_unsigned()) << size.dump();
  EXPECT_GT(size.at("disagreement_labels").get<std::size_t>(), 0u);
  EXPECT_LE(size.at("disagreement_labels").get<std::size_t>(), 10u);
  EXPECT_LT(size.at("disagreement_labels").get<std::size_t>(),
            size.at("uniform_labels").get<std::size_t>());

  const json free =
      frugal_json({"update", "size", "old.csv", "new.csv", "--certify", "0.02", "--json"});
  EXPECT_TRUE(free.at("certified_without_labels").get<bool>());
  const std::string out =
      frugal_ok({"update", "size", "old.csv", "new.csv", "--certify", "0.01"});  // d = target
  EXPECT_TRUE(contains(out, "without a single label"));
}

// ---------------------------------------------------------------------------------------------
// frugal update gate

TEST_F(UpdateGateCli, PassesUnderBudget) {
  write_gate_data();
  const command_result result = frugal({"update", "gate", "old.csv", "new.csv", "--labels",
                                        "labels.csv", "--max-nfr", "0.2", "--max-churn", "0.25"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const json verdict = json::parse(result.out);
  EXPECT_TRUE(verdict.at("passed").get<bool>());
  EXPECT_EQ(verdict.at("verdict"), "pass");
  EXPECT_TRUE(verdict.at("failing_classes").empty());
  EXPECT_EQ(verdict.at("mode"), "labelled evaluation set");
  EXPECT_NEAR(gate_check(verdict, "nfr").at("estimate").get<double>(), 0.1, 1e-12);
  EXPECT_TRUE(contains(result.err, "pass"));
}

TEST_F(UpdateGateCli, ClassBudgetFailsNamingExactlyThatClass) {
  write_gate_data();
  frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "60", "--out", "plan.json",
             "--queue", "queue.csv"});
  fill_queue("queue.csv", "filled.csv", gate_data().truth);
  for (const bool with_plan : {false, true}) {
    SCOPED_TRACE(with_plan ? "with --plan" : "without --plan");
    const std::string labels = with_plan ? "filled.csv" : "labels.csv";
    std::vector<std::string> arguments = {"update",          "gate", "old.csv",   "new.csv",
                                          "--labels",        labels, "--max-nfr", "0.5",
                                          "--max-class-nfr", "0.1"};
    if (with_plan) arguments.insert(arguments.end(), {"--plan", "plan.json"});
    const command_result result = frugal(arguments);
    EXPECT_EQ(result.exit_code, 1) << result.err;
    const json verdict = json::parse(result.out);
    EXPECT_FALSE(verdict.at("passed").get<bool>());
    EXPECT_EQ(verdict.at("verdict"), "fail");
    EXPECT_EQ(verdict.at("failing_classes"), json::array({"x"}));
    EXPECT_TRUE(gate_check(verdict, "nfr").at("passed").get<bool>());
    for (const json& check : verdict.at("checks")) {
      if (check.at("metric") != "class_nfr") continue;
      EXPECT_EQ(check.at("passed").get<bool>(), check.at("class") != "x") << check.dump();
      if (check.at("class") == "x") {
        EXPECT_NEAR(check.at("estimate").get<double>(), 0.3, 1e-12);
      }
    }
  }
}

TEST_F(UpdateGateCli, DecidesOnTheUpperBoundNotTheEstimate) {
  write_gate_data();
  // Without a plan: NFR = 30/300 = 0.1, its one-sided upper bound about 0.133.
  const command_result under = frugal(
      {"update", "gate", "old.csv", "new.csv", "--labels", "labels.csv", "--max-nfr", "0.12"});
  EXPECT_EQ(under.exit_code, 1) << under.err;
  const json verdict = json::parse(under.out);
  EXPECT_FALSE(verdict.at("passed").get<bool>());
  const json& nfr = gate_check(verdict, "nfr");
  EXPECT_NEAR(nfr.at("estimate").get<double>(), 0.1, 1e-12);
  EXPECT_GT(nfr.at("bound").get<double>(), 0.12);
  EXPECT_FALSE(nfr.at("passed").get<bool>());
  EXPECT_TRUE(verdict.at("failing_classes").empty());

  // With a plan on a third of the 60 disagreements: a limit halfway between the estimate and
  // the bound fails.
  frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "20", "--out", "plan.json",
             "--queue", "queue.csv"});
  fill_queue("queue.csv", "filled.csv", gate_data().truth);
  const std::vector<std::string> base = {"update",   "gate",       "old.csv", "new.csv",
                                         "--labels", "filled.csv", "--plan",  "plan.json"};
  std::vector<std::string> loose = base;
  loose.insert(loose.end(), {"--max-nfr", "1"});
  const json reference = frugal_json(loose);
  const double estimate = gate_check(reference, "nfr").at("estimate").get<double>();
  const double bound = gate_check(reference, "nfr").at("bound").get<double>();
  ASSERT_LT(estimate, bound);
  const double limit = (estimate + bound) / 2;
  std::vector<std::string> tight = base;
  tight.insert(tight.end(), {"--max-nfr", fmt::format("{:.17g}", limit)});
  const command_result sampled = frugal(tight);
  EXPECT_EQ(sampled.exit_code, 1) << sampled.err;
  const json sampled_verdict = json::parse(sampled.out);
  EXPECT_FALSE(sampled_verdict.at("passed").get<bool>());
  EXPECT_EQ(sampled_verdict.at("mode"), "disagreement sample (--plan)");
  EXPECT_LT(gate_check(sampled_verdict, "nfr").at("estimate").get<double>(), limit);
}

TEST_F(UpdateGateCli, ChurnIsComparedExactly) {
  write_gate_data();
  frugal_ok({"update", "plan", "old.csv", "new.csv", "--budget", "10", "--out", "plan.json",
             "--queue", "queue.csv"});
  fill_queue("queue.csv", "filled.csv", gate_data().truth);
  for (const bool with_plan : {false, true}) {
    SCOPED_TRACE(with_plan ? "with --plan" : "without --plan");
    std::vector<std::string> base = {"update",   "gate",
                                     "old.csv",  "new.csv",
                                     "--labels", with_plan ? "filled.csv" : "labels.csv"};
    if (with_plan) base.insert(base.end(), {"--plan", "plan.json"});
    // churn = 60/300 = 0.2 exactly: at the limit it passes, just under it fails.
    std::vector<std::string> at_limit = base;
    at_limit.insert(at_limit.end(), {"--max-churn", "0.2"});
    const command_result pass = frugal(at_limit);
    EXPECT_EQ(pass.exit_code, 0) << pass.err;
    const json verdict = json::parse(pass.out);
    EXPECT_TRUE(verdict.at("passed").get<bool>());
    const json& churn = gate_check(verdict, "churn");
    EXPECT_EQ(churn.at("estimate").get<double>(), 0.2);
    EXPECT_EQ(churn.at("bound").get<double>(), churn.at("estimate").get<double>());
    EXPECT_TRUE(contains(churn.at("basis").get<std::string>(), "exact"));
    std::vector<std::string> under = base;
    under.insert(under.end(), {"--max-churn", "0.19999"});
    const command_result fail = frugal(under);
    EXPECT_EQ(fail.exit_code, 1) << fail.err;
    const json failed = json::parse(fail.out);
    EXPECT_FALSE(failed.at("passed").get<bool>());
    EXPECT_TRUE(failed.at("failing_classes").empty());
  }
}

TEST_F(UpdateGateCli, NoBudgetIsAUsageError) {
  write_gate_data();
  // Naming no budget at all is a mistake on the command line (exit 2), not bad input data.
  frugal_fails({"update", "gate", "old.csv", "new.csv", "--labels", "labels.csv"}, 2);
}

}  // namespace
}  // namespace frugal::e2e
