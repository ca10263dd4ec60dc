// The harvest simulator's NLU model (frugal/harvest/nlu.hpp): it learns a small grammar
// perfectly, does sensibly on real SLURP data, is deterministic, and its files round-trip while
// garbage is an input_error.

#include "frugal/harvest/nlu.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "frugal/error.hpp"
#include "frugal/harvest/datasets.hpp"

namespace frugal::harvest {
namespace {

// A synthetic grammar: 3 intents, carriers with slots of 3 types, every carrier filled with every
// value of its types. Returned in a fixed order.
std::vector<annotated_utterance> grammar() {
  struct carrier {
    const char* intent;
    std::vector<std::string> words;  // "{type}" marks a slot
  };
  const std::vector<carrier> carriers = {
      {"play_music", {"play", "{artist}", "please"}},
      {"play_music", {"put", "on", "some", "{artist}"}},
      {"weather", {"what", "is", "the", "weather", "in", "{city}"}},
      {"weather", {"will", "it", "rain", "in", "{city}", "{date}"}},
      {"alarm", {"wake", "me", "up", "{date}"}},
      {"alarm", {"set", "an", "alarm", "for", "{date}"}},
  };
  const std::map<std::string, std::vector<std::vector<std::string>>> values = {
      {"artist", {{"queen"}, {"miles", "davis"}, {"the", "rolling", "stones"}}},
      {"city", {{"paris"}, {"new", "york"}, {"berlin"}}},
      {"date", {{"tomorrow"}, {"next", "monday"}, {"at", "seven"}}},
  };
  std::vector<annotated_utterance> data;
  for (const carrier& c : carriers) {
    // Slots per carrier: enumerate value index combinations (at most two slots here).
    std::vector<std::string> types;
    for (const std::string& w : c.words)
      if (w.front() == '{') types.push_back(w.substr(1, w.size() - 2));
    const std::size_t combinations = types.size() == 1 ? 3 : 9;
    for (std::size_t k = 0; k < combinations; ++k) {
      annotated_utterance u;
      u.intent = c.intent;
      std::size_t slot = 0;
      for (const std::string& w : c.words) {
        if (w.front() != '{') {
          u.tokens.push_back(w);
          continue;
        }
        const auto& value = values.at(types[slot])[slot == 0 ? k % 3 : k / 3];
        const auto start = static_cast<std::uint32_t>(u.tokens.size());
        u.tokens.insert(u.tokens.end(), value.begin(), value.end());
        u.slots.push_back({types[slot], start, static_cast<std::uint32_t>(u.tokens.size())});
        ++slot;
      }
      data.push_back(u);
    }
  }
  return data;
}

std::string model_bytes(const nlu_model& model) {
  std::ostringstream out;
  model.write(out);
  return out.str();
}

TEST(NluModel, LearnsASmallGrammarPerfectly) {
  const std::vector<annotated_utterance> data = grammar();
  const nlu_model model = nlu_model::train(data);
  for (const annotated_utterance& u : data) {
    const nlu_hypothesis h = model.predict(u.tokens);
    EXPECT_TRUE(nlu_model::correct(h, u)) << utterance_key(u.tokens) << " -> " << h.intent;
    EXPECT_GT(h.confidence, 0.0);
    EXPECT_LE(h.confidence, 1.0);
  }
  // Case and a new combination of known parts do not confuse it.
  const nlu_hypothesis h = model.predict({"Will", "it", "rain", "in", "Berlin", "tomorrow"});
  EXPECT_EQ(h.intent, "weather");
  ASSERT_EQ(h.slots.size(), 2u);
  EXPECT_EQ(h.slots[0], (slot_span{"city", 4, 5}));
  EXPECT_EQ(h.slots[1], (slot_span{"date", 5, 6}));
}

TEST(NluModel, DecodingAlwaysGivesValidSlots) {
  const nlu_model model = nlu_model::train(grammar());
  const std::vector<std::vector<std::string>> odd = {{"stones"},
                                                     {"rolling", "rolling", "rolling"},
                                                     {"in", "in", "new", "york", "york"},
                                                     {"zzz", "qqq", "next", "seven", "davis"}};
  for (const auto& tokens : odd) {
    const nlu_hypothesis h = model.predict(tokens);
    EXPECT_EQ(slot_problem(h.slots, tokens.size()), "");
  }
  EXPECT_EQ(model.predict({}).intent, "");
}

TEST(NluModel, AWordNeverSeenInTrainingContributesNothing) {
  // Two made-up words with the same shape and no known prefix or suffix: whatever the model
  // says about one it must say about the other, to the last bit. Hashed features would score
  // each by the weights of whatever seen features share its rows.
  const nlu_model model = nlu_model::train(grammar());
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> pairs = {
      {{"play", "zqxv", "please"}, {"play", "wkjy", "please"}},
      {{"what", "is", "the", "weather", "in", "zqxv"},
       {"what", "is", "the", "weather", "in", "wkjy"}},
      {{"zqxv"}, {"wkjy"}}};
  for (const auto& [a, b] : pairs) {
    const nlu_hypothesis x = model.predict(a), y = model.predict(b);
    EXPECT_EQ(x.intent, y.intent) << utterance_key(a);
    EXPECT_EQ(x.slots, y.slots) << utterance_key(a);
    EXPECT_EQ(x.confidence, y.confidence) << utterance_key(a);
  }
  // And an unseen value in a known phrasing is found from its context.
  const nlu_hypothesis city = model.predict({"what", "is", "the", "weather", "in", "zqxv"});
  EXPECT_EQ(city.intent, "weather");
  EXPECT_EQ(city.slots, (std::vector<slot_span>{{"city", 5, 6}}));
  const nlu_hypothesis artist = model.predict({"play", "zqxv", "please"});
  EXPECT_EQ(artist.intent, "play_music");
  EXPECT_EQ(artist.slots, (std::vector<slot_span>{{"artist", 1, 2}}));
}

TEST(NluModel, HarvestedOTagsWeighLess) {
  const std::vector<annotated_utterance> head = grammar();
  // A harvested phrasing whose annotation leaves a word O that is a city elsewhere (as SLURP
  // leaves "this year" unannotated in one utterance and a date in others), with its refills.
  std::vector<annotated_utterance> harvested;
  for (const char* word : {"lisbon", "lisbon", "lisbon"})
    harvested.push_back({{"how", "warm", "is", word, "now"}, "weather", {}});
  std::vector<annotated_utterance> joined = head;
  joined.insert(joined.end(), harvested.begin(), harvested.end());
  // Weight 1 is plain training on the two concatenated, to the byte.
  nlu_settings full;
  full.harvested_o_weight = 1.0;
  EXPECT_EQ(model_bytes(nlu_model::train(head, harvested, full)),
            model_bytes(nlu_model::train(joined, full)));
  // Learnt at full weight, the O pulls the city out of a head phrasing; at the default weight
  // the phrasing wins.
  const std::vector<std::string> head_phrasing{"what", "is", "the", "weather", "in", "lisbon"};
  EXPECT_EQ(nlu_model::train(head, harvested, full).predict(head_phrasing).slots,
            std::vector<slot_span>{});
  EXPECT_EQ(nlu_model::train(head, harvested, nlu_settings{}).predict(head_phrasing).slots,
            (std::vector<slot_span>{{"city", 5, 6}}));
  nlu_settings bad;
  bad.harvested_o_weight = 1.5;
  EXPECT_THROW(nlu_model::train(head, harvested, bad), std::invalid_argument);
  EXPECT_THROW(nlu_model::train({}, {}, nlu_settings{}), std::invalid_argument);
}

TEST(NluModel, TagsFollowTheIntent) {
  // The same last three words are an item when buying and nothing when painting; only the
  // intent, decided by the first word, tells them apart (the tagger's window is two words).
  std::vector<annotated_utterance> data;
  for (const char* colour : {"red", "green", "blue", "white"})
    for (const char* fruit : {"apple", "pear", "plum"}) {
      data.push_back({{"buy", "the", "big", "and", colour, fruit}, "shop", {{"item", 5, 6}}});
      data.push_back({{"paint", "the", "big", "and", colour, fruit}, "art", {}});
    }
  const nlu_model model = nlu_model::train(data);
  for (const annotated_utterance& u : data)
    EXPECT_TRUE(nlu_model::correct(model.predict(u.tokens), u)) << utterance_key(u.tokens);
}

TEST(NluModel, SlotWordDropoutIsSeededAndChecked) {
  const std::vector<annotated_utterance> data = grammar();
  nlu_settings settings;
  settings.slot_word_dropout = 0.5;
  const std::string dropped = model_bytes(nlu_model::train(data, settings));
  EXPECT_EQ(model_bytes(nlu_model::train(data, settings)), dropped);
  settings.slot_word_dropout = 0.0;
  EXPECT_NE(model_bytes(nlu_model::train(data, settings)), dropped);
  for (const double bad : {-0.1, 1.0, std::nan("")}) {
    settings.slot_word_dropout = bad;
    EXPECT_THROW(nlu_model::train(data, settings), std::invalid_argument) << bad;
  }
}

TEST(NluModel, IsDeterministicAndRoundTrips) {
  const std::vector<annotated_utterance> data = grammar();
  nlu_settings settings;
  settings.seed = 7;
  const nlu_model a = nlu_model::train(data, settings);
  const nlu_model b = nlu_model::train(data, settings);
  const std::string bytes = model_bytes(a);
  EXPECT_EQ(bytes, model_bytes(b));
  std::istringstream in(bytes);
  const nlu_model read = nlu_model::read(in, "m.nlu");
  EXPECT_EQ(model_bytes(read), bytes);
  EXPECT_EQ(read.intents(), a.intents());
  for (const annotated_utterance& u : data) {
    const nlu_hypothesis x = a.predict(u.tokens), y = read.predict(u.tokens);
    EXPECT_EQ(x.intent, y.intent);
    EXPECT_EQ(x.slots, y.slots);
    EXPECT_EQ(x.confidence, y.confidence);
  }
}

TEST(NluModel, GarbageIsAnInputError) {
  const std::string bytes = model_bytes(nlu_model::train(grammar()));
  const std::vector<std::string> bad = {"", "not a model", bytes.substr(0, 8),
                                        bytes.substr(0, bytes.size() / 2), bytes + "x"};
  for (const std::string& text : bad) {
    std::istringstream in(text);
    EXPECT_THROW(nlu_model::read(in, "bad.nlu"), input_error) << text.size();
  }
  std::string wrong_version = bytes;
  wrong_version[8] = 9;
  std::istringstream in(wrong_version);
  try {
    nlu_model::read(in, "bad.nlu");
    FAIL() << "a wrong version was accepted";
  } catch (const input_error& error) {
    EXPECT_EQ(error.file(), "bad.nlu");
    EXPECT_NE(std::string(error.what()).find("version"), std::string::npos);
  }
  EXPECT_THROW(nlu_model::load("/nonexistent/dir/model.nlu"), input_error);
  EXPECT_THROW(nlu_model::train(std::vector<annotated_utterance>{}), std::invalid_argument);
}

// Real data: trained on two thirds of SLURP devel, tested on the rest. Observed (seed 1):
// intent accuracy 0.607 and exact match 0.412 (0.383 with hashed features, greedy decoding, no
// intent-joined tagger features and no slot-word dropout; 0.440 with all of those but the
// shuffled epoch order before training_order.hpp); the bounds leave room for retuning but fail
// for a model that learns nothing (a majority-intent guess has accuracy < 0.1).
TEST(NluModel, IsSensibleOnSlurpDevel) {
  const std::vector<annotated_utterance> data =
      read_slurp(std::string(FRUGAL_SHARED_DATA_DIR) + "/slurp/devel.jsonl");
  ASSERT_GT(data.size(), 1500u);
  std::vector<annotated_utterance> train, test;
  for (std::size_t i = 0; i < data.size(); ++i) (i % 3 == 2 ? test : train).push_back(data[i]);
  const nlu_model model = nlu_model::train(train);
  std::size_t intents = 0, exact = 0;
  for (const annotated_utterance& u : test) {
    const nlu_hypothesis h = model.predict(u.tokens);
    intents += h.intent == u.intent;
    exact += nlu_model::correct(h, u);
  }
  const double intent_accuracy = double(intents) / double(test.size());
  const double exact_match = double(exact) / double(test.size());
  std::printf("SLURP devel 2/3 -> 1/3: intent accuracy %.3f, exact match %.3f (%zu utterances)\n",
              intent_accuracy, exact_match, test.size());
  EXPECT_GT(intent_accuracy, 0.50);
  EXPECT_GT(exact_match, 0.30);
}

// Retraining with a few added utterances (a harvest) changes the model by those utterances, not
// by a reshuffle of the training order. Here 27 utterances are added to 1,329: with a fresh
// shuffle for the longer data (std::shuffle, before the epoch order of training_order.hpp) 25.1%
// of the held-out predictions changed; with the stable order, 6.9%.
TEST(NluModel, AddedUtterancesChangeFewPredictions) {
  const std::vector<annotated_utterance> data =
      read_slurp(std::string(FRUGAL_SHARED_DATA_DIR) + "/slurp/devel.jsonl");
  std::vector<annotated_utterance> train, added, test;
  for (std::size_t i = 0; i < data.size(); ++i)
    (i % 3 == 2 ? test : i % 50 == 0 ? added : train).push_back(data[i]);
  std::vector<annotated_utterance> retrain = train;
  retrain.insert(retrain.end(), added.begin(), added.end());
  const nlu_model before = nlu_model::train(train);
  const nlu_model after = nlu_model::train(retrain);
  std::size_t changed = 0;
  for (const annotated_utterance& u : test) {
    const nlu_hypothesis a = before.predict(u.tokens), b = after.predict(u.tokens);
    changed += a.intent != b.intent || a.slots != b.slots;
  }
  const double share = double(changed) / double(test.size());
  std::printf("%zu added to %zu training utterances: %.3f of %zu predictions changed\n",
              added.size(), train.size(), share, test.size());
  EXPECT_LT(share, 0.12);
}

}  // namespace
}  // namespace frugal::harvest
