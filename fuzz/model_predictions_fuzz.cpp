// libFuzzer target for the model-predictions reader (update::parse_model_predictions): for any
// bytes it returns one entry per row, each with a valid class index, or throws
// frugal::input_error naming the file. Reading with and without the optional columns kept must
// agree on everything both keep.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unordered_set>

#include "frugal/error.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/update/model_predictions.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "model_predictions_fuzz: %s\n", what);
  std::abort();
}

void check(const update::model_predictions& table, const update::class_names& classes, bool kept) {
  const std::size_t rows = table.size();
  if (rows == 0) fail("a table without rows");
  if (table.predictions.size() != rows || table.lines.size() != rows ||
      table.id_hashes.size() != rows)
    fail("ids, predictions, lines and id hashes differ in size");
  std::unordered_set<std::string_view> seen;
  for (std::size_t row = 0; row < rows; ++row) {
    if (table.predictions[row] >= classes.size()) fail("a prediction outside the class names");
    if (classes.name(table.predictions[row]).empty()) fail("an empty class name");
    if (table.ids[row].empty()) fail("an empty id");
    if (table.id_hashes[row] != io::hash_id(table.ids[row])) fail("a wrong id hash");
    if (!seen.insert(table.ids[row]).second) fail("a duplicate id accepted");
    if (table.lines[row] < 2 || (row > 0 && table.lines[row] <= table.lines[row - 1]))
      fail("row lines that do not increase after the header");
  }
  for (const std::string& name : table.score_classes)
    if (name.empty()) fail("a score column without a class");
  if (kept) {
    if (table.scores.size() != rows * table.score_classes.size())
      fail("scores are not rows x score classes");
    if (table.has_content_column && table.content.size() != rows)
      fail("content is not one per row");
  } else if (!table.scores.empty() || table.content.size() != 0) {
    fail("scores or content kept without being asked for");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  update::model_read_options keep;
  keep.keep_scores = true;
  keep.keep_content = true;
  update::class_names kept_classes, plain_classes;
  update::model_predictions kept, plain;
  bool kept_ok = false, plain_ok = false;
  try {
    kept = update::parse_model_predictions(text, "old.csv", kept_classes, keep);
    kept_ok = true;
  } catch (const input_error& error) {
    if (error.file() != "old.csv") fail("an error that does not name the file");
    if (error.line() == 0) fail("an error without a line");
  }
  try {
    plain = update::parse_model_predictions(text, "old.csv", plain_classes);
    plain_ok = true;
  } catch (const input_error&) {
  }
  if (kept_ok != plain_ok) fail("keeping scores and content changed whether the file is valid");
  if (!kept_ok) return 0;
  check(kept, kept_classes, true);
  check(plain, plain_classes, false);
  if (kept.size() != plain.size() || kept.fingerprint != plain.fingerprint ||
      kept.score_classes != plain.score_classes ||
      kept.has_content_column != plain.has_content_column || kept.lines != plain.lines ||
      kept.predictions != plain.predictions || kept_classes.all() != plain_classes.all())
    fail("the two readings disagree");
  for (std::size_t row = 0; row < kept.size(); ++row)
    if (kept.ids[row] != plain.ids[row]) fail("the two readings disagree on an id");
  // A model paired with itself: same items, no disagreement.
  const update::model_pair pair = update::pair_models(kept, kept);
  if (pair.size() != kept.size() || pair.disagreements != 0) fail("a model differs from itself");
  return 0;
}
