// Held-out precision and recall of the harvest detectors, per language (issue 8, "How we will
// know it works"). Usage:
//   frugal_harvest_detectors DATA_DIR [--seed 1] [--epochs 8] [--pairs-per-utterance 4]
//                            [--friction-train LOG --friction-test LOG]
// DATA_DIR is ../shared/data (SLURP and xSID).
//
// Paraphrase detector, per language (en: SLURP; de, it: xSID): trained on synthetic pairs from
// the development split (slurp/devel, *.valid), evaluated on
//  - synthetic pairs from the test split (per kind: recall on positives, false-positive rate on
//    each kind of hard negative), and
//  - natural pairs from the test split: positives are natural paraphrases (same intent, same slot
//    values, different wording: natural_paraphrase_groups); negatives are, for each positive, a
//    same-intent utterance with different slot values (a seeded draw), so both classes share the
//    intent and only the slot values tell them apart.
// Friction detector: trained and tested on labelled logs. Given --friction-train/--friction-test
// (e.g. from `frugal harvest simulate`) it uses them; otherwise it generates labelled turns from
// each language's dev and test utterances with a noisy stand-in NLU (described at
// generated_turns below), and says so in its output.

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/paraphrase.hpp"

namespace {

using namespace frugal::harvest;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct language {
  std::string name;
  std::string dev;
  std::string test;
};

std::vector<paraphrase_example> natural_pairs(const std::vector<annotated_utterance>& data,
                                              std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::map<std::string, std::vector<std::size_t>> by_intent;
  for (std::size_t i = 0; i < data.size(); ++i) by_intent[data[i].intent].push_back(i);
  std::vector<paraphrase_example> pairs;
  for (const std::vector<std::size_t>& group : natural_paraphrase_groups(data)) {
    for (std::size_t x = 0; x < group.size(); ++x)
      for (std::size_t y = x + 1; y < group.size(); ++y) {
        const annotated_utterance& a = data[group[x]];
        const std::string suffix = a.slots.empty() ? "" : "-slots";
        pairs.push_back({a.tokens, data[group[y]].tokens, true, "natural-positive" + suffix});
        // A same-intent utterance whose slot values differ (bounded tries: some intents have
        // one frame only).
        const std::vector<std::size_t>& same_intent = by_intent[a.intent];
        const auto values = slot_values(a);
        for (int attempt = 0; attempt < 50; ++attempt) {
          const annotated_utterance& c = data[same_intent[random() % same_intent.size()]];
          if (slot_values(c) == values) continue;
          pairs.push_back({a.tokens, c.tokens, false, "natural-negative" + suffix});
          break;
        }
      }
  }
  return pairs;
}

// Each share with its 95% Wilson interval (detector_metrics).
void print_metrics(const std::string& what, const detector_metrics& m) {
  const auto share = [](double value, const frugal::estimation::proportion_interval& interval) {
    return fmt::format("{:.3f} [{:.3f}, {:.3f}]", value, interval.lower, interval.upper);
  };
  fmt::print("  {:<26} n={:<6} pos={:<6} precision {}  recall {}  accuracy {}  ECE {:.3f}\n", what,
             m.examples, m.positives, share(m.precision, m.precision_interval),
             share(m.recall, m.recall_interval), share(m.accuracy, m.accuracy_interval),
             m.expected_calibration_error);
}

void per_kind(const paraphrase_detector& detector, const std::vector<paraphrase_example>& pairs) {
  std::map<std::string, std::pair<std::size_t, std::size_t>> counts;  // kind -> (n, flagged)
  for (const paraphrase_example& pair : pairs) {
    auto& [n, flagged] = counts[pair.kind];
    ++n;
    flagged += detector.probability(pair.a, pair.b) >= 0.5;
  }
  for (const auto& [kind, c] : counts)
    fmt::print("    {:<16} n={:<6} {} {:.3f}\n", kind, c.first,
               kind == "positive" ? "recall (flagged)       " : "false-positive rate    ",
               double(c.second) / double(c.first));
}

// Labelled turns from annotated utterances with a stand-in NLU: right 75% of the time (80% of
// those confident, U(0.5, 1), the rest U(0.2, 0.6)), wrong otherwise (another intent of the
// data, no slots, confidence U(0.05, 0.7)). 15% of turns are "noisy audio" (ASR confidence
// U(0.1, 0.6) instead of U(0.6, 1)) and the NLU is then wrong 60% of the time. Status: a wrong
// intent gives "404" 30% of the time, a right one "500" 5% of the time, otherwise "200".
// Friction = NLU wrong or status 500, with 5% of labels flipped.
std::vector<turn> generated_turns(const std::vector<annotated_utterance>& data,
                                  std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<std::string> intents;
  for (const annotated_utterance& u : data) intents.push_back(u.intent);
  std::vector<turn> turns;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const annotated_utterance& u = data[i];
    turn t;
    t.id = std::to_string(i + 1);
    t.tokens = u.tokens;
    for (const std::string& token : u.tokens) t.text += (t.text.empty() ? "" : " ") + token;
    const bool noisy = unit(random) < 0.15;
    t.asr_confidence = noisy ? 0.1 + 0.5 * unit(random) : 0.6 + 0.4 * unit(random);
    const bool wrong = unit(random) < (noisy ? 0.6 : 0.25);
    if (wrong) {
      std::string other = u.intent;
      for (int attempt = 0; attempt < 20 && other == u.intent; ++attempt)
        other = intents[random() % intents.size()];
      t.nlu.intent = other;
      t.nlu.confidence = 0.05 + 0.65 * unit(random);
      t.status = unit(random) < 0.3 ? "404" : "200";
    } else {
      t.nlu.intent = u.intent;
      t.nlu.slots = u.slots;
      t.nlu.confidence = unit(random) < 0.8 ? 0.5 + 0.5 * unit(random) : 0.2 + 0.4 * unit(random);
      t.status = unit(random) < 0.05 ? "500" : "200";
    }
    bool friction = wrong || t.status == "500";
    if (unit(random) < 0.05) friction = !friction;
    t.friction = friction;
    turns.push_back(std::move(t));
  }
  return turns;
}

void friction_report(const std::string& name, const std::vector<turn>& train,
                     const std::vector<turn>& test, const detector_training_settings& settings) {
  const auto start = clock_type::now();
  const friction_detector detector = friction_detector::train(train, settings);
  const double train_seconds = seconds_since(start);
  fmt::print("friction {}: trained on {} turns in {:.2f} s\n", name, train.size(), train_seconds);
  print_metrics("held-out (train split)", detector.training_metrics());
  print_metrics("test", detector.evaluate(test));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr,
               "usage: {} DATA_DIR [--seed N] [--epochs N] [--pairs-per-utterance N] "
               "[--friction-train LOG --friction-test LOG]\n",
               argv[0]);
    return 2;
  }
  const std::string data_dir = argv[1];
  detector_training_settings settings;
  synth_pair_settings synth;
  std::string friction_train, friction_test;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string option = argv[i], value = argv[i + 1];
    if (option == "--seed") {
      settings.seed = synth.seed = std::stoull(value);
    } else if (option == "--epochs") {
      settings.epochs = std::stoull(value);
    } else if (option == "--pairs-per-utterance") {
      synth.pairs_per_utterance = std::stoull(value);
    } else if (option == "--friction-train") {
      friction_train = value;
    } else if (option == "--friction-test") {
      friction_test = value;
    } else {
      fmt::print(stderr, "unknown option {}\n", option);
      return 2;
    }
  }
  const std::vector<language> languages = {
      {"en", data_dir + "/slurp/devel.jsonl", data_dir + "/slurp/test.jsonl"},
      {"de", data_dir + "/xsid/de.valid.conll", data_dir + "/xsid/de.test.conll"},
      {"it", data_dir + "/xsid/it.valid.conll", data_dir + "/xsid/it.test.conll"},
      {"en-xsid", data_dir + "/xsid/en.valid.conll", data_dir + "/xsid/en.test.conll"}};
  try {
    for (const language& lang : languages) {
      const std::vector<annotated_utterance> dev = read_annotated(lang.dev);
      const std::vector<annotated_utterance> test = read_annotated(lang.test);
      const std::vector<paraphrase_example> train_pairs = synthesize_pairs(dev, synth);
      synth_pair_settings test_synth = synth;
      test_synth.seed = synth.seed + 1000;
      const std::vector<paraphrase_example> test_pairs = synthesize_pairs(test, test_synth);
      const std::vector<paraphrase_example> natural = natural_pairs(test, synth.seed);
      auto start = clock_type::now();
      const paraphrase_detector detector = paraphrase_detector::train(train_pairs, settings);
      const double train_seconds = seconds_since(start);
      fmt::print("paraphrase {}: {} dev utterances -> {} synthetic pairs, trained in {:.2f} s\n",
                 lang.name, dev.size(), train_pairs.size(), train_seconds);
      print_metrics("held-out (dev pairs)", detector.training_metrics());
      start = clock_type::now();
      print_metrics("synthetic test pairs", detector.evaluate(test_pairs));
      const double scoring_seconds = seconds_since(start);
      per_kind(detector, test_pairs);
      print_metrics("natural test pairs", detector.evaluate(natural));
      // The same, only where the shared slot values are not empty: without slots, "same intent"
      // is all that makes two SLURP utterances a natural pair ("tag this song with five stars"
      // and "i love this music ... save this to my dance playlist").
      std::vector<paraphrase_example> with_slots;
      for (const paraphrase_example& pair : natural)
        if (pair.kind.ends_with("-slots")) with_slots.push_back(pair);
      print_metrics("natural pairs with slots", detector.evaluate(with_slots));
      fmt::print("  scoring: {:.0f} pairs/s (one thread)\n",
                 double(test_pairs.size()) / scoring_seconds);
      if (friction_train.empty())
        friction_report(lang.name + " (generated turns, stand-in NLU)",
                        generated_turns(dev, synth.seed), generated_turns(test, synth.seed + 1),
                        settings);
    }
    if (!friction_train.empty()) {
      log_read_options options;
      options.require_friction = true;
      const interaction_log train = read_interaction_log(friction_train, options);
      const interaction_log test =
          read_interaction_log(friction_test.empty() ? friction_train : friction_test, options);
      friction_report("(logs " + friction_train + ", " + friction_test + ")", train.turns,
                      test.turns, settings);
    }
  } catch (const std::exception& error) {
    fmt::print(stderr, "error: {}\n", error.what());
    return 3;
  }
  return 0;
}
