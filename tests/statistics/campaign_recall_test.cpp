// Monte Carlo validation of the campaign's recall and F1 estimates (strata by vote count, each
// stratum's first n_v items in priority order; stratified ratio estimates with linearised
// variances and Wilson intervals at the effective sample size). The population is fixed and
// known; each trial is a campaign with another seed, i.e. other priorities, so other stratum
// samples. Checks: |bias| within 3 standard errors of the Monte Carlo mean, coverage at or
// above 0.95 - 3 sqrt(0.95 * 0.05 / trials) (the binomial tolerance, 0.913 at 250 trials).

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/io/predictions.hpp"
#include "statistics/population_builder.hpp"

namespace {

using namespace frugal;

struct temporary_directory {
  std::filesystem::path path;
  temporary_directory() {
    char pattern[] = "/tmp/frugal-recall-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~temporary_directory() { std::filesystem::remove_all(path); }
};

TEST(campaign_recall, unbiased_and_covers_over_many_priorities) {
  test_support::ensemble_spec spec;
  spec.items = 4000;
  spec.base_rate = 0.3;
  spec.seed = 11;
  const io::prediction_table table =
      io::parse_predictions(test_support::synthetic_csv(spec), "population.csv");
  const sampling::population truth(table, sampling::ensemble_rule{});
  const std::size_t sets = truth.set_count();
  // True recall and F1 of every set from the gold column.
  std::vector<double> true_recall(sets), true_f1(sets);
  double actual_positives = 0;
  for (std::size_t row = 0; row < table.size(); ++row) actual_positives += table.labels[row];
  for (std::size_t s = 0; s < sets; ++s) {
    double tp = 0;
    for (const std::uint32_t row : truth.positive_rows(s)) tp += table.labels[row];
    true_recall[s] = tp / actual_positives;
    true_f1[s] = 2 * tp / (static_cast<double>(truth.positives(s)) + actual_positives);
  }

  // 250 in CI; FRUGAL_RECALL_TRIALS=1000 for the figure quoted in docs/statistics.md.
  const char* override_trials = std::getenv("FRUGAL_RECALL_TRIALS");
  const std::size_t trials =
      override_trials ? std::max<std::size_t>(50, std::strtoull(override_trials, nullptr, 10))
                      : 250;
  temporary_directory directory;
  std::vector<double> recall_sum(sets), recall_squares(sets), f1_sum(sets), f1_squares(sets);
  std::vector<std::size_t> recall_covered(sets), f1_covered(sets);
  for (std::size_t trial = 0; trial < trials; ++trial) {
    campaign::campaign_settings settings;
    settings.seed = 1000 + trial;
    settings.metrics = {"precision", "recall", "f1"};
    settings.fingerprint = io::fingerprint_hex(table.fingerprint);
    settings.created_at = campaign::utc_now();
    const std::string path = (directory.path / ("c" + std::to_string(trial) + ".db")).string();
    campaign::store store = campaign::store::create(path, table, settings);
    // Every item labelled with its gold label: each stratum then uses exactly its first n_v.
    std::vector<campaign::store::pending_label> labels;
    for (std::size_t row = 0; row < store.items().size(); ++row)
      labels.push_back({row, "gold", store.items().labels[row], row + 2, 1});
    const std::vector<std::uint8_t> requested(store.items().size(), 1);
    store.import_labels("gold", labels, requested, {});
    const auto resolved = campaign::resolve_labels(store, store.labels());
    const campaign::campaign_state state = campaign::evaluate(store, resolved);
    ASSERT_EQ(state.recall.size(), sets);
    for (std::size_t s = 0; s < sets; ++s) {
      const auto& recall = state.recall[s];
      const auto& f1 = state.f1[s];
      ASSERT_TRUE(recall.defined && f1.defined) << recall.status;
      EXPECT_EQ(recall.status, "ok");
      recall_sum[s] += recall.value;
      recall_squares[s] += recall.value * recall.value;
      f1_sum[s] += f1.value;
      f1_squares[s] += f1.value * f1.value;
      recall_covered[s] +=
          recall.interval.lower <= true_recall[s] && true_recall[s] <= recall.interval.upper;
      f1_covered[s] += f1.interval.lower <= true_f1[s] && true_f1[s] <= f1.interval.upper;
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
  }
  const double n = static_cast<double>(trials);
  const double floor = 0.95 - 3.0 * std::sqrt(0.95 * 0.05 / n);
  for (std::size_t s = 0; s < sets; ++s) {
    for (const auto& [name, sum, squares, covered, target] :
         {std::tuple{"recall", recall_sum[s], recall_squares[s], recall_covered[s], true_recall[s]},
          std::tuple{"f1", f1_sum[s], f1_squares[s], f1_covered[s], true_f1[s]}}) {
      const double mean = sum / n;
      const double spread = std::sqrt(std::max(0.0, squares / n - mean * mean));
      const double standard_error = spread / std::sqrt(n);
      // The ratio estimator's bias is O(1/n); 3 standard errors plus 0.002 for it.
      EXPECT_LE(std::abs(mean - target), 3.0 * standard_error + 0.002)
          << name << " of " << truth.set_name(s) << ": mean " << mean << " truth " << target;
      std::printf("%-8s %-6s truth %.4f mean %.4f sd %.4f coverage %.3f\n",
                  truth.set_name(s).c_str(), name, target, mean, spread,
                  static_cast<double>(covered) / n);
      EXPECT_GE(static_cast<double>(covered) / n, floor)
          << name << " of " << truth.set_name(s) << " covered " << covered << " of " << trials;
    }
  }
}

}  // namespace
