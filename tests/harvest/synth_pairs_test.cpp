// synthesize_pairs on a small hand-made dataset whose slot values are capitalised words that
// occur nowhere else, so the test can read each side's carrier and values back independently of
// the code under test and check every pair: positives keep the values and change the carrier
// within the intent, each negative differs by exactly one observed substitution of its kind.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/paraphrase_pairs.hpp"

namespace frugal::harvest {
namespace {

const std::map<std::string, std::string> value_type = {
    {"Paris", "city"},  {"London", "city"},       {"Rome", "city"},       {"Monday", "date"},
    {"Friday", "date"}, {"Lufthansa", "airline"}, {"Alitalia", "airline"}};

annotated_utterance utterance(const std::string& text, const std::string& intent) {
  annotated_utterance u;
  u.intent = intent;
  std::string word;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ' ') {
      if (!word.empty()) u.tokens.push_back(word);
      word.clear();
    } else {
      word += text[i];
    }
  }
  for (std::uint32_t t = 0; t < u.tokens.size(); ++t)
    if (const auto it = value_type.find(u.tokens[t]); it != value_type.end())
      u.slots.push_back({it->second, t, t + 1});
  return u;
}

std::vector<annotated_utterance> flights() {
  return {utterance("book a flight to Paris on Monday", "book"),
          utterance("i want to fly to London on Friday", "book"),
          utterance("please get me a ticket to Rome for Monday", "book"),
          utterance("fly me to Paris", "book"),
          utterance("i need a flight to London", "book"),
          utterance("book Lufthansa to Rome", "book"),
          utterance("get me an Alitalia flight to Paris", "book"),
          utterance("cancel my flight to Paris on Monday", "cancel"),
          utterance("drop the trip to Rome on Friday", "cancel"),
          utterance("cancel the flight to London", "cancel"),
          utterance("what time is it", "time"),
          utterance("tell me the time", "time")};
}

// An utterance read back: its carrier (values as {type}) and its values.
struct reading {
  std::string carrier;
  std::multiset<std::string> values;
  std::multiset<std::string> types;
};

reading read_back(const std::vector<std::string>& tokens) {
  reading r;
  for (const std::string& token : tokens) {
    const auto it = value_type.find(token);
    if (it == value_type.end()) {
      r.carrier += token + ' ';
    } else {
      r.carrier += '{' + it->second + "} ";
      r.values.insert(token);
      r.types.insert(it->second);
    }
  }
  return r;
}

std::map<std::string, std::string> carrier_intents(const std::vector<annotated_utterance>& data) {
  std::map<std::string, std::string> intents;
  for (const annotated_utterance& u : data) intents[read_back(u.tokens).carrier] = u.intent;
  return intents;
}

std::multiset<std::string> minus(const std::multiset<std::string>& x,
                                 const std::multiset<std::string>& y) {
  std::multiset<std::string> out;
  std::set_difference(x.begin(), x.end(), y.begin(), y.end(), std::inserter(out, out.end()));
  return out;
}

std::string joined(const std::vector<std::string>& tokens) {
  std::string text;
  for (const std::string& t : tokens) text += t + ' ';
  return text;
}

TEST(SynthPairs, EveryPairIsWhatItsKindSays) {
  const std::vector<annotated_utterance> data = flights();
  const std::map<std::string, std::string> intent_of = carrier_intents(data);
  std::set<std::string> utterances;
  for (const annotated_utterance& u : data) utterances.insert(joined(u.tokens));
  const std::vector<paraphrase_example> pairs =
      synthesize_pairs(data, {.pairs_per_utterance = 4, .seed = 7});
  ASSERT_FALSE(pairs.empty());
  std::map<std::string, int> kinds;
  for (const paraphrase_example& pair : pairs) {
    ++kinds[pair.kind];
    const reading a = read_back(pair.a), b = read_back(pair.b);
    // One side is always a real utterance of the data.
    EXPECT_TRUE(utterances.count(joined(pair.a)) || utterances.count(joined(pair.b)));
    EXPECT_NE(joined(pair.a), joined(pair.b));
    const auto a_intent = intent_of.find(a.carrier), b_intent = intent_of.find(b.carrier);
    if (pair.kind == "positive") {
      EXPECT_TRUE(pair.paraphrase);
      EXPECT_EQ(a.values, b.values) << joined(pair.a) << "| " << joined(pair.b);
      EXPECT_NE(a.carrier, b.carrier);
      ASSERT_NE(a_intent, intent_of.end());
      ASSERT_NE(b_intent, intent_of.end());
      EXPECT_EQ(a_intent->second, b_intent->second);
      continue;
    }
    EXPECT_FALSE(pair.paraphrase);
    if (pair.kind == "slot-value" || pair.kind == "slot-type") {
      const std::multiset<std::string> lost = minus(a.values, b.values);
      const std::multiset<std::string> gained = minus(b.values, a.values);
      ASSERT_EQ(lost.size(), 1u) << joined(pair.a) << "| " << joined(pair.b);
      ASSERT_EQ(gained.size(), 1u) << joined(pair.a) << "| " << joined(pair.b);
      const std::string& lost_type = value_type.at(*lost.begin());
      const std::string& gained_type = value_type.at(*gained.begin());
      if (pair.kind == "slot-value") {
        EXPECT_EQ(lost_type, gained_type);
      } else {
        EXPECT_NE(lost_type, gained_type);
      }
      // Carriers of the data keep the intent; a slot-type change may also keep the original
      // carrier with a new type in the slot, which no data utterance has.
      ASSERT_NE(a_intent == intent_of.end() ? b_intent : a_intent, intent_of.end());
      if (a_intent != intent_of.end() && b_intent != intent_of.end()) {
        EXPECT_EQ(a_intent->second, b_intent->second);
      }
      if (pair.kind == "slot-value") {
        EXPECT_NE(a_intent, intent_of.end());
        EXPECT_NE(b_intent, intent_of.end());
      }
    } else {
      ASSERT_EQ(pair.kind, "intent");
      EXPECT_EQ(a.values, b.values);
      ASSERT_NE(a_intent, intent_of.end());
      ASSERT_NE(b_intent, intent_of.end());
      EXPECT_NE(a_intent->second, b_intent->second);
    }
  }
  // All four kinds occur on this data.
  EXPECT_GT(kinds["positive"], 0);
  EXPECT_GT(kinds["slot-value"], 0);
  EXPECT_GT(kinds["slot-type"], 0);
  EXPECT_GT(kinds["intent"], 0);
}

TEST(SynthPairs, BalancedWithoutDuplicates) {
  const std::vector<paraphrase_example> pairs =
      synthesize_pairs(flights(), {.pairs_per_utterance = 3, .seed = 1});
  std::size_t positives = 0;
  std::set<std::pair<std::string, std::string>> seen;
  for (const paraphrase_example& pair : pairs) {
    positives += pair.paraphrase;
    const std::string a = joined(pair.a), b = joined(pair.b);
    EXPECT_TRUE(seen.insert(std::minmax(a, b)).second) << "duplicate pair " << a << "| " << b;
  }
  EXPECT_EQ(2 * positives, pairs.size());
}

TEST(SynthPairs, DeterministicForASeed) {
  const std::vector<annotated_utterance> data = flights();
  const auto same = [](const std::vector<paraphrase_example>& x,
                       const std::vector<paraphrase_example>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (x[i].a != y[i].a || x[i].b != y[i].b || x[i].paraphrase != y[i].paraphrase ||
          x[i].kind != y[i].kind)
        return false;
    return true;
  };
  EXPECT_TRUE(same(synthesize_pairs(data, {.seed = 3}), synthesize_pairs(data, {.seed = 3})));
  EXPECT_FALSE(same(synthesize_pairs(data, {.seed = 3}), synthesize_pairs(data, {.seed = 4})));
}

TEST(SynthPairs, NoPairsWithoutAlternatives) {
  // One utterance a frame: no second carrier, no positive, so nothing (balance) is made.
  const std::vector<annotated_utterance> lonely = {utterance("fly me to Paris", "book"),
                                                   utterance("what time is it", "time")};
  EXPECT_TRUE(synthesize_pairs(lonely).empty());
  EXPECT_TRUE(synthesize_pairs(std::vector<annotated_utterance>{}).empty());
}

TEST(SynthPairs, RejectsBadSlots) {
  annotated_utterance bad = utterance("fly me to Paris", "book");
  bad.slots.push_back({"city", 3, 9});
  EXPECT_THROW(synthesize_pairs(std::vector<annotated_utterance>{bad}), input_error);
}

TEST(ParaphrasePairsFile, RoundTripAndErrors) {
  const std::vector<paraphrase_example> pairs = synthesize_pairs(flights());
  std::string text;
  for (const paraphrase_example& pair : pairs) text += paraphrase_pair_line(pair) + '\n';
  const paraphrase_pairs back = parse_paraphrase_pairs(text, "p.jsonl");
  ASSERT_EQ(back.examples.size(), pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_EQ(back.examples[i].a, pairs[i].a);
    EXPECT_EQ(back.examples[i].b, pairs[i].b);
    EXPECT_EQ(back.examples[i].paraphrase, pairs[i].paraphrase);
    EXPECT_EQ(back.examples[i].kind, pairs[i].kind);
  }
  const std::string good = R"({"a": ["x"], "b": ["y"], "paraphrase": true})";
  const auto error_line = [&](const std::string& bad) {
    try {
      parse_paraphrase_pairs(good + "\n" + bad + "\n", "p.jsonl");
    } catch (const input_error& error) {
      EXPECT_EQ(error.file(), "p.jsonl");
      return error.line();
    }
    return std::size_t(0);
  };
  EXPECT_EQ(error_line(R"({"a": ["x"], "b": ["y"], "paraphrase": "yes"})"), 2u);
  EXPECT_EQ(error_line(R"({"a": ["x"], "b": [], "paraphrase": true})"), 2u);
  EXPECT_EQ(error_line(R"({"a": ["x"], "paraphrase": true})"), 2u);
  EXPECT_EQ(error_line(R"({"a": ["x"], "b": ["y"], "paraphrase": true, "kind": 3})"), 2u);
  EXPECT_EQ(error_line("{\"a\": [\"\xff\"], \"b\": [\"y\"], \"paraphrase\": true}"), 2u);
  EXPECT_EQ(error_line(R"({"a": ["x"], "b": ["y"], "paraphrase": tru)"), 2u);
  const paraphrase_pairs skipped =
      parse_paraphrase_pairs(good + "\n{\"a\": 1}\n" + good + "\n", "p.jsonl", /*skip_bad=*/true);
  EXPECT_EQ(skipped.examples.size(), 2u);
  EXPECT_EQ(skipped.skipped, 1u);
}

}  // namespace
}  // namespace frugal::harvest
