// frugal harvest run: an interaction log in, corroborated training examples out (issue 8 point
// 6). The library does the work (frugal/harvest/pipeline.hpp); this file reads, prints, writes.

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "common_options.hpp"
#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/friction.hpp"
#include "frugal/harvest/interaction_log.hpp"
#include "frugal/harvest/paraphrase.hpp"
#include "frugal/harvest/pipeline.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest_commands.hpp"

namespace frugal::cli {
namespace {

using json = nlohmann::ordered_json;

// One output line. The first three keys are annotation_text()'s, the shape every annotated-data
// reader accepts, so harvested.jsonl can be fed back as training data as it is.
json example_json(const harvest::corroborated_example& candidate, bool with_verdict) {
  json line = json::parse(harvest::annotation_text(candidate.example));
  line["occurrences"] = candidate.occurrences;
  line["agreeing"] = candidate.agreeing;
  line["agreement"] = candidate.agreement;
  line["agreement_lower"] = candidate.agreement_lower;
  line["users"] = candidate.users;
  if (with_verdict) line["kept"] = candidate.kept;
  return line;
}

void stage_examples(io::staged_outputs& outputs, const std::string& path,
                    const std::vector<harvest::corroborated_example>& candidates, bool kept_only) {
  outputs.stage(path, [&](std::ostream& out) {
    for (const harvest::corroborated_example& candidate : candidates)
      if (candidate.kept || !kept_only) out << example_json(candidate, !kept_only).dump() << '\n';
  });
}

// CLI11 check for an open interval: a confidence level of exactly 0 or 1 is a usage error.
std::string open_unit_interval(const std::string& text) {
  try {
    const double value = std::stod(text);
    if (value > 0.0 && value < 1.0) return {};
  } catch (const std::exception&) {
  }
  return "must be a number strictly between 0 and 1";
}

struct harvest_run_command {
  std::string log_path, paraphrase_path, friction_path, out_path, candidates_path;
  std::string method = "slot-first";
  harvest::harvest_settings settings;
  bool skip_bad = false;
  bool json_output = false;

  void run() {
    settings.projection.method = method == "greedy" ? harvest::projection_method::greedy
                                                    : harvest::projection_method::slot_first;
    const harvest::interaction_log log =
        harvest::read_interaction_log(log_path, {.skip_bad = skip_bad});
    if (log.skipped > 0) {
      fmt::print(stderr, "frugal harvest run: skipped {} bad {} of {}; the first:\n",
                 grouped(log.skipped), log.skipped == 1 ? "line" : "lines", log_path);
      for (const std::string& message : log.skip_messages) fmt::print(stderr, "  {}\n", message);
    }
    const harvest::paraphrase_detector paraphrases =
        harvest::paraphrase_detector::load(paraphrase_path);
    const harvest::friction_detector frictions = harvest::friction_detector::load(friction_path);

    const bool show_progress = progress_wanted();
    const harvest::harvest_result result = harvest::run_harvest(
        log.turns, paraphrases, frictions, settings,
        [&](const char* stage, std::size_t done, std::size_t total) {
          if (!show_progress) return;
          fmt::print(stderr, "\r\033[Kharvest run: {} {}/{}", stage, grouped(done), grouped(total));
          if (done == total && std::string_view(stage) == "corroboration") fmt::print(stderr, "\n");
        });

    // Every input has been read and checked by now, so bad input leaves no output behind; and
    // --out and --candidates appear together or not at all (an unwritable --out must not leave
    // a candidates file that looks like a finished run).
    io::staged_outputs outputs;
    if (!candidates_path.empty())
      stage_examples(outputs, candidates_path, result.candidates, false);
    stage_examples(outputs, out_path, result.candidates, true);
    outputs.commit();

    if (json_output)
      print_json(log, result.summary);
    else
      print_table(log, result.summary);
  }

  void print_json(const harvest::interaction_log& log,
                  const harvest::harvest_summary& summary) const {
    const harvest::corroboration_settings& c = settings.corroboration;
    json root{{"log", log_path},
              {"skipped", log.skipped},
              {"skip_messages", log.skip_messages},
              {"turns", summary.turns},
              {"pairs", summary.pairs},
              {"paraphrases", summary.paraphrases},
              {"frictions", summary.frictions},
              {"chains", summary.chains},
              {"projections", summary.projections},
              {"rejected", summary.rejected_projections},
              {"utterances", summary.utterances},
              {"kept", summary.kept},
              {"out", out_path},
              {"candidates", candidates_path.empty() ? json(nullptr) : json(candidates_path)},
              {"settings",
               {{"max_gap", settings.max_gap},
                {"paraphrase_threshold", settings.paraphrase_threshold},
                {"friction_threshold", settings.friction_threshold},
                {"method", method},
                {"min_occurrences", c.min_occurrences},
                {"min_agreement", c.min_agreement},
                {"min_users", c.min_users},
                {"confidence", c.confidence}}}};
    std::cout << root.dump(2) << '\n';
  }

  void print_table(const harvest::interaction_log& log,
                   const harvest::harvest_summary& summary) const {
    const harvest::corroboration_settings& c = settings.corroboration;
    fmt::print("frugal harvest run: {}{}\n\n", log_path,
               log.skipped > 0 ? fmt::format(" ({} bad lines skipped)", grouped(log.skipped))
                               : std::string());
    const auto row = [](const char* name, std::size_t value, const std::string& meaning) {
      fmt::print("  {:<12} {:>12}  {}\n", name, grouped(value), meaning);
    };
    row("turns", summary.turns, "turns read");
    row("pairs", summary.pairs,
        fmt::format("consecutive turns of one user and session within {} s", settings.max_gap));
    row("frictions", summary.frictions,
        fmt::format("turns the friction detector flagged (p >= {})", settings.friction_threshold));
    row("paraphrases", summary.paraphrases,
        fmt::format("pairs from a flagged turn that the paraphrase detector accepted (p >= {})",
                    settings.paraphrase_threshold));
    row("chains", summary.chains, "failed turns with a successful rephrase after them");
    row("projections", summary.projections, fmt::format("labels projected ({})", method));
    row("rejected", summary.rejected_projections, "projections rejected");
    row("utterances", summary.utterances, "distinct failed utterances with a projection");
    row("kept", summary.kept,
        fmt::format("corroborated: >= {} occurrences, >= {} agreement, >= {} users",
                    c.min_occurrences, c.min_agreement, c.min_users));
    fmt::print("\nwrote {} {} to {}", grouped(summary.kept),
               summary.kept == 1 ? "example" : "examples", out_path);
    if (!candidates_path.empty())
      fmt::print(" and {} candidates to {}", grouped(summary.utterances), candidates_path);
    fmt::print("\n");
  }
};

}  // namespace

void add_harvest_run_command(CLI::App& harvest) {
  auto command = std::make_shared<harvest_run_command>();
  harvest::harvest_settings& s = command->settings;
  CLI::App* sub = harvest.add_subcommand(
      "run",
      "Harvest corroborated training examples from an interaction log: pair consecutive turns, "
      "follow rephrases from failed turns to a successful one, project its labels, corroborate");
  sub->add_option("LOG", command->log_path,
                  "Interaction log, JSONL (DESIGN.md §4): user, session, time, text, "
                  "asr_confidence, nlu {intent, slots, confidence}, status")
      ->required();
  sub->add_option("--paraphrase", command->paraphrase_path,
                  "Paraphrase detector (frugal harvest train-paraphrase)")
      ->required();
  sub->add_option("--friction", command->friction_path,
                  "Friction detector (frugal harvest train-friction)")
      ->required();
  sub->add_option("--out", command->out_path,
                  "Kept examples, JSONL: tokens, intent, slots (the annotated-data shape), "
                  "occurrences, agreeing, agreement, agreement_lower, users")
      ->required();
  sub->add_option("--candidates", command->candidates_path,
                  "Also write every distinct failed utterance with a projection, kept or not, "
                  "in the same shape plus \"kept\"");
  sub->add_option("--max-gap", s.max_gap,
                  "Seconds from one turn to the next for them to pair (inclusive)")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--paraphrase-threshold", s.paraphrase_threshold,
                  "A pair is a rephrase when P(paraphrase) >= this")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--friction-threshold", s.friction_threshold,
                  "A turn failed when P(friction) >= this")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--method", command->method,
                  "Label projection: slot-first (slot words aligned first) or greedy (the "
                  "published baseline)")
      ->capture_default_str()
      ->check(CLI::IsMember({"slot-first", "greedy"}));
  sub->add_option("--min-occurrences", s.corroboration.min_occurrences,
                  "Keep an utterance seen (projected or rejected) at least this often")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000000}));
  sub->add_option("--min-agreement", s.corroboration.min_agreement,
                  "... whose modal projection has at least this share of its occurrences")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--min-users", s.corroboration.min_users,
                  "... from at least this many distinct users")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000000}));
  sub->add_option("--confidence", s.corroboration.confidence,
                  "Confidence level of the Wilson lower bound on agreement (reported only)")
      ->capture_default_str()
      ->check(CLI::Validator(open_unit_interval, "(0,1)"));
  sub->add_flag("--skip-bad", command->skip_bad,
                "Skip bad log lines (counted, the first ten reported on stderr) instead of "
                "failing on the first");
  sub->add_flag("--json", command->json_output, "Machine-readable summary on stdout");
  sub->footer(
      "A turn whose friction probability reaches --friction-threshold failed; from it, "
      "rephrases (next turn of the same user and session within --max-gap seconds whose "
      "paraphrase probability reaches --paraphrase-threshold) are followed through failed turns "
      "to the first turn that did not fail, whose NLU intent and slots are projected onto each "
      "failed turn of the chain (one vote per failed turn). Bad input exits 3 and writes "
      "nothing.");
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
