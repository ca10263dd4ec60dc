#pragma once
/// Reading annotators' labels (DESIGN.md §4): CSV or TSV with a header holding `id`, `label`
/// and optionally `annotator`. For ensemble evaluation a label is 0/1 (also true/false).
/// Several annotators may label one item; their labels are resolved by majority and a tie is
/// flagged. The same (id, annotator) twice with the same label is accepted (re-imports are
/// idempotent); with different labels it is an error naming both lines. A row whose label is
/// empty is skipped, so the queue file written by `frugal plan --queue` can be filled in and
/// read back as it is.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/io/predictions.hpp"

namespace frugal::io {

/// One line of a labels file, checked for form only (header, field count, a 0/1 or blank label).
struct label_line {
  std::string_view id;
  static constexpr int blank = -1;        ///< not labelled yet
  static constexpr int not_a_label = -2;  ///< thrown for by for_each_label_line after `each`
  int label = blank;                      ///< 0, 1, blank or not_a_label
  std::string_view annotator;             ///< "" without an annotator column
  std::size_t line = 0;
  std::size_t id_column = 0;
  std::size_t label_column = 0;
};

/// Calls `each` for every data line of a labels file in order (the views live only during the
/// call). Throws frugal::input_error for a header without `id` and `label`, a wrong field count,
/// a label that is not 0/1/true/false/blank (after `each` has seen the line, so that the caller's
/// check of the id comes first), or an empty file; `each` may throw too.
void for_each_label_line(std::string_view text, const std::string& source,
                         const std::function<void(const label_line&)>& each);

/// The majority of an item's labels: 1, 0, `resolved_labels::tied` on an even split, or
/// `resolved_labels::unlabelled` without labels. The one place the 0/1 rule is written (class
/// labels for model updates take the most frequent class, in update::parse_class_labels).
std::int8_t majority_label(std::size_t zeros, std::size_t ones) noexcept;

/// Per-row resolved labels of one prediction table.
struct resolved_labels {
  static constexpr std::int8_t unlabelled = -1;
  static constexpr std::int8_t tied = 2;
  std::vector<std::int8_t> by_row;  ///< unlabelled, 0, 1, or tied
  std::size_t records = 0;          ///< label lines read
  std::size_t labelled_items = 0;   ///< rows with a 0/1 majority
  std::size_t tied_items = 0;       ///< rows whose annotators split evenly (left out of estimates)
};

/// Reads labels for the rows of `table`. Throws frugal::input_error with file:line:column for a
/// missing column, an id that is not in the predictions, a label that is not 0/1, or a
/// conflicting second label from one annotator.
resolved_labels read_labels(const std::string& path, const prediction_table& table,
                            const id_index& index);
resolved_labels parse_labels(std::string_view text, const std::string& source,
                             const prediction_table& table, const id_index& index);

/// Labels taken from the predictions' own `label` column (simulated annotators).
resolved_labels labels_from_column(const prediction_table& table);

}  // namespace frugal::io
