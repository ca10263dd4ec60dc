#pragma once
/// Reading an ensemble's predictions (DESIGN.md §4).
///
/// A predictions file has one row per item: a unique `id`, one 0/1 column per model (member of
/// the ensemble; `true`/`false` also accepted), and optionally `label` (gold 0/1, used only by
/// simulations and demos), `content` (text shown to annotators) or `image` (a path). CSV and TSV
/// follow RFC 4180 (header row, quoting with doubled quotes, CRLF or LF, optional UTF-8 BOM);
/// JSONL carries the same keys, one object a line. Every problem is a frugal::input_error naming
/// the file, the 1-based line and the 1-based column (byte offset within the line).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace frugal::io {

enum class table_format { automatic, csv, tsv, jsonl };

/// At most this many members fit the per-item vote mask (one bit is kept for the parent).
inline constexpr std::size_t max_members = 63;

struct read_options {
  /// Model columns to use as members, in this order; empty means every column that is not
  /// `id`, `label`, `content`, `image` or `parent_column`.
  std::vector<std::string> models;
  /// A column holding the parent's own 0/1 votes (`--ensemble column:NAME`); empty if none.
  std::string parent_column;
  table_format format = table_format::automatic;
  /// Keep the `content` column (costs memory; needed only for annotation queues).
  bool keep_content = false;
  /// Parser threads for CSV/TSV; 0 means std::thread::hardware_concurrency().
  unsigned threads = 0;
};

/// A strings column stored as one arena plus end offsets: cheap for tens of millions of rows.
class string_column {
 public:
  std::size_t size() const noexcept { return ends_.size(); }
  std::string_view operator[](std::size_t row) const noexcept {
    const std::uint64_t begin = row == 0 ? 0 : ends_[row - 1];
    return std::string_view(text_).substr(begin, ends_[row] - begin);
  }
  void push_back(std::string_view value) {
    text_.append(value);
    ends_.push_back(text_.size());
  }
  void reserve(std::size_t rows, std::size_t bytes) {
    ends_.reserve(rows);
    text_.reserve(bytes);
  }
  void append(const string_column& other);
  /// Hints the cache that `row`'s offsets will be read soon (for batched random lookups).
  void prefetch_offsets(std::size_t row) const noexcept {
    __builtin_prefetch(&ends_[row]);
    if (row > 0) __builtin_prefetch(&ends_[row - 1]);
  }
  /// Hints the cache that `row`'s text will be read soon; its offsets should be cached already.
  void prefetch_text(std::size_t row) const noexcept {
    __builtin_prefetch(text_.data() + (row == 0 ? 0 : ends_[row - 1]));
  }
  /// Empties the column and gives its memory back.
  void release() noexcept {
    std::string().swap(text_);
    std::vector<std::uint64_t>().swap(ends_);
  }

 private:
  std::string text_;
  std::vector<std::uint64_t> ends_;
};

/// The parsed predictions, one entry per row in file order.
struct prediction_table {
  std::string source;                    ///< file name used in messages
  std::vector<std::string> model_names;  ///< the members, in `models` order or file order
  std::string parent_column;             ///< copied from read_options
  string_column ids;
  std::vector<std::uint64_t> id_hashes;  ///< XXH3-64 of each id, unseeded (duplicates, fingerprint)
  std::vector<std::uint64_t> votes;      ///< bit j set when member j voted 1
  std::vector<std::uint8_t> parent_votes;  ///< only with a parent column
  std::vector<std::int8_t> labels;         ///< empty without a `label` column; -1 = blank
  std::vector<std::uint32_t> lines;        ///< 1-based line where each row starts
  string_column content;                   ///< only with keep_content and a `content` column
  bool has_labels = false;
  bool has_content_column = false;
  /// XXH3-64 over (id, member votes, parent votes) of every row in order: the same data in
  /// CSV, TSV or JSONL gives the same fingerprint; a `label` or `content` column does not count.
  std::uint64_t fingerprint = 0;

  std::size_t size() const noexcept { return ids.size(); }
  std::size_t member_count() const noexcept { return model_names.size(); }
};

/// Reads a predictions file. Throws frugal::input_error on any malformed input: missing `id`
/// column, duplicate id (naming both lines), a vote that is not 0/1/true/false, a wrong number
/// of fields, an empty file, an unknown model in `options.models`.
/// Complexity: O(bytes), streamed through a memory map; CSV/TSV parsed on `threads` threads.
prediction_table read_predictions(const std::string& path, const read_options& options = {});

/// Parses predictions held in memory; `source` names them in messages. Same rules as
/// read_predictions. Used by tests and fuzzers.
prediction_table parse_predictions(std::string_view text, const std::string& source,
                                   const read_options& options = {});

/// "csv", "tsv" or "jsonl" chosen from the extension (.tsv, .tab, .jsonl, .ndjson, .json),
/// otherwise sniffed from the first line (a leading '{' means JSONL, a tab and no comma TSV).
table_format detect_format(std::string_view path, std::string_view head);

/// Finds a row by id in O(1): open addressing on the stored id hashes (4 bytes a slot, load at
/// most two thirds), in two halves split on the hash's top bit that two threads build at once.
/// Building it checks that ids are unique and throws frugal::input_error naming both lines on
/// a duplicate (the earlier line as "first seen").
class id_index {
 public:
  /// The columns an index reads (they must outlive it): ids, their unseeded XXH3-64 hashes
  /// (hash_id), the line of each row and the file name for messages.
  struct columns {
    const std::string* source;
    const string_column* ids;
    const std::vector<std::uint64_t>* id_hashes;
    const std::vector<std::uint32_t>* lines;
  };
  explicit id_index(const prediction_table& table)
      : id_index(columns{&table.source, &table.ids, &table.id_hashes, &table.lines}) {}
  explicit id_index(const columns& table);
  /// The row holding `id`, or -1.
  std::ptrdiff_t find(std::string_view id) const noexcept;
  /// find() for every row of another id column: rows[i] = find(ids[i]), `hashes[i]` being
  /// hash_id(ids[i]). Random lookups into a large index wait on memory; this pipelines them,
  /// prefetching the slot, then the candidate's hash and offsets, then its text, a few rows
  /// ahead (measured 2x faster than find() in a loop on 10 million shuffled ids).
  void find_all(const string_column& ids, const std::vector<std::uint64_t>& hashes,
                std::vector<std::ptrdiff_t>& rows) const;

 private:
  struct half {
    std::vector<std::uint32_t> slots;  // row + 1; 0 = empty
    std::size_t mask = 0;
  };
  void build(half& part, std::uint64_t top_bit);
  std::ptrdiff_t find(std::string_view id, std::uint64_t hash) const noexcept;
  columns table_;
  half halves_[2];
};

/// XXH3-64 of an id's bytes, unseeded: the hash stored in prediction_table::id_hashes and the
/// one id_index expects.
std::uint64_t hash_id(std::string_view id) noexcept;

/// Fingerprint as 16 lowercase hex digits.
std::string fingerprint_hex(std::uint64_t fingerprint);

}  // namespace frugal::io
