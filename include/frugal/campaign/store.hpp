#pragma once
/// The campaign store: one SQLite file per annotation campaign (DESIGN.md §2, `campaign/`).
///
/// It holds everything a campaign needs without the predictions file: the settings (seed,
/// margin, confidence, ensemble rule, metrics), the predictions' fingerprint, the members, every
/// item with its permanent priority, member votes, optional gold label and content, every label
/// with its annotator, import and time, and an append-only event log. Items are stored in
/// priority order (`rank`), so a set's labelling order is its rows in ascending order.
///
/// The file is in WAL mode with synchronous=FULL (NORMAL when opened for `frugal serve`, see
/// open()); every write is one transaction, so a process
/// killed at any point leaves either all of an import or none of it. The schema is versioned in
/// `PRAGMA user_version`; opening a file from an older frugal migrates it in a transaction, a file
/// from a newer one is refused.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/io/predictions.hpp"

namespace frugal::campaign {

/// The schema this build writes and reads.
inline constexpr int schema_version = 2;

enum class commit_durability { power_loss, process_crash };

struct campaign_settings {
  std::string predictions;  ///< the file the campaign was made from (for messages)
  std::string fingerprint;  ///< io::fingerprint_hex of the predictions
  std::uint64_t seed = 1;
  double margin_of_error = 0.05;
  double confidence_level = 0.95;
  std::string ensemble = "majority";              ///< ensemble_rule text
  std::vector<std::string> metrics{"precision"};  ///< precision, recall, f1
  std::string created_at;                         ///< ISO 8601 UTC
};

struct label_record {
  std::string id;
  std::string annotator;  ///< "" when the labels file has no annotator column
  int label = 0;          ///< 0 or 1
  std::string labelled_at;
  std::int64_t import_number = 0;
};

/// One import's outcome.
struct import_summary {
  std::int64_t import_number = 0;
  std::size_t records = 0;      ///< label lines read (blank labels skipped)
  std::size_t added = 0;        ///< new (id, annotator) labels
  std::size_t repeated = 0;     ///< already stored with the same label (idempotent re-import)
  std::size_t unrequested = 0;  ///< added for items no unfinished set had asked for
};

struct event_record {
  std::int64_t sequence = 0;
  std::string at;
  std::string kind;
  std::string detail;
};

class store {
 public:
  /// Creates a new campaign file from predictions read with `keep_content`. Items are stored in
  /// priority order. Throws frugal::input_error when the file exists or cannot be written; on
  /// failure no file is left behind.
  /// `images`, when given, returns an item's image (PNG bytes) by id, or nothing; the images
  /// are kept in the campaign (schema 2) for `frugal serve`.
  using image_lookup = std::function<std::optional<std::string>(std::string_view id)>;
  static store create(const std::string& path, const io::prediction_table& table,
                      const campaign_settings& settings, const image_lookup& images = {});
  /// Opens an existing campaign. Throws frugal::input_error for a missing file, a file that is
  /// not a campaign, or one written by a newer schema.
  ///
  /// `durability`: power_loss (the default, synchronous=FULL: a committed import survives a
  /// power cut) or process_crash (synchronous=NORMAL, for `frugal serve`'s one-label
  /// transactions: a killed process still loses nothing committed and the file is never
  /// corrupted, but a power cut may undo the last commits; about 2x the label rate).
  static store open(const std::string& path,
                    commit_durability durability = commit_durability::power_loss);

  store(store&&) noexcept;
  store& operator=(store&&) noexcept;
  ~store();

  const std::string& path() const noexcept;
  const campaign_settings& settings() const noexcept;
  /// The items as a prediction table in priority order (row = rank): ids, member votes, the
  /// parent column when the rule is column:NAME, gold labels in `labels` and `content`.
  /// `source` is the database path; `fingerprint` the stored one.
  const io::prediction_table& items() const noexcept;
  /// Each row's priority key (priority.hpp) under the campaign's seed.
  const std::vector<std::uint64_t>& priority_keys() const noexcept;

  std::vector<label_record> labels() const;
  /// The PNG bytes of the item at `row` of items(), if the campaign has its image.
  std::optional<std::string> image(std::size_t row) const;
  std::size_t image_count() const;
  /// Per row of items(): whether the campaign holds its image.
  std::vector<bool> rows_with_images() const;
  std::vector<event_record> events() const;

  /// Stores labels in one transaction. `rows` are the rows of `records` in items(); a label that
  /// conflicts with a stored one from the same annotator throws frugal::input_error (via
  /// `describe_conflict`, which names the offending line) and nothing is written. `requested`
  /// tells, per row, whether an unfinished set was asking for the item (counted as unrequested
  /// otherwise). `extra_events` are appended in the same transaction.
  struct pending_label {
    std::size_t row;
    std::string annotator;
    int label;
    std::size_t line;    ///< in the source, for messages
    std::size_t column;  ///< of the label field
  };
  import_summary import_labels(
      std::string_view source, const std::vector<pending_label>& records,
      const std::vector<std::uint8_t>& requested,
      const std::vector<std::pair<std::string, std::string>>& extra_events);

  void append_event(std::string_view kind, std::string_view detail);

  /// Deletes the label `annotator` gave `id`, in one transaction with a "label undone" event
  /// (the label table is editable, the event log is not). Returns false, writing nothing, when
  /// there is no such label.
  bool remove_label(std::string_view id, std::string_view annotator);

  /// A number that changes whenever another connection (another process) commits to the file
  /// (SQLite's `PRAGMA data_version`); this store's own writes leave it unchanged. For caches.
  std::int64_t data_version() const;

 private:
  struct impl;
  explicit store(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

/// The current time as ISO 8601 UTC with milliseconds, e.g. 2026-11-23T18:41:07.123Z.
std::string utc_now();

}  // namespace frugal::campaign
