// The campaign store and the sequential campaign logic through the library
// (frugal/campaign/store.hpp, frugal/campaign/campaign.hpp): files in a fresh temporary directory
// under /tmp (mkdtemp, removed afterwards), inspected both through the store and directly with
// the SQLite C API. Data come from a fixed-seed synthetic ensemble; every expected value is
// computed here from the predictions (priorities from sampling::priority_key, sets from the
// votes, confidence sequences fed by hand), and every comparison is exact.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/error.hpp"
#include "frugal/estimation/confidence_sequence.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "frugal/sampling/population.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::campaign {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Test data and helpers.

// `items` items, three members voting the gold label right with probability 0.85, 0.9 and 0.8,
// gold ~ Bernoulli(0.4), a content column with a comma and a quote in it.
std::string synthetic_csv(std::size_t items, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::bernoulli_distribution positive(0.4);
  const double right[3] = {0.85, 0.9, 0.8};
  std::ostringstream csv;
  csv << "id,m1,m2,m3,label,content\n";
  for (std::size_t i = 0; i < items; ++i) {
    const int gold = positive(random) ? 1 : 0;
    csv << "item-" << i;
    for (const double p : right) {
      const bool correct = std::bernoulli_distribution(p)(random);
      csv << ',' << (correct ? gold : 1 - gold);
    }
    csv << ',' << gold << ",\"text " << i << ", \"\"quoted\"\"\"\n";
  }
  return csv.str();
}

io::prediction_table parse_table(const std::string& csv) {
  io::read_options options;
  options.keep_content = true;
  options.threads = 1;
  return io::parse_predictions(csv, "test.csv", options);
}

campaign_settings settings_for(const io::prediction_table& table, double margin = 0.1,
                               std::vector<std::string> metrics = {"precision"}) {
  campaign_settings settings;
  settings.predictions = "test.csv";
  settings.fingerprint = io::fingerprint_hex(table.fingerprint);
  settings.seed = 7;
  settings.margin_of_error = margin;
  settings.confidence_level = 0.95;
  settings.ensemble = "majority";
  settings.metrics = std::move(metrics);
  settings.created_at = "2026-11-23T12:00:00.000Z";
  return settings;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A raw SQLite connection for checks the store does not offer.
class raw_database {
 public:
  explicit raw_database(const fs::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
        SQLITE_OK)
      ADD_FAILURE() << "cannot open " << path;
  }
  ~raw_database() { sqlite3_close(db_); }
  raw_database(const raw_database&) = delete;
  raw_database& operator=(const raw_database&) = delete;

  // SQLITE_OK or the error code; the message in `error`.
  int execute(const std::string& sql, std::string* error = nullptr) {
    char* message = nullptr;
    const int code = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    if (error) *error = message ? message : "";
    sqlite3_free(message);
    return code;
  }
  std::int64_t integer(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
      value = sqlite3_column_int64(statement, 0);
    else
      ADD_FAILURE() << "query failed: " << sql << ": " << sqlite3_errmsg(db_);
    sqlite3_finalize(statement);
    return value;
  }

 private:
  sqlite3* db_ = nullptr;
};

class campaign_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/frugal-campaign-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

// The message of the input_error `action` throws ("" and a test failure if it throws nothing).
template <typename Action>
std::string input_error_message(Action action) {
  try {
    action();
  } catch (const input_error& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected frugal::input_error";
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Pending labels with the gold label of `rows`, from annotator `annotator`.
std::vector<store::pending_label> gold_labels(const store& campaign,
                                              const std::vector<std::size_t>& rows,
                                              const std::string& annotator) {
  std::vector<store::pending_label> pending;
  std::size_t line = 2;
  for (const std::size_t row : rows)
    pending.push_back({row, annotator, campaign.items().labels[row], line++, 5});
  return pending;
}

import_summary import_gold(store& campaign, const std::vector<std::size_t>& rows,
                           const std::string& annotator = "") {
  const std::vector<std::uint8_t> requested(campaign.items().size(), 1);
  return campaign.import_labels("labels.csv", gold_labels(campaign, rows, annotator), requested,
                                {});
}

campaign_state evaluate_now(const store& campaign) {
  return evaluate(campaign, resolve_labels(campaign, campaign.labels()));
}

// ---------------------------------------------------------------------------------------------
// Creating and opening.

TEST_F(campaign_store_test, create_then_open_round_trips_everything) {
  const io::prediction_table table = parse_table(synthetic_csv(500, 1));
  const campaign_settings settings = settings_for(table, 0.07, {"precision", "recall"});
  { const store created = store::create(path("c.db"), table, settings); }
  const store campaign = store::open(path("c.db"));

  const campaign_settings& read = campaign.settings();
  EXPECT_EQ(read.predictions, settings.predictions);
  EXPECT_EQ(read.fingerprint, settings.fingerprint);
  EXPECT_EQ(read.seed, settings.seed);
  EXPECT_EQ(read.margin_of_error, settings.margin_of_error);
  EXPECT_EQ(read.confidence_level, settings.confidence_level);
  EXPECT_EQ(read.ensemble, settings.ensemble);
  EXPECT_EQ(read.metrics, settings.metrics);
  EXPECT_EQ(read.created_at, settings.created_at);

  const io::prediction_table& items = campaign.items();
  EXPECT_EQ(items.model_names, table.model_names);
  ASSERT_EQ(items.size(), table.size());
  EXPECT_EQ(items.fingerprint, table.fingerprint);
  ASSERT_TRUE(items.has_labels);
  ASSERT_EQ(items.content.size(), items.size());
  ASSERT_EQ(campaign.priority_keys().size(), items.size());

  std::map<std::string, std::size_t> original_row;
  for (std::size_t row = 0; row < table.size(); ++row)
    original_row[std::string(table.ids[row])] = row;
  for (std::size_t rank = 0; rank < items.size(); ++rank) {
    const std::string id(items.ids[rank]);
    SCOPED_TRACE("rank " + std::to_string(rank) + " id " + id);
    ASSERT_TRUE(original_row.count(id));
    const std::size_t row = original_row[id];
    EXPECT_EQ(campaign.priority_keys()[rank], sampling::priority_key(settings.seed, id));
    EXPECT_EQ(items.votes[rank], table.votes[row]);
    EXPECT_EQ(items.labels[rank], table.labels[row]);
    EXPECT_EQ(items.content[rank], table.content[row]);
    EXPECT_EQ(items.lines[rank], table.lines[row]);
    if (rank > 0) {
      EXPECT_TRUE(sampling::priority_before(campaign.priority_keys()[rank - 1], items.ids[rank - 1],
                                            campaign.priority_keys()[rank], items.ids[rank]))
          << "items are not in priority order";
    }
  }
  original_row.clear();
  EXPECT_TRUE(campaign.labels().empty());
  const std::vector<event_record> events = campaign.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "created");
}

// --ensemble column:NAME: the parent's own votes are stored and read back, and the parent set is
// formed from them.
// A file of schema 1 (before item images) is brought forward when it is opened: the images
// table appears, the labels are kept, and the log says so.
TEST_F(campaign_store_test, a_schema_1_file_is_migrated_when_opened) {
  fs::copy_file(fs::path(FRUGAL_TEST_DATA_DIR) / "campaign_schema_1.db", path("old.db"));
  {
    raw_database before(path("old.db"));
    EXPECT_EQ(before.integer("PRAGMA user_version"), 1);
  }
  {
    const store campaign = store::open(path("old.db"));
    EXPECT_EQ(campaign.items().size(), 5u);
    EXPECT_EQ(campaign.labels().size(), 3u);
    EXPECT_EQ(campaign.image_count(), 0u);
    const auto events = campaign.events();
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().kind, "migrated");
    EXPECT_TRUE(contains(events.back().detail, "\"from\":1")) << events.back().detail;
  }
  raw_database after(path("old.db"));
  EXPECT_EQ(after.integer("PRAGMA user_version"), schema_version);
  EXPECT_EQ(after.integer("SELECT COUNT(*) FROM images"), 0);
  // Opening again migrates nothing more.
  { const store again = store::open(path("old.db")); }
  EXPECT_EQ(after.integer("SELECT COUNT(*) FROM events WHERE kind = 'migrated'"), 1);
}

TEST_F(campaign_store_test, item_images_round_trip) {
  const io::prediction_table table = parse_table(synthetic_csv(50, 2));
  const store::image_lookup images = [](std::string_view id) -> std::optional<std::string> {
    if (id.back() % 2 != 0) return std::nullopt;
    return "\x89PNG\r\n\x1a\n" + std::string(id) + std::string("\0bytes", 6);
  };
  { const store created = store::create(path("i.db"), table, settings_for(table), images); }
  const store campaign = store::open(path("i.db"));
  std::size_t expected = 0;
  for (std::size_t row = 0; row < campaign.items().size(); ++row) {
    const std::string_view id = campaign.items().ids[row];
    const std::optional<std::string> image = campaign.image(row);
    EXPECT_EQ(image, images(id)) << id;  // binary-safe: the NUL byte survives
    expected += images(id).has_value();
  }
  EXPECT_EQ(campaign.image_count(), expected);
  EXPECT_GT(expected, 0u);
}

TEST_F(campaign_store_test, a_parent_column_round_trips) {
  std::string csv = "id,m1,m2,p,label\n";
  std::size_t parent_positives = 0;
  for (int i = 0; i < 300; ++i) {
    const int parent = i % 7 == 0 ? 1 : 0;
    parent_positives += static_cast<std::size_t>(parent);
    // Appending piece by piece keeps GCC 12's false -Wrestrict warning (bug 105329) away.
    csv += 'r';
    csv += std::to_string(i);
    csv += i % 2 ? ",1" : ",0";
    csv += i % 3 ? ",1," : ",0,";
    csv += std::to_string(parent);
    csv += i % 5 ? ",1\n" : ",0\n";
  }
  io::read_options options;
  options.parent_column = "p";
  options.threads = 1;
  const io::prediction_table table = io::parse_predictions(csv, "test.csv", options);
  campaign_settings settings = settings_for(table);
  settings.ensemble = "column:p";
  { const store created = store::create(path("c.db"), table, settings); }
  const store campaign = store::open(path("c.db"));
  EXPECT_EQ(campaign.settings().ensemble, "column:p");
  const io::prediction_table& items = campaign.items();
  EXPECT_EQ(items.model_names, std::vector<std::string>({"m1", "m2"}));
  EXPECT_EQ(items.parent_column, "p");
  ASSERT_EQ(items.parent_votes.size(), items.size());
  EXPECT_FALSE(items.has_content_column);
  std::map<std::string, std::size_t> original_row;
  for (std::size_t row = 0; row < table.size(); ++row)
    original_row[std::string(table.ids[row])] = row;
  for (std::size_t rank = 0; rank < items.size(); ++rank) {
    const std::size_t row = original_row.at(std::string(items.ids[rank]));
    EXPECT_EQ(items.parent_votes[rank], table.parent_votes[row]) << items.ids[rank];
  }
  const campaign_state state = evaluate_now(campaign);
  ASSERT_EQ(state.sets.size(), 3u);
  EXPECT_EQ(state.sets[0].name, "ensemble");
  EXPECT_EQ(state.sets[0].positives, parent_positives);
}

TEST_F(campaign_store_test, create_refuses_an_existing_file_and_leaves_it_untouched) {
  const io::prediction_table table = parse_table(synthetic_csv(50, 2));
  {
    std::ofstream out(path("taken.db"), std::ios::binary);
    out << "not mine";
  }
  const std::string message = input_error_message(
      [&] { (void)store::create(path("taken.db"), table, settings_for(table)); });
  EXPECT_TRUE(contains(message, "already exists")) << message;
  EXPECT_EQ(read_file(path("taken.db")), "not mine");

  { const store first = store::create(path("c.db"), table, settings_for(table)); }
  const std::string before = read_file(path("c.db"));
  EXPECT_THROW((void)store::create(path("c.db"), table, settings_for(table)), input_error);
  EXPECT_EQ(read_file(path("c.db")), before);
  EXPECT_EQ(listing(), std::vector<std::string>({"c.db", "taken.db"}));
}

TEST_F(campaign_store_test, a_failed_create_leaves_no_file) {
  io::prediction_table table = parse_table(synthetic_csv(50, 3));
  // Two members with one name break the members table's UNIQUE constraint halfway through the
  // bulk load, after the temporary file was made.
  table.model_names[1] = table.model_names[0];
  EXPECT_THROW((void)store::create(path("c.db"), table, settings_for(table)), input_error);
  EXPECT_TRUE(listing().empty()) << "left behind: " << ::testing::PrintToString(listing());

  // A directory that does not exist: nothing anywhere.
  const io::prediction_table good = parse_table(synthetic_csv(50, 3));
  EXPECT_THROW((void)store::create(path("missing/c.db"), good, settings_for(good)), input_error);
  EXPECT_TRUE(listing().empty());
}

TEST_F(campaign_store_test, open_refuses_what_is_not_a_campaign_of_this_schema) {
  std::string message = input_error_message([&] { (void)store::open(path("missing.db")); });
  EXPECT_TRUE(contains(message, "missing.db")) << message;
  EXPECT_TRUE(contains(message, "no such campaign file")) << message;

  {
    std::ofstream out(path("text.db"), std::ios::binary);
    out << "id,label\nitem-1,1\n";  // long enough to be read as a (broken) database header
    for (int i = 0; i < 100; ++i) out << "item-" << i << ",0\n";
  }
  message = input_error_message([&] { (void)store::open(path("text.db")); });
  EXPECT_TRUE(contains(message, "not a frugal campaign")) << message;
  EXPECT_TRUE(contains(message, "not an SQLite database")) << message;

  {
    raw_database other(path("other.db"));
    ASSERT_EQ(other.execute("CREATE TABLE something (x INTEGER); INSERT INTO something VALUES (1)"),
              SQLITE_OK);
  }
  message = input_error_message([&] { (void)store::open(path("other.db")); });
  EXPECT_TRUE(contains(message, "not a frugal campaign")) << message;
  EXPECT_TRUE(contains(message, "no campaign schema")) << message;

  const io::prediction_table table = parse_table(synthetic_csv(50, 4));
  { const store created = store::create(path("newer.db"), table, settings_for(table)); }
  {
    raw_database bump(path("newer.db"));
    ASSERT_EQ(bump.execute("PRAGMA user_version = " + std::to_string(schema_version + 1)),
              SQLITE_OK);
  }
  message = input_error_message([&] { (void)store::open(path("newer.db")); });
  EXPECT_TRUE(contains(message, "newer")) << message;
  EXPECT_TRUE(contains(message, "upgrade frugal")) << message;
  // Refusing it changed nothing.
  raw_database check(path("newer.db"));
  EXPECT_EQ(check.integer("PRAGMA user_version"), schema_version + 1);
}

TEST_F(campaign_store_test, the_event_log_is_append_only) {
  const io::prediction_table table = parse_table(synthetic_csv(50, 5));
  store campaign = store::create(path("c.db"), table, settings_for(table));
  campaign.append_event("note", "{\"x\":1}");
  ASSERT_EQ(campaign.events().size(), 2u);
  raw_database raw(path("c.db"));
  std::string error;
  EXPECT_NE(raw.execute("UPDATE events SET detail = 'changed' WHERE sequence = 1", &error),
            SQLITE_OK);
  EXPECT_TRUE(contains(error, "append-only")) << error;
  EXPECT_NE(raw.execute("DELETE FROM events WHERE sequence = 2", &error), SQLITE_OK);
  EXPECT_TRUE(contains(error, "append-only")) << error;
  EXPECT_NE(raw.execute("DELETE FROM events", &error), SQLITE_OK);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM events"), 2);
  const std::vector<event_record> events = campaign.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "created");
  EXPECT_EQ(events[1].kind, "note");
  EXPECT_EQ(events[1].detail, "{\"x\":1}");
  EXPECT_LT(events[0].sequence, events[1].sequence);
}

// ---------------------------------------------------------------------------------------------
// Importing labels.

TEST_F(campaign_store_test, re_importing_the_same_labels_is_idempotent) {
  const io::prediction_table table = parse_table(synthetic_csv(200, 6));
  store campaign = store::create(path("c.db"), table, settings_for(table));
  const std::vector<std::size_t> rows = {0, 3, 5, 8, 13};
  const import_summary first = import_gold(campaign, rows, "ann");
  EXPECT_EQ(first.import_number, 1);
  EXPECT_EQ(first.records, 5u);
  EXPECT_EQ(first.added, 5u);
  EXPECT_EQ(first.repeated, 0u);
  const import_summary second = import_gold(campaign, rows, "ann");
  EXPECT_EQ(second.import_number, 2);
  EXPECT_EQ(second.records, 5u);
  EXPECT_EQ(second.added, 0u);
  EXPECT_EQ(second.repeated, 5u);
  // Same items from another annotator are new labels.
  const import_summary third = import_gold(campaign, {0, 3, 21}, "other");
  EXPECT_EQ(third.added, 3u);
  EXPECT_EQ(campaign.labels().size(), 8u);
  raw_database raw(path("c.db"));
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM imports"), 3);
  EXPECT_EQ(raw.integer("SELECT repeated FROM imports WHERE import = 2"), 5);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM events WHERE kind = 'labels imported'"), 3);
}

TEST_F(campaign_store_test, unrequested_labels_are_counted) {
  const io::prediction_table table = parse_table(synthetic_csv(100, 6));
  store campaign = store::create(path("c.db"), table, settings_for(table));
  std::vector<std::uint8_t> requested(table.size(), 0);
  requested[1] = 1;
  const import_summary summary = campaign.import_labels(
      "labels.csv", gold_labels(campaign, {1, 2, 3}, ""), requested, {{"extra", "{}"}});
  EXPECT_EQ(summary.added, 3u);
  EXPECT_EQ(summary.unrequested, 2u);
  const std::vector<event_record> events = campaign.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].kind, "labels imported");
  EXPECT_EQ(events[2].kind, "extra");
}

TEST_F(campaign_store_test, a_conflicting_label_throws_with_its_position_and_writes_nothing) {
  const io::prediction_table table = parse_table(synthetic_csv(200, 7));
  store campaign = store::create(path("c.db"), table, settings_for(table));
  import_gold(campaign, {0, 1, 2}, "ann");
  const std::size_t events_before = campaign.events().size();

  // New labels first, then the conflict on line 9, column 4: none of them may be stored.
  std::vector<store::pending_label> pending = gold_labels(campaign, {10, 11, 12}, "ann");
  pending.push_back({1, "ann", 1 - campaign.items().labels[1], 9, 4});
  const std::vector<std::uint8_t> requested(table.size(), 1);
  try {
    campaign.import_labels("second.csv", pending, requested, {{"extra", "{}"}});
    ADD_FAILURE() << "expected a conflict";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "second.csv");
    EXPECT_EQ(error.line(), 9u);
    EXPECT_EQ(error.column(), 4u);
    EXPECT_TRUE(contains(error.what(), "second.csv:9:4:")) << error.what();
    EXPECT_TRUE(contains(error.what(), std::string(campaign.items().ids[1]))) << error.what();
    EXPECT_TRUE(contains(error.what(), "nothing was imported")) << error.what();
  }
  EXPECT_EQ(campaign.labels().size(), 3u);
  EXPECT_EQ(campaign.events().size(), events_before);
  raw_database raw(path("c.db"));
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM imports"), 1);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM labels"), 3);

  // Within one import: the same (id, annotator) twice with different labels.
  std::vector<store::pending_label> twice = gold_labels(campaign, {20}, "b");
  twice.push_back({20, "b", 1 - campaign.items().labels[20], 7, 6});
  EXPECT_THROW(campaign.import_labels("third.csv", twice, requested, {}), input_error);
  EXPECT_EQ(campaign.labels().size(), 3u);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM imports"), 1);

  // The store is still usable afterwards.
  EXPECT_EQ(import_gold(campaign, {10}, "ann").added, 1u);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM imports"), 2);
}

TEST_F(campaign_store_test, several_annotators_are_resolved_by_majority_with_ties_flagged) {
  const io::prediction_table table = parse_table(synthetic_csv(100, 8));
  store campaign = store::create(path("c.db"), table, settings_for(table));
  const std::vector<std::uint8_t> requested(table.size(), 1);
  const std::vector<store::pending_label> pending = {
      {0, "a", 1, 2, 5}, {0, "b", 0, 3, 5},  // tie
      {1, "a", 1, 4, 5}, {1, "b", 1, 5, 5},  // agreement
      {2, "a", 0, 6, 5},                     // one label
  };
  campaign.import_labels("l.csv", pending, requested, {});
  {
    const resolved_labels two = resolve_labels(campaign, campaign.labels());
    EXPECT_EQ(two.by_row[0], resolved_labels::tied);
    EXPECT_EQ(two.zeros[0], 1u);
    EXPECT_EQ(two.ones[0], 1u);
    EXPECT_EQ(two.by_row[1], 1);
    EXPECT_EQ(two.by_row[2], 0);
    EXPECT_EQ(two.by_row[3], resolved_labels::unlabelled);
    EXPECT_EQ(two.records, 5u);
    EXPECT_EQ(two.annotators, 2u);
    EXPECT_EQ(two.two_annotators.size(), table.size());
    const campaign_state state = evaluate(campaign, two);
    ASSERT_EQ(state.disagreements.size(), 1u);
    EXPECT_EQ(state.disagreements[0].id, std::string(campaign.items().ids[0]));
    EXPECT_TRUE(state.disagreements[0].tied());
    EXPECT_EQ(state.distinct_labelled, 3u);
    // Cohen over items 0 and 1: P_o = 1/2; a says 1 on both, b on one: P_e = 1 * 1/2 + 0 = 1/2,
    // kappa 0. Fleiss: P_i = 0 and 1, P-bar = 1/2; p_1 = 3/4: P_e = 10/16, kappa = -1/3.
    EXPECT_EQ(state.multiply_labelled_items, 2u);
    ASSERT_TRUE(state.cohen_kappa.has_value());
    EXPECT_NEAR(*state.cohen_kappa, 0.0, 1e-12);
    ASSERT_TRUE(state.fleiss_kappa.has_value());
    EXPECT_NEAR(*state.fleiss_kappa, -1.0 / 3.0, 1e-12);
    ASSERT_TRUE(state.observed_agreement.has_value());
    EXPECT_NEAR(*state.observed_agreement, 0.5, 1e-12);
  }
  // A third annotator breaks the tie: majority 2 to 1.
  campaign.import_labels("m.csv", {{0, "c", 0, 2, 5}, {1, "c", 0, 3, 5}}, requested, {});
  const resolved_labels three = resolve_labels(campaign, campaign.labels());
  EXPECT_EQ(three.by_row[0], 0);
  EXPECT_EQ(three.zeros[0], 2u);
  EXPECT_EQ(three.by_row[1], 1);
  EXPECT_EQ(three.annotators, 3u);
  EXPECT_TRUE(three.two_annotators.empty());
  const campaign_state state = evaluate(campaign, three);
  EXPECT_EQ(state.disagreements.size(), 2u);
  EXPECT_FALSE(state.cohen_kappa.has_value());
}

// ---------------------------------------------------------------------------------------------
// Sequential evaluation.

// The set's positives in priority order, and where a hand-fed sequence over their gold labels
// first reaches the margin (and its interval there).
struct hand_run {
  std::vector<std::uint32_t> rows;
  std::size_t finish = 0;  // labels; 0 when never
  estimation::proportion_interval interval;
  double estimate = 0.0;
};

hand_run run_by_hand(const store& campaign, const std::string& rule, std::size_t set) {
  const sampling::population items(campaign.items(), sampling::ensemble_rule::parse(rule));
  hand_run run;
  run.rows = items.positive_rows(set);
  estimation::betting_settings settings;
  settings.confidence_level = campaign.settings().confidence_level;
  settings.target_margin = campaign.settings().margin_of_error;
  estimation::betting_confidence_sequence sequence(run.rows.size(), settings);
  for (const std::uint32_t row : run.rows) {
    sequence.add(campaign.items().labels[row] == 1);
    if (sequence.half_width() <= campaign.settings().margin_of_error) {
      run.finish = sequence.observed();
      run.interval = sequence.interval();
      run.estimate = sequence.estimate();
      break;
    }
  }
  return run;
}

std::vector<std::size_t> first_rows(const hand_run& run, std::size_t count) {
  return std::vector<std::size_t>(run.rows.begin(),
                                  run.rows.begin() + static_cast<std::ptrdiff_t>(count));
}

TEST_F(campaign_store_test, a_set_finishes_exactly_when_its_sequence_reaches_the_margin) {
  const io::prediction_table table = parse_table(synthetic_csv(3000, 9));
  store campaign = store::create(path("c.db"), table, settings_for(table, 0.1));
  const hand_run ensemble = run_by_hand(campaign, "majority", 0);
  ASSERT_GT(ensemble.finish, 10u) << "the test needs a set that takes a while";
  ASSERT_LT(ensemble.finish + 10, ensemble.rows.size());

  import_gold(campaign, first_rows(ensemble, ensemble.finish - 1));
  campaign_state state = evaluate_now(campaign);
  ASSERT_EQ(state.sets[0].name, "ensemble");
  EXPECT_FALSE(state.sets[0].finished());
  EXPECT_EQ(state.sets[0].status, "labelling");
  EXPECT_EQ(state.sets[0].labelled, ensemble.finish - 1);
  EXPECT_GT(state.sets[0].interval.half_width(), campaign.settings().margin_of_error);
  EXPECT_TRUE(state.needed[ensemble.rows[ensemble.finish - 1]]);

  import_gold(campaign, {ensemble.rows[ensemble.finish - 1]});
  state = evaluate_now(campaign);
  EXPECT_TRUE(state.sets[0].finished());
  EXPECT_EQ(state.sets[0].status, "finished");
  EXPECT_EQ(state.sets[0].finished_after, ensemble.finish);
  EXPECT_EQ(state.sets[0].labelled, ensemble.finish);
  EXPECT_EQ(state.sets[0].interval.lower, ensemble.interval.lower);
  EXPECT_EQ(state.sets[0].interval.upper, ensemble.interval.upper);
  EXPECT_EQ(state.sets[0].precision, ensemble.estimate);
  EXPECT_LE(state.sets[0].interval.half_width(), campaign.settings().margin_of_error);

  // Labels collected later (for other sets) do not move a finished set.
  import_gold(campaign, {ensemble.rows[ensemble.finish], ensemble.rows[ensemble.finish + 1]});
  state = evaluate_now(campaign);
  EXPECT_EQ(state.sets[0].finished_after, ensemble.finish);
  EXPECT_EQ(state.sets[0].labelled, ensemble.finish);
  EXPECT_EQ(state.sets[0].interval.lower, ensemble.interval.lower);
  for (std::size_t k = ensemble.finish; k < ensemble.rows.size(); ++k)
    if (state.needed[ensemble.rows[k]]) {
      // Only another unfinished set may still ask for the ensemble's later positives.
      const sampling::population items(campaign.items(),
                                       sampling::ensemble_rule::parse("majority"));
      bool wanted = false;
      for (std::size_t set = 1; set < items.set_count(); ++set)
        wanted = wanted ||
                 ((items.membership(ensemble.rows[k]) >> set & 1) && !state.sets[set].finished());
      EXPECT_TRUE(wanted) << "row " << ensemble.rows[k];
    }
}

TEST_F(campaign_store_test, next_rows_are_the_needed_unlabelled_rows_in_priority_order) {
  const io::prediction_table table = parse_table(synthetic_csv(2000, 10));
  store campaign = store::create(path("c.db"), table, settings_for(table, 0.1));
  const sampling::population items(campaign.items(), sampling::ensemble_rule::parse("majority"));
  std::size_t rounds = 0;
  for (;; ++rounds) {
    ASSERT_LT(rounds, 1000u) << "the campaign does not end";
    const resolved_labels labels = resolve_labels(campaign, campaign.labels());
    const campaign_state state = evaluate(campaign, labels);
    // The full list, computed here: rows an unfinished set needs (past its labelled prefix) and
    // that carry no resolved label.
    std::vector<std::size_t> expected;
    for (std::size_t set = 0; set < state.sets.size(); ++set) {
      if (state.sets[set].finished()) continue;
      const std::vector<std::uint32_t>& rows = items.positive_rows(set);
      for (std::size_t k = state.sets[set].labelled; k < rows.size(); ++k)
        if (labels.by_row[rows[k]] == resolved_labels::unlabelled) expected.push_back(rows[k]);
    }
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    const std::vector<std::size_t> all = next_rows(state, labels, table.size());
    EXPECT_EQ(all, expected);
    const std::vector<std::size_t> batch = next_rows(state, labels, 25);
    EXPECT_EQ(batch, std::vector<std::size_t>(
                         all.begin(), all.begin() + static_cast<std::ptrdiff_t>(
                                                        std::min<std::size_t>(25, all.size()))));
    EXPECT_TRUE(std::is_sorted(batch.begin(), batch.end()));
    if (batch.empty()) {
      EXPECT_TRUE(state.finished);
      for (const set_progress& set : state.sets) {
        EXPECT_TRUE(set.finished()) << set.name;
        if (set.positives > 0) {
          EXPECT_LE(set.interval.half_width(), campaign.settings().margin_of_error) << set.name;
        }
      }
      EXPECT_LT(state.distinct_labelled, table.size());
      break;
    }
    EXPECT_FALSE(state.finished);
    import_gold(campaign, batch);
    if (HasFailure()) return;
  }
  // Once finished, nothing more is asked for, also with a bigger batch.
  const resolved_labels labels = resolve_labels(campaign, campaign.labels());
  EXPECT_TRUE(next_rows(evaluate(campaign, labels), labels, table.size()).empty());
}

TEST_F(campaign_store_test, a_tied_item_blocks_the_prefix_and_is_offered_again) {
  const io::prediction_table table = parse_table(synthetic_csv(2000, 11));
  store campaign = store::create(path("c.db"), table, settings_for(table, 0.1));
  const hand_run ensemble = run_by_hand(campaign, "majority", 0);
  ASSERT_GT(ensemble.finish, 6u);
  import_gold(campaign, first_rows(ensemble, 5), "a");
  const std::size_t tied_row = ensemble.rows[2];
  const std::vector<std::uint8_t> requested(table.size(), 1);
  campaign.import_labels("b.csv", {{tied_row, "b", 1 - campaign.items().labels[tied_row], 2, 5}},
                         requested, {});
  const resolved_labels labels = resolve_labels(campaign, campaign.labels());
  ASSERT_EQ(labels.by_row[tied_row], resolved_labels::tied);
  const campaign_state state = evaluate(campaign, labels);
  EXPECT_EQ(state.sets[0].labelled, 2u) << "the prefix must stop at the tied third item";
  EXPECT_FALSE(state.sets[0].finished());
  EXPECT_TRUE(state.needed[tied_row]);
  const std::vector<std::size_t> offered = next_rows(state, labels, table.size());
  EXPECT_NE(std::find(offered.begin(), offered.end(), tied_row), offered.end())
      << "the tied item must be asked for again";
  // The resolved items after it are not asked for again.
  EXPECT_EQ(std::find(offered.begin(), offered.end(), ensemble.rows[3]), offered.end());
  EXPECT_EQ(std::find(offered.begin(), offered.end(), ensemble.rows[0]), offered.end());
  EXPECT_TRUE(std::is_sorted(offered.begin(), offered.end()));

  // A third annotator resolves it; the prefix then runs through all five.
  campaign.import_labels("c.csv", {{tied_row, "c", campaign.items().labels[tied_row], 2, 5}},
                         requested, {});
  const campaign_state after = evaluate_now(campaign);
  EXPECT_EQ(after.sets[0].labelled, 5u);
}

TEST_F(campaign_store_test, evaluate_rule_gives_the_prefix_sequence_of_another_rule) {
  const io::prediction_table table = parse_table(synthetic_csv(3000, 12));
  store campaign = store::create(path("c.db"), table, settings_for(table, 0.1));
  // Label the campaign's own (majority) ensemble a little: 10 items.
  const hand_run majority = run_by_hand(campaign, "majority", 0);
  ASSERT_GT(majority.finish, 10u);
  import_gold(campaign, first_rows(majority, 10));
  const resolved_labels labels = resolve_labels(campaign, campaign.labels());

  // atleast:3 (all three members) is a subset of majority: its labelled prefix is computed here.
  const sampling::ensemble_rule rule = sampling::ensemble_rule::parse("atleast:3");
  const sampling::population items(campaign.items(), rule);
  const std::vector<std::uint32_t>& rows = items.positive_rows(0);
  estimation::betting_settings settings;
  settings.confidence_level = 0.95;
  settings.target_margin = 0.1;
  estimation::betting_confidence_sequence sequence(rows.size(), settings);
  for (const std::uint32_t row : rows) {
    if (labels.by_row[row] != 0 && labels.by_row[row] != 1) break;
    sequence.add(labels.by_row[row] == 1);
    if (sequence.half_width() <= 0.1) break;
  }
  ASSERT_GT(sequence.observed(), 0u);
  ASSERT_GT(sequence.half_width(), 0.1) << "pick data where atleast:3 is unfinished";

  const rule_estimate estimate = evaluate_rule(campaign, labels, rule);
  EXPECT_EQ(estimate.rule, "atleast:3");
  EXPECT_EQ(estimate.set.positives, rows.size());
  EXPECT_EQ(estimate.set.labelled, sequence.observed());
  EXPECT_EQ(estimate.set.true_positives, sequence.successes());
  EXPECT_EQ(estimate.set.interval.lower, sequence.interval().lower);
  EXPECT_EQ(estimate.set.interval.upper, sequence.interval().upper);
  EXPECT_FALSE(estimate.set.finished());
  ASSERT_TRUE(estimate.more_labels.has_value());
  EXPECT_GT(*estimate.more_labels, 0u);
  EXPECT_LE(*estimate.more_labels, rows.size() - sequence.observed());

  // Labelled far enough, the rule is finished and asks for nothing more.
  const hand_run all_three = run_by_hand(campaign, "atleast:3", 0);
  ASSERT_GT(all_three.finish, 0u);
  import_gold(campaign, first_rows(all_three, all_three.finish));
  const rule_estimate done =
      evaluate_rule(campaign, resolve_labels(campaign, campaign.labels()), rule);
  EXPECT_TRUE(done.set.finished());
  EXPECT_EQ(done.set.finished_after, all_three.finish);
  EXPECT_FALSE(done.more_labels.has_value());
}

}  // namespace
}  // namespace frugal::campaign
