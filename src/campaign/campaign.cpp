#include "frugal/campaign/campaign.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <span>
#include <tuple>

#include "frugal/error.hpp"
#include "frugal/estimation/confidence_sequence.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/population.hpp"
#include "frugal/sampling/sample_size.hpp"

namespace frugal::campaign {
namespace {

bool metric_requested(const campaign_settings& settings, std::string_view metric) {
  return std::find(settings.metrics.begin(), settings.metrics.end(), metric) !=
         settings.metrics.end();
}

estimation::betting_settings sequence_settings(const campaign_settings& settings) {
  estimation::betting_settings betting;
  betting.confidence_level = settings.confidence_level;
  betting.target_margin = settings.margin_of_error;
  return betting;
}

bool resolved(std::int8_t label) {
  return label == 0 || label == 1;
}

// Runs the confidence sequence over the labelled prefix of `rows` (ascending = priority order).
set_progress follow_prefix(std::string name, std::span<const std::uint32_t> rows,
                           std::span<const std::int8_t> labels_by_row,
                           const campaign_settings& settings,
                           std::optional<estimation::betting_confidence_sequence>* keep = nullptr) {
  set_progress progress;
  progress.name = std::move(name);
  progress.positives = rows.size();
  if (rows.empty()) {
    progress.status = "no positives";
    progress.finished_after = 0;
    return progress;
  }
  estimation::betting_confidence_sequence sequence(rows.size(), sequence_settings(settings));
  for (const std::uint32_t row : rows) {
    const std::int8_t label = labels_by_row[row];
    if (!resolved(label)) break;
    sequence.add(label == 1);
    if (sequence.half_width() <= settings.margin_of_error) {
      progress.finished_after = sequence.observed();
      break;
    }
  }
  progress.labelled = sequence.observed();
  progress.true_positives = sequence.successes();
  progress.precision = sequence.estimate();
  progress.interval = sequence.interval();
  progress.status = progress.finished() ? "finished" : "labelling";
  if (keep) keep->emplace(std::move(sequence));
  return progress;
}

struct ratio_parts {
  double estimate = 0.0;
  double variance = 0.0;
};

// Stratified ratio estimate: per stratum, the sampled rows' (numerator, denominator) values and
// the stratum size; variance by Taylor linearisation, e = (num - R den) / D.
template <typename Numerator, typename Denominator>
std::optional<ratio_parts> stratified_ratio(const std::vector<std::vector<std::uint32_t>>& samples,
                                            const std::vector<std::size_t>& stratum_items,
                                            double denominator_offset, Numerator numerator,
                                            Denominator denominator) {
  double total_numerator = 0.0, total_denominator = denominator_offset;
  for (std::size_t v = 0; v < samples.size(); ++v) {
    if (samples[v].empty()) continue;
    const double weight =
        static_cast<double>(stratum_items[v]) / static_cast<double>(samples[v].size());
    for (const std::uint32_t row : samples[v]) {
      total_numerator += weight * numerator(row);
      total_denominator += weight * denominator(row);
    }
  }
  if (total_denominator <= 0.0) return std::nullopt;
  ratio_parts parts;
  parts.estimate = total_numerator / total_denominator;
  for (std::size_t v = 0; v < samples.size(); ++v) {
    const std::size_t n = samples[v].size();
    const double big_n = static_cast<double>(stratum_items[v]);
    if (n == 0 || big_n <= 1.0) continue;
    double variance = 0.25;  // the bound for one sampled item: e lies in an interval of width 1
    if (n > 1) {
      double mean = 0.0;
      for (const std::uint32_t row : samples[v])
        mean += numerator(row) - parts.estimate * denominator(row);
      mean /= static_cast<double>(n);
      double squares = 0.0;
      for (const std::uint32_t row : samples[v]) {
        const double e = numerator(row) - parts.estimate * denominator(row) - mean;
        squares += e * e;
      }
      variance = squares / static_cast<double>(n - 1);
    }
    const double fpc = 1.0 - static_cast<double>(n) / big_n;
    parts.variance += big_n * big_n * fpc * variance / static_cast<double>(n);
  }
  parts.variance /= total_denominator * total_denominator;
  return parts;
}

ratio_estimate finish_ratio(std::optional<ratio_parts> parts, double cap, bool complete,
                            double confidence_level) {
  ratio_estimate result;
  if (!parts || cap <= 0.0) {
    result.status = "no labels";
    return result;
  }
  result.defined = true;
  result.value = std::clamp(parts->estimate, 0.0, 1.0);
  const double spread = result.value * (1.0 - result.value);
  double effective = parts->variance > 0.0 ? spread / parts->variance : cap;
  effective = std::clamp(effective, 1.0, cap);
  result.effective_sample_size = effective;
  result.interval =
      estimation::interval_for_proportion(estimation::interval_method::wilson,
                                          result.value * effective, effective, 0, confidence_level);
  result.status = complete ? "ok" : "in progress";
  return result;
}

}  // namespace

resolved_labels resolve_labels(const store& campaign, const std::vector<label_record>& labels) {
  const io::prediction_table& items = campaign.items();
  const io::id_index index(items);
  resolved_labels result;
  result.by_row.assign(items.size(), resolved_labels::unlabelled);
  result.zeros.assign(items.size(), 0);
  result.ones.assign(items.size(), 0);
  std::set<std::string> annotators;
  for (const label_record& record : labels) annotators.insert(record.annotator);
  if (annotators.size() == 2) result.two_annotators.resize(items.size());
  for (const label_record& record : labels) {
    const std::ptrdiff_t row = index.find(record.id);
    // The store's foreign key keeps this from happening, unless the file was edited.
    if (row < 0 || (record.label != 0 && record.label != 1))
      throw input_error(campaign.path(), 0, 0,
                        fmt::format("the campaign's label for \"{}\" is damaged (not a 0/1 label "
                                    "of one of its items)",
                                    record.id));
    (record.label == 1 ? result.ones : result.zeros)[static_cast<std::size_t>(row)] += 1;
    if (!result.two_annotators.empty()) {
      auto& pair = result.two_annotators[static_cast<std::size_t>(row)];
      (record.annotator == *annotators.begin() ? pair.first : pair.second) = record.label == 1;
    }
    ++result.records;
  }
  result.annotators = annotators.size();
  for (std::size_t row = 0; row < items.size(); ++row)
    result.by_row[row] = io::majority_label(result.zeros[row], result.ones[row]);
  return result;
}

campaign_state evaluate(const store& campaign, const resolved_labels& labels) {
  const campaign_settings& settings = campaign.settings();
  const io::prediction_table& table = campaign.items();
  const sampling::population items(table, sampling::ensemble_rule::parse(settings.ensemble));
  campaign_state state;
  state.items = table.size();
  state.needed.assign(table.size(), 0);
  state.label_records = labels.records;
  state.annotators = labels.annotators;

  sampling::plan_settings fixed;
  fixed.design = sampling::design_kind::coordinated;
  fixed.seed = settings.seed;
  fixed.margin_of_error = settings.margin_of_error;
  fixed.confidence_level = settings.confidence_level;
  fixed.threads = 1;
  const sampling::sample_plan plan = sampling::make_plan(items, fixed);
  state.fixed_n_coordinated = plan.sample.queue.size();
  state.independent_expected = plan.expected_independent;
  state.naive_sum = plan.naive_sum;

  bool all_finished = true;
  for (std::size_t set = 0; set < items.set_count(); ++set) {
    const std::vector<std::uint32_t>& rows = items.positive_rows(set);
    set_progress progress = follow_prefix(items.set_name(set), rows, labels.by_row, settings);
    progress.fixed_sample_size = plan.sample_sizes[set];
    if (!progress.finished()) {
      all_finished = false;
      for (std::size_t k = progress.labelled; k < rows.size(); ++k)
        if (!resolved(labels.by_row[rows[k]])) state.needed[rows[k]] = 1;
    }
    state.sets.push_back(std::move(progress));
  }

  if (metric_requested(settings, "recall") || metric_requested(settings, "f1")) {
    const std::size_t members = items.members();
    std::vector<std::vector<std::uint32_t>> stratum_rows(members + 1);
    for (std::size_t row = 0; row < table.size(); ++row)
      stratum_rows[items.vote_count(row)].push_back(static_cast<std::uint32_t>(row));
    std::vector<std::vector<std::uint32_t>> samples(members + 1);
    std::vector<std::size_t> sizes(members + 1);
    bool complete = true;
    // The effective sample size is capped at the items sampled in all strata: it guards against
    // a variance estimate that small strata make too small, without giving away the gain of
    // stratification (a cap at the sampled true items made the intervals cover 99-100%).
    double sampled_items = 0.0;
    for (unsigned v = 0; v <= members; ++v) {
      const std::vector<std::uint32_t>& rows = stratum_rows[v];
      stratum_progress stratum;
      stratum.votes = v;
      stratum.items = rows.size();
      sizes[v] = rows.size();
      stratum.sample_size =
          rows.empty() ? 0
                       : sampling::cochran_sample_size(rows.size(), settings.margin_of_error,
                                                       settings.confidence_level);
      for (std::size_t k = 0; k < stratum.sample_size; ++k) {
        const std::int8_t label = labels.by_row[rows[k]];
        if (!resolved(label)) break;
        samples[v].push_back(rows[k]);
        stratum.true_items += static_cast<std::size_t>(label);
      }
      stratum.labelled = samples[v].size();
      sampled_items += static_cast<double>(stratum.labelled);
      if (stratum.labelled < stratum.sample_size) {
        complete = false;
        all_finished = false;
        for (std::size_t k = stratum.labelled; k < stratum.sample_size; ++k)
          if (!resolved(labels.by_row[rows[k]])) state.needed[rows[k]] = 1;
      }
      state.strata.push_back(stratum);
    }
    // A fixed-n campaign would label the strata samples too.
    std::vector<std::uint8_t> in_fixed(table.size(), 0);
    for (const std::uint32_t row : plan.sample.queue) in_fixed[row] = 1;
    for (unsigned v = 0; v <= members; ++v)
      for (std::size_t k = 0; k < state.strata[v].sample_size; ++k)
        in_fixed[stratum_rows[v][k]] = 1;
    state.fixed_n_coordinated =
        static_cast<std::size_t>(std::count(in_fixed.begin(), in_fixed.end(), std::uint8_t{1}));
    // Independent sampling would draw the strata samples independently too: an item escapes
    // every set's sample and its stratum's.
    double expected = 0.0;
    for (std::size_t row = 0; row < table.size(); ++row) {
      double missed = 1.0;
      const std::uint64_t membership = items.membership(row);
      for (std::size_t set = 0; set < items.set_count(); ++set)
        if (membership >> set & 1)
          missed *= 1.0 - static_cast<double>(plan.sample_sizes[set]) /
                              static_cast<double>(items.positives(set));
      const stratum_progress& stratum = state.strata[items.vote_count(row)];
      missed *= 1.0 - static_cast<double>(stratum.sample_size) / static_cast<double>(stratum.items);
      expected += 1.0 - missed;
    }
    state.independent_expected = expected;
    for (const stratum_progress& stratum : state.strata) state.naive_sum += stratum.sample_size;
    auto truth = [&](std::uint32_t row) { return static_cast<double>(labels.by_row[row]); };
    for (std::size_t set = 0; set < items.set_count(); ++set) {
      const std::uint64_t bit = std::uint64_t{1} << set;
      auto in_set = [&](std::uint32_t row) { return (items.membership(row) & bit) != 0; };
      const auto recall = stratified_ratio(
          samples, sizes, 0.0, [&](std::uint32_t row) { return truth(row) * in_set(row); }, truth);
      state.recall.push_back(
          finish_ratio(recall, sampled_items, complete, settings.confidence_level));
      // F1 = 2 TP / (N_s + T): N_s is known exactly, TP and T are estimated.
      const auto f1 = stratified_ratio(
          samples, sizes, static_cast<double>(items.positives(set)),
          [&](std::uint32_t row) { return 2.0 * truth(row) * in_set(row); }, truth);
      state.f1.push_back(finish_ratio(f1, sampled_items, complete, settings.confidence_level));
    }
  }

  for (std::size_t row = 0; row < table.size(); ++row) {
    const std::uint32_t zeros = labels.zeros[row], ones = labels.ones[row];
    if (zeros + ones > 0) ++state.distinct_labelled;
    if (zeros > 0 && ones > 0)
      state.disagreements.push_back({std::string(table.ids[row]), zeros, ones});
  }
  std::vector<estimation::item_ratings> ratings;
  for (std::size_t row = 0; row < table.size(); ++row)
    if (labels.zeros[row] + labels.ones[row] >= 2)
      ratings.push_back({labels.zeros[row], labels.ones[row]});
  const estimation::agreement fleiss = estimation::fleiss_kappa(ratings);
  state.multiply_labelled_items = ratings.size();
  state.fleiss_kappa = fleiss.kappa;
  state.observed_agreement = fleiss.observed_agreement;
  if (!labels.two_annotators.empty())
    state.cohen_kappa = estimation::cohen_kappa(labels.two_annotators).kappa;
  state.finished = all_finished;
  return state;
}

std::vector<std::size_t> next_rows(const campaign_state& state, const resolved_labels& labels,
                                   std::size_t batch) {
  std::vector<std::size_t> rows;
  for (std::size_t row = 0; row < state.needed.size() && rows.size() < batch; ++row)
    if (state.needed[row] && !resolved(labels.by_row[row])) rows.push_back(row);
  return rows;
}

rule_estimate estimate_prefix(std::string name, std::span<const std::uint32_t> rows,
                              std::span<const std::int8_t> labels_by_row, double margin_of_error,
                              double confidence_level) {
  campaign_settings settings;
  settings.margin_of_error = margin_of_error;
  settings.confidence_level = confidence_level;
  rule_estimate result;
  result.rule = name;
  std::optional<estimation::betting_confidence_sequence> sequence;
  result.set = follow_prefix(std::move(name), rows, labels_by_row, settings, &sequence);
  result.set.fixed_sample_size =
      rows.empty() ? 0
                   : sampling::cochran_sample_size(rows.size(), margin_of_error, confidence_level);
  if (result.set.finished() || !sequence) return result;
  // Project: continue the sequence with labels arriving at the current rate until it is narrow
  // enough, then count the items in that stretch that nobody has labelled yet.
  estimation::betting_confidence_sequence projected = *sequence;
  const double rate = sequence->observed() > 0 ? result.set.precision : 0.5;
  double carried = 0.0;
  while (projected.observed() < rows.size() && projected.half_width() > margin_of_error) {
    carried += rate;
    const bool value = carried >= 1.0;
    if (value) carried -= 1.0;
    projected.add(value);
  }
  if (projected.half_width() > margin_of_error) return result;
  std::size_t more = 0;
  for (std::size_t k = result.set.labelled; k < projected.observed(); ++k)
    more += resolved(labels_by_row[rows[k]]) ? 0 : 1;
  result.more_labels = more;
  return result;
}

rule_estimate evaluate_rule(const store& campaign, const resolved_labels& labels,
                            const sampling::ensemble_rule& rule) {
  const campaign_settings& settings = campaign.settings();
  const sampling::population items(campaign.items(), rule);
  return estimate_prefix(rule.to_string(), items.positive_rows(0), labels.by_row,
                         settings.margin_of_error, settings.confidence_level);
}

labels_outcome evaluate_with(const store& campaign, std::vector<label_record> labels,
                             const std::vector<store::pending_label>& pending) {
  for (const auto& record : pending)
    labels.push_back(
        {std::string(campaign.items().ids[record.row]), record.annotator, record.label, "", 0});
  // The same (id, annotator) twice counts once: drop repeats before resolving.
  std::sort(labels.begin(), labels.end(), [](const auto& a, const auto& b) {
    return std::tie(a.id, a.annotator) < std::tie(b.id, b.annotator);
  });
  labels.erase(std::unique(labels.begin(), labels.end(),
                           [](const auto& a, const auto& b) {
                             return a.id == b.id && a.annotator == b.annotator;
                           }),
               labels.end());
  labels_outcome outcome;
  outcome.resolved = resolve_labels(campaign, labels);
  outcome.state = evaluate(campaign, outcome.resolved);
  outcome.labels = std::move(labels);
  return outcome;
}

}  // namespace frugal::campaign
