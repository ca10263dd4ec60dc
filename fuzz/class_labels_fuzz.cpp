// libFuzzer target for the class-labels reader (update::parse_class_labels): for any bytes, on a
// fixed pair of old and new predictions, it returns a valid class (or unlabelled, or tied) for
// every row, consistent with its counts, or throws frugal::input_error with file:line:column.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/update/model_predictions.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "class_labels_fuzz: %s\n", what);
  std::abort();
}

// The two models list the same five items in different orders (so pairing goes through the id
// index) and between them predict every class they know: cat, dog, bird.
struct fixed_pair {
  update::class_names classes;
  update::model_predictions old_model, new_model;
  update::model_pair pair;
  fixed_pair() {
    old_model = update::parse_model_predictions(
        "id,prediction\na,cat\nb,dog\n\"c,1\",bird\nd,cat\n\"q\"\"\",dog\n", "old.csv", classes);
    new_model = update::parse_model_predictions(
        "id,prediction\nd,dog\nb,dog\na,cat\n\"q\"\"\",bird\n\"c,1\",cat\n", "new.csv", classes);
    pair = update::pair_models(old_model, new_model);
  }
};

const fixed_pair& models() {
  static const fixed_pair fixed;
  return fixed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fixed_pair& fixed = models();
  const std::size_t known_classes = fixed.classes.size();
  // Labels may add classes: each input gets its own copy of the names.
  update::class_names classes = fixed.classes;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const update::class_labels labels =
        update::parse_class_labels(text, "labels.csv", fixed.pair, classes);
    if (labels.by_row.size() != fixed.pair.size()) fail("by_row has the wrong size");
    for (std::uint32_t c = 0; c < known_classes; ++c)
      if (classes.name(c) != fixed.classes.name(c)) fail("the labels renamed a known class");
    std::size_t labelled = 0, tied = 0;
    for (const std::uint32_t label : labels.by_row) {
      if (label == update::class_labels::tied)
        ++tied;
      else if (label == update::class_labels::unlabelled)
        continue;
      else if (label < classes.size())
        ++labelled;
      else
        fail("a label that is neither a class, unlabelled nor tied");
    }
    if (labelled != labels.labelled_items) fail("labelled_items disagrees with by_row");
    if (tied != labels.tied_items) fail("tied_items disagrees with by_row");
    if (labels.records < labelled + tied) fail("fewer records than labelled items");
    // Every class the labels added, and only those, is one that neither model predicts.
    if (labels.classes_only_in_labels.size() != classes.size() - known_classes)
      fail("classes_only_in_labels is not the classes the labels added");
    for (std::size_t i = 0; i < labels.classes_only_in_labels.size(); ++i)
      if (labels.classes_only_in_labels[i] != known_classes + i)
        fail("classes_only_in_labels is not the classes the labels added, in order");
  } catch (const input_error& error) {
    if (error.file() != "labels.csv") fail("an error that does not name the labels file");
    if (error.line() == 0 || error.column() == 0) fail("an error without a position");
  }
  return 0;
}
