#pragma once
// Test populations for the sampling and estimation tests: predictions tables built in memory
// through io::parse_predictions (which also computes the id hashes and the fingerprint), either
// from hand-written rows or from a synthetic ensemble whose gold labels, hence every set's true
// precision, are known exactly.
//
// The synthetic model is the one of bench/generate_ensemble.cpp: item i has a gold label
// y ~ Bernoulli(base_rate) and a shared difficulty z; member j scores
// s = skill_j (2y - 1) + sqrt(rho) z + sqrt(1 - rho) e and votes 1 when s > threshold_j. The
// normal draws are Irwin-Hall sums of 12 uniforms from frugal::detail::random_source, so a
// population is bit-identical on every platform (no libm in the path).

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/random.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/ensemble_rule.hpp"
#include "frugal/sampling/population.hpp"

namespace frugal::test_support {

/// `prefix` followed by the decimal `number` ("r12"). Appending, rather than `"r" +
/// std::to_string(i)`, also keeps GCC 12's false -Wrestrict warning (bug 105329) away.
inline std::string numbered(std::string_view prefix, std::size_t number) {
  std::string text(prefix);
  text += std::to_string(number);
  return text;
}

/// A prediction table and the population over it, kept together so the table outlives it.
class test_population {
 public:
  explicit test_population(std::string_view csv,
                           sampling::ensemble_rule rule = sampling::ensemble_rule{},
                           io::read_options options = {})
      : table_(std::make_unique<io::prediction_table>(
            io::parse_predictions(csv, "test.csv", with_one_thread(std::move(options))))),
        population_(std::make_unique<sampling::population>(*table_, std::move(rule))) {}

  const io::prediction_table& table() const noexcept { return *table_; }
  const sampling::population& items() const noexcept { return *population_; }
  /// Gold labels by row (-1 where the CSV had none).
  std::span<const std::int8_t> gold() const noexcept { return table_->labels; }

  /// The true precision of a set: the share of its positives whose gold label is 1.
  double true_precision(std::size_t set) const {
    const auto& rows = population_->positive_rows(set);
    std::size_t correct = 0;
    for (const std::uint32_t row : rows) correct += table_->labels[row] == 1 ? 1 : 0;
    return rows.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(rows.size());
  }

 private:
  static io::read_options with_one_thread(io::read_options options) {
    options.threads = 1;
    return options;
  }
  std::unique_ptr<io::prediction_table> table_;
  std::unique_ptr<sampling::population> population_;
};

/// One hand-written row: its id, the members' votes as a string of '0'/'1' in column order, and
/// the gold label ('0', '1', or ' ' for none).
struct hand_row {
  std::string id;
  std::string votes;
  char label = ' ';
};

/// CSV text "id,<models...>,label" for hand-written rows.
inline std::string csv_from_rows(const std::vector<std::string>& models,
                                 const std::vector<hand_row>& rows) {
  std::string text = "id";
  for (const std::string& model : models) text += "," + model;
  text += ",label\n";
  for (const hand_row& row : rows) {
    text += row.id;
    for (const char vote : row.votes) {
      text += ',';
      text += vote;
    }
    text += ',';
    if (row.label != ' ') text += row.label;
    text += '\n';
  }
  return text;
}

/// Parameters of the synthetic ensemble (see the top of this file).
struct ensemble_spec {
  std::size_t items = 3000;
  double base_rate = 0.3;
  double rho = 0.5;
  std::vector<double> skill{0.8, 1.1, 1.4, 1.7, 2.0};
  std::vector<double> threshold{0.9, 0.35, 1.0, 0.45, 1.1};
  std::uint64_t seed = 1;
  std::string id_prefix = "item-";
};

/// Approximately standard normal, from twelve uniforms (Irwin-Hall): platform-independent.
inline double irwin_hall_normal(detail::random_source& random) {
  double sum = 0.0;
  for (int i = 0; i < 12; ++i) sum += random.unit();
  return sum - 6.0;
}

/// CSV text of a synthetic ensemble with columns id, m1..mM, label.
inline std::string synthetic_csv(const ensemble_spec& spec) {
  const std::size_t members = spec.skill.size();
  detail::random_source random(spec.seed, 0x706f70ull);
  std::string text = "id";
  for (std::size_t j = 0; j < members; ++j) text += numbered(",m", j + 1);
  text += ",label\n";
  const double shared = std::sqrt(spec.rho);
  const double own = std::sqrt(1.0 - spec.rho);
  for (std::size_t i = 0; i < spec.items; ++i) {
    const int label = random.unit() < spec.base_rate ? 1 : 0;
    const double difficulty = irwin_hall_normal(random);
    text += numbered(spec.id_prefix, i);
    for (std::size_t j = 0; j < members; ++j) {
      const double score =
          spec.skill[j] * (2 * label - 1) + shared * difficulty + own * irwin_hall_normal(random);
      text += score > spec.threshold[j] ? ",1" : ",0";
    }
    text += label != 0 ? ",1\n" : ",0\n";
  }
  return text;
}

/// Votes only (no label column) for `items` rows and `members` members, each vote 1 with
/// probability `vote_rate` independently: large populations for structural tests.
inline std::string random_votes_csv(std::size_t items, std::size_t members, double vote_rate,
                                    std::uint64_t seed) {
  detail::random_source random(seed, 0x766f7465ull);
  std::string text = "id";
  for (std::size_t j = 0; j < members; ++j) text += numbered(",m", j + 1);
  text += '\n';
  for (std::size_t i = 0; i < items; ++i) {
    text += numbered("r", i);
    for (std::size_t j = 0; j < members; ++j) text += random.unit() < vote_rate ? ",1" : ",0";
    text += '\n';
  }
  return text;
}

}  // namespace frugal::test_support
