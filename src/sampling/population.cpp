#include "frugal/sampling/population.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "frugal/error.hpp"

namespace frugal::sampling {

namespace {

// Each member's weight in a weighted rule, by member index; rejects names that are not members
// and values parse() would not have accepted (the rule may have been built by hand).
std::vector<double> member_weights(const ensemble_rule& rule, const io::prediction_table& table) {
  const std::string rule_text = rule.to_string();
  if (!std::isfinite(rule.weight_threshold) || rule.weight_threshold <= 0.0)
    throw input_error(
        fmt::format("ensemble rule {}: the threshold must be a finite number > 0", rule_text));
  std::vector<double> weight(table.member_count(), 0.0);
  std::vector<char> listed(table.member_count(), 0);
  for (const member_weight& member : rule.weights) {
    const auto found = std::find(table.model_names.begin(), table.model_names.end(), member.name);
    if (found == table.model_names.end())
      throw input_error(table.source, 1, 1,
                        fmt::format("ensemble rule {}: \"{}\" is not a member; the members are {}",
                                    rule_text, member.name, fmt::join(table.model_names, ", ")));
    const auto index = static_cast<std::size_t>(found - table.model_names.begin());
    if (listed[index] != 0)
      throw input_error(
          fmt::format("ensemble rule {}: member \"{}\" is listed twice", rule_text, member.name));
    if (!std::isfinite(member.weight) || member.weight < 0.0)
      throw input_error(
          fmt::format("ensemble rule {}: the weight of \"{}\" must be a finite number >= 0",
                      rule_text, member.name));
    listed[index] = 1;
    weight[index] = member.weight;
  }
  return weight;
}

}  // namespace

struct population::lazy_rows {
  std::vector<std::once_flag> once;
  std::vector<std::vector<std::uint32_t>> rows;
  explicit lazy_rows(std::size_t sets) : once(sets), rows(sets) {}
};

population::population(const io::prediction_table& table, ensemble_rule rule)
    : table_(&table), rule_(std::move(rule)) {
  const std::size_t m = table.member_count();
  const bool column_rule = rule_.rule == ensemble_rule::kind::column;
  if (column_rule && table.parent_votes.size() != table.size())
    throw input_error(
        table.source, 1, 1,
        fmt::format("ensemble rule {} needs the column \"{}\" read as the parent's votes",
                    rule_.to_string(), rule_.column));
  if (rule_.rule == ensemble_rule::kind::at_least && rule_.threshold > m)
    throw input_error(fmt::format(
        "ensemble rule atleast:{} asks for more votes than the {} members", rule_.threshold, m));
  if (column_rule) {
    parent_ = table.parent_votes;
  } else if (rule_.rule == ensemble_rule::kind::weighted) {
    const std::vector<double> weight = member_weights(rule_, table);
    parent_.resize(table.size());
    for (std::size_t row = 0; row < table.size(); ++row) {
      double sum = 0.0;
      for (std::uint64_t votes = table.votes[row]; votes != 0; votes &= votes - 1)
        sum += weight[static_cast<std::size_t>(std::countr_zero(votes))];
      parent_[row] = static_cast<std::uint8_t>(rule_.weighted_vote(sum));
    }
  } else {
    const std::size_t votes_needed = rule_.votes_needed(m);
    parent_.resize(table.size());
    for (std::size_t row = 0; row < table.size(); ++row)
      parent_[row] = static_cast<std::uint8_t>(vote_count(row) >= votes_needed);
  }
  names_.emplace_back(parent_set_name);
  for (const std::string& name : table.model_names) {
    if (name == parent_set_name)
      throw input_error(table.source, 1, 1,
                        "a model column is named \"ensemble\", the name of the parent set; "
                        "rename it");
    names_.push_back(name);
  }
  positives_.assign(set_count(), 0);
  strata_.assign(set_count() * (m + 1), 0);
  for (std::size_t row = 0; row < table.size(); ++row) {
    std::uint64_t sets = membership(row);
    const std::size_t votes = vote_count(row);
    while (sets != 0) {
      const auto set = static_cast<std::size_t>(std::countr_zero(sets));
      sets &= sets - 1;
      ++positives_[set];
      ++strata_[set * (m + 1) + votes];
    }
  }
  rows_ = std::make_unique<lazy_rows>(set_count());
}

population::~population() = default;

std::ptrdiff_t population::find_set(std::string_view name) const noexcept {
  for (std::size_t s = 0; s < names_.size(); ++s) {
    if (names_[s] == name) return static_cast<std::ptrdiff_t>(s);
  }
  return -1;
}

const std::vector<std::uint32_t>& population::positive_rows(std::size_t set) const {
  std::call_once(rows_->once[set], [&] {
    std::vector<std::uint32_t>& rows = rows_->rows[set];
    rows.reserve(positives_[set]);
    const std::uint64_t bit = std::uint64_t{1} << set;
    for (std::size_t row = 0; row < items(); ++row) {
      if (membership(row) & bit) rows.push_back(static_cast<std::uint32_t>(row));
    }
  });
  return rows_->rows[set];
}

}  // namespace frugal::sampling
