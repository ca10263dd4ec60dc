// libFuzzer target for the feature-table reader: for any bytes, parse_feature_table returns a
// consistent table (one label per id, ids distinct and non-empty, size() * features finite
// values) or throws frugal::input_error with a line and a column.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/train/datasets.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "feature_table_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const frugal::train::feature_table table =
        frugal::train::parse_feature_table(text, "features.csv");
    if (table.labels.size() != table.ids.size()) fail("labels and ids disagree in count");
    if (table.features.size() != table.size() * table.feature_names.size())
      fail("features disagree with rows x feature names");
    const std::set<std::string> distinct(table.ids.begin(), table.ids.end());
    if (distinct.size() != table.ids.size()) fail("a duplicate id was accepted");
    if (distinct.count("") != 0) fail("an empty id was accepted");
    for (const std::string& name : table.feature_names) {
      if (name.empty() || name == "id" || name == "label") fail("a bad feature name");
    }
    for (const float value : table.features) {
      if (!std::isfinite(value)) fail("a non-finite feature was accepted");
    }
  } catch (const frugal::input_error& error) {
    if (error.file() != "features.csv") fail("an error that does not name the file");
    if (error.line() == 0 || error.column() == 0) fail("an error without a position");
  }
  return 0;
}
