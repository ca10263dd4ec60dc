// Interaction-log reader (DESIGN.md §4): valid turns, and every kind of bad line reported at its
// line and column (or, with skip_bad, counted and skipped).

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/text.hpp"

namespace frugal::harvest {
namespace {

using json = nlohmann::ordered_json;

json valid_turn() {
  return json{{"user", "u1"},
              {"session", "s1"},
              {"time", 12.5},
              {"text", "play jazz in the kitchen"},
              {"asr_confidence", 0.93},
              {"nlu",
               {{"intent", "play_music"},
                {"slots", json::array({json{{"type", "room"}, {"start", 3}, {"end", 5}},
                                       json{{"type", "genre"}, {"start", 1}, {"end", 2}}})},
                {"confidence", 0.71}}},
              {"status", 200}};
}

// A valid first line, then `second` on line 2: errors must name line 2.
std::string log_with_second_line(const std::string& second) {
  return valid_turn().dump() + "\n" + second + "\n";
}

// The 1-based column where the value of the first plain `"key":` starts in `line`.
std::size_t value_column(const std::string& line, const std::string& key) {
  const std::string quoted = fmt::format("\"{}\":", key);
  const std::size_t at = line.find(quoted);
  EXPECT_NE(at, std::string::npos) << key << " in " << line;
  return at + quoted.size() + 1;
}

struct expected_error {
  std::size_t line;
  std::size_t column;
  std::string fragment;  // part of the message
};

void expect_input_error(const std::string& text, const expected_error& expected,
                        const log_read_options& options = {}) {
  try {
    parse_interaction_log(text, "log.jsonl", options);
    ADD_FAILURE() << "accepted: " << text;
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "log.jsonl");
    EXPECT_EQ(error.line(), expected.line) << error.what();
    EXPECT_EQ(error.column(), expected.column) << error.what();
    EXPECT_NE(error.message().find(expected.fragment), std::string::npos)
        << "message: " << error.what() << "\nexpected to contain: " << expected.fragment;
  }
}

TEST(InteractionLog, ReadsEveryField) {
  json first = valid_turn();
  json second = valid_turn();
  second["id"] = "turn-b";
  second["user"] = 42;
  second["session"] = 7;
  second["status"] = "handler_error";
  second["friction"] = true;
  second["truth"] = {{"anything", 1}};  // other keys are ignored
  const std::string text = first.dump() + "\n\n" + second.dump() + "\n";
  const interaction_log log = parse_interaction_log(text, "log.jsonl");
  ASSERT_EQ(log.turns.size(), 2u);
  EXPECT_EQ(log.skipped, 0u);

  const turn& a = log.turns[0];
  EXPECT_EQ(a.id, "1");  // default: the line number
  EXPECT_EQ(a.user, "u1");
  EXPECT_EQ(a.session, "s1");
  EXPECT_DOUBLE_EQ(a.time, 12.5);
  EXPECT_EQ(a.text, "play jazz in the kitchen");
  EXPECT_EQ(a.tokens, (std::vector<std::string>{"play", "jazz", "in", "the", "kitchen"}));
  EXPECT_DOUBLE_EQ(a.asr_confidence, 0.93);
  EXPECT_EQ(a.nlu.intent, "play_music");
  // Sorted by start, whatever the order in the file.
  ASSERT_EQ(a.nlu.slots.size(), 2u);
  EXPECT_EQ(a.nlu.slots[0], (slot_span{"genre", 1, 2}));
  EXPECT_EQ(a.nlu.slots[1], (slot_span{"room", 3, 5}));
  EXPECT_DOUBLE_EQ(a.nlu.confidence, 0.71);
  EXPECT_EQ(a.status, "200");
  EXPECT_FALSE(a.friction.has_value());
  EXPECT_EQ(a.line, 1u);

  const turn& b = log.turns[1];
  EXPECT_EQ(b.id, "turn-b");
  EXPECT_EQ(b.user, "42");
  EXPECT_EQ(b.session, "7");
  EXPECT_EQ(b.status, "handler_error");
  ASSERT_TRUE(b.friction.has_value());
  EXPECT_TRUE(*b.friction);
  EXPECT_EQ(b.line, 3u);  // the blank line 2 is not a turn but still counts
}

TEST(InteractionLog, FrictionAcceptsZeroOneAndBooleans) {
  std::string text;
  const std::vector<json> values{0, 1, false, true};
  for (const json& value : values) {
    json line = valid_turn();
    line["friction"] = value;
    text += line.dump() + "\n";
  }
  const interaction_log log = parse_interaction_log(text, "log.jsonl", {.require_friction = true});
  ASSERT_EQ(log.turns.size(), 4u);
  EXPECT_EQ(log.turns[0].friction, false);
  EXPECT_EQ(log.turns[1].friction, true);
  EXPECT_EQ(log.turns[2].friction, false);
  EXPECT_EQ(log.turns[3].friction, true);

  for (const json& bad : {json(2), json("yes"), json(nullptr), json(0.5)}) {
    json line = valid_turn();
    line["friction"] = bad;
    const std::string second = line.dump();
    expect_input_error(log_with_second_line(second),
                       {2, value_column(second, "friction"), "\"friction\" must be"});
  }
  // Required for training the friction detector.
  expect_input_error(log_with_second_line(valid_turn().dump()),
                     {1, 1, "missing field \"friction\""}, {.require_friction = true});
}

TEST(InteractionLog, TokenizesUnicodeTextAndSpansIndexThoseTokens) {
  json line = valid_turn();
  // NBSP (U+00A0) and an ideographic space (U+3000) separate words too; spellings are kept.
  line["text"] = "Straße\u00a0nach  Müller\u3000straße";
  line["nlu"]["slots"] = json::array({json{{"type", "street"}, {"start", 2}, {"end", 4}}});
  const interaction_log log = parse_interaction_log(line.dump() + "\n", "log.jsonl");
  ASSERT_EQ(log.turns.size(), 1u);
  EXPECT_EQ(log.turns[0].tokens, (std::vector<std::string>{"Straße", "nach", "Müller", "straße"}));
  // The same slot one token further is out of range.
  line["nlu"]["slots"][0]["end"] = 5;
  const std::string bad = line.dump();
  expect_input_error(bad + "\n", {1, value_column(bad, "slots"), "slots"});
}

TEST(InteractionLog, CrlfAndBomAreAccepted) {
  const std::string text = "\xEF\xBB\xBF" + valid_turn().dump() + "\r\n" + valid_turn().dump();
  const interaction_log log = parse_interaction_log(text, "log.jsonl");
  ASSERT_EQ(log.turns.size(), 2u);
  EXPECT_EQ(log.turns[1].line, 2u);
}

TEST(InteractionLog, EachMissingFieldIsAnErrorAtItsLine) {
  for (const char* field : {"user", "session", "time", "text", "asr_confidence", "nlu", "status"}) {
    SCOPED_TRACE(field);
    json line = valid_turn();
    line.erase(field);
    expect_input_error(log_with_second_line(line.dump()),
                       {2, 1, std::string("missing field \"") + field + "\""});
  }
  for (const char* field : {"intent", "slots", "confidence"}) {
    SCOPED_TRACE(field);
    json line = valid_turn();
    line["nlu"].erase(field);
    const std::string second = line.dump();
    // Nested fields point at the enclosing object.
    expect_input_error(log_with_second_line(second),
                       {2, value_column(second, "nlu"), std::string("\"nlu.") + field + "\""});
  }
}

TEST(InteractionLog, WrongTypesAreErrorsAtTheValue) {
  struct wrong {
    const char* field;
    json value;
    const char* fragment;
  };
  const std::vector<wrong> cases{
      {"user", json::array({1}), "\"user\" must be a string or an integer"},
      {"user", 1.5, "\"user\" must be a string or an integer"},
      {"user", "", "empty id"},
      {"session", true, "\"session\" must be a string or an integer"},
      {"time", "noon", "\"time\" must be a number"},
      {"text", 3, "\"text\" must be a string"},
      {"asr_confidence", "high", "\"asr_confidence\" must be a number"},
      {"nlu", "play_music", "\"nlu\" must be an object"},
      {"status", 2.5, "\"status\" must be a string or an integer"},
      {"status", nullptr, "\"status\" must be a string or an integer"},
      {"id", json::object(), "\"id\" must be a string or an integer"},
  };
  for (const wrong& c : cases) {
    SCOPED_TRACE(std::string(c.field) + " = " + c.value.dump());
    json line = valid_turn();
    line[c.field] = c.value;
    const std::string second = line.dump();
    expect_input_error(log_with_second_line(second),
                       {2, value_column(second, c.field), c.fragment});
  }
  const std::vector<wrong> nested{
      {"intent", 5, "\"nlu.intent\" must be a string"},
      {"slots", json::object(), "\"nlu.slots\" must be an array"},
      {"confidence", "0.5", "\"nlu.confidence\" must be a number"},
  };
  for (const wrong& c : nested) {
    SCOPED_TRACE(std::string("nlu.") + c.field);
    json line = valid_turn();
    line["nlu"][c.field] = c.value;
    const std::string second = line.dump();
    expect_input_error(log_with_second_line(second),
                       {2, value_column(second, c.field), c.fragment});
  }
}

TEST(InteractionLog, SlotSpansOutOfRangeOrOverlappingAreErrors) {
  const std::vector<json> bad_slots{
      json::array({json{{"type", "room"}, {"start", 3}, {"end", 6}}}),  // 5 tokens
      json::array({json{{"type", "room"}, {"start", 5}, {"end", 6}}}),  // starts past the end
      json::array({json{{"type", "room"}, {"start", 2}, {"end", 2}}}),  // empty
      json::array({json{{"type", "room"}, {"start", 3}, {"end", 1}}}),  // reversed
      json::array({json{{"type", "a"}, {"start", 0}, {"end", 3}},
                   json{{"type", "b"}, {"start", 2}, {"end", 4}}}),  // overlap
      json::array({json{{"type", "a"}, {"start", 1}, {"end", 2}},
                   json{{"type", "a"}, {"start", 1}, {"end", 2}}}),       // the same span twice
      json::array({json{{"type", "room"}, {"start", -1}, {"end", 2}}}),   // negative
      json::array({json{{"type", "room"}, {"start", 0.5}, {"end", 2}}}),  // not an integer
      json::array({json{{"start", 0}, {"end", 2}}}),                      // no type
      json::array({json{{"type", ""}, {"start", 0}, {"end", 2}}}),        // empty type
  };
  for (const json& slots : bad_slots) {
    SCOPED_TRACE(slots.dump());
    json line = valid_turn();
    line["nlu"]["slots"] = slots;
    const std::string second = line.dump();
    expect_input_error(log_with_second_line(second),
                       {2, value_column(second, "slots"), "\"nlu.slots"});
  }
}

TEST(InteractionLog, EmptyUtterancesAreErrors) {
  for (const char* text : {"", "   ", " \t ", "\u00a0\u3000"}) {
    SCOPED_TRACE(json(text).dump());
    json line = valid_turn();
    line["text"] = text;
    line["nlu"]["slots"] = json::array();
    const std::string second = line.dump();
    expect_input_error(log_with_second_line(second),
                       {2, value_column(second, "text"), "empty utterance"});
  }
}

// Turns are projected onto each other, which allocates source x target word distances: a turn
// past the caps is an error at its "text"; one at the caps is read.
TEST(InteractionLog, TokensPerUtteranceAndBytesPerTokenAreCapped) {
  EXPECT_EQ(max_utterance_tokens, 512u);  // the documented caps
  EXPECT_EQ(max_token_bytes, 256u);
  const auto words = [](std::size_t count) {
    std::string text = "w";
    for (std::size_t i = 1; i < count; ++i) text += " w";
    return text;
  };
  const auto line_with_text = [](const std::string& text) {
    json line = valid_turn();
    line["text"] = text;
    return line.dump();
  };
  const std::string longest_word(max_token_bytes, 'x');
  for (const std::string& text :
       {words(max_utterance_tokens), "play " + longest_word + " in the kitchen"}) {
    const interaction_log log =
        parse_interaction_log(log_with_second_line(line_with_text(text)), "log.jsonl");
    ASSERT_EQ(log.turns.size(), 2u);
    EXPECT_EQ(log.turns[1].tokens, tokenize(text));
  }

  std::string accented;  // 129 two-byte letters: 258 bytes, so the cap counts bytes
  for (int i = 0; i < 129; ++i) accented += "\u00e9";
  const std::vector<std::pair<std::string, std::string>> cases{
      {words(max_utterance_tokens + 1), "has 513 tokens, more than the 512 allowed"},
      {"play " + longest_word + "x in the kitchen", "token 1 of \"text\" has 257 bytes"},
      {"play " + accented + " in the kitchen", "has 258 bytes, more than the 256 allowed"}};
  for (const auto& [text, fragment] : cases) {
    SCOPED_TRACE(fragment);
    const std::string second = line_with_text(text);
    expect_input_error(log_with_second_line(second), {2, value_column(second, "text"), fragment});
  }
}

TEST(InteractionLog, InvalidUtf8IsAnErrorAtTheBadByte) {
  const std::vector<std::string> bad_bytes{
      "\xFF",              // never valid
      "\xC3",              // truncated two-byte sequence
      "\xC0\xAF",          // overlong "/"
      "\xED\xA0\x80",      // UTF-16 surrogate
      "\xF4\x90\x80\x80",  // above U+10FFFF
  };
  for (const std::string& bytes : bad_bytes) {
    json line = valid_turn();
    line["text"] = "play PLACEHOLDER now";
    std::string second = line.dump();
    const std::size_t at = second.find("PLACEHOLDER");
    second.replace(at, std::string("PLACEHOLDER").size(), "caf\xC3\xA9" + bytes);
    // "café" is valid (2 bytes for é); the bad byte follows it.
    expect_input_error(log_with_second_line(second), {2, at + 5 + 1, "invalid UTF-8"});
  }
  // An escaped code point is text, not a byte: \u00e9 is fine.
  const std::string escaped =
      "{\"user\":\"u\",\"session\":\"s\",\"time\":1,\"text\":\"caf\\u00e9\","
      "\"asr_confidence\":1,\"nlu\":{\"intent\":\"x\",\"slots\":[],"
      "\"confidence\":1},\"status\":0}";
  const interaction_log log = parse_interaction_log(escaped + "\n", "log.jsonl");
  ASSERT_EQ(log.turns.size(), 1u);
  EXPECT_EQ(log.turns[0].text, "caf\xC3\xA9");
}

TEST(InteractionLog, MalformedJsonIsAnError) {
  const std::string whole = valid_turn().dump();
  for (const std::string& second :
       {whole.substr(0, whole.size() - 1), std::string("{\"user\": \"u\",}"), std::string("[1, 2]"),
        std::string("not json"), std::string("{\"user\": \"a\" \"session\": 1}")}) {
    SCOPED_TRACE(second);
    try {
      parse_interaction_log(log_with_second_line(second), "log.jsonl");
      ADD_FAILURE() << "accepted";
    } catch (const input_error& error) {
      EXPECT_EQ(error.line(), 2u);
      EXPECT_GE(error.column(), 1u);
      EXPECT_LE(error.column(), second.size() + 1);
    }
  }
}

TEST(InteractionLog, TimeMustBeFiniteAndNonNegative) {
  const auto with_time = [](const std::string& value) {
    std::string line = valid_turn().dump();
    const std::size_t column = value_column(line, "time");
    const std::size_t end = line.find(',', column - 1);
    line.replace(column - 1, end - (column - 1), value);
    return std::pair{line, column};
  };
  for (const std::string value : {"-1", "-0.001"}) {
    SCOPED_TRACE(value);
    const auto [second, column] = with_time(value);
    expect_input_error(log_with_second_line(second), {2, column, "\"time\" must be"});
  }
  // JSON has no infinity; a number too large for a double is the nearest thing. It must be bad
  // input on its line (exit 3, skippable), not an internal error.
  for (const std::string value : {"1e999", "-1e999"}) {
    SCOPED_TRACE(value);
    const std::string text = log_with_second_line(with_time(value).first);
    try {
      parse_interaction_log(text, "log.jsonl");
      ADD_FAILURE() << "accepted";
    } catch (const input_error& error) {
      EXPECT_EQ(error.line(), 2u) << error.what();
    } catch (const std::exception& error) {
      ADD_FAILURE() << "not an input_error: " << error.what();
    }
    try {
      const interaction_log log = parse_interaction_log(text, "log.jsonl", {.skip_bad = true});
      EXPECT_EQ(log.turns.size(), 1u);
      EXPECT_EQ(log.skipped, 1u);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "skip_bad did not skip: " << error.what();
    }
  }
  json zero = valid_turn();
  zero["time"] = 0;
  EXPECT_EQ(parse_interaction_log(zero.dump(), "log.jsonl").turns.size(), 1u);
}

TEST(InteractionLog, ConfidencesMustBeProbabilities) {
  for (const double value : {-0.01, 1.01, 95.0}) {
    SCOPED_TRACE(value);
    json line = valid_turn();
    line["asr_confidence"] = value;
    std::string second = line.dump();
    expect_input_error(log_with_second_line(second), {2, value_column(second, "asr_confidence"),
                                                      "\"asr_confidence\" must be in [0, 1]"});
    line = valid_turn();
    line["nlu"]["confidence"] = value;
    second = line.dump();
    expect_input_error(log_with_second_line(second), {2, value_column(second, "confidence"),
                                                      "\"nlu.confidence\" must be in [0, 1]"});
  }
  json edges = valid_turn();
  edges["asr_confidence"] = 0;
  edges["nlu"]["confidence"] = 1;
  EXPECT_EQ(parse_interaction_log(edges.dump(), "log.jsonl").turns.size(), 1u);
}

TEST(InteractionLog, SkipBadCountsSkipsAndKeepsTheFirstMessages) {
  // 15 bad lines (one of each kind, repeated) between good ones: the good turns survive in order,
  // every bad line is counted, and the first ten messages are kept with their line numbers.
  std::string text;
  std::vector<std::size_t> good_lines, bad_lines;
  std::size_t line_number = 0;
  const auto add = [&](const std::string& line, bool good) {
    text += line + "\n";
    (good ? good_lines : bad_lines).push_back(++line_number);
  };
  json missing = valid_turn();
  missing.erase("status");
  json overlapping = valid_turn();
  overlapping["nlu"]["slots"] = json::array({json{{"type", "a"}, {"start", 0}, {"end", 2}},
                                             json{{"type", "b"}, {"start", 1}, {"end", 3}}});
  json empty = valid_turn();
  empty["text"] = " ";
  const std::vector<std::string> bad{missing.dump(), overlapping.dump(), empty.dump(),
                                     "{\"text\": \"\xFF\"}", "{broken"};
  for (int round = 0; round < 3; ++round) {
    for (const std::string& b : bad) {
      json good = valid_turn();
      good["id"] = fmt::format("g{}", line_number + 1);
      add(good.dump(), true);
      add(b, false);
    }
  }
  expect_input_error(text, {2, 1, "missing field \"status\""});

  const interaction_log log = parse_interaction_log(text, "log.jsonl", {.skip_bad = true});
  EXPECT_EQ(log.skipped, bad_lines.size());
  ASSERT_EQ(log.turns.size(), good_lines.size());
  for (std::size_t i = 0; i < good_lines.size(); ++i) {
    EXPECT_EQ(log.turns[i].line, good_lines[i]);
    EXPECT_EQ(log.turns[i].id, fmt::format("g{}", good_lines[i]));
  }
  ASSERT_EQ(log.skip_messages.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i)
    EXPECT_EQ(log.skip_messages[i].rfind(fmt::format("log.jsonl:{}:", bad_lines[i]), 0), 0u)
        << log.skip_messages[i];
}

TEST(InteractionLog, ReadsFilesAndNamesMissingOnes) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / "frugal-interaction-log-test.jsonl";
  {
    std::ofstream out(path, std::ios::binary);
    out << valid_turn().dump() << "\n{\"user\": 1}\n";
  }
  try {
    read_interaction_log(path.string());
    ADD_FAILURE() << "accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), path.string());
    EXPECT_EQ(error.line(), 2u);
  }
  EXPECT_EQ(read_interaction_log(path.string(), {.skip_bad = true}).turns.size(), 1u);
  std::filesystem::remove(path);
  EXPECT_THROW(read_interaction_log(path.string()), input_error);
}

}  // namespace
}  // namespace frugal::harvest
