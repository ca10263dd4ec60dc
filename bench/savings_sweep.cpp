// Savings of the four sampling designs against the parent/child intersection ratio
// |A_C ∩ A_P| / |A_C|, as the paper swept it (REFERENCES.md, Ensemble evaluation: it reports a
// mean 33% saving for its recipe). For each target ratio it builds an overlap_ensemble.hpp
// population in memory, parses it through io::parse_predictions, runs estimation::simulate
// with every design, and prints the distinct items annotated, the saving against the naive sum
// of per-set sample sizes (the baseline, computed in the same run) and the worst per-set
// coverage. A second table shows the pitfall REFERENCES.md names: one member whose positives
// lie mostly outside the parent.
//
//   frugal_savings_sweep [--items N] [--members M] [--trials T] [--parent-rate F] [--seed S]
//                        [--threads K]

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "frugal/estimation/simulation.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/population.hpp"
#include "overlap_ensemble.hpp"

namespace {

using frugal::sampling::design_kind;

struct options {
  std::size_t items = 40000;
  std::size_t members = 5;
  std::size_t trials = 1000;
  double parent_rate = 0.03;
  std::uint64_t seed = 1;
  unsigned threads = 0;
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: frugal_savings_sweep [--items N] [--members M] [--trials T] "
               "[--parent-rate F] [--seed S] [--threads K]\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options result;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage();
    const char* value = argv[++i];
    if (arg == "--items")
      result.items = std::strtoull(value, nullptr, 10);
    else if (arg == "--members")
      result.members = std::strtoull(value, nullptr, 10);
    else if (arg == "--trials")
      result.trials = std::strtoull(value, nullptr, 10);
    else if (arg == "--parent-rate")
      result.parent_rate = std::strtod(value, nullptr);
    else if (arg == "--seed")
      result.seed = std::strtoull(value, nullptr, 10);
    else if (arg == "--threads")
      result.threads = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
    else
      usage();
  }
  if (result.trials == 0 || result.items == 0) usage();
  return result;
}

// One population, kept alive together: the population points into the table.
struct scenario {
  frugal::io::prediction_table table;
  std::unique_ptr<frugal::sampling::population> items;
  frugal::io::resolved_labels gold;
};

std::unique_ptr<scenario> make_scenario(const frugal::bench::overlap_settings& settings,
                                        const std::string& name) {
  std::string text;
  frugal::bench::write_overlap_ensemble(settings,
                                        [&](std::string_view line) { text.append(line); });
  auto result = std::make_unique<scenario>();
  result->table = frugal::io::parse_predictions(text, name);
  result->items = std::make_unique<frugal::sampling::population>(
      result->table, frugal::sampling::ensemble_rule::parse("majority"));
  result->gold = frugal::io::labels_from_column(result->table);
  return result;
}

// |A_C ∩ A_P| / |A_C| of one child set (s >= 1).
double intersection_ratio(const frugal::sampling::population& items, std::size_t set) {
  const auto& rows = items.positive_rows(set);
  if (rows.empty()) return 0.0;
  std::size_t inside = 0;
  for (const std::uint32_t row : rows) inside += items.parent_vote(row) ? 1 : 0;
  return static_cast<double>(inside) / static_cast<double>(rows.size());
}

std::string short_name(design_kind design) {
  switch (design) {
    case design_kind::independent:
      return "indep";
    case design_kind::coordinated:
      return "coord";
    case design_kind::paper_reshuffle:
      return "reshuf";
    case design_kind::paper_resample:
      return "resamp";
  }
  return "?";
}

frugal::estimation::simulation_report run(const scenario& population, const options& opts,
                                          const std::string& label) {
  frugal::estimation::simulation_settings settings;
  settings.trials = opts.trials;
  settings.seed = opts.seed;
  settings.threads = opts.threads;
  const auto start = std::chrono::steady_clock::now();
  auto report = frugal::estimation::simulate(*population.items, population.gold.by_row, settings);
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::fprintf(stderr, "%s: %zu trials x %zu designs in %.1f s\n", label.c_str(), opts.trials,
               settings.designs.size(), elapsed.count());
  return report;
}

// Worst coverage over the sets of one design, with the set's name.
std::pair<double, std::string> worst_coverage(const frugal::estimation::simulation_report& report,
                                              std::size_t design) {
  double worst = 2.0;
  std::string name;
  for (std::size_t s = 0; s < report.sets.size(); ++s) {
    const auto& result = report.designs[design].sets[s];
    if (result.defined_trials == 0) continue;
    if (result.coverage < worst) {
      worst = result.coverage;
      name = report.sets[s].name;
    }
  }
  return {worst, name};
}

void sweep(const options& opts) {
  const std::vector<double> targets{0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 0.95};
  const std::size_t design_count = std::size(frugal::sampling::all_designs);
  fmt::print(
      "Sweep: {} items, {} members, majority parent over {:.0f}% of items, {} trials per design "
      "and point,\nE = 0.05, C = 0.95, Wilson interval with finite-population correction, "
      "sample-proportion estimator.\nsaving = 1 - distinct annotations / naive sum of per-set "
      "sample sizes (the baseline, same run).\n\n",
      opts.items, opts.members, 100 * opts.parent_rate, opts.trials);
  std::string header =
      fmt::format("{:>6} {:>6} {:>5} {:>6} {:>5}", "target", "ratio", "|A_P|", "|A_C|", "naive");
  for (const design_kind design : frugal::sampling::all_designs)
    header += fmt::format(" | {:>6} {:>7}", short_name(design), "saving");
  header += fmt::format(" | {:>9} {:>10}", "coord/ind", "reshuf/ind");
  fmt::print("{}\n", header);
  fmt::print("{}\n", std::string(header.size(), '-'));
  std::vector<double> saving_sum(design_count, 0.0);
  std::vector<std::vector<std::pair<double, std::string>>> coverage_rows;
  std::vector<double> measured;
  std::vector<std::vector<double>> savings;  // per point, per design
  for (const double target : targets) {
    frugal::bench::overlap_settings settings;
    settings.items = opts.items;
    settings.members = opts.members;
    settings.overlap = {target};
    settings.parent_rate = opts.parent_rate;
    settings.seed = opts.seed;
    const auto population = make_scenario(settings, fmt::format("overlap-{:.2f}", target));
    const auto& items = *population->items;
    double ratio = 0.0, child_positives = 0.0;
    for (std::size_t s = 1; s < items.set_count(); ++s) {
      ratio += intersection_ratio(items, s);
      child_positives += static_cast<double>(items.positives(s));
    }
    ratio /= static_cast<double>(items.set_count() - 1);
    child_positives /= static_cast<double>(items.set_count() - 1);
    measured.push_back(ratio);
    const auto report = run(*population, opts, fmt::format("ratio {:.2f}", target));
    std::string line = fmt::format("{:>6.2f} {:>6.3f} {:>5} {:>6.0f} {:>5}", target, ratio,
                                   items.positives(0), child_positives, report.naive_sum);
    double independent = 0.0, coordinated = 0.0, reshuffle = 0.0;
    std::vector<std::pair<double, std::string>> coverage;
    for (std::size_t d = 0; d < design_count; ++d) {
      const auto& result = report.designs[d];
      line += fmt::format(" | {:>6.0f} {:>6.1f}%", result.mean_annotations,
                          100 * result.savings_vs_naive);
      saving_sum[d] += result.savings_vs_naive;
      if (result.design == design_kind::independent) independent = result.mean_annotations;
      if (result.design == design_kind::coordinated) coordinated = result.mean_annotations;
      if (result.design == design_kind::paper_reshuffle) reshuffle = result.mean_annotations;
      coverage.push_back(worst_coverage(report, d));
    }
    line +=
        fmt::format(" | {:>8.2f}x {:>9.2f}x", coordinated / independent, reshuffle / independent);
    coverage_rows.push_back(std::move(coverage));
    savings.emplace_back();
    for (const auto& result : report.designs) savings.back().push_back(result.savings_vs_naive);
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }
  double ratio_mean = 0.0;
  for (const double r : measured) ratio_mean += r;
  std::string mean_line =
      fmt::format("{:>6} {:>6.3f} {:>5} {:>6} {:>5}", "mean",
                  ratio_mean / static_cast<double>(measured.size()), "", "", "");
  for (std::size_t d = 0; d < design_count; ++d)
    mean_line += fmt::format(" | {:>6} {:>6.1f}%", "",
                             100 * saving_sum[d] / static_cast<double>(targets.size()));
  // The paper's claim is a mean over its own sweep; where the range starts decides the sign.
  std::vector<double> upper_sum(design_count, 0.0);
  std::size_t upper_points = 0;
  for (std::size_t point = 0; point < targets.size(); ++point) {
    if (targets[point] < 0.5) continue;
    ++upper_points;
    for (std::size_t d = 0; d < design_count; ++d) upper_sum[d] += savings[point][d];
  }
  std::string upper_line =
      fmt::format("{:>6} {:>6} {:>5} {:>6} {:>5}", "mean", ">=0.5", "", "", "");
  for (std::size_t d = 0; d < design_count; ++d)
    upper_line += fmt::format(" | {:>6} {:>6.1f}%", "",
                              100 * upper_sum[d] / static_cast<double>(upper_points));
  fmt::print("{}\n{}\n{}\n", std::string(header.size(), '-'), mean_line, upper_line);
  fmt::print(
      "coord/ind, reshuf/ind = distinct annotations of coordinated, paper-reshuffle / of "
      "independent (> 1: the design costs more than not sharing at all).\n\n");

  fmt::print(
      "Worst per-set coverage (nominal 0.95; with {} trials, below {:.3f} is more than 3 "
      "binomial SE short):\n",
      opts.trials, 0.95 - 3 * std::sqrt(0.95 * 0.05 / static_cast<double>(opts.trials)));
  std::string coverage_header = fmt::format("{:>6}", "ratio");
  for (const design_kind design : frugal::sampling::all_designs)
    coverage_header += fmt::format(" | {:>15}", frugal::sampling::to_string(design));
  fmt::print("{}\n{}\n", coverage_header, std::string(coverage_header.size(), '-'));
  for (std::size_t point = 0; point < targets.size(); ++point) {
    std::string line = fmt::format("{:>6.3f}", measured[point]);
    for (const auto& [coverage, name] : coverage_rows[point])
      line += fmt::format(" | {:>6.3f} {:>8}", coverage, name);
    fmt::print("{}\n", line);
  }
  fmt::print("\n");
}

// One lenient member (ratio 0.15) among members at 0.9: what that single child costs.
void pitfall(const options& opts) {
  frugal::bench::overlap_settings settings;
  settings.items = opts.items;
  settings.members = opts.members;
  settings.overlap.assign(opts.members, 0.9);
  settings.overlap.back() = 0.15;
  settings.parent_rate = opts.parent_rate;
  settings.seed = opts.seed;
  const auto population = make_scenario(settings, "pitfall");
  const auto& items = *population->items;
  const std::size_t child = items.set_count() - 1;
  const std::string& child_name = items.set_name(child);
  const auto report = run(*population, opts, "pitfall");
  fmt::print(
      "Pitfall: members m1..m{} at ratio 0.9, {} at ratio 0.15 (measured {:.3f}); |A_P| = {}, "
      "|A_{}| = {}, planned n_{} = {}; naive sum {}.\n",
      opts.members - 1, child_name, intersection_ratio(items, child), items.positives(0),
      child_name, items.positives(child), child_name, report.sets[child].sample_size,
      report.naive_sum);
  fmt::print(
      "'{} sample' = distinct items in {}'s sample; 'only {}' = of those, items no other set's "
      "sample needs\n(its marginal cost), both averaged over the first 50 trials' draws.\n",
      child_name, child_name, child_name);

  // Per-set draws for the marginal cost: simulate's sample sizes, seeds of our own.
  frugal::sampling::plan_settings plan;
  const std::vector<std::size_t> sizes = frugal::sampling::plan_sample_sizes(items, plan);
  const std::size_t draws = std::min<std::size_t>(50, opts.trials);
  std::string header = fmt::format("{:<16} {:>10} {:>7} {:>10} {:>8} {:>8} {:>8} {:>8}", "design",
                                   "annotated", "saving", child_name + " sample",
                                   "only " + child_name, "rmse", "coverage", "width");
  fmt::print("{}\n{}\n", header, std::string(header.size(), '-'));
  for (std::size_t d = 0; d < report.designs.size(); ++d) {
    const auto& result = report.designs[d];
    double own = 0.0, only = 0.0;
    for (std::size_t trial = 0; trial < draws; ++trial) {
      const auto sample = frugal::sampling::draw_sample(items, result.design, sizes,
                                                        opts.seed * 1000003 + trial, 1);
      std::vector<std::uint8_t> in_other(items.items(), 0), in_child(items.items(), 0);
      for (std::size_t s = 0; s < sample.sets.size(); ++s) {
        for (const std::uint32_t row : sample.sets[s].rows) {
          if (s == child)
            in_child[row] = 1;
          else
            in_other[row] = 1;
        }
      }
      for (std::size_t row = 0; row < items.items(); ++row) {
        own += in_child[row];
        only += in_child[row] && !in_other[row] ? 1 : 0;
      }
    }
    const auto& set = result.sets[child];
    fmt::print("{:<16} {:>10.0f} {:>6.1f}% {:>10.0f} {:>8.0f} {:>8.4f} {:>8.3f} {:>8.4f}\n",
               frugal::sampling::to_string(result.design), result.mean_annotations,
               100 * result.savings_vs_naive, own / static_cast<double>(draws),
               only / static_cast<double>(draws), set.rmse, set.coverage, set.mean_width);
  }
  fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse(argc, argv);
  const auto start = std::chrono::steady_clock::now();
  try {
    sweep(opts);
    pitfall(opts);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "frugal_savings_sweep: %s\n", error.what());
    return 1;
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  fmt::print("total time {:.1f} s\n", elapsed.count());
  return 0;
}
