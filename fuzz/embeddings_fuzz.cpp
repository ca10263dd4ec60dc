// libFuzzer target for the embedding reader (update::parse_embeddings): for any bytes it returns
// a table whose rows each have a unique non-empty id, a non-empty label and D >= 1 finite
// values, or throws frugal::input_error naming the file and a line. A small table is then used
// as its own gallery (leave-one-out) with both distances, and the fast retrieval must agree with
// the reference exactly, or both must reject the table.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

#include "frugal/error.hpp"
#include "frugal/update/retrieval.hpp"
#include "update/retrieval_reference.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "embeddings_fuzz: %s\n", what);
  std::abort();
}

void check(const update::embeddings& table) {
  const std::size_t rows = table.size();
  if (rows == 0) fail("a table without rows");
  if (table.dimension == 0) fail("a table without dimensions");
  if (table.value_columns.size() != table.dimension) fail("value columns are not D");
  if (table.values.size() != rows * table.dimension) fail("values are not rows x D");
  if (table.label_of.size() != rows || table.lines.size() != rows)
    fail("ids, labels and lines differ in size");
  std::unordered_set<std::string_view> seen;
  for (std::size_t row = 0; row < rows; ++row) {
    if (table.ids[row].empty()) fail("an empty id");
    if (!seen.insert(table.ids[row]).second) fail("a duplicate id accepted");
    if (table.label_of[row] >= table.labels.size()) fail("a label outside the names");
    if (table.label(row).empty()) fail("an empty label");
    if (table.lines[row] < 2 || (row > 0 && table.lines[row] <= table.lines[row - 1]))
      fail("row lines that do not increase after the header");
  }
  for (const float value : table.values)
    if (!std::isfinite(value)) fail("a value that is not finite");
}

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || a == b;
}

void compare_with_reference(const update::embeddings& table, update::distance_metric metric) {
  update::retrieval_metrics fast, reference;
  bool fast_ok = false, reference_ok = false;
  update::retrieval_options options;
  options.metric = metric;
  options.threads = 2;
  try {
    fast = update::evaluate_retrieval(table, table, options);
    fast_ok = true;
  } catch (const input_error& error) {
    if (error.file() != "e.csv") fail("a retrieval error that does not name the file");
  }
  try {
    reference = update::detail::evaluate_retrieval_reference(table, table, metric);
    reference_ok = true;
  } catch (const input_error&) {
  }
  if (fast_ok != reference_ok) fail("fast and reference disagree on whether the input is valid");
  if (!fast_ok) return;
  if (fast.nearest != reference.nearest || fast.top1_hits != reference.top1_hits ||
      fast.self_matches != table.size() ||
      fast.queries_without_relevant != reference.queries_without_relevant ||
      !same(fast.mean_average_precision, reference.mean_average_precision) ||
      !same(fast.chance_top1, reference.chance_top1))
    fail("fast and reference retrieval disagree");
  for (std::size_t q = 0; q < table.size(); ++q)
    if (!same(fast.average_precision[q], reference.average_precision[q]))
      fail("fast and reference disagree on an average precision");
  const double map = fast.mean_average_precision;
  if (!(fast.top1 >= 0 && fast.top1 <= 1) || (!std::isnan(map) && !(map > 0 && map <= 1)))
    fail("a metric outside [0, 1]");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  update::embeddings table;
  try {
    table = update::parse_embeddings(text, "e.csv");
  } catch (const input_error& error) {
    if (error.file() != "e.csv") fail("an error that does not name the file");
    if (error.line() == 0) fail("an error without a line");
    return 0;
  }
  check(table);
  // Retrieval is O(n^2 D): only small tables, which is all a 4 kB input holds anyway.
  if (table.size() >= 2 && table.size() * table.size() * table.dimension <= 100000) {
    compare_with_reference(table, update::distance_metric::l2);
    compare_with_reference(table, update::distance_metric::cosine);
  }
  return 0;
}
