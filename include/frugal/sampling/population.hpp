#pragma once
/// The evaluation sets of an ensemble over one prediction table.
///
/// Convention used by every sampling and estimation header: set 0 is the parent, named
/// "ensemble"; set 1 + j is member j's positives (the items it votes 1 on), named after its
/// column. An item's *vote count* is the number of members voting 1 on it, the stratum used by
/// post-stratification.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "frugal/io/predictions.hpp"
#include "frugal/sampling/ensemble_rule.hpp"

namespace frugal::sampling {

inline constexpr std::string_view parent_set_name = "ensemble";

class population {
 public:
  /// The table must outlive the population. Throws frugal::input_error when the rule does not
  /// fit the members (atleast:K with K > members, a weighted rule naming a model that is not a
  /// member) or a model is named "ensemble".
  population(const io::prediction_table& table, ensemble_rule rule);
  ~population();
  population(const population&) = delete;
  population& operator=(const population&) = delete;

  const io::prediction_table& table() const noexcept { return *table_; }
  const ensemble_rule& rule() const noexcept { return rule_; }
  std::size_t items() const noexcept { return table_->size(); }
  std::size_t members() const noexcept { return table_->member_count(); }
  std::size_t set_count() const noexcept { return names_.size(); }
  const std::string& set_name(std::size_t set) const { return names_[set]; }
  /// Index of a set by name, or -1.
  std::ptrdiff_t find_set(std::string_view name) const noexcept;

  /// Positives of a set: N_s.
  std::size_t positives(std::size_t set) const { return positives_[set]; }
  /// Items of `set` with exactly `votes` member votes (the post-stratification strata).
  std::size_t stratum_size(std::size_t set, std::size_t votes) const {
    return strata_[set * (members() + 1) + votes];
  }

  unsigned vote_count(std::size_t row) const noexcept {
    return static_cast<unsigned>(std::popcount(table_->votes[row]));
  }
  bool parent_vote(std::size_t row) const noexcept { return parent_[row] != 0; }
  /// Bit s set when the row is a positive of set s.
  std::uint64_t membership(std::size_t row) const noexcept {
    return (table_->votes[row] << 1) | std::uint64_t{parent_vote(row)};
  }

  /// The rows of a set in ascending order; computed once on first use (thread-safe).
  const std::vector<std::uint32_t>& positive_rows(std::size_t set) const;

 private:
  struct lazy_rows;
  const io::prediction_table* table_;
  ensemble_rule rule_;
  std::vector<std::uint8_t> parent_;  // the parent's vote per row, computed once
  std::vector<std::string> names_;
  std::vector<std::size_t> positives_;
  std::vector<std::size_t> strata_;
  std::unique_ptr<lazy_rows> rows_;
};

}  // namespace frugal::sampling
