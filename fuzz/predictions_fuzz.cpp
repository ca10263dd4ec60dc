// libFuzzer target for the predictions readers. For any bytes, parse_predictions as CSV, TSV and
// JSONL must return a table or throw frugal::input_error, nothing else; a table must be
// consistent; and CSV/TSV must agree with the reference reader (tests/unit/
// reference_predictions.hpp): the same rows, or the same error at the same line and column.
// Each input is read twice: with the default options, and with --models, a parent column and
// keep_content, so that the column-choice code is fuzzed too.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/io/predictions.hpp"
#include "unit/reference_predictions.hpp"

namespace {

using namespace frugal;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "predictions_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_consistent(const io::prediction_table& table, const io::read_options& options) {
  const std::size_t rows = table.size();
  if (rows == 0) fail("table", "a table without rows was returned");
  if (table.id_hashes.size() != rows || table.votes.size() != rows || table.lines.size() != rows)
    fail("table", "column sizes differ");
  if (table.has_labels != (table.labels.size() == rows)) fail("table", "labels");
  if (options.parent_column.empty() != table.parent_votes.empty()) fail("table", "parent votes");
  if (table.content.size() != (options.keep_content && table.has_content_column ? rows : 0))
    fail("table", "content");
  if (table.member_count() == 0 || table.member_count() > io::max_members)
    fail("table", "member count");
  for (std::size_t row = 0; row < rows; ++row) {
    if (table.ids[row].empty()) fail("table", "empty id");
    if (table.votes[row] >> table.member_count() != 0) fail("table", "stray vote bits");
    if (row > 0 && table.lines[row] <= table.lines[row - 1]) fail("table", "lines not increasing");
  }
  const io::id_index index(table);  // ids are unique, or this throws
  for (std::size_t row = 0; row < rows; ++row) {
    if (index.find(table.ids[row]) != static_cast<std::ptrdiff_t>(row)) fail("table", "id_index");
  }
}

void check_format(std::string_view text, io::table_format format, io::read_options options) {
  options.format = format;
  options.threads = 1;
  const char delimiter = format == io::table_format::tsv ? '\t' : ',';
  std::optional<testing::reference_result> expected;
  if (format != io::table_format::jsonl)
    expected = testing::read_reference_predictions(text, delimiter, options);
  try {
    const io::prediction_table table = io::parse_predictions(text, "fuzz", options);
    check_consistent(table, options);
    if (expected) {
      if (!expected->ok()) fail("accepted what the reference refuses", expected->error->message);
      const std::string difference = testing::difference(*expected->table, table);
      if (!difference.empty()) fail("differs from the reference", difference);
    }
  } catch (const input_error& error) {
    if (expected) {
      if (expected->ok()) fail("refused what the reference accepts", error.what());
      if (error.line() != expected->error->line || error.column() != expected->error->column ||
          error.message() != expected->error->message)
        fail("error differs from the reference",
             std::string(error.what()) + " | reference: " + std::to_string(expected->error->line) +
                 ":" + std::to_string(expected->error->column) + ": " + expected->error->message);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  io::read_options chosen;
  chosen.models = {"m2", "m1"};
  chosen.parent_column = "ens";
  chosen.keep_content = true;
  for (const io::read_options& options : {io::read_options{}, chosen}) {
    check_format(text, io::table_format::csv, options);
    check_format(text, io::table_format::tsv, options);
    check_format(text, io::table_format::jsonl, options);
  }
  return 0;
}
