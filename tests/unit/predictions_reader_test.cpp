// Tests of io::read_predictions / io::parse_predictions: the same data in every format, RFC 4180
// details, column choice, every error with its position, two-thread parsing, and agreement with
// the slow reference reader on generated inputs.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/io/predictions.hpp"
#include "unit/reference_predictions.hpp"

namespace frugal::io {
namespace {

// Designated initialisers would be shorter, but GCC 12 warns (-Wmissing-field-initializers).
read_options keep_content() {
  read_options options;
  options.keep_content = true;
  return options;
}

read_options one_thread() {
  read_options options;
  options.threads = 1;
  return options;
}

read_options models(std::vector<std::string> names) {
  read_options options;
  options.models = std::move(names);
  return options;
}

read_options parent(std::string column) {
  read_options options;
  options.parent_column = std::move(column);
  return options;
}

read_options models_and_parent(std::vector<std::string> names, std::string column) {
  read_options options = models(std::move(names));
  options.parent_column = std::move(column);
  return options;
}

read_options with_format(table_format format, read_options options = {}) {
  options.format = format;
  options.threads = 1;
  return options;
}

prediction_table parse(std::string_view text, table_format format = table_format::csv,
                       read_options options = {}) {
  return parse_predictions(text, "test.in", with_format(format, std::move(options)));
}

// The error parsing `text` throws; fails the test when it does not throw.
input_error error_of(std::string_view text, table_format format = table_format::csv,
                     read_options options = {}) {
  try {
    parse(text, format, std::move(options));
  } catch (const input_error& error) {
    return error;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return input_error("no error");
}

#define EXPECT_INPUT_ERROR(error, expected_line, expected_column, fragment)        \
  do {                                                                             \
    const input_error& e_ = (error);                                               \
    EXPECT_EQ(e_.file(), "test.in");                                               \
    EXPECT_EQ(e_.line(), std::size_t{expected_line}) << e_.what();                 \
    EXPECT_EQ(e_.column(), std::size_t{expected_column}) << e_.what();             \
    EXPECT_NE(e_.message().find(fragment), std::string::npos)                      \
        << "\"" << e_.message() << "\" does not mention \"" << (fragment) << "\""; \
  } while (false)

std::vector<std::string> ids_of(const prediction_table& table) {
  std::vector<std::string> ids;
  for (std::size_t row = 0; row < table.size(); ++row) ids.emplace_back(table.ids[row]);
  return ids;
}

std::vector<std::string> content_of(const prediction_table& table) {
  std::vector<std::string> content;
  for (std::size_t row = 0; row < table.content.size(); ++row)
    content.emplace_back(table.content[row]);
  return content;
}

// Every row-level column of two tables (not `source`; JSONL has no header line, so its rows start
// a line earlier).
void expect_same_rows(const prediction_table& a, const prediction_table& b,
                      std::uint32_t line_shift = 0) {
  EXPECT_EQ(a.model_names, b.model_names);
  EXPECT_EQ(a.parent_column, b.parent_column);
  EXPECT_EQ(ids_of(a), ids_of(b));
  EXPECT_EQ(a.id_hashes, b.id_hashes);
  EXPECT_EQ(a.votes, b.votes);
  EXPECT_EQ(a.parent_votes, b.parent_votes);
  EXPECT_EQ(a.labels, b.labels);
  std::vector<std::uint32_t> shifted = b.lines;
  for (std::uint32_t& line : shifted) line += line_shift;
  EXPECT_EQ(a.lines, shifted);
  EXPECT_EQ(content_of(a), content_of(b));
  EXPECT_EQ(a.has_labels, b.has_labels);
  EXPECT_EQ(a.has_content_column, b.has_content_column);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
}

// ---------------------------------------------------------------------------------------------
// The same data in CSV, TSV and JSONL.

const char* const sample_csv =
    "id,a,b,c,label,content\n"
    "x1,1,0,1,1,hello\n"
    "x2,0,0,1,0,\"with, comma\"\n"
    "x3,true,false,0,,\"say \"\"hi\"\"\"\n";

const char* const sample_tsv =
    "id\ta\tb\tc\tlabel\tcontent\n"
    "x1\t1\t0\t1\t1\thello\n"
    "x2\t0\t0\t1\t0\twith, comma\n"
    "x3\ttrue\tfalse\t0\t\t\"say \"\"hi\"\"\"\n";

const char* const sample_jsonl =
    R"({"id": "x1", "a": 1, "b": 0, "c": 1, "label": 1, "content": "hello"})"
    "\n"
    R"({"id": "x2", "a": false, "b": "0", "c": true, "label": "0", "content": "with, comma"})"
    "\n"
    R"({"id": "x3", "a": "true", "b": 0, "c": 0, "label": null, "content": "say \"hi\""})"
    "\n";

TEST(PredictionsReader, ReadsTheSampleWithExactValues) {
  const prediction_table table = parse(sample_csv, table_format::csv, keep_content());
  EXPECT_EQ(table.source, "test.in");
  EXPECT_EQ(table.model_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"x1", "x2", "x3"}));
  // Bit j is member j: a = bit 0, b = bit 1, c = bit 2.
  EXPECT_EQ(table.votes, (std::vector<std::uint64_t>{0b101, 0b100, 0b001}));
  EXPECT_TRUE(table.has_labels);
  EXPECT_EQ(table.labels, (std::vector<std::int8_t>{1, 0, -1}));
  EXPECT_TRUE(table.has_content_column);
  EXPECT_EQ(content_of(table), (std::vector<std::string>{"hello", "with, comma", "say \"hi\""}));
  EXPECT_EQ(table.lines, (std::vector<std::uint32_t>{2, 3, 4}));
  EXPECT_TRUE(table.parent_votes.empty());
  EXPECT_EQ(table.member_count(), 3u);
  EXPECT_EQ(table.size(), 3u);
  ASSERT_EQ(table.id_hashes.size(), 3u);
  EXPECT_NE(table.id_hashes[0], table.id_hashes[1]);
  EXPECT_EQ(fingerprint_hex(table.fingerprint).size(), 16u);
  EXPECT_EQ(fingerprint_hex(0x00ab), "00000000000000ab");
}

TEST(PredictionsReader, CsvTsvAndJsonlGiveTheSameTable) {
  const read_options keep = keep_content();
  const prediction_table csv = parse(sample_csv, table_format::csv, keep);
  const prediction_table tsv = parse(sample_tsv, table_format::tsv, keep);
  const prediction_table jsonl = parse(sample_jsonl, table_format::jsonl, keep);
  expect_same_rows(csv, tsv);
  expect_same_rows(csv, jsonl, 1);
  EXPECT_EQ(jsonl.lines, (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(fingerprint_hex(csv.fingerprint), fingerprint_hex(jsonl.fingerprint));
}

TEST(PredictionsReader, FormatIsChosenByExtensionOrSniffed) {
  EXPECT_EQ(detect_format("p.tsv", ""), table_format::tsv);
  EXPECT_EQ(detect_format("p.tab", ""), table_format::tsv);
  EXPECT_EQ(detect_format("p.jsonl", ""), table_format::jsonl);
  EXPECT_EQ(detect_format("p.ndjson", ""), table_format::jsonl);
  EXPECT_EQ(detect_format("p.json", ""), table_format::jsonl);
  EXPECT_EQ(detect_format("p.csv", "{\"id\": 1}"), table_format::csv);
  EXPECT_EQ(detect_format("-", "  {\"id\": 1}\n"), table_format::jsonl);
  EXPECT_EQ(detect_format("-", "\xEF\xBB\xBFid\ta\n"), table_format::tsv);
  EXPECT_EQ(detect_format("-", "id\ta,b\n"), table_format::csv);
  EXPECT_EQ(detect_format("-", "id,a\n"), table_format::csv);

  const prediction_table sniffed = parse_predictions(sample_tsv, "stdin", one_thread());
  expect_same_rows(sniffed, parse(sample_tsv, table_format::tsv));
}

TEST(PredictionsReader, LabelAndContentDoNotChangeTheFingerprint) {
  const std::uint64_t plain = parse("id,a,b,c\nx1,1,0,1\nx2,0,0,1\nx3,1,0,0\n").fingerprint;
  EXPECT_EQ(parse(sample_csv).fingerprint, plain);
  EXPECT_EQ(parse("id,a,b,c,label\nx1,1,0,1,0\nx2,0,0,1,1\nx3,1,0,0,1\n").fingerprint, plain);
  EXPECT_EQ(parse("content,id,a,b,c\nq,x1,1,0,1\nr,x2,0,0,1\ns,x3,1,0,0\n").fingerprint, plain);
  EXPECT_EQ(parse("id,a,b,c,image\nx1,1,0,1,p\nx2,0,0,1,q\nx3,1,0,0,r\n").fingerprint, plain);
  // But a vote, an id, the row order, a model name or the members' order does.
  EXPECT_NE(parse("id,a,b,c\nx1,1,0,1\nx2,0,0,1\nx3,1,0,1\n").fingerprint, plain);
  EXPECT_NE(parse("id,a,b,c\nx1,1,0,1\nx2,0,0,1\nx4,1,0,0\n").fingerprint, plain);
  EXPECT_NE(parse("id,a,b,c\nx2,0,0,1\nx1,1,0,1\nx3,1,0,0\n").fingerprint, plain);
  EXPECT_NE(parse("id,a,b,d\nx1,1,0,1\nx2,0,0,1\nx3,1,0,0\n").fingerprint, plain);
  EXPECT_NE(parse("id,c,b,a\nx1,1,0,1\nx2,1,0,0\nx3,0,0,1\n").fingerprint, plain);
  // Choosing the members back into file order gives the file's fingerprint again.
  EXPECT_EQ(
      parse("id,c,b,a\nx1,1,0,1\nx2,1,0,0\nx3,0,0,1\n", table_format::csv, models({"a", "b", "c"}))
          .fingerprint,
      plain);
}

// ---------------------------------------------------------------------------------------------
// RFC 4180 and friends.

TEST(PredictionsReader, QuotedFieldsHoldDelimitersQuotesAndNewlines) {
  const std::string text =
      "\"id\",\"a\",content\n"
      "\"x,1\",\"1\",\"line one\nline two\"\n"
      "\"say \"\"x\"\"\",0,\"\"\n"
      "x3,1,\"crlf\r\ninside\"\r\n"
      "\"\"\"\",0,plain \"unquoted\" quotes\n";
  const prediction_table table = parse(text, table_format::csv, keep_content());
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"x,1", "say \"x\"", "x3", "\""}));
  EXPECT_EQ(table.votes, (std::vector<std::uint64_t>{1, 0, 1, 0}));
  EXPECT_EQ(content_of(table), (std::vector<std::string>{"line one\nline two", "", "crlf\r\ninside",
                                                         "plain \"unquoted\" quotes"}));
  EXPECT_EQ(table.lines, (std::vector<std::uint32_t>{2, 4, 5, 7}));
}

TEST(PredictionsReader, TabsInsideQuotedTsvFields) {
  const prediction_table table = parse("id\ta\tcontent\n\"x\t1\"\t1\t\"a\tb\"\nx2\t0\tc,d\n",
                                       table_format::tsv, keep_content());
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"x\t1", "x2"}));
  EXPECT_EQ(content_of(table), (std::vector<std::string>{"a\tb", "c,d"}));
  EXPECT_EQ(table.votes, (std::vector<std::uint64_t>{1, 0}));
}

TEST(PredictionsReader, BomCrlfAndBlankLines) {
  const prediction_table plain = parse("id,a,b\nx,1,0\ny,0,1\n");
  const prediction_table dressed =
      parse("\xEF\xBB\xBF\r\n\nid,a,b\r\n\r\nx,1,0\r\n\n\r\ny,0,1\r\n\r\n\n");
  EXPECT_EQ(ids_of(dressed), ids_of(plain));
  EXPECT_EQ(dressed.votes, plain.votes);
  EXPECT_EQ(dressed.fingerprint, plain.fingerprint);
  EXPECT_EQ(dressed.model_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(dressed.lines, (std::vector<std::uint32_t>{5, 8}));
  // No final line break.
  const prediction_table unterminated = parse("id,a,b\nx,1,0\ny,0,1");
  EXPECT_EQ(unterminated.fingerprint, plain.fingerprint);
  // The BOM is not part of the first column's name, and takes no column.
  EXPECT_INPUT_ERROR(error_of("\xEF\xBB\xBFid,a,a\nx,1,0\n"), 1, 6, "\"a\" appears twice");
}

TEST(PredictionsReader, LoneCarriageReturnIsAnOrdinaryCharacter) {
  // Line breaks are LF or CRLF (DESIGN.md §4); a CR alone is data, so it spoils a vote here.
  EXPECT_INPUT_ERROR(error_of("id,a\nx,1\ry,0\n"), 2, 3, "vote \"1\ry");
  const prediction_table table =
      parse("id,a,content\nx\r1,1,\"a\rb\"\ny,0,c\n", table_format::csv, keep_content());
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"x\r1", "y"}));
  EXPECT_EQ(content_of(table), (std::vector<std::string>{"a\rb", "c"}));
  EXPECT_EQ(table.lines, (std::vector<std::uint32_t>{2, 3}));
}

TEST(PredictionsReader, ModelsChooseAndReorderColumns) {
  const std::string text = "id,a,b,c,d\nx,1,0,1,no\ny,0,1,1,no\n";
  const prediction_table table = parse(text, table_format::csv, models({"c", "a"}));
  EXPECT_EQ(table.model_names, (std::vector<std::string>{"c", "a"}));
  // c is bit 0, a is bit 1; b and d are ignored (d's "no" would not be a vote).
  EXPECT_EQ(table.votes, (std::vector<std::uint64_t>{0b11, 0b01}));
  EXPECT_INPUT_ERROR(error_of(text), 2, 9, "vote \"no\" for model \"d\"");
  // Ignored columns still count as fields.
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1\n", table_format::csv, models({"a"})), 2, 1,
                     "row has 2 fields, the header has 3");
}

TEST(PredictionsReader, ParentColumnHoldsTheEnsembleVotes) {
  const std::string text = "id,a,b,ens\nx,1,0,1\ny,0,1,false\nz,0,0,0\n";
  const prediction_table table = parse(text, table_format::csv, parent("ens"));
  EXPECT_EQ(table.model_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(table.parent_column, "ens");
  EXPECT_EQ(table.parent_votes, (std::vector<std::uint8_t>{1, 0, 0}));
  EXPECT_EQ(table.votes, (std::vector<std::uint64_t>{0b01, 0b10, 0b00}));
  // The parent's votes are part of the fingerprint.
  const prediction_table flipped =
      parse("id,a,b,ens\nx,1,0,0\ny,0,1,false\nz,0,0,0\n", table_format::csv, parent("ens"));
  EXPECT_NE(flipped.fingerprint, table.fingerprint);
  // Same in JSONL.
  const prediction_table jsonl = parse(
      "{\"id\":\"x\",\"a\":1,\"b\":0,\"ens\":1}\n{\"id\":\"y\",\"a\":0,\"b\":1,\"ens\":false}\n"
      "{\"id\":\"z\",\"a\":0,\"b\":0,\"ens\":\"0\"}\n",
      table_format::jsonl, parent("ens"));
  expect_same_rows(table, jsonl, 1);

  EXPECT_INPUT_ERROR(error_of("id,a,ens\nx,1,2\n", table_format::csv, parent("ens")), 2, 5,
                     "ensemble vote \"2\" in column \"ens\"");
  EXPECT_INPUT_ERROR(error_of(text, table_format::csv, parent("nope")), 1, 1,
                     "ensemble column \"nope\"");
  EXPECT_INPUT_ERROR(error_of("id,a,label\nx,1,1\n", table_format::csv, parent("label")), 1, 1,
                     "ensemble column \"label\"");
  EXPECT_INPUT_ERROR(error_of("id,a,image\nx,1,1\n", table_format::csv, parent("image")), 1, 1,
                     "ensemble column \"image\"");
  EXPECT_INPUT_ERROR(error_of(text, table_format::csv, models_and_parent({"a", "ens"}, "ens")), 1,
                     1, "model \"ens\"");
}

TEST(PredictionsReader, KeepContentOnlyWhenAsked) {
  const prediction_table dropped = parse(sample_csv);
  EXPECT_TRUE(dropped.has_content_column);
  EXPECT_EQ(dropped.content.size(), 0u);
  const prediction_table kept = parse(sample_csv, table_format::csv, keep_content());
  EXPECT_EQ(content_of(kept), (std::vector<std::string>{"hello", "with, comma", "say \"hi\""}));
  // Without a content column there is nothing to keep.
  EXPECT_EQ(parse("id,a\nx,1\n", table_format::csv, keep_content()).content.size(), 0u);
  EXPECT_FALSE(parse("id,a\nx,1\n").has_content_column);
  // JSONL: a missing content key is an empty text.
  const prediction_table jsonl =
      parse("{\"id\":\"x\",\"a\":1,\"content\":\"t\"}\n{\"id\":\"y\",\"a\":0}\n",
            table_format::jsonl, keep_content());
  EXPECT_EQ(content_of(jsonl), (std::vector<std::string>{"t", ""}));
}

TEST(PredictionsReader, ImageAndLabelAreNotMembers) {
  const prediction_table table = parse("image,id,label,m\np.png,x,1,0\nq.png,y,,1\n");
  EXPECT_EQ(table.model_names, (std::vector<std::string>{"m"}));
  EXPECT_EQ(table.labels, (std::vector<std::int8_t>{1, -1}));
  EXPECT_INPUT_ERROR(error_of("id,a,label\nx,1,maybe\n"), 2, 5,
                     "label \"maybe\" is not 0, 1, true, false or empty");
}

TEST(PredictionsReader, ReadsFromAFile) {
  char path[] = "/tmp/frugal-predictions-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out << sample_csv;
  }
  const prediction_table table = read_predictions(path, one_thread());
  EXPECT_EQ(table.source, path);
  expect_same_rows(table, parse(sample_csv));
  { std::ofstream truncate(path, std::ios::binary | std::ios::trunc); }
  try {
    read_predictions(path);
    ADD_FAILURE() << "an empty file was accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.line(), 1u);
    EXPECT_NE(error.message().find("empty"), std::string::npos) << error.what();
  }
  std::remove(path);
  EXPECT_THROW(read_predictions(path), input_error);
}

// ---------------------------------------------------------------------------------------------
// Every error with its position.

TEST(PredictionsReaderErrors, MissingIdColumn) {
  EXPECT_INPUT_ERROR(error_of("name,a\nx,1\n"), 1, 1, "no \"id\" column");
  EXPECT_INPUT_ERROR(error_of("\n\nname\ta\nx\t1\n", table_format::tsv), 3, 1, "no \"id\" column");
  EXPECT_INPUT_ERROR(error_of("{\"name\":\"x\",\"a\":1}\n", table_format::jsonl), 1, 1,
                     "no \"id\" column");
}

TEST(PredictionsReaderErrors, DuplicateIdNamesBothLines) {
  const input_error error = error_of("id,a\nx,1\ny,0\n\nx,0\n");
  EXPECT_INPUT_ERROR(error, 5, 1, "duplicate id \"x\"");
  EXPECT_NE(error.message().find("line 2"), std::string::npos) << error.what();
  EXPECT_EQ(std::string(error.what()).rfind("test.in:5:1: ", 0), 0u) << error.what();
  EXPECT_INPUT_ERROR(
      error_of("{\"id\":\"x\",\"a\":1}\n{\"id\":\"x\",\"a\":0}\n", table_format::jsonl), 2, 1,
      "first seen on line 1");
  // A quoted id is the same id as its unquoted spelling.
  EXPECT_INPUT_ERROR(error_of("id,a\n\"x\",1\nx,0\n"), 3, 1, "first seen on line 2");
}

// The id index is built in two halves split by the top bit of the id hash; whichever half holds
// the earlier duplicate, that one is reported. 64 id pairs make a pair split across the halves
// all but certain (a regression found by predictions_fuzz).
TEST(PredictionsReaderErrors, TwoDuplicatesReportTheEarlierOne) {
  for (int pair = 0; pair < 64; ++pair) {
    const std::string p = "p" + std::to_string(pair);
    const std::string q = "q" + std::to_string(pair);
    EXPECT_INPUT_ERROR(error_of("id,a\n" + p + ",1\n" + q + ",1\n" + p + ",0\n" + q + ",0\n"), 4, 1,
                       "duplicate id \"" + p + "\" (first seen on line 2)");
    EXPECT_INPUT_ERROR(error_of("id,a\n" + p + ",1\n" + q + ",1\n" + q + ",0\n" + p + ",0\n"), 4, 1,
                       "duplicate id \"" + q + "\" (first seen on line 3)");
  }
}

TEST(PredictionsReaderErrors, VoteThatIsNotABinaryValue) {
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1,0\ny,1,2\n"), 3, 5,
                     "vote \"2\" for model \"b\" is not 0, 1, true or false");
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,,0\n"), 2, 3, "vote \"\" for model \"a\"");
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,TRUE,0\n"), 2, 3, "vote \"TRUE\"");
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1, 0\n"), 2, 5, "vote \" 0\"");
  EXPECT_INPUT_ERROR(error_of("id\ta\tb\nx\t1\tyes\n", table_format::tsv), 2, 5, "vote \"yes\"");
  // The position is where the field starts, even when a quoted field spans lines.
  EXPECT_INPUT_ERROR(error_of("id,content,a\nx,\"one\ntwo\",1\ny,\"three\nfour\",\"5\"\n"), 5, 7,
                     "vote \"5\"");
  EXPECT_INPUT_ERROR(error_of("id,a\nx,\"1\n\"\n"), 2, 3, "vote \"1\n\"");
  EXPECT_INPUT_ERROR(error_of("{\"id\":\"x\",\"a\":2}\n", table_format::jsonl), 1, 15, "vote 2");
  EXPECT_INPUT_ERROR(error_of("{\"id\":\"x\",\"a\":0.5}\n", table_format::jsonl), 1, 15,
                     "vote 0.5");
}

TEST(PredictionsReaderErrors, WrongNumberOfFields) {
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1,0\ny,1\n"), 3, 1, "row has 2 fields, the header has 3");
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1,0\ny,1,0,1,,\n"), 3, 1,
                     "row has 6 fields, the header has 3");
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1,0\ny,1,0,\n"), 3, 1, "row has 4 fields");
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx\n"), 2, 1, "row has 1 fields, the header has 3");
  EXPECT_INPUT_ERROR(error_of("id\ta\tb\nx\t1\n", table_format::tsv), 2, 1, "row has 2 fields");
  // A comma is not a TSV delimiter.
  EXPECT_INPUT_ERROR(error_of("id\ta\nx,1\n", table_format::tsv), 2, 1, "row has 1 fields");
}

TEST(PredictionsReaderErrors, EmptyFile) {
  EXPECT_INPUT_ERROR(error_of(""), 1, 1, "the file is empty");
  EXPECT_INPUT_ERROR(error_of("\n\r\n\n"), 1, 1, "the file is empty");
  EXPECT_INPUT_ERROR(error_of("\xEF\xBB\xBF"), 1, 1, "the file is empty");
  EXPECT_INPUT_ERROR(error_of("", table_format::tsv), 1, 1, "the file is empty");
  EXPECT_INPUT_ERROR(error_of("", table_format::jsonl), 1, 1, "the file is empty");
  EXPECT_INPUT_ERROR(error_of("\n  \n", table_format::jsonl), 1, 1, "the file is empty");
}

TEST(PredictionsReaderErrors, HeaderOnly) {
  // Reported where the first data row was expected.
  EXPECT_INPUT_ERROR(error_of("id,a\n"), 2, 1, "no data rows");
  EXPECT_INPUT_ERROR(error_of("id,a"), 1, 1, "no data rows");
  EXPECT_INPUT_ERROR(error_of("id,a\r\n\r\n\n"), 4, 1, "no data rows");
}

TEST(PredictionsReaderErrors, UnterminatedQuote) {
  // Reported where the quote opens.
  EXPECT_INPUT_ERROR(error_of("id,a\nx,1\ny,\"0\nz,1\n"), 3, 3, "quoted field is never closed");
  EXPECT_INPUT_ERROR(error_of("id,\"a\n"), 1, 4, "quoted field is never closed");
  EXPECT_INPUT_ERROR(error_of("id,a\n\"x\"\"\n"), 2, 1, "quoted field is never closed");
}

TEST(PredictionsReaderErrors, JunkAfterClosingQuote) {
  EXPECT_INPUT_ERROR(error_of("id,a\n\"x\"y,1\n"), 2, 4,
                     "unexpected character after a closing quote");
  EXPECT_INPUT_ERROR(error_of("id,a\nx,\"1\" \n"), 2, 6, "after a closing quote");
  EXPECT_INPUT_ERROR(error_of("id,a\nx,\"1\"\r"), 2, 6, "after a closing quote");
  // After a quoted field spanning lines, the column is counted on the line of the junk.
  EXPECT_INPUT_ERROR(error_of("id,content,a\nx,\"one\ntwo\"!,1\n"), 3, 5, "after a closing quote");
  EXPECT_INPUT_ERROR(error_of("\"id\"x,a\nx,1\n"), 1, 5, "after a closing quote");
}

TEST(PredictionsReaderErrors, UnknownOrRepeatedModel) {
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1,0\n", table_format::csv, models({"a", "zz"})), 1, 1,
                     "model \"zz\" is not a vote column");
  EXPECT_INPUT_ERROR(error_of("id,a,label\nx,1,0\n", table_format::csv, models({"label"})), 1, 1,
                     "model \"label\" is not a vote column");
  EXPECT_INPUT_ERROR(error_of("id,a,b\nx,1,0\n", table_format::csv, models({"a", "b", "a"})), 1, 1,
                     "model \"a\" is listed twice");
  EXPECT_INPUT_ERROR(error_of("{\"id\":\"x\",\"a\":1}\n", table_format::jsonl, models({"b"})), 1, 1,
                     "model \"b\"");
}

TEST(PredictionsReaderErrors, NoMembersOrTooMany) {
  EXPECT_INPUT_ERROR(error_of("id,label\nx,1\n"), 1, 1, "no model columns");
  std::string header = "id";
  std::string row = "x";
  for (int j = 0; j < 64; ++j) {
    header += ",m" + std::to_string(j);
    row += ",1";
  }
  EXPECT_INPUT_ERROR(error_of(header + "\n" + row + "\n"), 1, 1,
                     "64 model columns; at most 63 members");
  // 63 fit, and every bit is used.
  const prediction_table table =
      parse(header.substr(0, header.rfind(',')) + "\n" + row.substr(0, row.rfind(',')) + "\n");
  EXPECT_EQ(table.member_count(), 63u);
  EXPECT_EQ(table.votes, (std::vector<std::uint64_t>{(std::uint64_t{1} << 63) - 1}));
  // Choosing 2 of the 64 is fine.
  EXPECT_EQ(parse(header + "\n" + row + "\n", table_format::csv, models({"m63", "m0"})).model_names,
            (std::vector<std::string>{"m63", "m0"}));
}

TEST(PredictionsReaderErrors, EmptyId) {
  EXPECT_INPUT_ERROR(error_of("id,a\nx,1\n,0\n"), 3, 1, "empty id");
  EXPECT_INPUT_ERROR(error_of("a,id\n1,x\n0,\"\"\n"), 3, 3, "empty id");
  EXPECT_INPUT_ERROR(error_of("{\"id\":\"\",\"a\":1}\n", table_format::jsonl), 1, 7, "empty id");
}

TEST(PredictionsReaderErrors, BadHeader) {
  EXPECT_INPUT_ERROR(error_of("id,a,,b\nx,1,1,1\n"), 1, 6, "empty column name");
  EXPECT_INPUT_ERROR(error_of("id,a,b,a\nx,1,1,1\n"), 1, 8, "\"a\" appears twice");
}

TEST(PredictionsReaderErrors, JsonlSpecifics) {
  EXPECT_INPUT_ERROR(
      error_of("{\"id\":\"x\",\"a\":1}\n{\"id\":\"y\",\"a\":}\n", table_format::jsonl), 2, 15,
      "invalid JSON");
  EXPECT_INPUT_ERROR(error_of("{\"id\":\"x\",\"a\":1}\n[1]\n", table_format::jsonl), 2, 1,
                     "must be a JSON object");
  EXPECT_INPUT_ERROR(error_of("{\"id\":\"x\",\"a\":1}\n{\"id\":\"y\"}\n", table_format::jsonl), 2,
                     1, "missing key \"a\"");
  EXPECT_INPUT_ERROR(
      error_of("{\"id\":\"x\",\"a\":1}\n{\"id\":\"y\",\"a\":1,\"b\":0}\n", table_format::jsonl), 2,
      17, "key \"b\" is not in the first line's keys");
  EXPECT_INPUT_ERROR(error_of("{\"id\":1.5,\"a\":1}\n", table_format::jsonl), 1, 7,
                     "neither a string nor an integer");
  // A number too large for a double is bad input, not an internal error.
  EXPECT_INPUT_ERROR(error_of("{\"id\":\"x\",\"a\":1e999}\n", table_format::jsonl), 1, 1,
                     "invalid JSON");
  // Integer ids are their decimal spelling.
  EXPECT_EQ(ids_of(parse("{\"id\":17,\"a\":1}\r\n\n{\"id\":\"18\",\"a\":0}", table_format::jsonl)),
            (std::vector<std::string>{"17", "18"}));
}

// ---------------------------------------------------------------------------------------------
// Two threads. The reader splits only inputs over 4 MiB.

constexpr std::size_t split_threshold = std::size_t{4} << 20;

std::string row_text(std::size_t i, const char* separator = "\n") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "r%07zu,%d,%d,plain%s", i, int(i % 3 == 0), int(i % 5 < 2),
                separator);
  return buffer;
}

// Rows r0000000... until the text is past `bytes`; returns the rows written.
std::size_t append_rows(std::string& text, std::size_t first, std::size_t bytes,
                        const char* separator = "\n") {
  std::size_t i = first;
  while (text.size() < bytes) text += row_text(i++, separator);
  return i;
}

prediction_table parse_threads(const std::string& text, unsigned threads,
                               read_options options = {}) {
  options.format = table_format::csv;
  options.threads = threads;
  return parse_predictions(text, "test.in", options);
}

input_error error_with_threads(const std::string& text, unsigned threads) {
  try {
    parse_threads(text, threads);
  } catch (const input_error& error) {
    return error;
  }
  ADD_FAILURE() << "no error with " << threads << " threads";
  return input_error("no error");
}

TEST(PredictionsReaderThreads, TwoThreadsGiveTheSameTable) {
  std::string text = "\xEF\xBB\xBFid,a,b,content\r\n";
  const std::size_t rows = append_rows(text, 0, split_threshold + 4096, "\r\n");
  ASSERT_GT(text.size(), split_threshold);
  const prediction_table one = parse_threads(text, 1, keep_content());
  const prediction_table two = parse_threads(text, 2, keep_content());
  ASSERT_EQ(one.size(), rows);
  expect_same_rows(one, two);
  EXPECT_EQ(two.lines.back(), rows + 1);
  EXPECT_EQ(two.ids[rows - 1], row_text(rows - 1).substr(0, 8));
}

// A text whose midpoint lies inside one quoted `content` field holding `inner`, one line a piece.
struct straddling_text {
  std::string text;
  std::size_t rows = 0;
  std::size_t quoted_begin = 0, quoted_end = 0;
  std::string content;  // the quoted field's value
};

straddling_text make_straddling(const std::vector<std::string>& inner) {
  straddling_text result;
  std::string& text = result.text;
  text = "id,a,b,content\n";
  std::string field = "\"";
  for (const std::string& line : inner) {
    field += line + "\n";
    for (std::size_t i = 0; i < line.size(); ++i) {
      result.content += line[i];
      if (line[i] == '"') ++i;  // a doubled quote is one quote
    }
    result.content += '\n';
  }
  field += "\"";
  const std::size_t half = split_threshold / 2 + 1024;
  std::size_t next = append_rows(text, 0, half);
  text += "big,1,1,";
  result.quoted_begin = text.size();
  text += field;
  result.quoted_end = text.size();
  text += "\n";
  next = append_rows(text, next, 2 * half + field.size() + 8);
  result.rows = next + 1;
  return result;
}

TEST(PredictionsReaderThreads, QuotedNewlinesAcrossTheMidpoint) {
  // Seen from the midpoint, the quoted text reads as rows of its own: some valid, some not.
  std::vector<std::string> valid, invalid;
  for (int i = 0; i < 4000; ++i) {
    valid.push_back("fake" + std::to_string(i) + ",1,0,text");
    invalid.push_back(i % 2 == 0 ? "bad,2,\"\",x" : "fake" + std::to_string(i) + ",1,0,text");
  }
  for (const auto* inner : {&valid, &invalid}) {
    const straddling_text data = make_straddling(*inner);
    const std::size_t body = data.text.find('\n') + 1;
    const std::size_t middle = body + (data.text.size() - body) / 2;
    ASSERT_GT(data.text.size(), split_threshold);
    ASSERT_LT(data.quoted_begin, middle);
    ASSERT_GT(data.quoted_end, middle + 1000);

    const prediction_table one = parse_threads(data.text, 1, keep_content());
    const prediction_table two = parse_threads(data.text, 2, keep_content());
    ASSERT_EQ(one.size(), data.rows);
    expect_same_rows(one, two);
    const id_index index(two);
    const std::ptrdiff_t big = index.find("big");
    ASSERT_GE(big, 0);
    EXPECT_EQ(two.content[static_cast<std::size_t>(big)], data.content);
    EXPECT_EQ(index.find("fake1"), -1);
    // The row after the quoted field starts inner.size() lines below the big row.
    const auto after = static_cast<std::size_t>(big) + 1;
    EXPECT_EQ(two.lines[after], two.lines[after - 1] + inner->size() + 1);
  }
}

TEST(PredictionsReaderThreads, ErrorInTheSecondHalfHasItsAbsoluteLine) {
  std::string text = "id,a,b,content\n";
  std::size_t next = append_rows(text, 0, split_threshold / 2);
  // A few multi-line fields in the first half shift the line count away from the row count.
  text += "m1,1,1,\"a\nb\nc\"\n";
  next = append_rows(text, next, split_threshold / 2 + 100000);
  text += "m2,1,0,\"d\ne\"\n";
  next = append_rows(text, next, 3 * split_threshold / 2);
  const std::size_t bad_line = 1 + next + 3 + 2 + 1;  // header, rows, m1 (3), m2 (2), then it
  text += "bad,1,x,plain\n";
  append_rows(text, next, 3 * split_threshold / 2 + 500000);
  ASSERT_GT(text.rfind("bad,"), text.size() / 2 + 100000);

  for (const unsigned threads : {1u, 2u}) {
    const input_error error = error_with_threads(text, threads);
    EXPECT_EQ(error.line(), bad_line) << threads << " threads: " << error.what();
    EXPECT_EQ(error.column(), 7u) << threads << " threads: " << error.what();
    EXPECT_NE(error.message().find("vote \"x\" for model \"b\""), std::string::npos)
        << error.what();
  }
}

TEST(PredictionsReaderThreads, FirstErrorInFileOrderWins) {
  std::string text = "id,a,b,content\n";
  std::size_t next = append_rows(text, 0, 1000);
  const std::size_t first_bad = next + 2;
  text += "bad1,7,1,plain\n";
  next = append_rows(text, next, split_threshold + 1000000);
  text += "bad2,1,7,plain\n";
  append_rows(text, next, split_threshold + 1100000);
  for (const unsigned threads : {1u, 2u}) {
    const input_error error = error_with_threads(text, threads);
    EXPECT_EQ(error.line(), first_bad) << error.what();
    EXPECT_EQ(error.column(), 6u) << error.what();
  }
}

TEST(PredictionsReaderThreads, DuplicateAcrossTheHalvesNamesBothLines) {
  std::string text = "id,a,b,content\n";
  std::size_t next = append_rows(text, 0, split_threshold + 100000);
  text += row_text(3);  // r0000003 again, on line next + 2
  const std::size_t duplicate_line = next + 2;
  append_rows(text, next, split_threshold + 200000);
  for (const unsigned threads : {1u, 2u}) {
    const input_error error = error_with_threads(text, threads);
    EXPECT_EQ(error.line(), duplicate_line) << error.what();
    EXPECT_EQ(error.column(), 1u);
    EXPECT_NE(error.message().find("duplicate id \"r0000003\" (first seen on line 5)"),
              std::string::npos)
        << error.what();
  }
}

TEST(PredictionsReaderThreads, UnterminatedQuoteInTheSecondHalf) {
  std::string text = "id,a,b,content\n";
  const std::size_t next = append_rows(text, 0, split_threshold + 300000);
  text += "open,1,1,\"never closed\nr,1,1,x\n";
  for (const unsigned threads : {1u, 2u}) {
    const input_error error = error_with_threads(text, threads);
    EXPECT_EQ(error.line(), next + 2) << error.what();
    EXPECT_EQ(error.column(), 10u);
    EXPECT_NE(error.message().find("never closed"), std::string::npos) << error.what();
  }
}

// ---------------------------------------------------------------------------------------------
// Agreement with the reference reader on generated inputs.

class table_generator {
 public:
  explicit table_generator(std::uint64_t seed) : random_(seed) {}

  struct instance {
    std::string text;
    char delimiter;
    read_options options;
  };

  instance next() {
    instance result;
    result.delimiter = chance(0.3) ? '\t' : ',';
    delimiter_ = result.delimiter;
    std::vector<std::string> columns = {"id"};
    const int members = pick(1, 4);
    for (int j = 0; j < members; ++j) columns.push_back(member_name(j));
    for (const char* extra : {"label", "content", "image", "ens"})
      if (chance(0.3)) columns.emplace_back(extra);
    std::shuffle(columns.begin(), columns.end(), random_);
    if (chance(0.03)) columns.erase(columns.begin() + pick(0, int(columns.size()) - 1));
    if (chance(0.03)) columns.push_back(columns.front());

    std::string& text = result.text;
    if (chance(0.2)) text += "\xEF\xBB\xBF";
    blank_lines(text);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) text += delimiter_;
      text += encode(columns[c]);
    }
    const int rows = pick(0, 6);
    for (int r = 0; r < rows; ++r) {
      text += line_break();
      blank_lines(text);
      const int fields = chance(0.05) ? pick(1, int(columns.size()) + 2) : int(columns.size());
      for (int c = 0; c < fields; ++c) {
        if (c > 0) text += delimiter_;
        const std::string name = c < int(columns.size()) ? columns[c] : "m0";
        text += encode(value_for(name));
      }
    }
    if (chance(0.8)) text += line_break();
    if (chance(0.2)) blank_lines(text);
    if (chance(0.3)) mutate(text);

    if (chance(0.3)) {
      std::vector<std::string> models;
      for (int j = 0; j < members; ++j)
        if (chance(0.6)) models.push_back(member_name(j));
      std::shuffle(models.begin(), models.end(), random_);
      if (chance(0.1)) models.push_back(chance(0.5) ? "zz" : "label");
      result.options.models = models;
    }
    if (chance(0.3)) result.options.parent_column = chance(0.9) ? "ens" : "m0";
    result.options.keep_content = chance(0.5);
    return result;
  }

 private:
  // Built by appending: GCC 12 gives a false -Wrestrict on "m" + std::to_string(j).
  static std::string member_name(int j) {
    std::string name = "m";
    name += std::to_string(j);
    return name;
  }
  bool chance(double p) { return std::bernoulli_distribution(p)(random_); }
  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  template <typename T>
  const T& one_of(const std::vector<T>& values) {
    return values[std::size_t(pick(0, int(values.size()) - 1))];
  }

  std::string line_break() { return chance(0.3) ? "\r\n" : "\n"; }
  void blank_lines(std::string& text) {
    while (chance(0.1)) text += line_break();
  }

  std::string value_for(const std::string& column) {
    if (column == "id") {
      if (chance(0.02)) return "";
      return one_of<std::string>({"a", "b", "c", "x,y", "q\"t", "n\nl", " ", "\xC3\xA9"}) +
             std::to_string(pick(0, 30));
    }
    if (column == "label")
      return chance(0.05) ? "2" : one_of<std::string>({"0", "1", "", "true", "false"});
    if (column == "content" || column == "image") {
      std::string value;
      const int length = pick(0, 6);
      for (int i = 0; i < length; ++i)
        value +=
            one_of<std::string>({"a", ",", "\t", "\"", "\n", "\r", "\r\n", " ", "\xE2\x82\xAC"});
      return value;
    }
    if (chance(0.05)) return one_of<std::string>({"2", "", "yes", "1 ", "01", "True"});
    return one_of<std::string>({"0", "1", "true", "false"});
  }

  std::string encode(const std::string& value) {
    const bool needs_quotes =
        value.find_first_of(std::string("\"\r\n") + delimiter_) != std::string::npos;
    if (needs_quotes ? chance(0.95) : chance(0.2)) {
      std::string quoted = "\"";
      for (const char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      return quoted + "\"";
    }
    return value;
  }

  void mutate(std::string& text) {
    const int edits = pick(1, 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const auto at = std::size_t(pick(0, int(text.size()) - 1));
      const std::string piece = one_of<std::string>({"\"", ",", "\t", "\n", "\r", "x", "1", ""});
      switch (pick(0, 2)) {
        case 0:
          text.erase(at, 1);
          break;
        case 1:
          text.insert(at, piece);
          break;
        default:
          text.replace(at, 1, piece);
      }
    }
  }

  std::mt19937_64 random_;
  char delimiter_ = ',';
};

TEST(PredictionsReaderReference, AgreesOnGeneratedInputs) {
  table_generator generator(20240611);
  std::size_t accepted = 0, rejected = 0;
  for (int i = 0; i < 4000; ++i) {
    const table_generator::instance input = generator.next();
    const testing::reference_result expected =
        testing::read_reference_predictions(input.text, input.delimiter, input.options);
    read_options options = input.options;
    options.format = input.delimiter == '\t' ? table_format::tsv : table_format::csv;
    options.threads = 1;
    std::optional<prediction_table> table;
    std::optional<input_error> error;
    try {
      table = parse_predictions(input.text, "generated", options);
    } catch (const input_error& e) {
      error = e;
    }
    const std::string shown = ::testing::PrintToString(input.text);
    if (expected.ok()) {
      ASSERT_TRUE(table.has_value()) << shown << "\nfast: " << error->what();
      const std::string difference = testing::difference(*expected.table, *table);
      ASSERT_EQ(difference, "") << shown;
      ++accepted;
    } else {
      ASSERT_TRUE(error.has_value()) << shown << "\nreference: " << expected.error->message;
      ASSERT_EQ(error->line(), expected.error->line) << shown << "\n" << error->what();
      ASSERT_EQ(error->column(), expected.error->column) << shown << "\n" << error->what();
      ASSERT_EQ(error->message(), expected.error->message) << shown;
      ++rejected;
    }
  }
  // The generator must exercise both outcomes.
  EXPECT_GT(accepted, 800u);
  EXPECT_GT(rejected, 800u);
}

TEST(PredictionsReaderReference, ReferenceReadsTheSample) {
  const testing::reference_result result =
      testing::read_reference_predictions(sample_csv, ',', keep_content());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.table->ids, (std::vector<std::string>{"x1", "x2", "x3"}));
  EXPECT_EQ(result.table->votes, (std::vector<std::vector<int>>{{1, 0, 1}, {0, 0, 1}, {1, 0, 0}}));
  EXPECT_EQ(result.table->labels, (std::vector<int>{1, 0, -1}));
  EXPECT_EQ(result.table->content,
            (std::vector<std::string>{"hello", "with, comma", "say \"hi\""}));
  const testing::reference_result bad = testing::read_reference_predictions("id,a\nx,\"1\n", ',');
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error->line, 2u);
  EXPECT_EQ(bad.error->column, 3u);
}

}  // namespace
}  // namespace frugal::io
