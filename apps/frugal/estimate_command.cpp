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
    const auto design = sampling::parse_design(plan.design);
    if (!design)
      throw input_error(plan_path, 0, 0, fmt::format("unknown design \"{}\"", plan.design));
    if (plan.hash != sampling::priority_hash_name)
      throw input_error(plan_path, 0, 0, fmt::format("unknown priority hash \"{}\"", plan.hash));
    const sampling::ensemble_rule rule = sampling::ensemble_rule::parse(plan.ensemble);
    io::read_options reading;
    reading.models = plan.models;
    if (rule.rule == sampling::ensemble_rule::kind::column) reading.parent_column = rule.column;
    const io::prediction_table table = io::read_predictions(predictions, reading);
    if (io::fingerprint_hex(table.fingerprint) != plan.fingerprint)
      throw input_error(
          plan_path, plan.fingerprint_at.line, plan.fingerprint_at.column,
          fmt::format("the plan was made from other predictions ({}, fingerprint {}) than {} "
                      "(fingerprint {})",
                      plan.predictions, plan.fingerprint, predictions,
                      io::fingerprint_hex(table.fingerprint)));
    const estimation::estimate_settings settings = estimating.settings(plan.confidence_level);
    if (estimation::is_inclusive(settings.estimator) &&
        *design != sampling::design_kind::coordinated)
      throw input_error(
          plan_path, 0, 0,
          fmt::format("--estimator {} needs a coordinated plan (its inclusion probabilities come "
                      "from the permanent priorities), and this plan's design is {}; use "
                      "--estimator sample-proportion or post-stratified, or plan with --design "
                      "coordinated",
                      estimating.estimator, plan.design));
    const sampling::population items(table, rule);
    const sampling::sample_plan redrawn = redraw(items, plan, *design);

    const io::id_index index(table);
    const io::resolved_labels labels = io::read_labels(labels_path, table, index);
    std::vector<std::uint8_t> queued(table.size(), 0);
    for (const std::uint32_t row : redrawn.sample.queue) queued[row] = 1;
    std::size_t outside = 0, queued_labelled = 0;
    for (std::size_t row = 0; row < table.size(); ++row) {
      if (labels.by_row[row] == io::resolved_labels::unlabelled) continue;
      if (queued[row]) {
        if (labels.by_row[row] == io::resolved_labels::tied) continue;  // reported apart
        ++queued_labelled;
      } else {
        ++outside;
      }
    }

    std::vector<estimation::set_estimate> estimates;
    for (std::size_t s = 0; s < items.set_count(); ++s)
      estimates.push_back(
          estimation::estimate_from_sample(items, s, redrawn.sample, labels.by_row, settings));
    std::optional<campaign::rule_estimate> what_if;
    if (!rule_text.empty()) what_if = estimate_other_rule(table, plan, *design, labels);
    if (json) {
      print_json(items, plan, labels, estimates, queued_labelled, outside,
                 redrawn.sample.queue.size(), what_if);
    } else {
      print_table(items, plan, labels, estimates, queued_labelled, outside,
                  redrawn.sample.queue.size(), what_if);
    }
  }

  // What if the ensemble voted by another rule: its positives in priority order, and the
  // confidence sequence over their labelled prefix (valid whatever made those items labelled).
  campaign::rule_estimate estimate_other_rule(const io::prediction_table& table,
                                              const io::plan_document& plan,
                                              sampling::design_kind design,
                                              const io::resolved_labels& labels) const {
    if (design != sampling::design_kind::coordinated)
      throw input_error(plan_path, 0, 0,
                        fmt::format("--rule needs a coordinated plan (labelled items in priority "
                                    "order); this plan's design is {}",
                                    plan.design));
    const sampling::ensemble_rule other = sampling::ensemble_rule::parse(rule_text);
    if (other.rule == sampling::ensemble_rule::kind::column)
      throw input_error(
          fmt::format("--rule {}: a parent column is fixed when the plan is read; "
                      "use a vote rule",
                      rule_text));
    const sampling::population items(table, other);
    std::vector<std::uint32_t> rows = items.positive_rows(0);
    std::vector<std::uint64_t> keys(table.size());
    for (const std::uint32_t row : rows)
      keys[row] = sampling::priority_key(plan.seed, table.ids[row]);
    std::sort(rows.begin(), rows.end(), [&](std::uint32_t a, std::uint32_t b) {
      return sampling::priority_before(keys[a], table.ids[a], keys[b], table.ids[b]);
    });
    return campaign::estimate_prefix(other.to_string(), rows, labels.by_row, plan.margin_of_error,
                                     plan.confidence_level);
  }

  // Draws the plan again from the predictions and the plan's own settings: any difference means
  // the plan was edited, or made with another seed, design or version.
  sampling::sample_plan redraw(const sampling::population& items, const io::plan_document& plan,
                               sampling::design_kind design) const {
    if (plan.sets.size() != items.set_count())
      throw input_error(plan_path, 0, 0, "the plan's sets are not the predictions' sets");
    sampling::plan_settings settings;
    settings.design = design;
    settings.seed = plan.seed;
    settings.margin_of_error = plan.margin_of_error;
    settings.confidence_level = plan.confidence_level;
    for (const auto& entry : plan.sets) settings.prior_precision.push_back(entry.prior_precision);
    const sampling::sample_plan redrawn = sampling::make_plan(items, settings);
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      const auto& entry = plan.sets[s];
      bool same = entry.name == items.set_name(s) &&
                  entry.sample.size() == redrawn.sample.sets[s].rows.size();
      for (std::size_t i = 0; same && i < entry.sample.size(); ++i)
        same = entry.sample[i] == items.table().ids[redrawn.sample.sets[s].rows[i]];
      if (!same)
        throw input_error(
            plan_path, entry.sample_at.line, entry.sample_at.column,
            fmt::format("the sample of set \"{}\" is not the one design {} with seed {} "
                        "draws from {}: the plan was edited, or its seed or design "
                        "does not match these predictions",
                        entry.name, plan.design, plan.seed, predictions));
    }
    return redrawn;
  }

  void print_table(const sampling::population& items, const io::plan_document& plan,
                   const io::resolved_labels& labels,
                   const std::vector<estimation::set_estimate>& estimates,
                   std::size_t queued_labelled, std::size_t outside, std::size_t queued,
                   const std::optional<campaign::rule_estimate>& what_if) const {
    fmt::print("frugal estimate: design {}, {} interval at {}% confidence, {} estimator\n",
               plan.design, estimating.interval, plan.confidence_level * 100, estimating.estimator);
    fmt::print("labelled {} of the {} items in the plan's queue", grouped(queued_labelled),
               grouped(queued));
    if (labels.tied_items > 0)
      fmt::print("; {} items with tied labels left out", labels.tied_items);
    fmt::print("\n");
    if (outside > 0)
      fmt::print("note: {} labelled items are not in the plan's queue; they are not used\n",
                 outside);
    fmt::print("\n");
    std::size_t width = 8;
    for (std::size_t s = 0; s < items.set_count(); ++s)
      width = std::max(width, items.set_name(s).size());
    fmt::print("{:<{}}  {:>10}  {:>8}  {:>8}  {:>9}  {:>17}\n", "set", width, "positives", "sample",
               "labelled", "precision", "interval");
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      const auto& estimate = estimates[s];
      if (!estimate.defined) {
        fmt::print("{:<{}}  {:>10}  {:>8}  {:>8}  {:>9}  {:>17}\n", items.set_name(s), width,
                   grouped(estimate.positives), grouped(estimate.sample_size),
                   grouped(estimate.labelled), "undefined", estimate.status);
        continue;
      }
      fmt::print("{:<{}}  {:>10}  {:>8}  {:>8}  {:>9.4f}  [{:.4f}, {:.4f}]\n", items.set_name(s),
                 width, grouped(estimate.positives), grouped(estimate.sample_size),
                 grouped(estimate.labelled), estimate.precision, estimate.interval.lower,
                 estimate.interval.upper);
    }
    if (what_if) {
      const campaign::set_progress& set = what_if->set;
      fmt::print("\nwhat if the ensemble were {} ({} positives): ", what_if->rule,
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
      else if (what_if->more_labels)
        fmt::print("  about {} more labels needed for ±{} (projected at the current estimate)\n",
                   grouped(*what_if->more_labels), plan.margin_of_error);
    }
  }

  void print_json(const sampling::population& items, const io::plan_document& plan,
                  const io::resolved_labels& labels,
                  const std::vector<estimation::set_estimate>& estimates,
                  std::size_t queued_labelled, std::size_t outside, std::size_t queued,
                  const std::optional<campaign::rule_estimate>& what_if) const {
    nlohmann::ordered_json root;
    root["design"] = plan.design;
    root["interval"] = estimating.interval;
    root["estimator"] = estimating.estimator;
    root["confidence"] = plan.confidence_level;
    root["labels"] = {{"records", labels.records},
                      {"queued_items", queued},
                      {"queued_labelled", queued_labelled},
                      {"outside_plan", outside},
                      {"tied_items", labels.tied_items}};
    nlohmann::ordered_json sets = nlohmann::ordered_json::object();
    for (std::size_t s = 0; s < items.set_count(); ++s) {
      const auto& estimate = estimates[s];
      nlohmann::ordered_json set;
      set["status"] = estimate.status;
      set["positives"] = estimate.positives;
      set["sample_size"] = estimate.sample_size;
      set["labelled"] = estimate.labelled;
      set["true_positives"] = estimate.positives_labelled;
      if (estimate.defined) {
        set["precision"] = estimate.precision;
        set["lower"] = estimate.interval.lower;
        set["upper"] = estimate.interval.upper;
        set["effective_sample_size"] = estimate.effective_sample_size;
      } else {
        set["precision"] = nullptr;
        set["lower"] = nullptr;
        set["upper"] = nullptr;
        set["effective_sample_size"] = nullptr;
      }
      sets[items.set_name(s)] = std::move(set);
    }
    root["sets"] = std::move(sets);
    if (what_if) {
      const campaign::set_progress& set = what_if->set;
      root["what_if"] = {
          {"rule", what_if->rule},
          {"positives", set.positives},
          {"labelled", set.labelled},
          {"true_positives", set.true_positives},
          {"precision", set.precision},
          {"lower", set.interval.lower},
          {"upper", set.interval.upper},
          {"margin_met", set.finished()},
          {"more_labels",
           what_if->more_labels ? nlohmann::json(*what_if->more_labels) : nlohmann::json()}};
    }
    std::cout << root.dump(2) << '\n';
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
