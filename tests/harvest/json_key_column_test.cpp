// The key-column finder behind the JSON Lines readers' error columns (io/json_key_column.hpp):
// a member is found in its own parent object, never at a same-named key elsewhere on the line;
// and the harvest readers' errors on nested fields point there.

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "frugal/error.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/projection_pairs.hpp"
#include "frugal/io/predictions.hpp"
#include "io/json_key_column.hpp"

namespace frugal::io::detail {
namespace {

// 1-based column of the first occurrence of `needle` after the first occurrence of `after`.
std::size_t column_of(std::string_view line, std::string_view needle, std::string_view after = {}) {
  const std::size_t from = after.empty() ? 0 : line.find(after);
  EXPECT_NE(from, std::string_view::npos) << after;
  const std::size_t at = line.find(needle, from);
  EXPECT_NE(at, std::string_view::npos) << needle;
  return at + 1;
}

TEST(JsonKeyColumn, TopLevelKeyAndValue) {
  const std::string_view line = R"({"id": 7,  "text" :  "hi", "n": [1, 2]})";
  const key_column text = find_key_column(line, "text");
  EXPECT_EQ(text.key, column_of(line, R"("text")"));
  EXPECT_EQ(text.value, column_of(line, R"("hi")"));
  EXPECT_EQ(find_key_column(line, "n").value, column_of(line, "[1"));
  EXPECT_EQ(find_key_column(line, "id").value, column_of(line, "7"));
  // Absent: column 1 for both.
  EXPECT_EQ(find_key_column(line, "missing").key, 1u);
  EXPECT_EQ(find_key_column(line, "missing").value, 1u);
}

TEST(JsonKeyColumn, AKeyOnlyInItsOwnParent) {
  // The bug this fixes: a textual search found "intent" inside "truth" first.
  const std::string_view line =
      R"({"truth": {"intent": "wrong", "slots": []}, "nlu": {"intent": "right", "slots": [{"type": "t", "start": 9, "end": 10}]}})";
  EXPECT_EQ(find_path_column(line, "nlu.intent").value, column_of(line, R"("right")"));
  EXPECT_EQ(find_path_column(line, "truth.intent").value, column_of(line, R"("wrong")"));
  EXPECT_EQ(find_path_column(line, "nlu.slots").value, column_of(line, "[{"));
  EXPECT_EQ(find_path_column(line, "nlu.slots[0]").value, column_of(line, "{\"type\""));
  EXPECT_EQ(find_path_column(line, "nlu.slots[0].start").value, column_of(line, "9"));
  EXPECT_EQ(find_path_column(line, "nlu.slots[0].start").key, column_of(line, R"("start")"));
  // A top-level "intent" does not exist, whatever the nested objects hold.
  EXPECT_EQ(find_key_column(line, "intent").value, 1u);
  EXPECT_EQ(find_path_column(line, "intent").value, 1u);
  EXPECT_EQ(find_path_column(line, "nlu.slots[1]").value, 1u);
  EXPECT_EQ(find_path_column(line, "truth.slots[0]").value, 1u);
}

TEST(JsonKeyColumn, StringsAndNestingDoNotConfuseTheScan) {
  // Braces, brackets, commas, quotes and key-like text inside strings; a value that spells the
  // key; nested arrays of objects before the member.
  const std::string_view line =
      R"({"a": "{\"b\": 1}, ]", "x": [[{"b": 2}], {"b": [3, "b"]}], "note": "b", "b": 4, "s": {"b\"": 5, "b": 6}})";
  EXPECT_EQ(find_key_column(line, "b").value, column_of(line, "4"));
  EXPECT_EQ(find_path_column(line, "s.b").value, column_of(line, "6"));
  EXPECT_EQ(find_path_column(line, "x[1].b[1]").value, column_of(line, R"("b"])"));
  EXPECT_EQ(find_path_column(line, "x[0][0].b").value, column_of(line, "2"));
  // A key spelled with escapes is not matched (the caller falls back to column 1).
  EXPECT_EQ(find_key_column(R"({"\u0061": 1})", "a").value, 1u);
  // Keys are literal in find_key_column: prediction files have columns named like "m.v2".
  const std::string_view dotted = R"({"m": {"v2": 0}, "m.v2": 1})";
  EXPECT_EQ(find_key_column(dotted, "m.v2").value, column_of(dotted, "1"));
  EXPECT_EQ(find_path_column(dotted, "m.v2").value, column_of(dotted, "0"));
}

TEST(JsonKeyColumn, MalformedLinesAndPathsAreNotFound) {
  // Not an object, or broken before "a" is reached.
  for (const std::string_view line :
       {"", "[1, 2]", "{", R"({"a" 1})", R"({"z": 1 "a": 2})", R"({"z": "open, "a": 1})"}) {
    SCOPED_TRACE(line);
    EXPECT_EQ(find_key_column(line, "a").value, 1u);
    EXPECT_EQ(find_path_column(line, "a.b[1].c").value, 1u);
  }
  // Cut off after "a": its value's column is still known, and nothing deeper is found or read
  // past the end.
  for (const std::string_view line : {R"({"a": )", R"({"a": "unterminated)",
                                      R"({"a": {"b": [1, {"c")", R"({"a": {"b": [1, {"c"\)"}) {
    SCOPED_TRACE(line);
    EXPECT_EQ(find_key_column(line, "a").value, 7u);
    EXPECT_EQ(find_path_column(line, "a.b[1].c").value, 1u);
    EXPECT_EQ(find_path_column(line, "a.b[2]").value, 1u);
  }
  const std::string_view line = R"({"a": {"b": [5]}})";
  for (const std::string_view path :
       {"", ".", "a.", ".a", "a..b", "a.b[", "a.b[]", "a.b[x]", "a.b[0]x", "a[0]", "a.b.c"}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(find_path_column(line, path).value, 1u);
  }
  EXPECT_EQ(find_path_column(line, "a.b[0]").value, column_of(line, "5"));
}

// Through the readers: an error on a nested field points at that field even when a same-named
// key comes earlier on the line.
TEST(JsonKeyColumn, HarvestReadersPointAtTheNestedField) {
  // An interaction-log turn with a "truth" object (as simulated logs carry) before "nlu".
  const std::string turn =
      R"({"user": "u", "session": "s", "time": 1, "text": "play jazz", "asr_confidence": 0.9, )"
      R"("truth": {"intent": "play_music", "slots": []}, )"
      R"("nlu": {"intent": 5, "slots": [], "confidence": 0.9}, "status": "ok"})";
  try {
    harvest::parse_interaction_log(turn, "log.jsonl");
    ADD_FAILURE() << "no error";
  } catch (const input_error& error) {
    EXPECT_EQ(error.column(), column_of(turn, "5", R"("nlu")")) << error.what();
    EXPECT_NE(error.message().find("\"nlu.intent\""), std::string::npos) << error.what();
  }
  // Projection pairs: a source slot error at the source's slots, not at an earlier "slots".
  const std::string pair =
      R"({"id": 1, "note": {"slots": 0}, "source": {"tokens": ["a"], "intent": "i", )"
      R"("slots": [{"type": "t", "start": 0, "end": 3}]}, "target": {"tokens": ["a"]}})";
  try {
    harvest::parse_projection_pairs(pair, "pairs.jsonl");
    ADD_FAILURE() << "no error";
  } catch (const input_error& error) {
    EXPECT_EQ(error.column(), column_of(pair, "[{", R"("source")")) << error.what();
  }
}

// The predictions reader (io/jsonl_reader.cpp) finds its columns the same way: a model named
// like a key inside another column's object is still found at the top level.
TEST(JsonKeyColumn, PredictionsReaderPointsAtTheTopLevelKey) {
  read_options options;
  options.models = {"a"};
  options.format = table_format::jsonl;
  const std::string second = R"({"id": "y", "meta": {"a": 0}, "a": 2})";
  try {
    parse_predictions(R"({"id": "x", "meta": {"a": 0}, "a": 1})"
                      "\n" +
                          second + "\n",
                      "p.jsonl", options);
    ADD_FAILURE() << "no error";
  } catch (const input_error& error) {
    EXPECT_EQ(error.line(), 2u);
    EXPECT_EQ(error.column(), column_of(second, "2")) << error.what();
  }
  // An unknown key is reported at the key itself.
  const std::string unknown = R"({"id": "y", "meta": {"b": 0}, "a": 1, "b": 0})";
  try {
    parse_predictions(R"({"id": "x", "meta": {"b": 0}, "a": 1})"
                      "\n" +
                          unknown + "\n",
                      "p.jsonl", options);
    ADD_FAILURE() << "no error";
  } catch (const input_error& error) {
    EXPECT_EQ(error.column(), column_of(unknown, R"("b")", R"("a")")) << error.what();
  }
}

}  // namespace
}  // namespace frugal::io::detail
