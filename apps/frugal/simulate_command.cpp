// frugal simulate: Monte Carlo comparison of the sampling designs, the `label` column standing
// in for the annotators.

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common_options.hpp"
#include "frugal/error.hpp"
#include "frugal/estimation/simulation.hpp"
#include "frugal/io/labels.hpp"

namespace frugal::cli {
namespace {

struct simulate_command {
  prediction_options input;
  plan_options planning;
  estimate_options estimating;
  std::size_t trials = 1000;
  std::string designs = "independent,coordinated,paper-reshuffle,paper-resample";
  unsigned threads = 0;
  bool json = false;

  void run() const {
    estimation::simulation_settings settings;
    settings.designs.clear();
    for (const std::string& name : split_list(designs)) {
      const auto design = sampling::parse_design(name);
      if (!design)
        throw CLI::ValidationError("--designs", fmt::format("unknown design \"{}\"", name));
      settings.designs.push_back(*design);
    }
    if (settings.designs.empty()) throw CLI::ValidationError("--designs", "no design given");
    const io::prediction_table table = io::read_predictions(input.path, input.read_options());
    const sampling::population items(table, input.rule());
    const io::resolved_labels gold = io::labels_from_column(table);
    const sampling::plan_settings plan = planning.settings(items);
    settings.trials = trials;
    settings.seed = plan.seed;
    settings.margin_of_error = plan.margin_of_error;
    settings.confidence_level = plan.confidence_level;
    settings.prior_precision = plan.prior_precision;
    settings.estimate = estimating.settings(plan.confidence_level);
    settings.threads = threads;
    const bool show_progress = progress_wanted();
    std::size_t shown = 0;
    const estimation::simulation_report report = estimation::simulate(
        items, gold.by_row, settings, [&](std::size_t done, std::size_t total) {
          if (!show_progress) return;
          const std::size_t percent = done * 100 / total;
          if (percent == shown && done != total) return;
          shown = percent;
          std::fprintf(stderr, "\rsimulate: %zu/%zu trials (%zu%%)%s", done, total, percent,
                       done == total ? "\n" : "");
        });
    if (json) {
      print_json(report);
    } else {
      print_table(report);
    }
  }

  void print_json(const estimation::simulation_report& report) const {
    std::cout << estimation::simulation_json(report) << '\n';
  }

  void print_table(const estimation::simulation_report& report) const {
    fmt::print(
        "frugal simulate: {} items, {} trials, {} interval, {} estimator; naive sum of sample "
        "sizes {}\n\n",
        grouped(report.items), report.trials, estimating.interval, estimating.estimator,
        grouped(report.naive_sum));
    std::size_t width = 8;
    for (const auto& set : report.sets) width = std::max(width, set.name.size());
    fmt::print("{:<{}}  {:>10}  {:>11}  {:>9}\n", "set", width, "positives", "sample size",
               "precision");
    for (const auto& set : report.sets) {
      fmt::print("{:<{}}  {:>10}  {:>11}  {:>9}\n", set.name, width, grouped(set.positives),
                 grouped(set.sample_size),
                 set.defined ? fmt::format("{:.4f}", set.precision) : "undefined");
    }
    fmt::print("\n{:<16}  {:>17}  {:>18}\n", "design", "mean annotations", "savings vs naive");
    for (const auto& design : report.designs) {
      fmt::print("{:<16}  {:>17.1f}  {:>17.1f}%\n", sampling::to_string(design.design),
                 design.mean_annotations, 100.0 * design.savings_vs_naive);
    }
    for (const auto& design : report.designs) {
      fmt::print("\n{}\n{:<{}}  {:>8}  {:>7}  {:>8}  {:>10}\n", sampling::to_string(design.design),
                 "set", width, "bias", "rmse", "coverage", "mean width");
      for (std::size_t s = 0; s < report.sets.size(); ++s) {
        const auto& result = design.sets[s];
        if (result.defined_trials == 0) {
          fmt::print("{:<{}}  {:>8}\n", report.sets[s].name, width, "undefined");
          continue;
        }
        fmt::print("{:<{}}  {:>+8.4f}  {:>7.4f}  {:>8.3f}  {:>10.4f}\n", report.sets[s].name, width,
                   result.bias, result.rmse, result.coverage, result.mean_width);
      }
    }
  }
};

}  // namespace

void add_simulate_command(CLI::App& app) {
  auto command = std::make_shared<simulate_command>();
  CLI::App* sub = app.add_subcommand(
      "simulate",
      "Compare sampling designs by Monte Carlo, the label column standing in for annotators");
  command->input.add(*sub);
  command->planning.add(*sub);
  command->estimating.add(*sub);
  sub->add_option("--trials", command->trials, "Monte Carlo trials per design")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  sub->add_option("--designs", command->designs, "Comma-separated designs to compare")
      ->capture_default_str();
  sub->add_option("--threads", command->threads,
                  "Worker threads (0 = all cores); results do not depend on it")
      ->capture_default_str();
  sub->add_flag("--json", command->json, "Machine-readable output on stdout");
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
