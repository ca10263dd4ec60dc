// `frugal estimate` on inputs already read (frugal/estimation/plan_estimate.hpp).

#include "frugal/estimation/plan_estimate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "frugal/error.hpp"
#include "frugal/sampling/designs.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/population.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::estimation {
namespace {

// Draws the plan again from the predictions and the plan's own settings: any difference means
// the plan was edited, or made with another seed, design or version.
sampling::sample_plan redraw(const sampling::population& items, const io::plan_document& plan,
                             sampling::design_kind design, const std::string& plan_source) {
  if (plan.sets.size() != items.set_count())
    throw input_error(plan_source, 0, 0, "the plan's sets are not the predictions' sets");
  sampling::plan_settings settings;
  settings.design = design;
  settings.seed = plan.seed;
  settings.margin_of_error = plan.margin_of_error;
  settings.confidence_level = plan.confidence_level;
  for (const auto& entry : plan.sets) settings.prior_precision.push_back(entry.prior_precision);
  sampling::sample_plan redrawn = sampling::make_plan(items, settings);
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    const auto& entry = plan.sets[s];
    bool same = entry.name == items.set_name(s) &&
                entry.sample.size() == redrawn.sample.sets[s].rows.size();
    for (std::size_t i = 0; same && i < entry.sample.size(); ++i)
      same = entry.sample[i] == items.table().ids[redrawn.sample.sets[s].rows[i]];
    if (!same)
      throw input_error(plan_source, entry.sample_at.line, entry.sample_at.column,
                        fmt::format("the sample of set \"{}\" is not the one design {} with seed "
                                    "{} draws from {}: the plan was edited, or its seed or "
                                    "design does not match these predictions",
                                    entry.name, plan.design, plan.seed, items.table().source));
  }
  return redrawn;
}

// What if the ensemble voted by another rule: its positives in priority order, and the
// confidence sequence over their labelled prefix (valid whatever made those items labelled).
campaign::rule_estimate estimate_other_rule(const io::prediction_table& table,
                                            const io::plan_document& plan,
                                            sampling::design_kind design,
                                            const io::resolved_labels& labels,
                                            const plan_estimate_request& request) {
  if (design != sampling::design_kind::coordinated)
    throw input_error(request.plan_source, 0, 0,
                      fmt::format("--rule needs a coordinated plan (labelled items in priority "
                                  "order); this plan's design is {}",
                                  plan.design));
  const sampling::ensemble_rule other = sampling::ensemble_rule::parse(request.what_if_rule);
  if (other.rule == sampling::ensemble_rule::kind::column)
    throw input_error(
        fmt::format("--rule {}: a parent column is fixed when the plan is read; use a vote rule",
                    request.what_if_rule));
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

}  // namespace

plan_estimate_result estimate_plan(
    const io::prediction_table& table, const io::plan_document& plan,
    const plan_estimate_request& request,
    const std::function<io::resolved_labels(const io::id_index&)>& read_labels) {
  const std::string& source = request.plan_source;
  const auto design = sampling::parse_design(plan.design);
  if (!design) throw input_error(source, 0, 0, fmt::format("unknown design \"{}\"", plan.design));
  if (plan.hash != sampling::priority_hash_name)
    throw input_error(source, 0, 0, fmt::format("unknown priority hash \"{}\"", plan.hash));
  if (table.model_names != plan.models)
    throw input_error(source, 0, 0,
                      fmt::format("the plan's models ({}) are not the predictions' models ({})",
                                  fmt::join(plan.models, ","), fmt::join(table.model_names, ",")));
  if (io::fingerprint_hex(table.fingerprint) != plan.fingerprint)
    throw input_error(
        source, plan.fingerprint_at.line, plan.fingerprint_at.column,
        fmt::format("the plan was made from other predictions ({}, fingerprint {}) than {} "
                    "(fingerprint {})",
                    plan.predictions, plan.fingerprint, table.source,
                    io::fingerprint_hex(table.fingerprint)));
  if (is_inclusive(request.settings.estimator) && *design != sampling::design_kind::coordinated)
    throw input_error(
        source, 0, 0,
        fmt::format("--estimator {} needs a coordinated plan (its inclusion probabilities come "
                    "from the permanent priorities), and this plan's design is {}; use "
                    "--estimator sample-proportion or post-stratified, or plan with --design "
                    "coordinated",
                    request.estimator_name, plan.design));
  const sampling::population items(table, sampling::ensemble_rule::parse(plan.ensemble));
  const sampling::sample_plan redrawn = redraw(items, plan, *design, source);

  const io::id_index index(table);
  const io::resolved_labels labels = read_labels(index);
  plan_estimate_result result;
  result.label_records = labels.records;
  result.tied_items = labels.tied_items;
  result.queued_items = redrawn.sample.queue.size();
  std::vector<std::uint8_t> queued(table.size(), 0);
  for (const std::uint32_t row : redrawn.sample.queue) queued[row] = 1;
  for (std::size_t row = 0; row < table.size(); ++row) {
    if (labels.by_row[row] == io::resolved_labels::unlabelled) continue;
    if (queued[row]) {
      if (labels.by_row[row] == io::resolved_labels::tied) continue;  // reported apart
      ++result.queued_labelled;
    } else {
      ++result.outside_plan;
    }
  }
  estimate_settings settings = request.settings;
  settings.confidence_level = plan.confidence_level;
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    result.set_names.push_back(items.set_name(s));
    result.sets.push_back(estimate_from_sample(items, s, redrawn.sample, labels.by_row, settings));
  }
  if (!request.what_if_rule.empty())
    result.what_if = estimate_other_rule(table, plan, *design, labels, request);
  return result;
}

std::string plan_estimate_json(const io::plan_document& plan, const plan_estimate_request& request,
                               const plan_estimate_result& result) {
  using json = nlohmann::ordered_json;
  json root;
  root["design"] = plan.design;
  root["interval"] = request.interval_name;
  root["estimator"] = request.estimator_name;
  root["confidence"] = plan.confidence_level;
  root["labels"] = {{"records", result.label_records},
                    {"queued_items", result.queued_items},
                    {"queued_labelled", result.queued_labelled},
                    {"outside_plan", result.outside_plan},
                    {"tied_items", result.tied_items}};
  json sets = json::object();
  for (std::size_t s = 0; s < result.sets.size(); ++s) {
    const set_estimate& estimate = result.sets[s];
    json set;
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
    sets[result.set_names[s]] = std::move(set);
  }
  root["sets"] = std::move(sets);
  if (result.what_if) {
    const campaign::set_progress& set = result.what_if->set;
    root["what_if"] = {
        {"rule", result.what_if->rule},
        {"positives", set.positives},
        {"labelled", set.labelled},
        {"true_positives", set.true_positives},
        {"precision", set.precision},
        {"lower", set.interval.lower},
        {"upper", set.interval.upper},
        {"margin_met", set.finished()},
        {"more_labels", result.what_if->more_labels ? json(*result.what_if->more_labels) : json()}};
  }
  return root.dump(2);
}

}  // namespace frugal::estimation
