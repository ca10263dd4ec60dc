#include "frugal/campaign/store.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "campaign/sqlite.hpp"
#include "frugal/error.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "frugal/sampling/priority.hpp"
#include "io/table_builder.hpp"

namespace frugal::campaign {
namespace {

using detail::connection;
using detail::statement;
using detail::transaction;

constexpr std::string_view format_tag = "frugal-campaign";

// Each step takes the schema from version i to i + 1, inside the opening transaction. Version 1
// is the first schema; later versions append their ALTER/CREATE statements here and older
// campaign files are brought forward when they are opened.
constexpr const char* migrations[] = {
    R"sql(
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE members (member INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE items (
  rank INTEGER PRIMARY KEY,      -- position in priority order
  id TEXT NOT NULL UNIQUE,
  priority INTEGER NOT NULL,     -- the 64-bit priority key, two's complement
  votes INTEGER NOT NULL,        -- bit j: member j voted 1
  parent INTEGER,                -- the parent column's vote, only for --ensemble column:NAME
  gold INTEGER,                  -- the predictions' label column, for simulated annotators
  content TEXT,
  line INTEGER NOT NULL          -- where the item was in the predictions file
);
CREATE TABLE imports (
  import INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  at TEXT NOT NULL,
  records INTEGER NOT NULL,
  added INTEGER NOT NULL,
  repeated INTEGER NOT NULL,
  unrequested INTEGER NOT NULL
);
CREATE TABLE labels (
  id TEXT NOT NULL REFERENCES items(id),
  annotator TEXT NOT NULL,
  label INTEGER NOT NULL CHECK (label IN (0, 1)),
  labelled_at TEXT NOT NULL,
  import INTEGER NOT NULL REFERENCES imports(import),
  PRIMARY KEY (id, annotator)
) WITHOUT ROWID;
CREATE TABLE events (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
)sql",
    // 1 -> 2: item images (PNG bytes) kept in the campaign, so that `frugal serve` shows them
    // without reading any file.
    R"sql(
CREATE TABLE images (rank INTEGER PRIMARY KEY REFERENCES items(rank), png BLOB NOT NULL);
)sql",
};
static_assert(std::size(migrations) == schema_version);

std::int64_t as_signed(std::uint64_t value) {
  return std::bit_cast<std::int64_t>(value);
}
std::uint64_t as_unsigned(std::int64_t value) {
  return std::bit_cast<std::uint64_t>(value);
}

std::string join(const std::vector<std::string>& parts) {
  std::string joined;
  for (const std::string& part : parts) {
    if (!joined.empty()) joined += ',';
    joined += part;
  }
  return joined;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin <= text.size() && !text.empty()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    parts.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

int user_version(connection& db) {
  statement query(db, "PRAGMA user_version");
  query.step();
  return static_cast<int>(query.integer(0));
}

void configure(connection& db, commit_durability durability) {
  db.execute("PRAGMA journal_mode = WAL");
  // FULL: a committed import survives power loss too, not only a killed process.
  db.execute(durability == commit_durability::power_loss ? "PRAGMA synchronous = FULL"
                                                         : "PRAGMA synchronous = NORMAL");
  db.execute("PRAGMA foreign_keys = ON");
}

void insert_event(connection& db, std::string_view at, std::string_view kind,
                  std::string_view detail) {
  statement insert(db, "INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)");
  insert.bind(1, at).bind(2, kind).bind(3, detail);
  insert.run();
}

}  // namespace

struct store::impl {
  std::unique_ptr<connection> db;
  campaign_settings settings;
  io::prediction_table items;
  std::vector<std::uint64_t> keys;

  void load();
};

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", buffer, millis);
}

store::store(std::unique_ptr<impl> state) : impl_(std::move(state)) {}
store::store(store&&) noexcept = default;
store& store::operator=(store&&) noexcept = default;
store::~store() = default;

const std::string& store::path() const noexcept {
  return impl_->db->path();
}
const campaign_settings& store::settings() const noexcept {
  return impl_->settings;
}
const io::prediction_table& store::items() const noexcept {
  return impl_->items;
}
const std::vector<std::uint64_t>& store::priority_keys() const noexcept {
  return impl_->keys;
}

store store::create(const std::string& path, const io::prediction_table& table,
                    const campaign_settings& settings, const image_lookup& images) {
  std::error_code error;
  if (std::filesystem::exists(path, error))
    throw input_error(path, 0, 0,
                      "already exists; a campaign is created in a new file (remove it or choose "
                      "another name)");
  const sampling::ensemble_rule rule = sampling::ensemble_rule::parse(settings.ensemble);

  // Build beside the target and rename when complete: a failed init leaves no file behind.
  const std::string temporary = fmt::format("{}.init-{}", path, ::getpid());
  auto remove_temporary = [&] {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"})
      std::filesystem::remove(temporary + suffix, error);
  };
  try {
    {
      connection db(temporary, connection::mode::create_new);
      // The bulk load is one transaction in rollback-journal mode; WAL is switched on after.
      transaction creating(db);
      for (const char* step : migrations) db.execute(step);
      db.execute(fmt::format("PRAGMA user_version = {}", schema_version).c_str());
      statement setting(db, "INSERT INTO settings (key, value) VALUES (?, ?)");
      const std::pair<std::string, std::string> values[] = {
          {"format", std::string(format_tag)},
          {"predictions", settings.predictions},
          {"fingerprint", settings.fingerprint},
          {"seed", std::to_string(settings.seed)},
          {"margin", fmt::format("{}", settings.margin_of_error)},
          {"confidence", fmt::format("{}", settings.confidence_level)},
          {"ensemble", settings.ensemble},
          {"metrics", join(settings.metrics)},
          {"hash", std::string(sampling::priority_hash_name)},
          {"created_at", settings.created_at},
      };
      for (const auto& [key, value] : values) {
        setting.bind(1, key).bind(2, value);
        setting.run();
      }
      statement member(db, "INSERT INTO members (member, name) VALUES (?, ?)");
      for (std::size_t j = 0; j < table.member_count(); ++j) {
        member.bind(1, static_cast<std::int64_t>(j)).bind(2, table.model_names[j]);
        member.run();
      }

      std::vector<std::pair<std::uint64_t, std::uint32_t>> order(table.size());
      for (std::size_t row = 0; row < table.size(); ++row)
        order[row] = {sampling::priority_key(settings.seed, table.ids[row]),
                      static_cast<std::uint32_t>(row)};
      std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
        return sampling::priority_before(a.first, table.ids[a.second], b.first,
                                         table.ids[b.second]);
      });
      const bool has_parent = rule.rule == sampling::ensemble_rule::kind::column;
      const bool has_content = table.content.size() == table.size() && table.size() > 0;
      statement image(db, "INSERT INTO images (rank, png) VALUES (?, ?)");
      statement item(db,
                     "INSERT INTO items (rank, id, priority, votes, parent, gold, content, line) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      for (std::size_t rank = 0; rank < order.size(); ++rank) {
        const auto [key, row] = order[rank];
        item.bind(1, static_cast<std::int64_t>(rank))
            .bind(2, table.ids[row])
            .bind(3, as_signed(key))
            .bind(4, as_signed(table.votes[row]));
        if (has_parent)
          item.bind(5, std::int64_t{table.parent_votes[row]});
        else
          item.bind_null(5);
        if (table.has_labels && table.labels[row] >= 0)
          item.bind(6, std::int64_t{table.labels[row]});
        else
          item.bind_null(6);
        if (has_content)
          item.bind(7, table.content[row]);
        else
          item.bind_null(7);
        item.bind(8, static_cast<std::int64_t>(table.lines[row]));
        item.run();
        if (images) {
          if (const std::optional<std::string> png = images(table.ids[row])) {
            image.bind(1, static_cast<std::int64_t>(rank)).bind_blob(2, *png);
            image.run();
          }
        }
      }
      nlohmann::json detail = {{"predictions", settings.predictions},
                               {"fingerprint", settings.fingerprint},
                               {"items", table.size()},
                               {"members", table.model_names},
                               {"ensemble", settings.ensemble},
                               {"seed", settings.seed},
                               {"margin", settings.margin_of_error},
                               {"confidence", settings.confidence_level},
                               {"metrics", settings.metrics}};
      insert_event(db, settings.created_at, "created", detail.dump());
      creating.commit();
      configure(db, commit_durability::power_loss);
    }
    if (std::filesystem::exists(path, error))
      throw input_error(path, 0, 0, "already exists (created by another process meanwhile)");
    std::filesystem::rename(temporary, path);
  } catch (...) {
    remove_temporary();
    throw;
  }
  return open(path);
}

store store::open(const std::string& path, commit_durability durability) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw input_error(path, 0, 0, "no such campaign file (create one with `frugal campaign init`)");
  auto state = std::make_unique<impl>();
  state->db = std::make_unique<connection>(path, connection::mode::open_existing);
  connection& db = *state->db;
  int version = 0;
  try {
    version = user_version(db);
  } catch (const input_error&) {
    throw input_error(path, 0, 0, "is not a frugal campaign (not an SQLite database)");
  }
  if (version > schema_version)
    throw input_error(path, 0, 0,
                      fmt::format("was written by a newer frugal (campaign schema {}; this build "
                                  "reads schemas up to {}); upgrade frugal to open it",
                                  version, schema_version));
  if (version <= 0)
    throw input_error(path, 0, 0, "is not a frugal campaign (no campaign schema in it)");
  if (version < schema_version) {
    transaction migrating(db);
    for (int step = version; step < schema_version; ++step) db.execute(migrations[step]);
    db.execute(fmt::format("PRAGMA user_version = {}", schema_version).c_str());
    insert_event(db, utc_now(), "migrated",
                 nlohmann::json{{"from", version}, {"to", schema_version}}.dump());
    migrating.commit();
  }
  configure(db, durability);
  state->load();
  return store(std::move(state));
}

void store::impl::load() {
  connection& connection_ref = *db;
  const std::string& path = connection_ref.path();
  std::map<std::string, std::string> values;
  {
    statement query(connection_ref, "SELECT key, value FROM settings");
    while (query.step()) values[query.text(0)] = query.text(1);
  }
  if (values["format"] != format_tag)
    throw input_error(path, 0, 0, "is not a frugal campaign (no campaign settings in it)");
  // A damaged setting is the file's problem (exit 3), never an internal error.
  auto damaged = [&](const char* key) {
    return input_error(path, 0, 0, fmt::format("campaign setting \"{}\" is damaged", key));
  };
  auto number = [&](const char* key) {
    try {
      std::size_t used = 0;
      const std::string& text = values.at(key);
      const double value = std::stod(text, &used);
      if (used != text.size() || !(value > 0.0 && value < 1.0)) throw damaged(key);
      return value;
    } catch (const std::logic_error&) {  // out_of_range, invalid_argument, input_error
      throw damaged(key);
    }
  };
  auto unsigned_number = [&](const char* key, int base) {
    try {
      std::size_t used = 0;
      const std::string& text = values.at(key);
      if (text.empty() || text[0] == '-' || text[0] == '+' || text[0] == ' ') throw damaged(key);
      const std::uint64_t value = std::stoull(text, &used, base);
      if (used != text.size()) throw damaged(key);
      return value;
    } catch (const std::logic_error&) {
      throw damaged(key);
    }
  };
  settings.predictions = values["predictions"];
  settings.fingerprint = values["fingerprint"];
  settings.seed = unsigned_number("seed", 10);
  settings.margin_of_error = number("margin");
  settings.confidence_level = number("confidence");
  settings.ensemble = values["ensemble"];
  settings.metrics = split(values["metrics"]);
  settings.created_at = values["created_at"];

  items = io::prediction_table{};
  items.source = path;
  {
    statement query(connection_ref, "SELECT name FROM members ORDER BY member");
    while (query.step()) items.model_names.push_back(query.text(0));
  }
  if (items.model_names.empty() || items.model_names.size() > io::max_members)
    throw input_error(path, 0, 0, "the campaign's member list is damaged");
  sampling::ensemble_rule rule;
  try {
    rule = sampling::ensemble_rule::parse(settings.ensemble);
  } catch (const input_error& error) {
    throw input_error(path, 0, 0,
                      fmt::format("campaign setting \"ensemble\" is damaged: {}", error.message()));
  }
  if (rule.rule == sampling::ensemble_rule::kind::column) items.parent_column = rule.column;
  statement query(connection_ref,
                  "SELECT id, priority, votes, parent, gold, content, line FROM items ORDER BY "
                  "rank");
  bool any_content = false;
  std::vector<std::string> contents;
  while (query.step()) {
    const std::string id = query.text(0);
    items.ids.push_back(id);
    items.id_hashes.push_back(io::detail::hash_id(id));
    keys.push_back(as_unsigned(query.integer(1)));
    const std::uint64_t votes = as_unsigned(query.integer(2));
    const std::int64_t parent = query.is_null(3) ? 0 : query.integer(3);
    const std::int64_t gold_value = query.is_null(4) ? 0 : query.integer(4);
    if (votes >> items.model_names.size() != 0 || (parent != 0 && parent != 1) ||
        (gold_value != 0 && gold_value != 1) || (!items.parent_column.empty() && query.is_null(3)))
      throw input_error(path, 0, 0, fmt::format("the campaign's item \"{}\" is damaged", id));
    items.votes.push_back(votes);
    if (!items.parent_column.empty())
      items.parent_votes.push_back(static_cast<std::uint8_t>(query.integer(3)));
    const bool has_gold = !query.is_null(4);
    items.has_labels = items.has_labels || has_gold;
    items.labels.push_back(has_gold ? static_cast<std::int8_t>(query.integer(4)) : std::int8_t{-1});
    any_content = any_content || !query.is_null(5);
    contents.push_back(query.text(5));
    items.lines.push_back(static_cast<std::uint32_t>(query.integer(6)));
  }
  if (!items.has_labels) items.labels.clear();
  if (any_content) {
    items.has_content_column = true;
    for (const std::string& text : contents) items.content.push_back(text);
  }
  items.fingerprint = unsigned_number("fingerprint", 16);
}

std::optional<std::string> store::image(std::size_t row) const {
  statement query(*impl_->db, "SELECT png FROM images WHERE rank = ?");
  query.bind(1, static_cast<std::int64_t>(row));
  if (!query.step()) return std::nullopt;
  return query.blob(0);
}

std::vector<bool> store::rows_with_images() const {
  std::vector<bool> rows(impl_->items.size(), false);
  statement query(*impl_->db, "SELECT rank FROM images");
  while (query.step()) {
    const std::int64_t rank = query.integer(0);
    if (rank >= 0 && static_cast<std::size_t>(rank) < rows.size())
      rows[static_cast<std::size_t>(rank)] = true;
  }
  return rows;
}

std::size_t store::image_count() const {
  statement query(*impl_->db, "SELECT COUNT(*) FROM images");
  query.step();
  return static_cast<std::size_t>(query.integer(0));
}

std::vector<label_record> store::labels() const {
  std::vector<label_record> records;
  statement query(*impl_->db,
                  "SELECT id, annotator, label, labelled_at, import FROM labels ORDER BY "
                  "labelled_at, import, id, annotator");
  while (query.step())
    records.push_back({query.text(0), query.text(1), static_cast<int>(query.integer(2)),
                       query.text(3), query.integer(4)});
  return records;
}

std::vector<event_record> store::events() const {
  std::vector<event_record> records;
  statement query(*impl_->db, "SELECT sequence, at, kind, detail FROM events ORDER BY sequence");
  while (query.step())
    records.push_back({query.integer(0), query.text(1), query.text(2), query.text(3)});
  return records;
}

import_summary store::import_labels(
    std::string_view source, const std::vector<pending_label>& records,
    const std::vector<std::uint8_t>& requested,
    const std::vector<std::pair<std::string, std::string>>& extra_events) {
  connection& db = *impl_->db;
  const std::string at = utc_now();
  transaction importing(db);
  import_summary summary;
  {
    statement next(db, "SELECT COALESCE(MAX(import), 0) + 1 FROM imports");
    next.step();
    summary.import_number = next.integer(0);
  }
  // The import row first: labels reference it.
  {
    statement insert(db,
                     "INSERT INTO imports (import, source, at, records, added, repeated, "
                     "unrequested) VALUES (?, ?, ?, 0, 0, 0, 0)");
    insert.bind(1, summary.import_number).bind(2, source).bind(3, at);
    insert.run();
  }
  statement existing(db,
                     "SELECT l.label, l.import, i.source FROM labels l JOIN imports i USING "
                     "(import) WHERE l.id = ? AND l.annotator = ?");
  statement insert(db,
                   "INSERT INTO labels (id, annotator, label, labelled_at, import) VALUES (?, ?, "
                   "?, ?, ?)");
  for (const pending_label& record : records) {
    const std::string_view id = impl_->items.ids[record.row];
    ++summary.records;
    existing.bind(1, id).bind(2, record.annotator);
    if (existing.step()) {
      const int stored = static_cast<int>(existing.integer(0));
      const std::int64_t stored_import = existing.integer(1);
      const std::string stored_source = existing.text(2);
      existing.reset();
      if (stored == record.label) {
        ++summary.repeated;
        continue;
      }
      const std::string who = record.annotator.empty()
                                  ? std::string("the same (unnamed) annotator")
                                  : fmt::format("annotator \"{}\"", record.annotator);
      throw input_error(
          std::string(source), record.line, record.column,
          stored_import == summary.import_number
              ? fmt::format("id \"{}\" labelled {} here and {} earlier in this file by {}", id,
                            record.label, stored, who)
              : fmt::format("id \"{}\" labelled {} here but {} by {} in import {} ({}); nothing "
                            "was imported",
                            id, record.label, stored, who, stored_import, stored_source));
    }
    existing.reset();
    insert.bind(1, id)
        .bind(2, record.annotator)
        .bind(3, std::int64_t{record.label})
        .bind(4, at)
        .bind(5, summary.import_number);
    insert.run();
    ++summary.added;
    if (!requested[record.row]) ++summary.unrequested;
  }
  {
    statement update(db,
                     "UPDATE imports SET records = ?, added = ?, repeated = ?, unrequested = ? "
                     "WHERE import = ?");
    update.bind(1, static_cast<std::int64_t>(summary.records))
        .bind(2, static_cast<std::int64_t>(summary.added))
        .bind(3, static_cast<std::int64_t>(summary.repeated))
        .bind(4, static_cast<std::int64_t>(summary.unrequested))
        .bind(5, summary.import_number);
    update.run();
  }
  insert_event(db, at, "labels imported",
               nlohmann::json{{"import", summary.import_number},
                              {"source", source},
                              {"records", summary.records},
                              {"added", summary.added},
                              {"repeated", summary.repeated},
                              {"unrequested", summary.unrequested}}
                   .dump());
  for (const auto& [kind, detail] : extra_events) insert_event(db, at, kind, detail);
  importing.commit();
  return summary;
}

void store::append_event(std::string_view kind, std::string_view detail) {
  transaction appending(*impl_->db);
  insert_event(*impl_->db, utc_now(), kind, detail);
  appending.commit();
}

bool store::remove_label(std::string_view id, std::string_view annotator) {
  connection& db = *impl_->db;
  transaction removing(db);
  statement existing(
      db, "SELECT label, labelled_at, import FROM labels WHERE id = ? AND annotator = ?");
  existing.bind(1, id).bind(2, annotator);
  if (!existing.step()) return false;
  const nlohmann::json detail = {{"id", id},
                                 {"annotator", annotator},
                                 {"label", existing.integer(0)},
                                 {"labelled_at", existing.text(1)},
                                 {"import", existing.integer(2)}};
  existing.reset();
  statement erase(db, "DELETE FROM labels WHERE id = ? AND annotator = ?");
  erase.bind(1, id).bind(2, annotator);
  erase.run();
  insert_event(db, utc_now(), "label undone", detail.dump());
  removing.commit();
  return true;
}

std::int64_t store::data_version() const {
  statement query(*impl_->db, "PRAGMA data_version");
  query.step();
  return query.integer(0);
}

}  // namespace frugal::campaign
