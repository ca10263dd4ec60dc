// SLURP, xSID and annotated-JSONL readers, slot checks and BIO tags
// (frugal/harvest/datasets.hpp, frugal/harvest/annotation.hpp).

#include "frugal/harvest/datasets.hpp"

#include <gtest/gtest.h>

#include <string>

#include "frugal/error.hpp"

namespace frugal::harvest {
namespace {

std::string error_of(auto&& call) {
  try {
    call();
  } catch (const input_error& error) {
    return error.what();
  }
  return "no error";
}

TEST(SlotProblem, NamesEachKindOfBadSpan) {
  EXPECT_EQ(slot_problem({{"date", 0, 1}, {"time", 1, 3}}, 3), "");
  EXPECT_NE(slot_problem({{"", 0, 1}}, 3).find("empty type"), std::string::npos);
  EXPECT_NE(slot_problem({{"date", 2, 2}}, 3).find("empty span"), std::string::npos);
  EXPECT_NE(slot_problem({{"date", 2, 4}}, 3).find("has 3 tokens"), std::string::npos);
  EXPECT_NE(slot_problem({{"a", 1, 3}, {"b", 0, 2}}, 3).find("overlap"), std::string::npos);
}

TEST(Bio, RoundTripsSlots) {
  const annotated_utterance u{{"wake", "me", "at", "seven", "am", "tomorrow"},
                              "alarm_set",
                              {{"time", 3, 5}, {"date", 5, 6}}};
  const std::vector<std::string> tags = bio_tags(u);
  EXPECT_EQ(tags, (std::vector<std::string>{"O", "O", "O", "B-time", "I-time", "B-date"}));
  EXPECT_EQ(slots_from_bio(tags), u.slots);
  // An I- tag that continues nothing starts a slot; B- after B- of one type is two slots.
  EXPECT_EQ(slots_from_bio({"I-x", "I-x", "O", "B-y", "B-y"}),
            (std::vector<slot_span>{{"x", 0, 2}, {"y", 3, 4}, {"y", 4, 5}}));
}

TEST(UtteranceKey, IsTheNormalFormOfTheWords) {
  EXPECT_EQ(utterance_key({"Wie", "HEISS", "ist's"}), "wie heiss ist's");
  EXPECT_EQ(utterance_key({"Straße"}), utterance_key({"STRASSE"}));
}

TEST(Slurp, ReadsTokensIntentsAndEntitySpans) {
  const std::string line =
      R"({"sentence": "wake me at seven am", "sentence_annotation": "x", "intent": "alarm_set", )"
      R"("tokens": [{"surface": "wake"}, {"surface": "me"}, {"surface": "at"}, )"
      R"({"surface": "seven"}, {"surface": "am"}], "entities": [{"span": [4, 3], "type": "time"}]})";
  const auto data = parse_slurp(line + "\n", "s.jsonl");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].intent, "alarm_set");
  EXPECT_EQ(data[0].tokens.size(), 5u);
  EXPECT_EQ(data[0].slots, (std::vector<slot_span>{{"time", 3, 5}}));

  std::string gap = line;
  gap.replace(gap.find("[4, 3]"), 6, "[2, 4]");
  EXPECT_NE(error_of([&] { parse_slurp(gap, "s.jsonl"); }).find("s.jsonl:1:"), std::string::npos);
  EXPECT_NE(error_of([&] { parse_slurp(gap, "s.jsonl"); }).find("not contiguous"),
            std::string::npos);
  std::string outside = line;
  outside.replace(outside.find("[4, 3]"), 6, "[5]");
  EXPECT_NE(error_of([&] { parse_slurp(outside, "s.jsonl"); }).find("outside the 5 tokens"),
            std::string::npos);
  EXPECT_NE(error_of([&] { parse_slurp("\n{\"intent\": 1}\n", "s.jsonl"); }).find("s.jsonl:2:"),
            std::string::npos);
}

TEST(Xsid, ReadsBlocksAndBioTags) {
  const std::string text =
      "# id = 1\n# text = Regnet es heute?\n# intent = weather/find\n"
      "1\tRegnet\tweather/find\tB-weather/attribute\n2\tes\tweather/find\tO\n"
      "3\theute\tweather/find\tB-datetime\n4\t?\tweather/find\tO\n\n"
      "# intent = alarm/set_alarm\n1\tWecke\talarm/set_alarm\tO\n"
      "2\tmich\talarm/set_alarm\tO\n3\tum\talarm/set_alarm\tB-datetime\n"
      "4\tsieben\talarm/set_alarm\tI-datetime\n";
  const auto data = parse_xsid(text, "de.conll");
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0].intent, "weather/find");
  EXPECT_EQ(data[0].slots,
            (std::vector<slot_span>{{"weather/attribute", 0, 1}, {"datetime", 2, 3}}));
  EXPECT_EQ(data[1].tokens.back(), "sieben");
  EXPECT_EQ(data[1].slots, (std::vector<slot_span>{{"datetime", 2, 4}}));

  EXPECT_NE(error_of([&] {
              parse_xsid("# intent = a\n1\tx\ta\n", "x.conll");
            }).find("x.conll:2:1: expected 4 tab-separated columns"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { parse_xsid("# intent = a\n1\tx\ta\tQ-foo\n", "x.conll"); }).find("x.conll:2:"),
      std::string::npos);
  EXPECT_NE(error_of([&] { parse_xsid("1\tx\ta\tO\n", "x.conll"); }).find("without \"# intent"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_xsid("# intent = a\n1\tx\xff\ta\tO\n", "x.conll");
            }).find("x.conll:2:4: invalid UTF-8"),
            std::string::npos);
}

// A token cell holds exactly one word by tokenize()'s rules: not empty, not blank (Unicode
// white space included), not two words; the error points at the cell.
TEST(Xsid, TokenCellMustBeOneWord) {
  for (const std::string cell : {"", " ", "\u00a0", "\u3000", "a b", "a\u00a0b", "a\u2009b"}) {
    SCOPED_TRACE(cell);
    EXPECT_NE(error_of([&] {
                parse_xsid("# intent = a\n12\t" + cell + "\ta\tO\n", "x.conll");
              }).find("x.conll:2:4: a token must be one non-empty word"),
              std::string::npos);
  }
  // Surrounding blanks are trimmed; non-ASCII words are one word.
  const auto data = parse_xsid("# intent = a\n1\t Straße \ta\tO\n2\tperché\ta\tO\n", "x.conll");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].tokens, (std::vector<std::string>{"Straße", "perché"}));
}

TEST(AnnotatedJsonl, ReadsAndChecksSlots) {
  const auto data = parse_annotated_jsonl(
      R"({"tokens": ["play", "the", "beatles"], "intent": "play_music", "slots": [{"type": "artist", "start": 1, "end": 3}]})",
      "a.jsonl");
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0].slots, (std::vector<slot_span>{{"artist", 1, 3}}));
  const std::string out_of_range =
      "\n"
      R"({"tokens": ["play"], "intent": "p", "slots": [{"type": "a", "start": 0, "end": 2}]})";
  const std::string message = error_of([&] { parse_annotated_jsonl(out_of_range, "a.jsonl"); });
  EXPECT_NE(message.find("a.jsonl:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("has 1 token"), std::string::npos) << message;
  const std::string overlapping =
      R"({"tokens": ["a", "b", "c"], "intent": "p", "slots": [{"type": "x", "start": 0, "end": 2}, {"type": "y", "start": 1, "end": 3}]})";
  EXPECT_NE(error_of([&] { parse_annotated_jsonl(overlapping, "a.jsonl"); }).find("overlap"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_annotated_jsonl(R"({"tokens": [], "intent": "p", "slots": []})", "a.jsonl");
            }).find("is empty"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              parse_annotated_jsonl("{\"tokens\": [\"a\xff\"]}", "a.jsonl");
            }).find("a.jsonl:1:15: invalid UTF-8"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { parse_annotated_jsonl("{\"tokens\": [", "a.jsonl"); }).find("invalid JSON"),
      std::string::npos);
  // A number beyond double's range is nlohmann's out_of_range, not a parse error (found by
  // fuzzing): still a clear input error, never an uncaught exception.
  EXPECT_NE(error_of([&] {
              parse_annotated_jsonl("{\"tokens\": 990000000000000000000e11111}", "a.jsonl");
            }).find("a.jsonl:1:1: invalid JSON"),
            std::string::npos);
}

TEST(NaturalParaphraseGroups, GroupSameIntentAndValuesWithDifferentWording) {
  const std::vector<annotated_utterance> data{
      {{"wake", "me", "at", "seven"}, "alarm_set", {{"time", 3, 4}}},
      {{"set", "an", "alarm", "for", "Seven"}, "alarm_set", {{"time", 4, 5}}},
      {{"wake", "me", "at", "seven"}, "alarm_set", {{"time", 3, 4}}},  // same wording: not new
      {{"wake", "me", "at", "eight"}, "alarm_set", {{"time", 3, 4}}},  // other value
      {{"seven"}, "weather_query", {{"time", 0, 1}}},                  // other intent
  };
  EXPECT_EQ(natural_paraphrase_groups(data), (std::vector<std::vector<std::size_t>>{{0, 1}}));
}

TEST(SharedData, ReadsTheRealFiles) {
  const std::string dir = FRUGAL_SHARED_DATA_DIR;
  const auto slurp = read_annotated(dir + "/slurp/test.jsonl");
  EXPECT_EQ(slurp.size(), 2974u);
  const auto german = read_annotated(dir + "/xsid/de.test.conll");
  EXPECT_EQ(german.size(), 500u);
  std::size_t pairs = 0;
  for (const auto& group : natural_paraphrase_groups(slurp))
    pairs += group.size() * (group.size() - 1);
  // data/README.md: "about 240 groups, 18k ordered pairs" in SLURP test.
  EXPECT_GT(natural_paraphrase_groups(slurp).size(), 200u);
  EXPECT_GT(pairs, 10000u);
}

}  // namespace
}  // namespace frugal::harvest
