// frugal estimate: precision of every set, with intervals, from the labels of a plan's items.

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "common_options.hpp"
#include "frugal/campaign/campaign.hpp"
#include "frugal/error.hpp"
#include "frugal/estimation/plan_estimate.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/plan_file.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::cli {
namespace {

struct estimate_command {
  std::string predictions;
  std::string plan_path;
  std::string labels_path;
  std::string rule_text;
  estimate_options estimating;
  bool json = false;

  void run() const {
    const io::plan_document plan = io::read_plan(plan_path);
    // The plan names the models and the parent column to read; every other check is the
    // library's (estimation::estimate_plan), shared with the Python module.
    const sampling::ensemble_rule rule = sampling::ensemble_rule::parse(plan.ensemble);
    io::read_options reading;
    reading.models = plan.models;
    if (rule.rule == sampling::ensemble_rule::kind::column) reading.parent_column = rule.column;
    const io::prediction_table table = io::read_predictions(predictions, reading);
    estimation::plan_estimate_request request;
    request.plan_source = plan_path;
    request.settings = estimating.settings(plan.confidence_level);
    request.interval_name = estimating.interval;
    request.estimator_name = estimating.estimator;
    request.what_if_rule = rule_text;
    const estimation::plan_estimate_result result = estimation::estimate_plan(
        table, plan, request,
        [&](const io::id_index& index) { return io::read_labels(labels_path, table, index); });
    if (json) {
      std::cout << estimation::plan_estimate_json(plan, request, result) << '\n';
    } else {
      print_table(plan, result);
    }
  }

  void print_table(const io::plan_document& plan,
                   const estimation::plan_estimate_result& result) const {
    fmt::print("frugal estimate: design {}, {} interval at {}% confidence, {} estimator\n",
               plan.design, estimating.interval, plan.confidence_level * 100, estimating.estimator);
    fmt::print("labelled {} of the {} items in the plan's queue", grouped(result.queued_labelled),
               grouped(result.queued_items));
    if (result.tied_items > 0)
      fmt::print("; {} items with tied labels left out", result.tied_items);
    fmt::print("\n");
    if (result.outside_plan > 0)
      fmt::print("note: {} labelled items are not in the plan's queue; they are not used\n",
                 result.outside_plan);
    fmt::print("\n");
    std::size_t width = 8;
    for (const std::string& name : result.set_names) width = std::max(width, name.size());
    fmt::print("{:<{}}  {:>10}  {:>8}  {:>8}  {:>9}  {:>17}\n", "set", width, "positives", "sample",
               "labelled", "precision", "interval");
    for (std::size_t s = 0; s < result.sets.size(); ++s) {
      const auto& estimate = result.sets[s];
      const std::string& name = result.set_names[s];
      if (!estimate.defined) {
        fmt::print("{:<{}}  {:>10}  {:>8}  {:>8}  {:>9}  {:>17}\n", name, width,
                   grouped(estimate.positives), grouped(estimate.sample_size),
                   grouped(estimate.labelled), "undefined", estimate.status);
        continue;
      }
      fmt::print("{:<{}}  {:>10}  {:>8}  {:>8}  {:>9.4f}  [{:.4f}, {:.4f}]\n", name, width,
                 grouped(estimate.positives), grouped(estimate.sample_size),
                 grouped(estimate.labelled), estimate.precision, estimate.interval.lower,
                 estimate.interval.upper);
    }
    if (result.what_if) {
      const campaign::set_progress& set = result.what_if->set;
      fmt::print("\nwhat if the ensemble were {} ({} positives): ", result.what_if->rule,
                 grouped(set.positives));
      if (set.labelled == 0) {
        fmt::print("none of its positives is labelled in priority order yet\n");
      } else {
        fmt::print(
            "precision {:.4f} [{:.4f}, {:.4f}] from the first {} of its positives in "
            "priority order (confidence sequence)\n",
            set.precision, set.interval.lower, set.interval.upper, grouped(set.labelled));
      }
      if (set.finished())
        fmt::print("  the labels suffice for ±{}\n", plan.margin_of_error);
      else if (result.what_if->more_labels)
        fmt::print("  about {} more labels needed for ±{} (projected at the current estimate)\n",
                   grouped(*result.what_if->more_labels), plan.margin_of_error);
    }
  }
};

}  // namespace

void add_estimate_command(CLI::App& app) {
  auto command = std::make_shared<estimate_command>();
  CLI::App* sub = app.add_subcommand(
      "estimate", "Precision of every set, with intervals, from a plan's labels");
  sub->add_option("PRED", command->predictions, "The predictions the plan was made from")
      ->required();
  sub->add_option("--plan", command->plan_path, "Plan file written by frugal plan")->required();
  sub->add_option("--labels", command->labels_path,
                  "Labels: CSV or TSV with id,label[,annotator]; label 0 or 1 (empty = not yet)")
      ->required();
  sub->add_option("--rule", command->rule_text,
                  "What if: the precision of another ensemble rule (atleast:K, any, all, "
                  "majority, weighted:...) from these labels; needs a coordinated plan")
      ->check(rule_syntax_check);
  command->estimating.inclusive = true;
  command->estimating.add(*sub);
  sub->add_flag("--json", command->json, "Machine-readable output on stdout");
  sub->callback([command] { command->run(); });
}

}  // namespace frugal::cli
