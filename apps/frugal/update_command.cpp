// frugal flips, frugal update plan|estimate|size|gate: the errors a model update introduces,
// measured on labelled items or estimated from labels on the disagreement set only.

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "common_options.hpp"
#include "frugal/error.hpp"
#include "frugal/estimation/intervals.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/report/update_report.hpp"
#include "frugal/update/disagreement.hpp"
#include "frugal/update/flips.hpp"
#include "frugal/update/gate.hpp"
#include "frugal/update/model_predictions.hpp"
#include "frugal/update/update_json.hpp"

namespace frugal::cli {
namespace {

using json = nlohmann::ordered_json;

json number_or_null(double value) {
  return std::isfinite(value) ? json(value) : json(nullptr);
}

// "0.8400  [0.8327, 0.8470]", or "undefined" when a denominator is zero.
std::string metric_text(const update::metric& m, bool sign = false) {
  if (!m.defined()) return "undefined";
  if (sign) return fmt::format("{:+.4f}  [{:+.4f}, {:+.4f}]", m.value, m.lower, m.upper);
  return fmt::format("{:.4f}  [{:.4f}, {:.4f}]", m.value, m.lower, m.upper);
}

std::string percent(double confidence) {
  return fmt::format("{:g}%", confidence * 100);
}

void check_confidence_option(CLI::App& command, double& confidence) {
  command.add_option("--confidence", confidence, "Confidence level of intervals and bounds")
      ->capture_default_str()
      ->check([](const std::string& text) -> std::string {
        // Above 1/2: the one-sided bounds are read off two-sided intervals at 2C - 1.
        double value = 0;
        try {
          value = std::stod(text);
        } catch (const std::exception&) {
          return "not a number: " + text;
        }
        return value > 0.5 && value < 1 ? "" : "must be above 0.5 and below 1";
      });
}

report::update_report_value report_value(std::string name, const update::metric& m,
                                         std::string note = "undefined (zero denominator)") {
  report::update_report_value value;
  value.name = std::move(name);
  if (m.defined()) {
    value.value = m.value;
    value.lower = m.lower;
    value.upper = m.upper;
  } else {
    value.note = std::move(note);
  }
  return value;
}

void write_html(const std::string& path, const report::update_report_input& input) {
  const std::string page = report::update_report_html(input);
  io::write_file_atomically(path, [&](std::ostream& out) { out << page; });
}

// ---------------------------------------------------------------------------------------------

struct flips_command {
  std::string old_path, new_path, labels_path, html_path;
  double confidence = 0.95;
  bool json_output = false;
  bool by_class = false;

  void run() const {
    update::model_read_options reading;
    reading.keep_content = !html_path.empty();
    const auto loaded = update::load_update(old_path, new_path, reading);
    const update::class_labels labels =
        update::read_class_labels(labels_path, loaded->pair, loaded->classes);
    const update::flips_result flips =
        update::compute_flips(loaded->pair, labels, loaded->classes, confidence);
    if (!html_path.empty()) write_html(html_path, report_input(*loaded, flips));
    if (json_output) {
      print_json(flips);
    } else {
      print_table(flips);
    }
  }

  void print_json(const update::flips_result& flips) const {
    std::cout << update::flips_json(flips, {old_path, new_path, labels_path}, by_class) << '\n';
  }

  void print_table(const update::flips_result& flips) const {
    const update::flip_metrics& m = flips.overall;
    fmt::print("frugal flips: {} -> {}, {} items, {} labelled; {} intervals\n", old_path, new_path,
               grouped(flips.items), grouped(flips.labelled), percent(confidence));
    if (flips.tied > 0)
      fmt::print("{} items whose annotators tied are left out\n", grouped(flips.tied));
    if (!flips.classes_only_in_labels.empty()) {
      std::string names;
      for (const std::string& name : flips.classes_only_in_labels)
        names += (names.empty() ? "" : ", ") + name;
      fmt::print("classes in the labels that neither model predicts (counted as errors): {}\n",
                 names);
    }
    fmt::print(
        "\nlabelled items: {} both right, {} negative flips (old right, new wrong), {} positive "
        "flips, {} both wrong\n\n",
        grouped(m.counts.both_right), grouped(m.counts.negative_flips),
        grouped(m.counts.positive_flips), grouped(m.counts.both_wrong));
    const std::pair<const char*, const update::metric*> rows[] = {
        {"accuracy (old)", &m.accuracy_old},
        {"accuracy (new)", &m.accuracy_new},
        {"NFR", &m.nfr},
        {"PFR", &m.pfr},
        {"NFI", &m.nfi},
        {"PFI", &m.pfi},
        {"relative NFR", &m.relative_nfr},
        {"BTC", &m.btc},
        {"BEC", &m.bec},
        {"churn (all items)", &m.churn}};
    fmt::print("{:<20}  {}\n", "metric", "value   interval");
    for (const auto& [name, value] : rows) fmt::print("{:<20}  {}\n", name, metric_text(*value));
    fmt::print("{:<20}  {}\n", "accuracy change", metric_text(m.accuracy_difference, true));
    if (by_class) {
      print_classes("by true class (labelled items of the class)", flips.by_true_class);
      print_classes("by old prediction (items the old model assigned to the class)",
                    flips.by_old_prediction);
    }
  }

  static void print_classes(const char* title,
                            const std::vector<update::class_flip_metrics>& rows) {
    fmt::print("\n{}\n", title);
    std::size_t width = 5;
    for (const auto& row : rows) width = std::max(width, row.class_name.size());
    fmt::print("{:<{}}  {:>8}  {:>9}  {:>9}  {:>9}  {:>24}  {:>9}\n", "class", width, "labelled",
               "acc old", "acc new", "neg flips", "NFR", "PFR");
    for (const auto& row : rows) {
      const update::flip_metrics& m = row.metrics;
      auto value = [](const update::metric& x) {
        return x.defined() ? fmt::format("{:.4f}", x.value) : std::string("undefined");
      };
      fmt::print("{:<{}}  {:>8}  {:>9}  {:>9}  {:>9}  {:>24}  {:>9}\n", row.class_name, width,
                 grouped(m.counts.total()), value(m.accuracy_old), value(m.accuracy_new),
                 grouped(m.counts.negative_flips),
                 m.nfr.defined()
                     ? fmt::format("{:.4f} [{:.4f}, {:.4f}]", m.nfr.value, m.nfr.lower, m.nfr.upper)
                     : std::string("undefined"),
                 value(m.pfr));
    }
  }

  report::update_report_input report_input(const update::loaded_update& loaded,
                                           const update::flips_result& flips) const {
    report::update_report_input input;
    input.title = "Model update: " + old_path + " -> " + new_path;
    input.old_source = old_path;
    input.new_source = new_path;
    input.labels_source = labels_path;
    input.confidence = confidence;
    input.sampled = false;
    input.items = flips.items;
    input.labelled = flips.labelled;
    input.disagreements = loaded.pair.disagreements;
    const update::flip_metrics& m = flips.overall;
    input.both_wrong = report_value("both wrong", m.both_wrong);
    input.only_old_wrong = report_value("only old wrong (positive flips)", m.pfr);
    input.only_new_wrong = report_value("only new wrong (negative flips)", m.nfr);
    input.metrics = {report_value("accuracy (old)", m.accuracy_old),
                     report_value("accuracy (new)", m.accuracy_new),
                     report_value("accuracy change", m.accuracy_difference),
                     report_value("NFR", m.nfr),
                     report_value("PFR", m.pfr),
                     report_value("NFI", m.nfi),
                     report_value("PFI", m.pfi),
                     report_value("relative NFR", m.relative_nfr),
                     report_value("BTC", m.btc),
                     report_value("BEC", m.bec),
                     report_value("churn", m.churn)};
    input.classes_basis = "negative flips among the labelled items of each true class";
    for (const update::class_flip_metrics& row : flips.by_true_class) {
      report::update_report_class entry;
      entry.name = row.class_name;
      entry.items = row.metrics.counts.total();
      entry.negative_flips = static_cast<double>(row.metrics.counts.negative_flips);
      if (row.metrics.nfr.defined()) {
        entry.nfr = row.metrics.nfr.value;
        entry.lower = row.metrics.nfr.lower;
        entry.upper = row.metrics.nfr.upper;
      }
      input.classes.push_back(std::move(entry));
    }
    const update::model_pair& pair = loaded.pair;
    for (const update::flipped_item& item : flips.flipped)
      input.flipped.push_back(
          {std::string(pair.id(item.row)), loaded.classes.name(pair.old_class[item.row]),
           loaded.classes.name(pair.new_class[item.row]), loaded.classes.name(item.true_class),
           std::string(pair.content(item.row)), item.negative});
    return input;
  }
};

// ---------------------------------------------------------------------------------------------

struct update_plan_command {
  std::string old_path, new_path, out_path, queue_path;
  std::size_t budget = 0;
  std::uint64_t seed = 1;
  double agreement_share = 0;
  std::string stratify = "none";
  bool json_output = false;

  void run() const {
    update::model_read_options reading;
    reading.keep_content = !queue_path.empty();
    const auto loaded = update::load_update(old_path, new_path, reading);
    update::plan_settings settings;
    settings.budget = budget;
    settings.seed = seed;
    settings.agreement_share = agreement_share;
    settings.stratify_by_pair = stratify == "pair";
    const update::update_plan plan =
        update::make_update_plan(loaded->pair, loaded->classes, settings);
    const std::string queue =
        queue_path.empty() ? "" : update::update_queue_csv(plan, loaded->pair);
    // Both outputs are complete in memory before either file is touched, and a plan is never
    // left without the queue that was asked for: the queue goes first, and is removed again if
    // the plan cannot be written.
    if (!queue_path.empty())
      io::write_file_atomically(queue_path, [&](std::ostream& out) { out << queue; });
    try {
      io::write_file_atomically(out_path,
                                [&](std::ostream& out) { out << update::update_plan_json(plan); });
    } catch (...) {
      if (!queue_path.empty()) std::remove(queue_path.c_str());
      throw;
    }
    if (json_output) {
      std::cout << update::update_plan_summary_json(plan) << '\n';
      return;
    }
    const double d = static_cast<double>(plan.disagreements) / static_cast<double>(plan.items);
    fmt::print("frugal update plan: {} items, {} disagreements (d = {:.4f}), budget {}, seed {}\n",
               grouped(plan.items), grouped(plan.disagreements), d, grouped(budget), seed);
    if (plan.disagreements == 0)
      fmt::print(
          "the two models agree on every item: NFR = 0 exactly, no labels are needed for it\n");
    std::size_t width = 7;
    for (const auto& s : plan.strata) width = std::max(width, s.name.size());
    fmt::print("\n{:<{}}  {:>12}  {:>8}\n", "stratum", width, "items", "sample");
    for (const auto& s : plan.strata)
      fmt::print("{:<{}}  {:>12}  {:>8}\n", s.name, width, grouped(s.population),
                 grouped(s.ids.size()));
    fmt::print("\n{} items to label; plan written to {}", grouped(plan.sample_size()), out_path);
    if (!queue_path.empty()) fmt::print(", queue to {}", queue_path);
    fmt::print("\n");
    if (plan.sample_size() < budget)
      fmt::print("the plan uses {} of the {} labels: the strata hold no more items\n",
                 grouped(plan.sample_size()), grouped(budget));
  }
};

// ---------------------------------------------------------------------------------------------

// Everything `update estimate` and `update gate --plan` compute.
struct estimate_inputs {
  std::unique_ptr<update::loaded_update> loaded;
  update::class_labels labels;
  update::update_plan plan;
  update::update_estimate estimate;
};

estimate_inputs estimate_from_files(const std::string& old_path, const std::string& new_path,
                                    const std::string& plan_path, const std::string& labels_path,
                                    double confidence, bool keep_content) {
  estimate_inputs inputs;
  inputs.plan = update::read_update_plan(plan_path);
  update::model_read_options reading;
  reading.keep_content = keep_content;
  inputs.loaded = update::load_update(old_path, new_path, reading);
  inputs.labels =
      update::read_class_labels(labels_path, inputs.loaded->pair, inputs.loaded->classes);
  inputs.estimate = update::estimate_update(inputs.loaded->pair, inputs.labels,
                                            inputs.loaded->classes, inputs.plan, confidence);
  return inputs;
}

struct update_estimate_command {
  std::string old_path, new_path, plan_path, labels_path, html_path;
  double confidence = 0.95;
  bool json_output = false;

  void run() const {
    const estimate_inputs inputs = estimate_from_files(old_path, new_path, plan_path, labels_path,
                                                       confidence, !html_path.empty());
    const update::update_estimate& e = inputs.estimate;
    if (!html_path.empty()) write_html(html_path, report_input(inputs));
    if (json_output) {
      std::cout << update::update_estimate_json(e) << '\n';
      return;
    }
    fmt::print(
        "frugal update estimate: {} items, {} disagreements (d = {:.4f}); {} intervals, finite-"
        "population corrected\n",
        grouped(e.items), grouped(e.disagreements), e.disagreement_rate, percent(confidence));
    if (e.no_disagreement) {
      fmt::print(
          "the two models agree on every item: NFR = PFR = 0 exactly; no labels are needed\n");
      return;
    }
    fmt::print("labels used: {} of the {} planned items", grouped(e.used), grouped(e.planned));
    if (e.unused_labelled > 0)
      fmt::print("; {} labelled items after an unlabelled one in priority order not used",
                 grouped(e.unused_labelled));
    if (e.tied > 0) fmt::print("; {} tied", grouped(e.tied));
    fmt::print("\n");
    if (e.outside_plan > 0)
      fmt::print("note: {} labelled items are not in the plan; they are not used\n",
                 grouped(e.outside_plan));
    fmt::print("\n{:<20}  {}\n", "metric", "value   interval");
    fmt::print("{:<20}  {}\n", "NFR", metric_text(e.nfr));
    fmt::print("{:<20}  {}\n", "PFR", metric_text(e.pfr));
    fmt::print("{:<20}  {}\n", "accuracy change", metric_text(e.accuracy_difference, true));
    const std::pair<const char*, const update::metric*> agreement_rows[] = {
        {"accuracy (old)", &e.accuracy_old},
        {"accuracy (new)", &e.accuracy_new},
        {"NFI", &e.nfi},
        {"BTC", &e.btc},
        {"BEC", &e.bec}};
    for (const auto& [name, value] : agreement_rows)
      fmt::print("{:<20}  {}\n", name,
                 value->defined() ? metric_text(*value)
                 : e.has_agreement_stratum
                     ? std::string("undefined")
                     : std::string("needs an agreement stratum (plan with --agreement-share)"));
    fmt::print("\nMcNemar exact test: {} negative vs {} positive flips in the sample, {}\n",
               e.mcnemar_negative, e.mcnemar_positive,
               std::isnan(e.mcnemar_p_value)
                   ? std::string("no p-value for a stratified plan (its pooled sample is not a "
                                 "simple random sample of the disagreement set)")
                   : fmt::format("p = {:.4g}", e.mcnemar_p_value));
    fmt::print("certificate: {}\n", update::certificate_text(e));
  }

  report::update_report_input report_input(const estimate_inputs& inputs) const {
    const update::update_estimate& e = inputs.estimate;
    const update::loaded_update& loaded = *inputs.loaded;
    report::update_report_input input;
    input.title = "Model update: " + old_path + " -> " + new_path;
    input.old_source = old_path;
    input.new_source = new_path;
    input.labels_source = labels_path;
    input.confidence = confidence;
    input.sampled = true;
    input.items = e.items;
    input.labelled = e.used;
    input.disagreements = e.disagreements;
    const char* agreement_note = "needs an agreement stratum (plan with --agreement-share)";
    input.both_wrong = report_value("both wrong", e.both_wrong, agreement_note);
    input.only_old_wrong = report_value("only old wrong (positive flips)", e.pfr);
    input.only_new_wrong = report_value("only new wrong (negative flips)", e.nfr);
    input.metrics = {report_value("NFR", e.nfr),
                     report_value("PFR", e.pfr),
                     report_value("accuracy change", e.accuracy_difference),
                     report_value("accuracy (old)", e.accuracy_old, agreement_note),
                     report_value("accuracy (new)", e.accuracy_new, agreement_note),
                     report_value("NFI", e.nfi, agreement_note),
                     report_value("BTC", e.btc, agreement_note),
                     report_value("BEC", e.bec, agreement_note)};
    input.certificate = update::certificate_text(e);
    input.classes_basis =
        "estimated negative flips among the items the old model assigned to each class";
    for (const auto& c : e.by_old_prediction) {
      report::update_report_class entry;
      entry.name = c.class_name;
      entry.items = c.old_predicted;
      entry.negative_flips = c.nfr.defined() ? c.nfr.numerator : 0;
      if (c.nfr.defined()) {
        entry.nfr = c.nfr.value;
        entry.lower = c.nfr.lower;
        entry.upper = c.nfr.upper;
      }
      input.classes.push_back(std::move(entry));
    }
    for (const bool negative : {true, false})
      for (const update::flipped_item& item : e.sampled_flips)
        if (item.negative == negative)
          input.flipped.push_back({std::string(loaded.pair.id(item.row)),
                                   loaded.classes.name(loaded.pair.old_class[item.row]),
                                   loaded.classes.name(loaded.pair.new_class[item.row]),
                                   loaded.classes.name(item.true_class),
                                   std::string(loaded.pair.content(item.row)), negative});
    return input;
  }
};

// ---------------------------------------------------------------------------------------------

struct update_size_command {
  std::string old_path, new_path;
  double target = 0.005;
  double confidence = 0.95;
  double assumed_nfr = 0;
  bool json_output = false;

  void run() const {
    const auto loaded = update::load_update(old_path, new_path);
    const update::certification_size size = update::labels_to_certify(
        loaded->pair.size(), loaded->pair.disagreements, target, confidence, assumed_nfr);
    auto labels_json = [](const std::optional<std::size_t>& n) {
      return n ? json(*n) : json(nullptr);
    };
    const double d = static_cast<double>(size.disagreements) / static_cast<double>(size.items);
    if (json_output) {
      std::cout << json{{"target", target},
                        {"confidence", confidence},
                        {"assumed_nfr", assumed_nfr},
                        {"items", size.items},
                        {"disagreements", size.disagreements},
                        {"disagreement_rate", d},
                        {"certified_without_labels", size.certified_without_labels},
                        {"disagreement_labels", labels_json(size.disagreement_labels)},
                        {"uniform_labels", labels_json(size.uniform_labels)}}
                       .dump(2)
                << '\n';
      return;
    }
    fmt::print(
        "frugal update size: certify NFR <= {:g} at {}; {} items, {} disagreements (d = "
        "{:.4f}); assuming the sample shows the flips of NFR = {:g}\n",
        target, percent(confidence), grouped(size.items), grouped(size.disagreements), d,
        assumed_nfr);
    if (size.certified_without_labels) {
      fmt::print("d <= {:g}: NFR <= d holds without a single label\n", target);
      return;
    }
    auto labels_text = [](const std::optional<std::size_t>& n, std::size_t population) {
      return n ? grouped(*n)
               : fmt::format("not reachable (even all {} items would not certify it)",
                             grouped(population));
    };
    fmt::print("labels from the disagreement set: {}\n",
               labels_text(size.disagreement_labels, size.disagreements));
    fmt::print("labels drawn uniformly from all items: {}\n",
               labels_text(size.uniform_labels, size.items));
    if (size.disagreement_labels && size.uniform_labels && *size.disagreement_labels > 0)
      fmt::print("uniform sampling needs {:.1f}x as many (1/d = {:.1f})\n",
                 static_cast<double>(*size.uniform_labels) /
                     static_cast<double>(*size.disagreement_labels),
                 1 / d);
  }
};

// ---------------------------------------------------------------------------------------------

struct update_gate_command {
  std::string old_path, new_path, plan_path, labels_path;
  std::optional<double> max_nfr, max_class_nfr, max_churn;
  double confidence = 0.95;

  void run() const {
    // A gate without a budget checks nothing: a mistake on the command line (exit 2).
    if (!max_nfr && !max_class_nfr && !max_churn)
      throw CLI::ValidationError("update gate",
                                 "name at least one budget: --max-nfr, --max-class-nfr or "
                                 "--max-churn");
    update::gate_limits limits;
    limits.max_nfr = max_nfr;
    limits.max_class_nfr = max_class_nfr;
    limits.max_churn = max_churn;
    limits.confidence = confidence;
    update::gate_verdict verdict;
    std::string mode;
    if (!plan_path.empty()) {
      const estimate_inputs inputs =
          estimate_from_files(old_path, new_path, plan_path, labels_path, confidence, false);
      verdict = update::gate_from_estimate(inputs.estimate, inputs.loaded->pair, limits);
      mode = "disagreement sample (--plan)";
    } else {
      const auto loaded = update::load_update(old_path, new_path);
      const update::class_labels labels =
          update::read_class_labels(labels_path, loaded->pair, loaded->classes);
      const update::flips_result flips =
          update::compute_flips(loaded->pair, labels, loaded->classes, confidence);
      verdict = update::gate_from_flips(flips, limits);
      mode = "labelled evaluation set";
    }
    json checks = json::array();
    for (const update::gate_check& c : verdict.checks) {
      json entry{{"metric", c.metric}};
      if (!c.class_name.empty()) entry["class"] = c.class_name;
      entry["limit"] = c.limit;
      entry["estimate"] = number_or_null(c.estimate);
      entry["bound"] = c.defined ? number_or_null(c.bound) : json(nullptr);
      entry["basis"] = c.basis;
      entry["passed"] = c.passed;
      if (!c.defined) entry["reason"] = "undefined: no labelled items to bound it";
      checks.push_back(std::move(entry));
    }
    const json root{{"passed", verdict.passed},
                    {"verdict", verdict.passed ? "pass" : "fail"},
                    {"decision_rule", verdict.decision_rule},
                    {"mode", mode},
                    {"confidence", confidence},
                    {"failing_classes", verdict.failing_classes},
                    {"checks", std::move(checks)}};
    std::cout << root.dump(2) << '\n';
    std::size_t failed = 0;
    for (const auto& c : verdict.checks) failed += !c.passed;
    std::fprintf(stderr, "frugal update gate: %s (%zu of %zu checks failed)\n",
                 verdict.passed ? "pass" : "FAIL", failed, verdict.checks.size());
    if (!verdict.passed) throw check_failed_exit();
  }
};

void add_model_files(CLI::App& command, std::string& old_path, std::string& new_path) {
  command
      .add_option("OLD", old_path,
                  "The old model's predictions: CSV id,prediction[,score_<class>...]")
      ->required();
  command.add_option("NEW", new_path, "The new model's predictions, same items and format")
      ->required();
}

void add_budget_option(CLI::App& command, std::optional<double>& target, const char* name,
                       const char* help) {
  command.add_option(name, target, help)->check(finite_number())->check(CLI::Range(0.0, 1.0));
}

}  // namespace

void add_update_commands(CLI::App& app) {
  {
    auto command = std::make_shared<flips_command>();
    CLI::App* sub = app.add_subcommand(
        "flips",
        "Flip metrics of a model update on labelled items: accuracy of each model, NFR, PFR, "
        "NFI, PFI, relative NFR, BTC, BEC and churn, with intervals");
    add_model_files(*sub, command->old_path, command->new_path);
    sub->add_option("--labels", command->labels_path,
                    "True classes: CSV id,label[,annotator] (several annotators resolved by "
                    "majority; ties left out)")
        ->required();
    sub->add_flag("--by-class", command->by_class,
                  "Also per class: by true class and by the old model's prediction");
    sub->add_option("--html", command->html_path,
                    "Write the drill-down report (error regions, per-class flips, flipped items)");
    check_confidence_option(*sub, command->confidence);
    sub->add_flag("--json", command->json_output, "Machine-readable output on stdout");
    sub->callback([command] { command->run(); });
  }
  CLI::App* update = app.add_subcommand(
      "update",
      "Model updates without regressions: plan labels on the disagreement set, estimate NFR "
      "with a certificate, size a certificate, gate a release");
  update->require_subcommand(1);
  {
    auto command = std::make_shared<update_plan_command>();
    CLI::App* sub = update->add_subcommand(
        "plan",
        "Sample the items to label: the disagreement set (and optionally the agreement set)");
    add_model_files(*sub, command->old_path, command->new_path);
    sub->add_option("--budget", command->budget, "Labels to spend in all")
        ->required()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
    sub->add_option("--seed", command->seed, "Seed of the permanent item priorities")
        ->capture_default_str();
    sub->add_option("--agreement-share", command->agreement_share,
                    "Share of the budget for the agreement set (serves NFI, BTC, BEC, accuracy)")
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 0.999999));
    sub->add_option("--stratify", command->stratify,
                    "none, or pair: stratify the disagreement set by the (old, new) class pair")
        ->capture_default_str()
        ->check(CLI::IsMember({"none", "pair"}));
    sub->add_option("--out", command->out_path, "Write the plan (JSON) here")->required();
    sub->add_option("--queue", command->queue_path,
                    "Also write the labelling queue as CSV (order,id,label,content), blind to "
                    "both models' predictions");
    sub->add_flag("--json", command->json_output, "Machine-readable summary on stdout");
    sub->callback([command] { command->run(); });
  }
  {
    auto command = std::make_shared<update_estimate_command>();
    CLI::App* sub = update->add_subcommand(
        "estimate",
        "NFR, PFR and the accuracy change with intervals from a plan's labels, McNemar's exact "
        "test, and a certificate \"NFR <= x\"");
    add_model_files(*sub, command->old_path, command->new_path);
    sub->add_option("--plan", command->plan_path, "The plan written by `frugal update plan`")
        ->required();
    sub->add_option("--labels", command->labels_path, "True classes: CSV id,label[,annotator]")
        ->required();
    sub->add_option("--html", command->html_path, "Write the drill-down report");
    check_confidence_option(*sub, command->confidence);
    sub->add_flag("--json", command->json_output, "Machine-readable output on stdout");
    sub->callback([command] { command->run(); });
  }
  {
    auto command = std::make_shared<update_size_command>();
    CLI::App* sub = update->add_subcommand(
        "size",
        "How many labels certify NFR <= X: from the disagreement set and, for comparison, "
        "uniformly");
    add_model_files(*sub, command->old_path, command->new_path);
    sub->add_option("--certify", command->target, "The NFR to certify")
        ->required()
        ->check(finite_number())
        ->check(CLI::Range(1e-9, 0.999999));
    sub->add_option("--assume-nfr", command->assumed_nfr,
                    "Expect the sample to show this NFR's flips (default: no flip)")
        ->capture_default_str()
        ->check(finite_number())
        ->check(CLI::Range(0.0, 1.0));
    check_confidence_option(*sub, command->confidence);
    sub->add_flag("--json", command->json_output, "Machine-readable output on stdout");
    sub->callback([command] { command->run(); });
  }
  {
    auto command = std::make_shared<update_gate_command>();
    CLI::App* sub = update->add_subcommand(
        "gate",
        "Release gate: exit 0 when every budget holds on its upper confidence bound, 1 when one "
        "fails; prints a JSON verdict");
    add_model_files(*sub, command->old_path, command->new_path);
    sub->add_option("--labels", command->labels_path, "True classes: CSV id,label[,annotator]")
        ->required();
    sub->add_option("--plan", command->plan_path,
                    "Labels come from this disagreement plan (else: the labelled items are the "
                    "evaluation set)");
    add_budget_option(*sub, command->max_nfr, "--max-nfr", "Budget on NFR");
    add_budget_option(*sub, command->max_class_nfr, "--max-class-nfr",
                      "Budget on each class's NFR: negative flips over the items the old model "
                      "assigned to the class (with --plan all of them, estimated; without, the "
                      "labelled ones)");
    add_budget_option(*sub, command->max_churn, "--max-churn",
                      "Budget on churn (exact: no labels needed)");
    check_confidence_option(*sub, command->confidence);
    sub->callback([command] { command->run(); });
  }
}

}  // namespace frugal::cli
