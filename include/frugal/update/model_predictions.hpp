#pragma once
/// Reading the predictions of an old and a new model for a model update (DESIGN.md §4): CSV or
/// TSV with a header holding `id` and `prediction` (a class name), optional `score_<class>`
/// columns (finite numbers: probabilities or logits) and an optional `content` column (text shown
/// in reports); other columns are ignored. RFC 4180 quoting, CRLF or LF, optional UTF-8 BOM.
/// Labels for updates are `id,label[,annotator]` with `label` the true class name.
///
/// Class names are interned in one `class_names` shared by the old model, the new model and the
/// labels, so that a class index means the same class in all three; a class that only the labels
/// mention is allowed (it is an error neither model can get right).
///
/// Every problem is a frugal::input_error naming the file, line and column.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "frugal/io/predictions.hpp"

namespace frugal::update {

/// Class names in order of first appearance; index = position.
class class_names {
 public:
  /// The index of `name`, adding it when new.
  std::uint32_t intern(std::string_view name);
  std::optional<std::uint32_t> find(std::string_view name) const;
  const std::string& name(std::uint32_t index) const { return names_[index]; }
  std::size_t size() const noexcept { return names_.size(); }
  const std::vector<std::string>& all() const noexcept { return names_; }

 private:
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept;
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> index_;
};

struct model_read_options {
  /// Keep the `score_<class>` values (they are always checked to be finite numbers).
  bool keep_scores = false;
  /// Keep the `content` column.
  bool keep_content = false;
  /// Check that ids are unique (an id index over the file). load_update leaves it to
  /// pair_models for the new file, which builds that index anyway.
  bool check_unique_ids = true;
};

/// One model's predictions, one entry per row in file order.
struct model_predictions {
  std::string source;  ///< file name used in messages
  io::string_column ids;
  std::vector<std::uint64_t> id_hashes;    ///< io::hash_id of each id
  std::vector<std::uint32_t> lines;        ///< 1-based line where each row starts
  std::vector<std::uint32_t> predictions;  ///< class index in the shared class_names
  /// The `<class>` part of each `score_<class>` column, in header order.
  std::vector<std::string> score_classes;
  /// Row-major, size() * score_classes.size(); only with keep_scores.
  std::vector<float> scores;
  io::string_column content;  ///< only with keep_content and a `content` column
  bool has_content_column = false;
  /// XXH3-64 over (id, predicted class name) of every row in order.
  std::uint64_t fingerprint = 0;

  std::size_t size() const noexcept { return ids.size(); }
  io::id_index::columns id_columns() const { return {&source, &ids, &id_hashes, &lines}; }
};

/// Reads a model's predictions (CSV, or TSV by extension or when the header has a tab and no
/// comma). Throws frugal::input_error for a missing `id` or `prediction` column, an empty
/// prediction, a score that is not a finite number, a wrong field count, an empty file or a
/// duplicate id (naming both lines). O(bytes), streamed through a memory map.
model_predictions read_model_predictions(const std::string& path, class_names& classes,
                                         const model_read_options& options = {});
model_predictions parse_model_predictions(std::string_view text, const std::string& source,
                                          class_names& classes,
                                          const model_read_options& options = {});

/// The old and the new model's predictions on the same items, in the old file's row order.
struct model_pair {
  const model_predictions* old_model = nullptr;
  const model_predictions* new_model = nullptr;
  /// For each row of the old file, the new model's class.
  std::vector<std::uint32_t> old_class, new_class;
  /// For each row of the old file, its row in the new file.
  std::vector<std::uint32_t> new_row;
  std::size_t disagreements = 0;  ///< rows where old_class != new_class

  std::size_t size() const noexcept { return old_class.size(); }
  std::string_view id(std::size_t row) const { return old_model->ids[row]; }
  /// The row's `content`, from the old file or else the new one ("" without either).
  std::string_view content(std::size_t row) const;
};

/// Pairs the two models by id. Different id sets are an input_error saying how many ids each
/// side lacks and naming the first missing id of each (file and line). O(rows) with an id index.
model_pair pair_models(const model_predictions& old_model, const model_predictions& new_model);

/// Both models' predictions with their shared class names, paired. Not movable (the pair points
/// at the predictions), hence held by pointer.
struct loaded_update {
  class_names classes;
  model_predictions old_model, new_model;
  model_pair pair;
};

/// Reads the two files at once (one thread each, each with its own class names, merged after)
/// and pairs them.
std::unique_ptr<loaded_update> load_update(const std::string& old_path, const std::string& new_path,
                                           const model_read_options& options = {});

/// Resolved true classes for the rows of a model pair (old file order).
struct class_labels {
  static constexpr std::uint32_t unlabelled = 0xFFFFFFFFu;
  static constexpr std::uint32_t tied = 0xFFFFFFFEu;
  std::vector<std::uint32_t> by_row;  ///< a class index, unlabelled or tied
  std::size_t records = 0;            ///< label lines read (blank labels included)
  std::size_t labelled_items = 0;     ///< rows with one most frequent label
  std::size_t tied_items = 0;         ///< rows whose annotators' most frequent labels tie
  /// Classes that occur in the labels but that neither model ever predicts.
  std::vector<std::uint32_t> classes_only_in_labels;
};

/// Reads `id,label[,annotator]` (CSV or TSV) for the rows of `pair`. Each item's label is the
/// one most of its annotators gave; a tie between the most frequent is flagged and left out.
/// Throws frugal::input_error with file:line:column for a header without `id` and `label`, an id
/// that is in neither model's predictions, a wrong field count, or a second, different label
/// from the same annotator. Blank labels are skipped (a filled-in queue can be read back).
class_labels read_class_labels(const std::string& path, const model_pair& pair,
                               class_names& classes);
class_labels parse_class_labels(std::string_view text, const std::string& source,
                                const model_pair& pair, class_names& classes);

}  // namespace frugal::update
