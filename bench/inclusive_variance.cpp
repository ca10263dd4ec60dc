// Variance and RMSE of the inclusive estimators for coordinated plans (rank conditioning:
// Cohen, Kaplan & Sen, "Coordinated weighted sampling", PVLDB 2009) against the own-sample
// estimators, on overlap_ensemble.hpp populations at several parent/child intersection ratios.
// Every trial draws one coordinated sample of the Cochran sizes (E = 0.05, C = 0.95, p = 0.5),
// labels its whole union with the gold labels, and estimates every set with sample-proportion
// (the baseline), post-stratified, inclusive-hajek and inclusive-post-stratified: the four see
// the very same draws, so the ratios are paired. Printed per set: items used per trial, then for
// each estimator the empirical variance and RMSE over the trials as ratios against
// sample-proportion's from the same run, and the interval's coverage.
//
//   frugal_inclusive_variance [--items N] [--members M] [--trials T] [--parent-rate F]
//                             [--seed S] [--threads K] [--overlap R[,R...]]

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "frugal/estimation/estimators.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/population.hpp"
#include "overlap_ensemble.hpp"

namespace {

using frugal::estimation::estimator_kind;

struct options {
  std::size_t items = 40000;
  std::size_t members = 5;
  std::size_t trials = 1000;
  double parent_rate = 0.03;
  std::uint64_t seed = 1;
  unsigned threads = 2;
  std::vector<double> overlap{0.3, 0.6, 0.9};
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: frugal_inclusive_variance [--items N] [--members M] [--trials T] "
               "[--parent-rate F] [--seed S] [--threads K] [--overlap R[,R...]]\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options result;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage();
    const char* value = argv[++i];
    if (arg == "--items") {
      result.items = std::strtoull(value, nullptr, 10);
    } else if (arg == "--members") {
      result.members = std::strtoull(value, nullptr, 10);
    } else if (arg == "--trials") {
      result.trials = std::strtoull(value, nullptr, 10);
    } else if (arg == "--parent-rate") {
      result.parent_rate = std::strtod(value, nullptr);
    } else if (arg == "--seed") {
      result.seed = std::strtoull(value, nullptr, 10);
    } else if (arg == "--threads") {
      result.threads = static_cast<unsigned>(std::strtoul(value, nullptr, 10));
    } else if (arg == "--overlap") {
      result.overlap.clear();
      std::string_view text = value;
      while (!text.empty()) {
        const std::size_t comma = text.find(',');
        result.overlap.push_back(std::strtod(std::string(text.substr(0, comma)).c_str(), nullptr));
        text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
      }
    } else {
      usage();
    }
  }
  if (result.trials < 2 || result.items == 0 || result.overlap.empty()) usage();
  result.threads = std::max(1u, result.threads);
  return result;
}

constexpr estimator_kind estimators[] = {
    estimator_kind::sample_proportion, estimator_kind::post_stratified,
    estimator_kind::inclusive_hajek, estimator_kind::inclusive_post_stratified};
constexpr std::size_t estimator_count = std::size(estimators);
constexpr const char* short_names[] = {"sp", "ps", "ih", "ips"};

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

double parent_share(const frugal::sampling::population& items, std::size_t set) {
  const auto& rows = items.positive_rows(set);
  std::size_t inside = 0;
  for (const std::uint32_t row : rows) inside += items.parent_vote(row) ? 1 : 0;
  return rows.empty() ? 0.0 : static_cast<double>(inside) / static_cast<double>(rows.size());
}

struct summary {
  double variance = 0.0;
  double rmse = 0.0;
  double coverage = 0.0;
  double used = 0.0;
};

void measure(const options& opts, double overlap) {
  frugal::bench::overlap_settings settings;
  settings.items = opts.items;
  settings.members = opts.members;
  settings.overlap = {overlap};
  settings.parent_rate = opts.parent_rate;
  settings.seed = opts.seed;
  const auto population = make_scenario(settings, fmt::format("overlap-{:.2f}", overlap));
  const auto& items = *population->items;
  const auto& gold = population->gold.by_row;
  const std::size_t set_count = items.set_count();
  const std::vector<std::size_t> sizes = frugal::sampling::plan_sample_sizes(items, {});
  std::vector<double> truth(set_count, 0.0);
  for (std::size_t s = 0; s < set_count; ++s) {
    std::size_t correct = 0;
    for (const std::uint32_t row : items.positive_rows(s)) correct += gold[row] == 1 ? 1 : 0;
    truth[s] = items.positives(s) == 0
                   ? 0.0
                   : static_cast<double>(correct) / static_cast<double>(items.positives(s));
  }

  struct outcome {
    double estimate = 0.0;
    bool covered = false;
    double used = 0.0;
  };
  const std::size_t trials = opts.trials;
  std::vector<outcome> outcomes(trials * estimator_count * set_count);
  std::vector<double> annotated(trials, 0.0);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t trial = next++; trial < trials; trial = next++) {
      const std::uint64_t trial_seed = opts.seed * 1000003 + trial;
      const auto sample = frugal::sampling::draw_sample(
          items, frugal::sampling::design_kind::coordinated, sizes, trial_seed, 1);
      annotated[trial] = static_cast<double>(sample.queue.size());
      for (std::size_t e = 0; e < estimator_count; ++e) {
        frugal::estimation::estimate_settings estimating;
        estimating.estimator = estimators[e];
        for (std::size_t s = 0; s < set_count; ++s) {
          const auto estimate =
              frugal::estimation::estimate_from_sample(items, s, sample, gold, estimating);
          outcomes[(trial * estimator_count + e) * set_count + s] = {
              estimate.precision,
              estimate.interval.lower <= truth[s] && truth[s] <= estimate.interval.upper,
              static_cast<double>(estimate.labelled)};
        }
      }
    }
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < opts.threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

  std::vector<std::vector<summary>> results(estimator_count, std::vector<summary>(set_count));
  for (std::size_t e = 0; e < estimator_count; ++e) {
    for (std::size_t s = 0; s < set_count; ++s) {
      double sum = 0.0, squares = 0.0, squared_error = 0.0, covered = 0.0, used = 0.0;
      for (std::size_t trial = 0; trial < trials; ++trial) {
        const outcome& o = outcomes[(trial * estimator_count + e) * set_count + s];
        sum += o.estimate;
        squares += o.estimate * o.estimate;
        squared_error += (o.estimate - truth[s]) * (o.estimate - truth[s]);
        covered += o.covered ? 1.0 : 0.0;
        used += o.used;
      }
      const double k = static_cast<double>(trials);
      summary& result = results[e][s];
      result.variance = std::max(0.0, (squares - sum * sum / k) / (k - 1));
      result.rmse = std::sqrt(squared_error / k);
      result.coverage = covered / k;
      result.used = used / k;
    }
  }
  double mean_annotated = 0.0;
  for (const double a : annotated) mean_annotated += a;
  mean_annotated /= static_cast<double>(trials);

  fmt::print(
      "Overlap target {:.2f}: {} items, {} members, |A_P| = {}, {} coordinated draws in {:.1f} s "
      "({} threads); distinct items labelled per draw {:.0f}.\n",
      overlap, opts.items, opts.members, items.positives(0), trials, elapsed.count(), opts.threads,
      mean_annotated);
  std::string header = fmt::format("{:<9} {:>5} {:>6} {:>4} {:>6} {:>6} | {:>9}", "set", "N",
                                   "share", "n", "p", "used", "sp rmse");
  for (std::size_t e = 1; e < estimator_count; ++e)
    header += fmt::format(" | {:>4} var {:>4} rmse", short_names[e], short_names[e]);
  header += " | coverage sp/ps/ih/ips";
  fmt::print("{}\n{}\n", header, std::string(header.size(), '-'));
  std::vector<double> mse_sum(estimator_count, 0.0);
  for (std::size_t s = 0; s < set_count; ++s) {
    const summary& base = results[0][s];
    std::string line =
        fmt::format("{:<9} {:>5} {:>6.3f} {:>4} {:>6.4f} {:>6.0f} | {:>9.5f}", items.set_name(s),
                    items.positives(s), s == 0 ? 1.0 : parent_share(items, s), sizes[s], truth[s],
                    results[2][s].used, base.rmse);
    for (std::size_t e = 1; e < estimator_count; ++e) {
      const summary& result = results[e][s];
      line += fmt::format(" | {:>8.3f} {:>9.3f}",
                          base.variance > 0 ? result.variance / base.variance : 0.0,
                          base.rmse > 0 ? result.rmse / base.rmse : 0.0);
    }
    line += fmt::format(" | {:.3f} {:.3f} {:.3f} {:.3f}", results[0][s].coverage,
                        results[1][s].coverage, results[2][s].coverage, results[3][s].coverage);
    fmt::print("{}\n", line);
    for (std::size_t e = 0; e < estimator_count; ++e)
      mse_sum[e] += results[e][s].rmse * results[e][s].rmse;
  }
  std::string total = fmt::format("{:<9} {:>5} {:>6} {:>4} {:>6} {:>6} | {:>9}", "all sets", "", "",
                                  "", "", "", "MSE sum");
  for (std::size_t e = 1; e < estimator_count; ++e)
    total += fmt::format(" | {:>8} {:>9.3f}", "", mse_sum[e] / mse_sum[0]);
  fmt::print("{}\n(all sets: ratio of summed MSE against sample-proportion's)\n\n", total);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const options opts = parse(argc, argv);
  const auto start = std::chrono::steady_clock::now();
  fmt::print(
      "Inclusive estimators against the own-sample ones: coordinated design, E = 0.05, "
      "C = 0.95, Wilson interval; ratios against sample-proportion (sp) from the same draws.\n"
      "ps = post-stratified, ih = inclusive-hajek, ips = inclusive-post-stratified; share = "
      "|A_C ∩ A_P| / |A_C|; n = own sample size; used = labelled union items of the set "
      "(inclusive);\nvar = empirical variance of the estimates over the draws, rmse against the "
      "true precision p.\n\n");
  try {
    for (const double overlap : opts.overlap) measure(opts, overlap);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "frugal_inclusive_variance: %s\n", error.what());
    return 1;
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  fmt::print("total time {:.1f} s\n", elapsed.count());
  return 0;
}
