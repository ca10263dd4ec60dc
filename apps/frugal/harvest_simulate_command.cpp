// frugal harvest simulate | evaluate: the simulator and the experiment that shows what
// harvesting gains (issue 8 point 7, frugal/harvest/simulation.hpp).

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common_options.hpp"
#include "frugal/error.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/nlu.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/simulation.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest_commands.hpp"
#include "harvest_metrics_output.hpp"

namespace frugal::cli {
namespace {

using json = nlohmann::ordered_json;
using namespace frugal::harvest;

std::vector<annotated_utterance> read_all(const std::vector<std::string>& paths) {
  std::vector<annotated_utterance> data;
  for (const std::string& path : paths) {
    std::vector<annotated_utterance> part = read_annotated(path);
    data.insert(data.end(), std::make_move_iterator(part.begin()),
                std::make_move_iterator(part.end()));
  }
  return data;
}

std::string joined(const std::vector<std::string>& paths) {
  std::string text;
  for (const std::string& path : paths) text += (text.empty() ? "" : ", ") + path;
  return text;
}

// The NLU's two classifiers, intent and slot tagger, each need two classes or more, and it
// needs an utterance to learn from. The library rejects less as a caller's mistake
// (std::invalid_argument, an internal error here); for these commands it is a property of the
// data files, so it is bad input naming them. `head` is what the NLU would be trained on.
void check_nlu_training_data(const std::vector<annotated_utterance>& head,
                             const std::vector<std::string>& paths) {
  const std::string files = joined(paths);
  if (head.empty())
    throw input_error(files, 0, 0,
                      "no utterance can be simulated: each has a token that is empty, more "
                      "than one word or not UTF-8");
  std::set<std::string> intents;
  bool any_slot = false;
  for (const annotated_utterance& utterance : head) {
    intents.insert(utterance.intent);
    any_slot = any_slot || !utterance.slots.empty();
  }
  if (intents.size() < 2)
    throw input_error(files, 0, 0,
                      fmt::format("every utterance has the intent \"{}\"; the NLU's intent "
                                  "classifier needs two intents or more",
                                  *intents.begin()));
  if (!any_slot)
    throw input_error(files, 0, 0,
                      "no utterance has a slot; the NLU's slot tagger needs one at least");
}

constexpr const char* slot_dropout_help =
    "NLU training: share of slot-value words whose own word features are left out, so that the "
    "tagger learns to find unseen values from their context";

// The traffic options simulate and evaluate share.
struct traffic_options {
  simulation_settings settings;
  void add(CLI::App& command) {
    command.add_option("--turns", settings.turns, "Simulated turns (at least; whole sessions)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{50'000'000}));
    command.add_option("--users", settings.users, "Simulated users")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
    command
        .add_option("--zipf", settings.zipf_exponent,
                    "Zipf exponent s of frame popularity (1 / rank^s)")
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 4.0));
    command
        .add_option("--fills", settings.fills_per_carrier,
                    "Frames per carrier phrase (its own slot values and others observed)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100}));
    command
        .add_option("--max-attempts", settings.max_attempts,
                    "Tries per request before a simulated user gives up")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{20}));
    command.add_option("--noise", settings.noise_rate, "Share of turns with one ASR-noised word")
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 1.0));
  }
};

struct progress_printer {
  std::string command;
  std::string last;
  void operator()(const std::string& stage, std::size_t, std::size_t) {
    if (!progress_wanted() || stage == last) return;
    last = stage;
    fmt::print(stderr, "frugal harvest {}: {}\n", command, stage);
  }
};

struct simulate_command {
  std::vector<std::string> data_paths;
  std::string language;
  std::string out_path;
  std::string nlu_out;
  std::uint64_t seed = 1;
  std::size_t training_fills = 2;
  nlu_settings nlu;  ///< the seed is --seed's, set in run()
  traffic_options traffic;
  bool json_output = false;

  void run() {
    const std::vector<annotated_utterance> data = read_all(data_paths);
    progress_printer progress{"simulate", {}};
    progress("building the world", 0, 1);
    const simulation_world world = simulation_world::build(data, seed);
    const std::vector<annotated_utterance> head = world.head_training_data(training_fills, seed);
    check_nlu_training_data(head, data_paths);
    progress("training the NLU on the head carriers", 0, 1);
    nlu.seed = seed;
    const nlu_model model = nlu_model::train(head, nlu);
    progress("simulating", 0, 1);
    simulation_settings settings = traffic.settings;
    settings.seed = seed;
    settings.frame_seed = seed;
    const simulated_log log = simulate_log(world, model, settings);
    const std::string text = simulated_log_text(log);
    // The log and the model that produced it appear together or not at all.
    io::staged_outputs outputs;
    outputs.stage(out_path, [&](std::ostream& out) { out << text; });
    if (!nlu_out.empty()) outputs.stage(nlu_out, [&](std::ostream& out) { model.write(out); });
    outputs.commit();

    std::size_t frictions = 0;
    for (const simulated_turn& t : log.turns) frictions += t.logged.friction.value_or(false);
    if (json_output) {
      json root{{"language", language},
                {"utterances", data.size()},
                {"head_carriers", world.head_carriers()},
                {"tail_carriers", world.tail_carriers()},
                {"nlu_training_utterances", head.size()},
                {"turns", log.turns.size()},
                {"requests", log.requests},
                {"failed_requests", log.failed_requests},
                {"chains", log.chains},
                {"gave_up", log.gave_up},
                {"friction_turns", frictions},
                {"out", out_path}};
      if (!nlu_out.empty()) root["nlu_model"] = nlu_out;
      std::cout << root.dump(2) << '\n';
      return;
    }
    fmt::print("frugal harvest simulate{}: {} utterances, {} head and {} tail carrier phrases\n",
               language.empty() ? "" : " (" + language + ")", grouped(data.size()),
               grouped(world.head_carriers()), grouped(world.tail_carriers()));
    fmt::print("NLU trained on {} head utterances{}\n", grouped(head.size()),
               nlu_out.empty() ? "" : ", saved to " + nlu_out);
    fmt::print(
        "{} turns: {} requests, {} failed at first, {} rephrase chains that worked, "
        "{} gave up; {} turns with friction\n",
        grouped(log.turns.size()), grouped(log.requests), grouped(log.failed_requests),
        grouped(log.chains), grouped(log.gave_up), grouped(frictions));
    fmt::print("log written to {}\n", out_path);
  }
};

json comparison_json(const error_comparison& c) {
  return json{{"utterances", c.utterances},
              {"nlu_seeds", c.models},
              {"errors_before", c.errors_before},
              {"errors_after", c.errors_after},
              {"error_before", c.error_before()},
              {"error_after", c.error_after()},
              {"relative_reduction", c.relative_reduction()},
              {"reduction_interval", {c.reduction_low, c.reduction_high}}};
}

// Yield is a share of the failed tail utterances, so it carries its 95% Wilson interval too.
estimation::proportion_interval yield_wilson(std::size_t harvested, std::size_t failed) {
  return estimation::interval_for_proportion(estimation::interval_method::wilson, double(harvested),
                                             double(failed), 0, 0.95);
}
json yield_interval(std::size_t harvested, std::size_t failed) {
  const auto interval = yield_wilson(harvested, failed);
  return json::array({interval.lower, interval.upper});
}
std::string yield_text(std::size_t harvested, std::size_t failed) {
  const double share = failed == 0 ? 0.0 : double(harvested) / double(failed);
  return share_with_interval(share, yield_wilson(harvested, failed), 3);
}

struct evaluate_command {
  std::vector<std::string> train_paths, test_paths;
  std::string data_dir;
  std::string language;
  evaluation_settings settings;
  traffic_options traffic;
  std::uint64_t seed = 1;
  bool json_output = false;
  bool check = false;
  bool no_labelled_baseline = false;

  // --data-dir: the standard split files of ../shared/data (README there).
  void resolve_paths() {
    if (data_dir.empty()) {
      if (train_paths.empty() || test_paths.empty())
        throw CLI::ValidationError("--train/--test", "give both, or --data-dir with --language");
      return;
    }
    if (!train_paths.empty() || !test_paths.empty())
      throw CLI::ValidationError("--data-dir", "give either --data-dir or --train and --test");
    if (language.empty()) throw CLI::ValidationError("--data-dir", "needs --language en, de or it");
    const std::filesystem::path dir(data_dir);
    if (language == "en") {
      train_paths = {(dir / "slurp" / "devel.jsonl").string()};
      test_paths = {(dir / "slurp" / "test.jsonl").string()};
    } else if (language == "de" || language == "it") {
      train_paths = {(dir / "xsid" / (language + ".valid.conll")).string()};
      test_paths = {(dir / "xsid" / (language + ".test.conll")).string()};
    } else {
      throw CLI::ValidationError("--language", "--data-dir knows en (SLURP), de and it (xSID)");
    }
  }

  // A head set regresses when its errors rise significantly: the 95% bootstrap interval of the
  // relative reduction lies below zero (or errors appear where there were none).
  static bool regressed(const error_comparison& c) {
    if (c.errors_before == 0) return c.errors_after > 0;
    return c.reduction_high < 0.0;
  }

  // The bar: precision >= 95% at default corroboration, fewer errors on tail-carrier
  // utterances (the natural test utterances with a tail carrier and every tail carrier filled
  // with test values, together), and no significant regression on either head set.
  static bool meets_bar(const evaluation_report& r) {
    const retraining_errors& e = r.errors;
    const std::size_t tail_before = e.test_tail.errors_before + e.filled_tail.errors_before;
    const std::size_t tail_after = e.test_tail.errors_after + e.filled_tail.errors_after;
    return r.kept > 0 && r.precision() >= 0.95 && tail_after < tail_before &&
           !regressed(e.test_head) && !regressed(e.filled_head);
  }

  // The NLU and the paraphrase detector learn from the head of the train split; what they
  // cannot learn from is bad input naming the files. Builds the same world, head data and
  // synthetic pairs as evaluate_harvest() will (cheap beside its trainings and simulations).
  void check_evaluation_training_data(const std::vector<annotated_utterance>& train) const {
    const std::vector<annotated_utterance> head =
        simulation_world::build(train, settings.seed)
            .head_training_data(settings.training_fills, settings.seed);
    check_nlu_training_data(head, train_paths);
    synth_pair_settings pair_settings;
    pair_settings.seed = settings.seed;
    pair_settings.pairs_per_utterance = settings.paraphrase_pairs_per_utterance;
    if (synthesize_pairs(head, pair_settings).size() < 2)
      throw input_error(joined(train_paths), 0, 0,
                        "too little variety for the paraphrase detector's synthetic pairs: among "
                        "the head carrier phrases it needs two phrasings of one intent with the "
                        "same slot types, and a slot value, slot or intent to swap");
  }

  void run() {
    resolve_paths();
    const std::vector<annotated_utterance> train = read_all(train_paths);
    const std::vector<annotated_utterance> test = read_all(test_paths);
    if (train.empty()) throw input_error("--train: no utterances");
    if (test.empty()) throw input_error("--test: no utterances");
    settings.seed = seed;
    settings.nlu.seed = seed;
    settings.simulation = traffic.settings;
    settings.simulation.seed = seed;
    settings.simulation.frame_seed = seed;
    settings.labelled_baseline = !no_labelled_baseline;
    check_evaluation_training_data(train);
    progress_printer progress{"evaluate", {}};
    const evaluation_report r = evaluate_harvest(
        train, test, settings,
        [&](const std::string& stage, std::size_t d, std::size_t t) { progress(stage, d, t); });
    const bool bar = meets_bar(r);
    if (json_output) {
      json root{
          {"language", language},
          {"train", train_paths},
          {"test", test_paths},
          {"seed", seed},
          {"train_utterances", r.train_utterances},
          {"test_utterances", r.test_utterances},
          {"head_carriers", r.head_carriers},
          {"tail_carriers", r.tail_carriers},
          {"nlu_training_utterances", r.nlu_training_utterances},
          {"log",
           {{"turns", r.log_turns},
            {"requests", r.log_requests},
            {"failed_requests", r.log_failed_requests},
            {"chains", r.log_chains}}},
          {"harvest",
           {{"turns", r.harvest.turns},
            {"pairs", r.harvest.pairs},
            {"paraphrases", r.harvest.paraphrases},
            {"frictions", r.harvest.frictions},
            {"chains", r.harvest.chains},
            {"projections", r.harvest.projections},
            {"rejected_projections", r.harvest.rejected_projections},
            {"utterances", r.harvest.utterances},
            {"kept", r.harvest.kept}}},
          {"precision",
           {{"kept", r.kept},
            {"correct", r.kept_correct},
            {"precision", r.precision()},
            {"wilson_lower", r.precision_low}}},
          {"yield",
           {{"kept", r.kept},
            {"failed_tail_utterances", r.failed_tail_utterances},
            {"harvested_tail_utterances", r.harvested_tail_utterances},
            {"frequent_failed_tail_utterances", r.frequent_failed_tail_utterances},
            {"harvested_frequent_tail_utterances", r.harvested_frequent_tail_utterances},
            {"tail_share_interval",
             yield_interval(r.harvested_tail_utterances, r.failed_tail_utterances)},
            {"frequent_tail_share_interval", yield_interval(r.harvested_frequent_tail_utterances,
                                                            r.frequent_failed_tail_utterances)}}},
          {"detectors",
           {{"paraphrase_synthetic_held_out", detector_metrics_json(r.paraphrase_training)},
            {"paraphrase_log_pairs", detector_metrics_json(r.paraphrase_on_log)},
            {"friction_held_out", detector_metrics_json(r.friction_training)},
            {"friction_deployment_log", detector_metrics_json(r.friction_on_log)}}},
          {"errors", errors_json(r.errors)},
          {"labelled_baseline", baseline_json(r)},
          {"meets_bar", bar},
          {"seconds", r.seconds}};
      std::cout << root.dump(2) << '\n';
    } else {
      print(r, bar);
    }
    if (check && !bar) throw check_failed_exit();
  }

  static json errors_json(const retraining_errors& e) {
    return {{"test_head", comparison_json(e.test_head)},
            {"test_tail", comparison_json(e.test_tail)},
            {"test_unseen", comparison_json(e.test_unseen)},
            {"test_all", comparison_json(e.test_all)},
            {"filled_head", comparison_json(e.filled_head)},
            {"filled_tail", comparison_json(e.filled_tail)}};
  }

  static json baseline_json(const evaluation_report& r) {
    if (!r.labelled_baseline) return nullptr;
    return {{"utterances", r.labelled_baseline->utterances},
            {"errors", errors_json(r.labelled_baseline->errors)}};
  }

  static std::string percent(double value) { return fmt::format("{:.1f}%", 100.0 * value); }

  void print(const evaluation_report& r, bool bar) const {
    fmt::print("frugal harvest evaluate{}: train {} utterances, test {}\n",
               language.empty() ? "" : " (" + language + ")", grouped(r.train_utterances),
               grouped(r.test_utterances));
    fmt::print(
        "carrier phrases of the train split: {} head, {} tail; NLU trained on {} head "
        "utterances\n",
        grouped(r.head_carriers), grouped(r.tail_carriers), grouped(r.nlu_training_utterances));
    fmt::print(
        "deployment log: {} turns, {} requests, {} failed at first, {} rephrase chains "
        "that worked\n",
        grouped(r.log_turns), grouped(r.log_requests), grouped(r.log_failed_requests),
        grouped(r.log_chains));
    const harvest_summary& h = r.harvest;
    fmt::print(
        "harvest: {} pairs, {} paraphrases, {} frictions, {} chains, {} projections "
        "({} rejected), {} utterances, {} kept\n",
        grouped(h.pairs), grouped(h.paraphrases), grouped(h.frictions), grouped(h.chains),
        grouped(h.projections), grouped(h.rejected_projections), grouped(h.utterances),
        grouped(h.kept));
    fmt::print(
        "harvested-label precision: {} of {} kept examples equal the truth = {} (Wilson "
        "95% lower bound {})\n",
        grouped(r.kept_correct), grouped(r.kept), percent(r.precision()), percent(r.precision_low));
    fmt::print(
        "yield: {} of {} distinct failed tail utterances harvested ({}); {} of the {} said at "
        "least {} times ({}) [95% Wilson]\n",
        grouped(r.harvested_tail_utterances), grouped(r.failed_tail_utterances),
        yield_text(r.harvested_tail_utterances, r.failed_tail_utterances),
        grouped(r.harvested_frequent_tail_utterances), grouped(r.frequent_failed_tail_utterances),
        settings.harvest.corroboration.min_occurrences,
        yield_text(r.harvested_frequent_tail_utterances, r.frequent_failed_tail_utterances));
    fmt::print("\n{:<36}  {:>8}  {:>22}  {:>22}  {:>22}\n", "detector (threshold 0.5)", "examples",
               "precision [95% CI]", "recall [95% CI]", "accuracy [95% CI]");
    const auto detector_row = [](const char* name, const detector_metrics& m) {
      fmt::print("{:<36}  {:>8}  {:>22}  {:>22}  {:>22}\n", name, grouped(m.examples),
                 share_with_interval(m.precision, m.precision_interval, 3),
                 share_with_interval(m.recall, m.recall_interval, 3),
                 share_with_interval(m.accuracy, m.accuracy_interval, 3));
    };
    detector_row("paraphrase, synthetic pairs held out", r.paraphrase_training);
    detector_row("paraphrase, candidate pairs of log", r.paraphrase_on_log);
    detector_row("friction, labelled log held out", r.friction_training);
    detector_row("friction, deployment log", r.friction_on_log);
    fmt::print("\n{:<32}  {:>10}  {:>14}  {:>14}  {:>27}\n", "test utterances (exact match)",
               "utterances", "error before", "error after", "relative reduction [95% CI]");
    if (settings.nlu_seeds > 1)
      fmt::print("(each side: {} NLU trainings with different seeds; errors summed over them)\n",
                 settings.nlu_seeds);
    const auto error_row = [](const char* name, const error_comparison& c) {
      fmt::print("{:<32}  {:>10}  {:>14}  {:>14}  {:>27}\n", name, grouped(c.utterances),
                 fmt::format("{} ({})", percent(c.error_before()), c.errors_before),
                 fmt::format("{} ({})", percent(c.error_after()), c.errors_after),
                 c.errors_before == 0
                     ? std::string("-")
                     : fmt::format("{} [{}, {}]", percent(c.relative_reduction()),
                                   percent(c.reduction_low), percent(c.reduction_high)));
    };
    const auto error_rows = [&](const retraining_errors& sets) {
      error_row("test, head carriers", sets.test_head);
      error_row("test, tail carriers", sets.test_tail);
      error_row("test, unseen carriers", sets.test_unseen);
      error_row("test, all", sets.test_all);
      error_row("head carriers, test values", sets.filled_head);
      error_row("tail carriers, test values", sets.filled_tail);
    };
    error_rows(r.errors);
    if (r.labelled_baseline) {
      fmt::print(
          "\nbaseline, the same {} NLU trainings on the head plus {} random tail carriers with "
          "their true labels (hand-labelled) instead of the harvest:\n",
          settings.nlu_seeds, grouped(r.labelled_baseline->utterances));
      error_rows(r.labelled_baseline->errors);
    }
    fmt::print(
        "\nbar (precision >= 95%, fewer errors on tail carriers, no significant head regression): "
        "{}; {:.1f} s\n",
        bar ? "met" : "NOT met", r.seconds);
  }
};

}  // namespace

void add_harvest_simulate_commands(CLI::App& harvest) {
  {
    auto command = std::make_shared<simulate_command>();
    CLI::App* sub = harvest.add_subcommand(
        "simulate",
        "Simulate an assistant's interaction log from annotated data: head/tail carrier phrases, "
        "an NLU trained on the head, Zipf-distributed users who rephrase on failure");
    sub->add_option("--data", command->data_paths,
                    "Annotated utterances: SLURP .jsonl, xSID .conll or frugal annotated JSONL")
        ->required()
        ->expected(1, -1);
    sub->add_option("--language", command->language, "A label for the summary (en, de, it, ...)");
    sub->add_option("--out", command->out_path, "The interaction log to write (JSONL)")->required();
    sub->add_option("--nlu-out", command->nlu_out, "Also save the head-trained NLU model here");
    sub->add_option("--seed", command->seed, "Seed of the split, the NLU and the traffic")
        ->capture_default_str();
    sub->add_option("--training-fills", command->training_fills,
                    "Extra fills per head carrier in the NLU's training data")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{0}, std::size_t{100}));
    sub->add_option("--nlu-slot-dropout", command->nlu.slot_word_dropout, slot_dropout_help)
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 0.99));
    command->traffic.add(*sub);
    sub->add_flag("--json", command->json_output, "Machine-readable summary on stdout");
    sub->footer(
        "Each line: id, user, session, time, text, asr_confidence, nlu {intent, slots, "
        "confidence}, status, friction (true when the NLU was wrong) and truth {tokens, intent, "
        "slots}, which frugal harvest run ignores.");
    sub->callback([command] { command->run(); });
  }
  {
    auto command = std::make_shared<evaluate_command>();
    CLI::App* sub = harvest.add_subcommand(
        "evaluate",
        "The harvest experiment: train an NLU on head carrier phrases, simulate deployment, "
        "harvest, retrain, and report label precision, yield and error reduction on test data");
    sub->add_option("--train", command->train_paths,
                    "Annotated train split (carriers, NLU, detectors, traffic)")
        ->expected(1, -1);
    sub->add_option("--test", command->test_paths, "Annotated test split (errors before/after)")
        ->expected(1, -1);
    sub->add_option("--data-dir", command->data_dir,
                    "Instead of --train/--test: the shared data folder; en = slurp/devel.jsonl "
                    "-> slurp/test.jsonl, de/it = xsid/LANG.valid.conll -> xsid/LANG.test.conll");
    sub->add_option("--language", command->language, "en, de or it (needed with --data-dir)");
    sub->add_option("--seed", command->seed, "Seed of everything")->capture_default_str();
    sub->add_option("--friction-turns", command->settings.friction_turns,
                    "Turns of the separate labelled log the friction detector learns from")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{100}, std::size_t{10'000'000}));
    sub->add_option("--min-occurrences", command->settings.harvest.corroboration.min_occurrences,
                    "Corroboration: occurrences of the failed utterance")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000000}));
    sub->add_option("--min-agreement", command->settings.harvest.corroboration.min_agreement,
                    "Corroboration: share of identical projections")
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 1.0));
    sub->add_option("--min-users", command->settings.harvest.corroboration.min_users,
                    "Corroboration: distinct users")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1000000000}));
    sub->add_option("--max-gap", command->settings.harvest.max_gap,
                    "Pairing: seconds between a turn and its rephrase")
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--nlu-seeds", command->settings.nlu_seeds,
                    "NLU trainings (seeds) per side of the before/after comparison; errors are "
                    "their mean, so that one training's luck does not pass for an effect")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{16}));
    sub->add_option("--nlu-epochs", command->settings.nlu.epochs,
                    "Training epochs of the NLU (intent classifier and slot tagger)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100}));
    sub->add_option("--nlu-slot-dropout", command->settings.nlu.slot_word_dropout,
                    slot_dropout_help)
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 0.99));
    sub->add_option(
           "--harvest-fills", command->settings.harvest_fills,
           "Extra fills (other observed slot values) per harvested example when retraining")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{0}, std::size_t{16}));
    sub->add_option("--harvest-o-weight", command->settings.nlu.harvested_o_weight,
                    "Weight of a harvested example's O tags in the retraining's tagger loss (its "
                    "slots and intent weigh 1): projection confirms slots, not their absence")
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 1.0));
    sub->add_flag("--no-labelled-baseline", command->no_labelled_baseline,
                  "Skip the hand-labelled baseline (retraining on as many random tail "
                  "utterances with their true labels instead of the harvest)");
    command->traffic.add(*sub);
    sub->add_flag("--check", command->check,
                  "Exit 1 unless precision >= 95%, errors on tail carriers fall and neither head "
                  "set's errors rise significantly (95% bootstrap interval below zero)");
    sub->add_flag("--json", command->json_output, "Machine-readable output on stdout");
    sub->footer(
        "Head/tail: carrier phrases (utterance words with slot values cut out) of the train "
        "split, grouped by intent and slot types; half of each group with two or more carriers "
        "(seeded) is tail. Test utterances are head, tail or unseen by their carrier. Precision: "
        "kept examples whose intent and slots equal the truth most failed turns with those words "
        "carried.");
    sub->callback([command] { command->run(); });
  }
}

}  // namespace frugal::cli
