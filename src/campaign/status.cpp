#include "frugal/campaign/status.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace frugal::campaign {
namespace {

using ordered_json = nlohmann::ordered_json;

ordered_json interval_json(const estimation::proportion_interval& interval) {
  return ordered_json::array({interval.lower, interval.upper});
}

template <typename T>
ordered_json optional_json(const std::optional<T>& value) {
  return value ? ordered_json(*value) : ordered_json();
}

ordered_json set_json(const set_progress& set) {
  ordered_json json;
  json["status"] = set.status;
  json["positives"] = set.positives;
  json["labelled"] = set.labelled;
  json["true_positives"] = set.true_positives;
  json["finished"] = set.finished();
  json["finished_after"] = optional_json(set.finished_after);
  json["precision"] = set.precision;
  json["interval"] = interval_json(set.interval);
  json["half_width"] = set.interval.half_width();
  json["fixed_sample_size"] = set.fixed_sample_size;
  return json;
}

ordered_json ratio_json(const ratio_estimate& estimate) {
  ordered_json json;
  json["status"] = estimate.status;
  if (estimate.defined) {
    json["estimate"] = estimate.value;
    json["interval"] = interval_json(estimate.interval);
    json["effective_sample_size"] = estimate.effective_sample_size;
  }
  return json;
}

}  // namespace

std::string status_json(const store& campaign, const campaign_state& state,
                        const std::optional<rule_estimate>& what_if, int indent) {
  const auto& settings = campaign.settings();
  ordered_json root;
  root["campaign"] = campaign.path();
  root["predictions"] = settings.predictions;
  root["ensemble"] = settings.ensemble;
  root["margin"] = settings.margin_of_error;
  root["confidence"] = settings.confidence_level;
  root["items"] = state.items;
  root["finished"] = state.finished;
  root["distinct_labelled"] = state.distinct_labelled;
  root["label_records"] = state.label_records;
  root["fixed_n_coordinated"] = state.fixed_n_coordinated;
  root["independent_expected"] = state.independent_expected;
  root["naive_sum"] = state.naive_sum;
  ordered_json sets = ordered_json::object();
  for (std::size_t s = 0; s < state.sets.size(); ++s) {
    ordered_json set = set_json(state.sets[s]);
    if (!state.recall.empty()) set["recall"] = ratio_json(state.recall[s]);
    if (!state.f1.empty()) set["f1"] = ratio_json(state.f1[s]);
    sets[state.sets[s].name] = std::move(set);
  }
  root["sets"] = std::move(sets);
  if (!state.strata.empty()) {
    ordered_json strata = ordered_json::array();
    for (const auto& stratum : state.strata)
      strata.push_back({{"votes", stratum.votes},
                        {"items", stratum.items},
                        {"sample_size", stratum.sample_size},
                        {"labelled", stratum.labelled},
                        {"true_items", stratum.true_items}});
    root["strata"] = std::move(strata);
  }
  ordered_json annotators;
  annotators["count"] = state.annotators;
  annotators["multiply_labelled_items"] = state.multiply_labelled_items;
  annotators["observed_agreement"] = optional_json(state.observed_agreement);
  annotators["fleiss_kappa"] = optional_json(state.fleiss_kappa);
  annotators["cohen_kappa"] = optional_json(state.cohen_kappa);
  ordered_json disagreements = ordered_json::array();
  for (const auto& item : state.disagreements)
    disagreements.push_back(
        {{"id", item.id}, {"zeros", item.zeros}, {"ones", item.ones}, {"tied", item.tied()}});
  annotators["disagreements"] = std::move(disagreements);
  root["annotators"] = std::move(annotators);
  if (what_if) {
    ordered_json rule_json = set_json(what_if->set);
    rule_json["rule"] = what_if->rule;
    rule_json["more_labels"] = optional_json(what_if->more_labels);
    root["what_if"] = std::move(rule_json);
  }
  return root.dump(indent);
}

std::vector<std::string> sets_needing(const sampling::population& items,
                                      const campaign_state& state, std::size_t row) {
  std::vector<std::string> names;
  const std::uint64_t membership = items.membership(row);
  for (std::size_t s = 0; s < items.set_count(); ++s)
    if ((membership >> s & 1) && !state.sets[s].finished()) names.push_back(items.set_name(s));
  if (names.empty() && !state.strata.empty())
    names.push_back(fmt::format("votes={}", items.vote_count(row)));
  return names;
}

std::vector<std::pair<std::string, std::string>> finishing_events(const campaign_state& before,
                                                                  const campaign_state& after) {
  std::vector<std::pair<std::string, std::string>> events;
  for (std::size_t s = 0; s < after.sets.size(); ++s) {
    const auto& set = after.sets[s];
    if (set.finished() && !before.sets[s].finished() && set.positives > 0)
      events.emplace_back("set finished", nlohmann::json{{"set", set.name},
                                                         {"after_labels", *set.finished_after},
                                                         {"precision", set.precision},
                                                         {"lower", set.interval.lower},
                                                         {"upper", set.interval.upper}}
                                              .dump());
  }
  if (after.finished && !before.finished)
    events.emplace_back("campaign finished",
                        nlohmann::json{{"distinct_labelled", after.distinct_labelled}}.dump());
  return events;
}

}  // namespace frugal::campaign
