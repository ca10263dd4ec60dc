// The JSON of the model-update commands (frugal/update/update_json.hpp), shared by the CLI and
// the Python module.

#include "frugal/update/update_json.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace frugal::update {
namespace {

using json = nlohmann::ordered_json;

json number_or_null(double value) {
  return std::isfinite(value) ? json(value) : json(nullptr);
}

json metric_json(const metric& m) {
  return json{{"value", number_or_null(m.value)},
              {"lower", number_or_null(m.lower)},
              {"upper", number_or_null(m.upper)},
              {"numerator", number_or_null(m.numerator)},
              {"denominator", number_or_null(m.denominator)}};
}

json flip_metrics_json(const flip_metrics& m) {
  return json{{"items", m.items},
              {"labelled", m.counts.total()},
              {"counts",
               {{"both_right", m.counts.both_right},
                {"negative_flips", m.counts.negative_flips},
                {"positive_flips", m.counts.positive_flips},
                {"both_wrong", m.counts.both_wrong},
                {"both_wrong_changed", m.counts.both_wrong_changed},
                {"changed", m.changed}}},
              {"accuracy_old", metric_json(m.accuracy_old)},
              {"accuracy_new", metric_json(m.accuracy_new)},
              {"accuracy_difference", metric_json(m.accuracy_difference)},
              {"nfr", metric_json(m.nfr)},
              {"pfr", metric_json(m.pfr)},
              {"nfi", metric_json(m.nfi)},
              {"pfi", metric_json(m.pfi)},
              {"relative_nfr", metric_json(m.relative_nfr)},
              {"btc", metric_json(m.btc)},
              {"bec", metric_json(m.bec)},
              {"churn", metric_json(m.churn)}};
}

json estimate_object(const update_estimate& e) {
  json strata = json::array();
  for (const auto& s : e.strata)
    strata.push_back({{"name", s.name},
                      {"agreement", s.agreement},
                      {"population", s.population},
                      {"planned", s.planned},
                      {"used", s.used},
                      {"negative_flips", s.negative_flips},
                      {"positive_flips", s.positive_flips},
                      {"both_wrong", s.both_wrong},
                      {"both_right", s.both_right}});
  json classes = json::array();
  for (const auto& c : e.by_old_prediction)
    classes.push_back({{"class", c.class_name},
                       {"old_predicted", c.old_predicted},
                       {"nfr", metric_json(c.nfr)},
                       {"upper_bound", c.upper_bound}});
  return json{{"confidence", e.confidence},
              {"items", e.items},
              {"disagreements", e.disagreements},
              {"disagreement_rate", e.disagreement_rate},
              {"no_disagreement", e.no_disagreement},
              {"planned", e.planned},
              {"used", e.used},
              {"unused_labelled", e.unused_labelled},
              {"outside_plan", e.outside_plan},
              {"tied", e.tied},
              {"nfr", metric_json(e.nfr)},
              {"pfr", metric_json(e.pfr)},
              {"accuracy_difference", metric_json(e.accuracy_difference)},
              {"certificate",
               {{"nfr_upper_bound", e.nfr_upper_bound},
                {"confidence", e.confidence},
                {"text", certificate_text(e)}}},
              {"mcnemar",
               {{"negative_flips", e.mcnemar_negative},
                {"positive_flips", e.mcnemar_positive},
                {"p_value", e.mcnemar_p_value}}},
              {"agreement_stratum", e.has_agreement_stratum},
              {"accuracy_old", metric_json(e.accuracy_old)},
              {"accuracy_new", metric_json(e.accuracy_new)},
              {"error_rate_new", metric_json(e.error_rate_new)},
              {"both_wrong", metric_json(e.both_wrong)},
              {"nfi", metric_json(e.nfi)},
              {"btc", metric_json(e.btc)},
              {"bec", metric_json(e.bec)},
              {"strata", std::move(strata)},
              {"by_old_prediction", std::move(classes)}};
}

}  // namespace

std::string flips_json(const flips_result& flips, const flips_sources& sources, bool by_class) {
  json root{{"old", sources.old_model},
            {"new", sources.new_model},
            {"labels", sources.labels},
            {"confidence", flips.confidence},
            {"items", flips.items},
            {"labelled", flips.labelled},
            {"tied", flips.tied},
            {"classes_only_in_labels", flips.classes_only_in_labels},
            {"metrics", flip_metrics_json(flips.overall)}};
  if (by_class) {
    for (const auto* group : {&flips.by_true_class, &flips.by_old_prediction}) {
      json rows = json::array();
      for (const class_flip_metrics& row : *group)
        rows.push_back({{"class", row.class_name}, {"metrics", flip_metrics_json(row.metrics)}});
      root[group == &flips.by_true_class ? "by_true_class" : "by_old_prediction"] = std::move(rows);
    }
  }
  return root.dump(2);
}

std::string update_plan_summary_json(const update_plan& plan) {
  json strata = json::array();
  for (const plan_stratum& s : plan.strata)
    strata.push_back(
        {{"name", s.name}, {"population", s.population}, {"sample_size", s.ids.size()}});
  return json{{"items", plan.items},
              {"disagreements", plan.disagreements},
              {"sample_size", plan.sample_size()},
              {"strata", strata}}
      .dump(2);
}

std::string update_estimate_json(const update_estimate& estimate) {
  return estimate_object(estimate).dump(2);
}

std::string certificate_text(const update_estimate& e) {
  return fmt::format("NFR <= {:.4g} at {:g}%", e.nfr_upper_bound, e.confidence * 100);
}

}  // namespace frugal::update
