// libFuzzer target for the labels reader: for any bytes, parse_labels returns labels for the
// rows of the predictions, consistent with their counts, or throws frugal::input_error.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/predictions.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "labels_fuzz: %s\n", what);
  std::abort();
}

const io::prediction_table& predictions() {
  static const io::prediction_table table = [] {
    io::read_options options;
    options.format = io::table_format::csv;
    options.threads = 1;
    return io::parse_predictions("id,a,b\nx,1,0\ny,0,1\nz,1,1\n\"a b\",0,0\n\"q\"\"\",1,0\n1,0,0\n",
                                 "predictions.csv", options);
  }();
  return table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const io::id_index index(predictions());
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const io::resolved_labels labels = io::parse_labels(text, "labels.csv", predictions(), index);
    if (labels.by_row.size() != predictions().size()) fail("by_row has the wrong size");
    std::size_t labelled = 0, tied = 0;
    for (const std::int8_t label : labels.by_row) {
      if (label == 0 || label == 1)
        ++labelled;
      else if (label == io::resolved_labels::tied)
        ++tied;
      else if (label != io::resolved_labels::unlabelled)
        fail("a label that is not -1, 0, 1 or tied");
    }
    if (labelled != labels.labelled_items) fail("labelled_items disagrees with by_row");
    if (tied != labels.tied_items) fail("tied_items disagrees with by_row");
    if (labels.records < labelled + tied) fail("fewer records than labelled items");
  } catch (const input_error& error) {
    if (error.file() != "labels.csv") fail("an error that does not name the labels file");
    if (error.line() == 0 || error.column() == 0) fail("an error without a position");
  }
  return 0;
}
