// frugal harvest synth-pairs | train-paraphrase | train-friction (issue 8 points 2 and 3):
// build synthetic paraphrase pairs from annotated data, and train the two calibrated detectors
// that `frugal harvest run` uses.

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common_options.hpp"
#include "frugal/error.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/paraphrase_pairs.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest_commands.hpp"
#include "harvest_metrics_output.hpp"

namespace frugal::cli {
namespace {

using json = nlohmann::ordered_json;

void print_metrics(const char* what, const harvest::detector_metrics& m) {
  fmt::print("{:<10} {:>8} examples ({} positive, {} flagged at threshold {})  ECE {:.4f}\n", what,
             grouped(m.examples), grouped(m.positives), grouped(m.flagged), m.threshold,
             m.expected_calibration_error);
  fmt::print("{:<10} precision {}  recall {}  accuracy {}  [95% Wilson]\n", "",
             share_with_interval(m.precision, m.precision_interval),
             share_with_interval(m.recall, m.recall_interval),
             share_with_interval(m.accuracy, m.accuracy_interval));
}

void print_skips(const std::string& path, std::size_t skipped,
                 const std::vector<std::string>& messages) {
  if (skipped == 0) return;
  fmt::print(stderr, "frugal harvest: skipped {} bad line(s) in {}\n", grouped(skipped), path);
  for (const std::string& message : messages) fmt::print(stderr, "  {}\n", message);
}

struct training_options {
  std::string out;
  std::string test_path;
  harvest::detector_training_settings settings;
  bool json_output = false;
  bool skip_bad = false;

  void add(CLI::App& command, const char* test_help) {
    command.add_option("--out", out, "The model file to write")->required();
    command.add_option("--epochs", settings.epochs, "Training epochs")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    command
        .add_option("--seed", settings.seed, "Seed of the held-out split and the training order")
        ->capture_default_str();
    command
        .add_option("--calibration-fraction", settings.calibration_fraction,
                    "Share held out to fit the calibration and measure the model")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 0.9))
        ->check(finite_number());
    command.add_option("--test", test_path, test_help);
    command.add_flag("--skip-bad", skip_bad, "Skip (and count) malformed lines instead of failing");
    command.add_flag("--json", json_output, "Machine-readable output on stdout");
  }
};

// Both labels must occur, or there is nothing to learn or to calibrate.
void require_both_labels(const std::string& path, std::size_t examples, std::size_t positives,
                         const char* what) {
  if (examples < 2)
    throw input_error(path, 0, 0, fmt::format("needs at least two labelled {}", what));
  if (positives == 0 || positives == examples)
    throw input_error(path, 0, 0,
                      fmt::format("all {} {} carry the same label: both are needed to train",
                                  grouped(examples), what));
}

void report_metrics(const char* name, const training_options& options,
                    const harvest::detector_metrics& held_out,
                    const harvest::detector_metrics* test, std::size_t skipped) {
  if (options.json_output) {
    json root{{"model", options.out}, {"held_out", detector_metrics_json(held_out)}};
    if (test) root["test"] = detector_metrics_json(*test);
    root["skipped"] = skipped;
    std::cout << root.dump(2) << '\n';
    return;
  }
  fmt::print("frugal harvest {}: model written to {}\n", name, options.out);
  print_metrics("held-out", held_out);
  if (test) print_metrics("test", *test);
}

struct synth_pairs_command {
  std::vector<std::string> data_paths;
  std::string out;
  harvest::synth_pair_settings settings;
  bool json_output = false;

  void run() const {
    std::vector<harvest::annotated_utterance> data;
    for (const std::string& path : data_paths) {
      std::vector<harvest::annotated_utterance> part = harvest::read_annotated(path);
      data.insert(data.end(), std::make_move_iterator(part.begin()),
                  std::make_move_iterator(part.end()));
    }
    const std::vector<harvest::paraphrase_example> pairs =
        harvest::synthesize_pairs(data, settings);
    io::write_file_atomically(out, [&](std::ostream& stream) {
      for (const harvest::paraphrase_example& pair : pairs)
        stream << harvest::paraphrase_pair_line(pair) << '\n';
    });
    std::map<std::string, std::size_t> by_kind;
    for (const harvest::paraphrase_example& pair : pairs) ++by_kind[pair.kind];
    if (json_output) {
      json kinds = json::object();
      for (const auto& [kind, count] : by_kind) kinds[kind] = count;
      std::cout << json{{"utterances", data.size()},
                        {"pairs", pairs.size()},
                        {"kinds", kinds},
                        {"out", out}}
                       .dump(2)
                << '\n';
      return;
    }
    fmt::print("frugal harvest synth-pairs: {} pairs from {} utterances -> {}\n",
               grouped(pairs.size()), grouped(data.size()), out);
    for (const auto& [kind, count] : by_kind)
      fmt::print("  {:<12} {:>8}  ({})\n", kind, grouped(count),
                 kind == "positive" ? "paraphrase" : "not a paraphrase");
  }
};

struct train_paraphrase_command {
  std::string pairs_path;
  training_options options;

  void run() const {
    const harvest::paraphrase_pairs pairs =
        harvest::read_paraphrase_pairs(pairs_path, options.skip_bad);
    print_skips(pairs_path, pairs.skipped, pairs.skip_messages);
    std::size_t positives = 0;
    for (const harvest::paraphrase_example& example : pairs.examples)
      positives += example.paraphrase;
    require_both_labels(pairs_path, pairs.examples.size(), positives, "pairs");
    harvest::paraphrase_pairs test;
    if (!options.test_path.empty()) {
      test = harvest::read_paraphrase_pairs(options.test_path, options.skip_bad);
      print_skips(options.test_path, test.skipped, test.skip_messages);
    }
    if (progress_wanted())
      fmt::print(stderr, "frugal harvest train-paraphrase: training on {} pairs\n",
                 grouped(pairs.examples.size()));
    const harvest::paraphrase_detector detector =
        harvest::paraphrase_detector::train(pairs.examples, options.settings);
    detector.save(options.out);
    harvest::detector_metrics test_metrics;
    if (!options.test_path.empty()) test_metrics = detector.evaluate(test.examples);
    report_metrics("train-paraphrase", options, detector.training_metrics(),
                   options.test_path.empty() ? nullptr : &test_metrics,
                   pairs.skipped + test.skipped);
  }
};

struct train_friction_command {
  std::string log_path;
  training_options options;

  harvest::interaction_log read(const std::string& path) const {
    harvest::log_read_options read_options;
    read_options.skip_bad = options.skip_bad;
    read_options.require_friction = true;
    harvest::interaction_log log = harvest::read_interaction_log(path, read_options);
    print_skips(path, log.skipped, log.skip_messages);
    return log;
  }

  void run() const {
    const harvest::interaction_log log = read(log_path);
    std::size_t positives = 0;
    for (const harvest::turn& t : log.turns) positives += t.friction.value_or(false);
    require_both_labels(log_path, log.turns.size(), positives, "turns");
    harvest::interaction_log test;
    if (!options.test_path.empty()) test = read(options.test_path);
    if (progress_wanted())
      fmt::print(stderr, "frugal harvest train-friction: training on {} turns\n",
                 grouped(log.turns.size()));
    const harvest::friction_detector detector =
        harvest::friction_detector::train(log.turns, options.settings);
    detector.save(options.out);
    harvest::detector_metrics test_metrics;
    if (!options.test_path.empty()) test_metrics = detector.evaluate(test.turns);
    report_metrics("train-friction", options, detector.training_metrics(),
                   options.test_path.empty() ? nullptr : &test_metrics, log.skipped + test.skipped);
  }
};

}  // namespace

void add_harvest_detector_commands(CLI::App& harvest) {
  {
    auto command = std::make_shared<synth_pairs_command>();
    CLI::App* sub = harvest.add_subcommand(
        "synth-pairs",
        "Synthetic paraphrase pairs from annotated utterances: positives inject one utterance's "
        "slot values into another carrier phrase of its intent; hard negatives change one slot "
        "value, one slot type or the intent, using only substitutions seen in the data");
    sub->add_option(
           "DATA", command->data_paths,
           "Annotated data: SLURP .jsonl, xSID .conll or annotated JSONL (several allowed)")
        ->required()
        ->check(CLI::ExistingFile);
    sub->add_option("--out", command->out, "Pairs file to write (JSON Lines)")->required();
    sub->add_option("--pairs-per-utterance", command->settings.pairs_per_utterance,
                    "Positives made from each utterance (as many negatives, then balanced)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    sub->add_option("--seed", command->settings.seed, "Seed of every random choice")
        ->capture_default_str();
    sub->add_flag("--json", command->json_output, "Machine-readable summary on stdout");
    sub->footer(
        "Each output line: {\"a\": [tokens], \"b\": [tokens], \"paraphrase\": true|false, "
        "\"kind\": \"positive\"|\"slot-value\"|\"slot-type\"|\"intent\"}. Positives and "
        "negatives are balanced; no pair occurs twice; the same input and seed give the same "
        "file.");
    sub->callback([command] { command->run(); });
  }
  {
    auto command = std::make_shared<train_paraphrase_command>();
    CLI::App* sub = harvest.add_subcommand(
        "train-paraphrase",
        "Train the paraphrase detector on pairs (as synth-pairs writes them): a calibrated "
        "probability that one utterance rephrases another");
    sub->add_option("PAIRS", command->pairs_path, "Pairs file (JSON Lines)")
        ->required()
        ->check(CLI::ExistingFile);
    command->options.add(*sub, "Also report precision/recall/ECE on this pairs file");
    sub->footer(
        "Held-out metrics come from the --calibration-fraction share of PAIRS, which also fits "
        "the Platt calibration (cross-fitted in halves, so the figures are not measured on the "
        "data the calibration saw). Precision and recall at probability 0.5.");
    sub->callback([command] { command->run(); });
  }
  {
    auto command = std::make_shared<train_friction_command>();
    CLI::App* sub = harvest.add_subcommand(
        "train-friction",
        "Train the friction detector on an interaction log whose turns carry \"friction\": a "
        "calibrated probability that a turn failed the user");
    sub->add_option("LOG", command->log_path, "Interaction log (JSON Lines, DESIGN.md §4)")
        ->required()
        ->check(CLI::ExistingFile);
    command->options.add(*sub, "Also report precision/recall/ECE on this labelled log");
    sub->footer(
        "Features: the utterance's words and word pairs, the NLU intent and slot types, the NLU "
        "and ASR confidences (raw and binned) and the status code. Held-out metrics as for "
        "train-paraphrase.");
    sub->callback([command] { command->run(); });
  }
}

}  // namespace frugal::cli
