// frugal harvest project: carry each source turn's intent and slots onto its target turn's words
// (issue 8 point 4). The library projects (frugal/harvest/projection.hpp); this file reads the
// pairs, prints and writes.

#include <fmt/format.h>

#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "common_options.hpp"
#include "frugal/harvest/projection.hpp"
#include "frugal/harvest/projection_pairs.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest_commands.hpp"

namespace frugal::cli {
namespace {

using json = nlohmann::ordered_json;

// "play [artist: the beatles]": the projection as one readable line.
std::string bracketed(const std::vector<std::string>& tokens,
                      const std::vector<harvest::slot_span>& slots) {
  std::string text;
  std::size_t next = 0;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) text += ' ';
    if (next < slots.size() && slots[next].start == i) text += "[" + slots[next].type + ": ";
    text += tokens[i];
    if (next < slots.size() && slots[next].end == i + 1) {
      text += ']';
      ++next;
    }
  }
  return text;
}

struct harvest_project_command {
  std::string pairs_path, out_path;
  std::string method = "slot-first";
  double max_distance = 0.4;
  bool skip_bad = false;
  bool json_output = false;

  void run() const {
    harvest::projection_settings settings;
    settings.method = method == "greedy" ? harvest::projection_method::greedy
                                         : harvest::projection_method::slot_first;
    settings.max_relative_distance = max_distance;

    const harvest::projection_pairs input = harvest::read_projection_pairs(pairs_path, skip_bad);
    const std::vector<harvest::projection_pair>& pairs = input.pairs;
    if (input.skipped > 0) {
      fmt::print(stderr, "frugal harvest project: skipped {} bad {}; the first:\n",
                 grouped(input.skipped), input.skipped == 1 ? "line" : "lines");
      for (const std::string& message : input.skip_messages) fmt::print(stderr, "  {}\n", message);
    }

    std::vector<harvest::projection_result> results;
    results.reserve(pairs.size());
    std::size_t ok = 0;
    std::map<std::string, std::size_t> rejected;  // by reason kind, sorted for stable output
    for (const harvest::projection_pair& pair : pairs) {
      results.push_back(harvest::project(pair.source, pair.target_tokens, settings));
      if (results.back().ok)
        ++ok;
      else
        ++rejected[harvest::rejection_kind(results.back().reason)];
    }

    const auto write_lines = [&](std::ostream& out) {
      for (std::size_t k = 0; k < pairs.size(); ++k)
        out << harvest::projection_line(pairs[k], results[k]) << '\n';
    };
    if (!out_path.empty()) io::write_file_atomically(out_path, write_lines);

    if (json_output && out_path.empty()) {
      write_lines(std::cout);
      return;
    }
    if (json_output) {
      json summary{{"pairs", pairs.size()},          {"ok", ok},
                   {"rejected", pairs.size() - ok},  {"rejected_by_reason", rejected},
                   {"skipped_lines", input.skipped}, {"method", method},
                   {"max_distance", max_distance},   {"out", out_path}};
      std::cout << summary.dump(2) << '\n';
      return;
    }
    if (out_path.empty()) {
      for (std::size_t k = 0; k < pairs.size(); ++k) {
        if (results[k].ok)
          fmt::print("{}  ok        {}  {}\n", pairs[k].id, results[k].intent,
                     bracketed(pairs[k].target_tokens, results[k].slots));
        else
          fmt::print("{}  rejected  {}\n", pairs[k].id, results[k].reason);
      }
      fmt::print("\n");
    }
    fmt::print("frugal harvest project: {} pairs, method {}, max distance {}{}\n",
               grouped(pairs.size()), method, max_distance,
               out_path.empty() ? "" : ", results in " + out_path);
    fmt::print("  {:<28} {:>10}\n", "ok", grouped(ok));
    fmt::print("  {:<28} {:>10}\n", "rejected", grouped(pairs.size() - ok));
    for (const auto& [kind, count] : rejected)
      fmt::print("    {:<26} {:>10}\n", kind, grouped(count));
    if (input.skipped > 0) fmt::print("  {:<28} {:>10}\n", "skipped lines", grouped(input.skipped));
  }
};

}  // namespace

void add_harvest_project_command(CLI::App& harvest) {
  auto command = std::make_shared<harvest_project_command>();
  CLI::App* sub = harvest.add_subcommand(
      "project",
      "Project each source turn's intent and slots onto its target turn's words (label "
      "projection); one result line per pair");
  sub->add_option("PAIRS", command->pairs_path,
                  "JSON Lines, one pair a line: {\"id\", \"source\": {\"tokens\", \"intent\", "
                  "\"slots\": [{\"type\", \"start\", \"end\"}]}, \"target\": {\"tokens\"}}; - "
                  "reads stdin")
      ->required();
  sub->add_option("--method", command->method,
                  "slot-first: slot words are aligned before carrier words; greedy: the "
                  "published baseline, source words left to right")
      ->capture_default_str()
      ->check(CLI::IsMember({"slot-first", "greedy"}));
  sub->add_option("--max-distance", command->max_distance,
                  "Words align only when edit distance / longer length <= this")
      ->capture_default_str()
      ->check(finite_number())
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--out", command->out_path,
                  "Write the result lines here (atomically); stdout then gets the summary");
  sub->add_flag("--skip-bad", command->skip_bad,
                "Skip bad lines (counted, the first ten reported on stderr) instead of failing");
  sub->add_flag("--json", command->json_output,
                "Without --out: the result lines (JSONL) on stdout; with --out: the summary as "
                "JSON");
  sub->footer(
      "Result line: {\"id\", \"intent\", \"slots\", \"status\": \"ok\"|\"rejected\", "
      "\"reason\"} (reason \"\" when ok, slots [] when rejected). Words are compared after "
      "case folding and NFC. A slot's span runs from its leftmost to its rightmost aligned "
      "target word (gaps filled); a slot without an aligned word, or two overlapping slot "
      "spans, reject the pair. Bad input exits 3 naming file:line:column and writes nothing.");
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
