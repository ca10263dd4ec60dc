// Label projection (issue 8 point 4): exact match on SLURP natural paraphrase pairs, clean and
// with ASR-like damage to 30% of the target's slot words (harvest/projection_evaluation.hpp),
// for slot-first and the greedy baseline; then throughput of project() on one thread against the
// plain reference in the same run, and of the CLI's path (parse a JSONL line, project, write the
// result line).
//
//   frugal_harvest_projection [--data SLURP.jsonl] [--seconds 2] [--show-failures N]
//                             [--noise 0.3] [--seeds 5] [--write-pairs PAIRS.jsonl]
// --write-pairs also writes the clean natural pairs as `frugal harvest project` input, to time
// the CLI itself.

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "frugal/estimation/intervals.hpp"
#include "frugal/harvest/datasets.hpp"
#include "frugal/harvest/projection.hpp"
#include "frugal/harvest/projection_pairs.hpp"
#include "harvest/json_lines.hpp"
#include "harvest/projection_evaluation.hpp"
#include "harvest/projection_reference.hpp"

namespace {

using namespace frugal::harvest;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string annotated(const std::vector<std::string>& tokens, const std::vector<slot_span>& slots) {
  std::string text;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    for (const slot_span& slot : slots)
      if (slot.start == i) text += "[" + slot.type + ": ";
    text += tokens[i];
    for (const slot_span& slot : slots)
      if (slot.end == i + 1) text += "]";
    if (i + 1 < tokens.size()) text += ' ';
  }
  return text;
}

// Pairs per second of `run(pair index)` over `count` pairs, repeated for at least `budget` s.
template <class Run>
double pairs_per_second(std::size_t count, double budget, Run&& run) {
  std::size_t done = 0;
  const auto start = clock_type::now();
  double elapsed = 0;
  do {
    for (std::size_t k = 0; k < count; ++k) run(k);
    done += count;
    elapsed = seconds_since(start);
  } while (elapsed < budget);
  return double(done) / elapsed;
}

// "0.9950 [0.9921, 0.9969]": a share of `trials` pairs with its 95% Wilson interval.
std::string with_interval(double share, std::size_t trials) {
  const frugal::estimation::proportion_interval interval =
      frugal::estimation::interval_for_proportion(frugal::estimation::interval_method::wilson,
                                                  share * double(trials), double(trials),
                                                  /*population: infinite*/ 0, 0.95);
  return fmt::format("{:.4f} [{:.4f}, {:.4f}]", share, interval.lower, interval.upper);
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_path = "../shared/data/slurp/test.jsonl", pairs_out;
  double budget = 2.0, noise = 0.3;
  std::size_t show_failures = 0, seeds = 5;
  for (int a = 1; a < argc; ++a) {
    const auto value = [&] {
      if (a + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", argv[a]);
        std::exit(2);
      }
      return std::string(argv[++a]);
    };
    if (!std::strcmp(argv[a], "--data"))
      data_path = value();
    else if (!std::strcmp(argv[a], "--seconds"))
      budget = std::stod(value());
    else if (!std::strcmp(argv[a], "--noise"))
      noise = std::stod(value());
    else if (!std::strcmp(argv[a], "--seeds"))
      seeds = std::stoul(value());
    else if (!std::strcmp(argv[a], "--write-pairs"))
      pairs_out = value();
    else if (!std::strcmp(argv[a], "--show-failures"))
      show_failures = std::stoul(value());
    else {
      fmt::print(stderr, "unknown argument {}\n", argv[a]);
      return 2;
    }
  }

  const std::vector<annotated_utterance> data = read_annotated(data_path);
  const std::vector<detail::natural_pair> pairs = detail::natural_pairs(data);
  fmt::print("data: {} ({} utterances, {} natural paraphrase pairs)\n", data_path, data.size(),
             pairs.size());

  // Exact match.
  fmt::print(
      "\nexact match (noise: each target slot word damaged by one character edit with "
      "probability {}, seeds 1..{})\n",
      noise, seeds);
  fmt::print(
      "(each share with its 95% Wilson interval over the pairs, treated as independent though an "
      "utterance occurs in several, so the intervals are if anything too narrow; the seeds "
      "damage the same pairs, so the noisy mean's interval is at the pairs count, not seeds x "
      "pairs)\n");
  fmt::print("{:<11} {:>24} {:>9} {:>24} {:>7} {:>7} {:>9}   {}\n", "method", "clean", "rejected",
             "noisy (mean)", "min", "max", "rejected", "pairs with slots only: clean, noisy");
  for (const projection_method method :
       {projection_method::slot_first, projection_method::greedy}) {
    projection_settings settings;
    settings.method = method;
    const auto run = [&](const annotated_utterance& source,
                         const std::vector<std::string>& target) {
      return project(source, target, settings);
    };
    const detail::projection_score clean = detail::score_projection(data, pairs, 0.0, 1, run);
    double sum = 0, low = 1, high = 0, sum_with_slots = 0;
    std::size_t rejected = 0, total = 0;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
      const detail::projection_score noisy =
          detail::score_projection(data, pairs, noise, seed, run);
      sum += noisy.exact_match();
      sum_with_slots += noisy.exact_match_with_slots();
      low = std::min(low, noisy.exact_match());
      high = std::max(high, noisy.exact_match());
      rejected += noisy.rejected;
      total += noisy.pairs;
    }
    fmt::print("{:<11} {:>24} {:>9.4f} {:>24} {:>7.4f} {:>7.4f} {:>9.4f}   {}, {} ({} pairs)\n",
               method == projection_method::greedy ? "greedy" : "slot-first",
               with_interval(clean.exact_match(), clean.pairs),
               double(clean.rejected) / double(clean.pairs),
               with_interval(sum / double(seeds), clean.pairs), low, high,
               double(rejected) / double(total),
               with_interval(clean.exact_match_with_slots(), clean.with_slots),
               with_interval(sum_with_slots / double(seeds), clean.with_slots), clean.with_slots);
  }

  if (show_failures > 0) {
    projection_settings settings;
    for (const double rate : {0.0, noise}) {
      std::size_t shown = 0;
      for (std::size_t k = 0; k < pairs.size() && shown < show_failures; ++k) {
        frugal::detail::random_source random(1, k);
        const annotated_utterance& source = data[pairs[k].source];
        const annotated_utterance& target = data[pairs[k].target];
        const std::vector<std::string> tokens = detail::damaged_tokens(target, rate, random);
        const projection_result result = project(source, tokens, settings);
        if (detail::exact_match(result, target)) continue;
        ++shown;
        fmt::print(
            "\nfailure (noise {}), pair {}:\n  source    {}\n  gold      {}\n  projected {}{}\n",
            rate, k, annotated(source.tokens, source.slots), annotated(tokens, target.slots),
            annotated(tokens, result.slots), result.ok ? "" : "  (" + result.reason + ")");
      }
    }
  }

  // Throughput on the clean pairs, pre-parsed.
  std::vector<std::vector<std::string>> targets;
  for (const detail::natural_pair& pair : pairs) targets.push_back(data[pair.target].tokens);
  fmt::print("\nthroughput, one thread, {} pairs repeated for >= {} s each\n", pairs.size(),
             budget);
  for (const projection_method method :
       {projection_method::slot_first, projection_method::greedy}) {
    projection_settings settings;
    settings.method = method;
    std::size_t ok = 0;
    const double fast = pairs_per_second(pairs.size(), budget, [&](std::size_t k) {
      ok += project(data[pairs[k].source], targets[k], settings).ok;
    });
    const double reference = pairs_per_second(pairs.size(), budget / 2, [&](std::size_t k) {
      ok += detail::project_reference(data[pairs[k].source], targets[k], settings).ok;
    });
    fmt::print("{:<11} project() {:>12} pairs/s   reference {:>10} pairs/s   ratio {:.1f}x  ({})\n",
               method == projection_method::greedy ? "greedy" : "slot-first",
               fmt::format("{:.0f}", fast), fmt::format("{:.0f}", reference), fast / reference,
               ok > 0 ? "ok" : "none ok");
  }

  // The same on the pairs whose source has a slot: longer utterances, more distances.
  std::vector<std::size_t> slotted;
  for (std::size_t k = 0; k < pairs.size(); ++k)
    if (!data[pairs[k].source].slots.empty()) slotted.push_back(k);
  for (const projection_method method :
       {projection_method::slot_first, projection_method::greedy}) {
    projection_settings settings;
    settings.method = method;
    std::size_t ok = 0;
    const double fast = pairs_per_second(slotted.size(), budget, [&](std::size_t k) {
      ok += project(data[pairs[slotted[k]].source], targets[slotted[k]], settings).ok;
    });
    const double reference = pairs_per_second(slotted.size(), budget / 2, [&](std::size_t k) {
      ok += detail::project_reference(data[pairs[slotted[k]].source], targets[slotted[k]], settings)
                .ok;
    });
    fmt::print(
        "{:<11} project() {:>12} pairs/s   reference {:>10} pairs/s   ratio {:.1f}x  ({} pairs "
        "with slots)\n",
        method == projection_method::greedy ? "greedy" : "slot-first", fmt::format("{:.0f}", fast),
        fmt::format("{:.0f}", reference), fast / reference, slotted.size());
  }

  // The CLI's path: JSONL text -> pairs -> projections -> result lines.
  std::string input;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    detail::json line{{"id", k},
                      {"source", detail::utterance_json(data[pairs[k].source])},
                      {"target", {{"tokens", targets[k]}}}};
    input += line.dump();
    input += '\n';
  }
  if (!pairs_out.empty()) {
    std::ofstream(pairs_out, std::ios::binary) << input;
    fmt::print("wrote {} pairs to {}\n", pairs.size(), pairs_out);
  }
  std::size_t bytes = 0;
  const double end_to_end =
      pairs_per_second(
          1, budget,
          [&](std::size_t) {
            const projection_pairs parsed = parse_projection_pairs(input, "pairs.jsonl");
            std::string output;
            for (const projection_pair& pair : parsed.pairs) {
              output += projection_line(pair, project(pair.source, pair.target_tokens));
              output += '\n';
            }
            bytes += output.size();
          }) *
      double(pairs.size());
  fmt::print(
      "end to end (parse JSONL + project slot-first + write lines): {:.0f} pairs/s "
      "({} MB in)\n",
      end_to_end, double(input.size()) / 1e6);
  return bytes > 0 ? 0 : 1;
}
