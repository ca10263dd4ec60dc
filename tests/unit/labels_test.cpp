// Tests of io::parse_labels, io::read_labels, io::labels_from_column and io::id_index.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/predictions.hpp"
#include "io/table_builder.hpp"

namespace frugal::io {
namespace {

prediction_table table_of(std::string_view csv) {
  read_options options;
  options.format = table_format::csv;
  options.threads = 1;
  return parse_predictions(csv, "predictions.csv", options);
}

// Three items x, y, z.
class Labels : public ::testing::Test {
 protected:
  resolved_labels parse(std::string_view text) {
    return parse_labels(text, "labels.csv", table_, index_);
  }

  input_error error_of(std::string_view text) {
    try {
      parse(text);
    } catch (const input_error& error) {
      return error;
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return input_error("no error");
  }

  prediction_table table_ = table_of("id,a\nx,1\ny,0\nz,1\n");
  id_index index_{table_};
};

using by_row = std::vector<std::int8_t>;
constexpr std::int8_t none = resolved_labels::unlabelled;
constexpr std::int8_t tie = resolved_labels::tied;

#define EXPECT_INPUT_ERROR(error, expected_line, expected_column, fragment)        \
  do {                                                                             \
    const input_error& e_ = (error);                                               \
    EXPECT_EQ(e_.file(), "labels.csv");                                            \
    EXPECT_EQ(e_.line(), std::size_t{expected_line}) << e_.what();                 \
    EXPECT_EQ(e_.column(), std::size_t{expected_column}) << e_.what();             \
    EXPECT_NE(e_.message().find(fragment), std::string::npos)                      \
        << "\"" << e_.message() << "\" does not mention \"" << (fragment) << "\""; \
  } while (false)

TEST_F(Labels, OneAnnotator) {
  const resolved_labels labels = parse("id,label\nx,1\nz,0\n");
  EXPECT_EQ(labels.by_row, (by_row{1, none, 0}));
  EXPECT_EQ(labels.records, 2u);
  EXPECT_EQ(labels.labelled_items, 2u);
  EXPECT_EQ(labels.tied_items, 0u);
}

TEST_F(Labels, TsvBomCrlfBlankLinesAndQuotes) {
  // Blank lines before the header must not hide the tab from the delimiter sniffing.
  const resolved_labels labels =
      parse("\xEF\xBB\xBF\r\n\nid\tlabel\r\n\"x\"\ttrue\r\n\r\n\"z\"\t\"false\"\r\ny\t1");
  EXPECT_EQ(labels.by_row, (by_row{1, 1, 0}));
  EXPECT_EQ(labels.records, 3u);
}

TEST_F(Labels, ColumnsInAnyOrderWithExtraColumns) {
  const resolved_labels labels = parse("label,note,id\n1,\"a, b\",y\n0,,x\n");
  EXPECT_EQ(labels.by_row, (by_row{0, 1, none}));
}

TEST_F(Labels, SeveralAnnotatorsAreResolvedByMajority) {
  const resolved_labels labels = parse(
      "id,label,annotator\n"
      "x,1,ann\n"
      "x,1,bob\n"
      "x,0,cat\n"
      "y,1,ann\n"
      "y,0,bob\n"
      "z,0,ann\n"
      "z,0,ann\n");  // the same label again: a re-import, accepted
  EXPECT_EQ(labels.by_row, (by_row{1, tie, 0}));
  EXPECT_EQ(labels.records, 7u);
  EXPECT_EQ(labels.labelled_items, 2u);
  EXPECT_EQ(labels.tied_items, 1u);
}

TEST_F(Labels, EmptyLabelsAreNotLabelledYet) {
  // A queue file filled in halfway.
  const resolved_labels labels = parse("id,label,annotator\nx,,ann\ny,1,ann\nz,,\n");
  EXPECT_EQ(labels.by_row, (by_row{none, 1, none}));
  EXPECT_EQ(labels.records, 1u);
  EXPECT_EQ(labels.labelled_items, 1u);
  // Header only: nothing labelled, no error.
  const resolved_labels nothing = parse("id,label\n");
  EXPECT_EQ(nothing.by_row, (by_row{none, none, none}));
  EXPECT_EQ(nothing.records, 0u);
}

TEST_F(Labels, ConflictingLabelsNameBothLines) {
  const input_error named = error_of("id,label,annotator\nx,1,ann\ny,0,ann\nx,0,ann\n");
  EXPECT_INPUT_ERROR(named, 4, 3, "id \"x\" labelled 0 here and 1 on line 2");
  EXPECT_NE(named.message().find("annotator \"ann\""), std::string::npos) << named.what();
  EXPECT_INPUT_ERROR(error_of("id,label\nx,1\n\nx,0\n"), 4, 3,
                     "labelled 0 here and 1 on line 2 by the same (unnamed) annotator");
  // Different annotators may disagree.
  EXPECT_EQ(parse("id,label,annotator\nx,1,ann\nx,0,bob\n").by_row, (by_row{tie, none, none}));
}

TEST_F(Labels, UnknownId) {
  const input_error error = error_of("id,label\nx,1\nw,0\n");
  EXPECT_INPUT_ERROR(error, 3, 1, "id \"w\" is not in the predictions predictions.csv");
  EXPECT_INPUT_ERROR(error_of("label,id\n1,x\n0,\"x \"\n"), 3, 3, "id \"x \"");
}

TEST_F(Labels, LabelThatIsNotBinary) {
  EXPECT_INPUT_ERROR(error_of("id,label\nx,2\n"), 2, 3, "label \"2\" is not 0, 1, true or false");
  EXPECT_INPUT_ERROR(error_of("id\tlabel\ny\tyes\n"), 2, 3, "label \"yes\"");
}

TEST_F(Labels, MissingColumns) {
  EXPECT_INPUT_ERROR(error_of("id,value\nx,1\n"), 1, 1,
                     "the header must name an \"id\" and a \"label\" column");
  EXPECT_INPUT_ERROR(error_of("\n\nitem,label\nx,1\n"), 3, 1, "\"id\" and a \"label\"");
}

TEST_F(Labels, WrongNumberOfFields) {
  EXPECT_INPUT_ERROR(error_of("id,label\nx,1\ny,1,extra\n"), 3, 1,
                     "row has 3 fields, the header has 2");
  EXPECT_INPUT_ERROR(error_of("id,label\nx\n"), 2, 1, "row has 1 fields, the header has 2");
}

TEST_F(Labels, EmptyFileAndBrokenQuotes) {
  EXPECT_INPUT_ERROR(error_of(""), 1, 1, "the file is empty");
  EXPECT_INPUT_ERROR(error_of("\n\r\n"), 1, 1, "the file is empty");
  EXPECT_INPUT_ERROR(error_of("id,label\n\"x,1\n"), 2, 1, "quoted field is never closed");
  EXPECT_INPUT_ERROR(error_of("id,label\n\"x\"_,1\n"), 2, 4, "after a closing quote");
}

TEST_F(Labels, ReadsAFile) {
  char path[] = "/tmp/frugal-labels-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,label\ny,1\n";
  }
  EXPECT_EQ(read_labels(path, table_, index_).by_row, (by_row{none, 1, none}));
  {
    std::ofstream out(path, std::ios::binary);
    out << "id,label\nq,1\n";
  }
  try {
    read_labels(path, table_, index_);
    ADD_FAILURE() << "unknown id accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), path);
    EXPECT_EQ(error.line(), 2u);
  }
  std::remove(path);
  EXPECT_THROW(read_labels(path, table_, index_), input_error);
}

TEST(LabelsFromColumn, TakesThePredictionsOwnLabels) {
  const prediction_table table = table_of("id,a,label\nx,1,1\ny,0,\nz,1,0\nw,0,true\n");
  const resolved_labels labels = labels_from_column(table);
  EXPECT_EQ(labels.by_row, (by_row{1, none, 0, 1}));
  EXPECT_EQ(labels.labelled_items, 3u);
  EXPECT_EQ(labels.records, 3u);
  EXPECT_EQ(labels.tied_items, 0u);

  const prediction_table unlabelled = table_of("id,a\nx,1\n");
  try {
    labels_from_column(unlabelled);
    ADD_FAILURE() << "no error without a label column";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "predictions.csv");
    EXPECT_NE(error.message().find("no \"label\" column"), std::string::npos) << error.what();
  }
}

TEST(IdIndex, FindsEveryRow) {
  std::string csv = "id,a\n";
  for (int i = 0; i < 5000; ++i) csv += "item-" + std::to_string(i * 7) + ",1\n";
  const prediction_table table = table_of(csv);
  const id_index index(table);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(index.find("item-" + std::to_string(i * 7)), i);
    ASSERT_EQ(index.find("item-" + std::to_string(i * 7 + 1)), -1);
  }
  EXPECT_EQ(index.find(""), -1);
  EXPECT_EQ(index.find("item-"), -1);
}

TEST(IdIndex, EmptyTable) {
  const prediction_table table;
  const id_index index(table);
  EXPECT_EQ(index.find("x"), -1);
  EXPECT_EQ(index.find(""), -1);
}

TEST(IdIndex, DuplicateIdNamesBothLines) {
  // Built by hand: the readers refuse duplicates before an index can be made from their tables.
  prediction_table table;
  table.source = "hand.csv";
  for (const char* id : {"a", "b", "a"}) {
    table.ids.push_back(id);
    table.id_hashes.push_back(detail::hash_id(id));
    table.votes.push_back(1);
  }
  table.lines = {2, 3, 7};
  try {
    const id_index index(table);
    ADD_FAILURE() << "duplicate accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "hand.csv");
    EXPECT_EQ(error.line(), 7u);
    EXPECT_EQ(error.column(), 1u);
    EXPECT_EQ(error.message(), "duplicate id \"a\" (first seen on line 2)");
  }
}

}  // namespace
}  // namespace frugal::io
