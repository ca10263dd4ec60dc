#pragma once
/// The drill-down report of a model update: one self-contained HTML file (inline SVG and CSS, no
/// script, no URL) showing the three error regions (both wrong, only the old model wrong = positive
/// flips, only the new model wrong = negative flips), the negative flips per class, the summary
/// metrics with their intervals, the gate verdict when there is one, and a table of the flipped
/// items with their content.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace frugal::report {

struct update_report_value {
  std::string name;  ///< e.g. "NFR"
  /// Unset when the metric is undefined or was not estimated; `note` then says why.
  std::optional<double> value, lower, upper;
  std::string note;
};

struct update_report_class {
  std::string name;
  std::size_t items = 0;      ///< the group's size (labelled items of the class, or old-predicted)
  double negative_flips = 0;  ///< count (or estimated count when sampled)
  std::optional<double> nfr, lower, upper;
};

struct update_report_item {
  std::string id, old_prediction, new_prediction, true_class, content;
  bool negative = false;  ///< a negative flip (old right, new wrong); else a positive flip
};

struct update_report_input {
  std::string title;
  std::string old_source, new_source, labels_source;
  double confidence = 0.95;
  /// True: estimates from a disagreement sample (`update estimate`); false: a labelled set.
  bool sampled = false;
  std::size_t items = 0, labelled = 0, disagreements = 0;
  /// The three regions as shares of all items; both_wrong is unset without the labels it needs.
  update_report_value both_wrong, only_old_wrong, only_new_wrong;
  std::vector<update_report_value> metrics;  ///< accuracy, NFR, PFR, NFI, ... in display order
  std::string classes_basis;                 ///< what the per-class groups are, in words
  std::vector<update_report_class> classes;
  std::vector<update_report_item> flipped;  ///< negative flips first, then positive
  std::optional<std::string> certificate;   ///< e.g. "NFR <= 0.0041 at 95%"
  std::optional<std::string> gate;          ///< a one-line verdict
};

/// The page; every data string is escaped.
std::string update_report_html(const update_report_input& input);

}  // namespace frugal::report
