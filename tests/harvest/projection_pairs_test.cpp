// Projection pairs in and result lines out (frugal/harvest/projection_pairs.hpp).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/projection_pairs.hpp"

namespace frugal::harvest {
namespace {

const std::string good =
    R"({"id": "p1", "source": {"tokens": ["play", "the", "beatles"], "intent": "play_music", )"
    R"("slots": [{"type": "artist", "start": 1, "end": 3}]}, "target": {"tokens": ["put", "on", "the", "beatles"]}})";

projection_pairs parse(const std::string& text, bool skip_bad = false) {
  return parse_projection_pairs(text, "pairs.jsonl", skip_bad);
}

// The error a one-line file (after `before` lines) raises.
input_error error_of(const std::string& line, std::size_t before = 1) {
  std::string text;
  for (std::size_t i = 0; i < before; ++i) text += good + "\n";
  text += line + "\n";
  try {
    parse(text);
  } catch (const input_error& error) {
    return error;
  }
  ADD_FAILURE() << "no error for " << line;
  return input_error("none");
}

TEST(ProjectionPairs, ReadsStringAndIntegerIdsSlotsSortedBlankLinesSkipped) {
  const std::string second =
      R"({"id": 17, "source": {"tokens": ["from", "rome", "to", "oslo"], "intent": "travel", )"
      R"("slots": [{"type": "to", "start": 3, "end": 4}, {"type": "from", "start": 1, "end": 2}]},)"
      R"( "target": {"tokens": ["oslo", "from", "rome"]}, "extra": true})";
  const projection_pairs read = parse("\xEF\xBB\xBF" + good + "\r\n\n   \n" + second + "\n");
  const std::vector<projection_pair>& pairs = read.pairs;
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_FALSE(pairs[0].integer_id);
  EXPECT_EQ(pairs[0].id, "p1");
  EXPECT_EQ(pairs[0].line, 1u);
  EXPECT_EQ(pairs[0].source.intent, "play_music");
  EXPECT_EQ(pairs[0].target_tokens, (std::vector<std::string>{"put", "on", "the", "beatles"}));
  EXPECT_TRUE(pairs[1].integer_id);
  EXPECT_EQ(pairs[1].id, "17");
  EXPECT_EQ(pairs[1].line, 4u);
  ASSERT_EQ(pairs[1].source.slots.size(), 2u);
  EXPECT_EQ(pairs[1].source.slots[0].type, "from");
  EXPECT_EQ(read.skipped, 0u);
}

TEST(ProjectionPairs, BadLinesNameFileLineAndColumn) {
  struct bad_case {
    std::string line;
    std::string message_part;
  };
  const std::vector<bad_case> cases = {
      {R"({"source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": ["a"]}})",
       "missing field \"id\""},
      {R"({"id": 1.5, "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": ["a"]}})",
       "string or an integer"},
      {R"({"id": "", "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": ["a"]}})",
       "empty id"},
      {R"({"id": 1, "target": {"tokens": ["a"]}})", "missing field \"source\""},
      {R"({"id": 1, "source": {"tokens": ["a"], "intent": "i", "slots": []}})",
       "missing field \"target\""},
      {R"({"id": 1, "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": ["a"]})",
       "\"target\" must be an object"},
      {R"({"id": 1, "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": []}})",
       "is empty"},
      {R"({"id": 1, "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": ["a", ""]}})",
       "non-empty string"},
      {R"({"id": 1, "source": {"tokens": [], "intent": "i", "slots": []}, "target": {"tokens": ["a"]}})",
       "is empty"},
      {R"({"id": 1, "source": {"tokens": ["a"], "slots": []}, "target": {"tokens": ["a"]}})",
       "intent"},
      {R"({"id": 1, "source": {"tokens": ["a", "b"], "intent": "i", "slots": [{"type": "t", "start": 1, "end": 3}]}, "target": {"tokens": ["a"]}})",
       "spans tokens [1, 3)"},
      {R"({"id": 1, "source": {"tokens": ["a", "b", "c"], "intent": "i", "slots": [{"type": "t", "start": 0, "end": 2}, {"type": "u", "start": 1, "end": 3}]}, "target": {"tokens": ["a"]}})",
       "overlap"},
      {R"({"id": 1, "source": {"tokens": ["a"], "intent": "i", "slots": [{"type": "t", "start": -1, "end": 1}]}, "target": {"tokens": ["a"]}})",
       "non-negative integer"},
      {R"({"id": 1, "source": "play", "target": {"tokens": ["a"]}})", "must be an object"},
      {R"({"id": 1, "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": ["a"])",
       "invalid JSON"},
      {R"([1, 2])", "expected a JSON object"},
      {"{\"id\": \"\xC3\x28\", \"source\": {}}", "invalid UTF-8"},
  };
  for (const bad_case& c : cases) {
    const input_error error = error_of(c.line, 2);
    EXPECT_EQ(error.file(), "pairs.jsonl") << c.line;
    EXPECT_EQ(error.line(), 3u) << c.line;
    EXPECT_GE(error.column(), 1u) << c.line;
    EXPECT_NE(error.message().find(c.message_part), std::string::npos)
        << c.line << "\n  gave: " << error.what();
  }
}

TEST(ProjectionPairs, ColumnsPointAtTheBadValue) {
  const std::string line =
      R"({"id": 1, "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": ["a", 7]}})";
  // The target's problem is reported at the target, not at the source's "tokens".
  EXPECT_EQ(error_of(line, 0).column(), line.find(R"("target": )") + 11);
  const std::string bad_id =
      R"({"id": 2.5, "source": {"tokens": ["a"], "intent": "i", "slots": []}, "target": {"tokens": ["a"]}})";
  EXPECT_EQ(error_of(bad_id, 0).column(), 8u);
  EXPECT_EQ(error_of("{\"id\": \"\xC3\x28\"}", 0).column(), 9u);
}

// Projection allocates source x target word distances: a side past the caps is an error at
// that side; sides at the caps are read.
TEST(ProjectionPairs, TokensPerUtteranceAndBytesPerTokenAreCapped) {
  using json = nlohmann::ordered_json;
  const auto pair_line = [](const std::vector<std::string>& source,
                            const std::vector<std::string>& target) {
    return json{{"id", 1},
                {"source", {{"tokens", source}, {"intent", "i"}, {"slots", json::array()}}},
                {"target", {{"tokens", target}}}}
        .dump();
  };
  const std::vector<std::string> most(max_utterance_tokens, "w");
  const std::vector<std::string> longest{"a", std::string(max_token_bytes, 'x')};
  EXPECT_EQ(parse(pair_line(most, most)).pairs.size(), 1u);
  EXPECT_EQ(parse(pair_line(longest, longest)).pairs.size(), 1u);

  const std::vector<std::string> too_many(max_utterance_tokens + 1, "w");
  const std::vector<std::string> too_long{"a", std::string(max_token_bytes + 1, 'x')};
  struct bad_case {
    std::vector<std::string> source, target;
    std::string side;  // where the error points
    std::string message_part;
  };
  const std::vector<bad_case> cases{
      {too_many, {"w"}, "source", "\"source.tokens\" has 513 tokens, more than the 512 allowed"},
      {{"w"}, too_many, "target", "\"target.tokens\" has 513 tokens"},
      {too_long, {"w"}, "source", "token 1 of \"source.tokens\" has 257 bytes, more than the 256"},
      {most, too_long, "target", "token 1 of \"target.tokens\" has 257 bytes"}};
  for (const bad_case& c : cases) {
    SCOPED_TRACE(c.message_part);
    const std::string line = pair_line(c.source, c.target);
    const input_error error = error_of(line);
    EXPECT_EQ(error.line(), 2u);
    EXPECT_EQ(error.column(), line.find("\"" + c.side + "\":") + c.side.size() + 4);
    EXPECT_NE(error.message().find(c.message_part), std::string::npos) << error.what();
  }
}

TEST(ProjectionPairs, SkipBadCountsAndKeepsTheGoodLines) {
  const projection_pairs read =
      parse(good + "\nnot json\n" + good + "\n{\"id\": 3}\n" + good + "\n", true);
  EXPECT_EQ(read.pairs.size(), 3u);
  EXPECT_EQ(read.skipped, 2u);
  ASSERT_EQ(read.skip_messages.size(), 2u);
  EXPECT_NE(read.skip_messages[0].find("pairs.jsonl:2:"), std::string::npos)
      << read.skip_messages[0];
  EXPECT_NE(read.skip_messages[1].find("pairs.jsonl:4:"), std::string::npos)
      << read.skip_messages[1];
  EXPECT_EQ(read.pairs[2].line, 5u);
  EXPECT_THROW(parse(good + "\nnot json\n"), input_error);
}

TEST(ProjectionPairs, ResultLinesKeepTheIdTypeAndAFixedShape) {
  projection_result ok;
  ok.ok = true;
  ok.intent = "play_music";
  ok.slots = {{"artist", 2, 4}};
  projection_pair integer;
  integer.id = "17";
  integer.integer_id = true;
  const auto line = nlohmann::ordered_json::parse(projection_line(integer, ok));
  EXPECT_TRUE(line["id"].is_number_integer());
  EXPECT_EQ(line["id"].get<int>(), 17);
  EXPECT_EQ(line["intent"], "play_music");
  EXPECT_EQ(line["status"], "ok");
  EXPECT_EQ(line["reason"], "");
  ASSERT_EQ(line["slots"].size(), 1u);
  EXPECT_EQ(line["slots"][0]["type"], "artist");
  EXPECT_EQ(line["slots"][0]["start"], 2);
  EXPECT_EQ(line["slots"][0]["end"], 4);
  std::vector<std::string> keys;
  for (const auto& item : line.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "intent", "slots", "status", "reason"}));

  projection_result rejected;
  rejected.intent = "play_music";
  rejected.reason = "slot without a target word: artist";
  projection_pair quoted;
  quoted.id = "p\"1";
  const std::string text = projection_line(quoted, rejected);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const auto parsed = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(parsed["id"], "p\"1");
  EXPECT_EQ(parsed["status"], "rejected");
  EXPECT_EQ(parsed["reason"], "slot without a target word: artist");
  EXPECT_TRUE(parsed["slots"].empty());
  EXPECT_EQ(rejection_kind(parsed["reason"].get<std::string>()), "slot without a target word");
  EXPECT_EQ(rejection_kind("overlapping slots: a, b"), "overlapping slots");
}

}  // namespace
}  // namespace frugal::harvest
