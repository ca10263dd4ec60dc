#pragma once
/// How the parent (the ensemble) votes from its members' votes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace frugal::sampling {

/// One member's weight in a `weighted` rule.
struct member_weight {
  std::string name;
  double weight = 0.0;  ///< finite, >= 0

  bool operator==(const member_weight&) const = default;
};

struct ensemble_rule {
  enum class kind {
    majority,  ///< strictly more than half of the members vote 1 (the default)
    any,       ///< at least one member
    all,       ///< every member
    at_least,  ///< at least `threshold` members (k-of-m)
    column,    ///< the parent's votes are a column of the predictions
    weighted,  ///< the weights of the members voting 1 sum to at least `weight_threshold`
  };
  kind rule = kind::majority;
  std::size_t threshold = 0;  ///< K of `at_least`
  std::string column;         ///< NAME of `column`
  /// `weighted`: the listed members, in the order given; a member not listed weighs 0. The
  /// names are checked against the members when the population is built.
  std::vector<member_weight> weights;
  double weight_threshold = 0.0;  ///< T of `weighted`: finite, > 0

  /// Parses "majority", "any", "all", "atleast:K", "column:NAME" and
  /// "weighted:NAME=W,...,NAME=W,threshold=T"; throws frugal::input_error.
  ///
  /// In the weighted form the weights W are finite non-negative decimals ("0.5", "2", "1e-3"),
  /// T is finite and > 0, `threshold=T` comes last (so a member may itself be named
  /// "threshold"), at least one member is listed, and none twice. NAME is everything before the
  /// last '=' of its entry; entries are split at commas, so a weighted member's name cannot
  /// hold one. Example: "weighted:m1=2,m2=1,m3=1,threshold=2.5" is 1 when m1 and one other
  /// member vote 1, or all three do.
  static ensemble_rule parse(std::string_view text);
  /// The text parse() accepts, reading back as an equal rule: doubles are printed in their
  /// shortest form that parses to the same value.
  std::string to_string() const;
  /// Members' minimum number of 1-votes for the rule: for `majority`, `any`, `all` and
  /// `at_least`. Returns 0 for `column`, which counts no votes. Throws std::logic_error for
  /// `weighted`, whose vote depends on which members vote, not on how many (use
  /// weighted_vote()).
  std::size_t votes_needed(std::size_t members) const;
  /// `weighted` only: whether a sum of member weights reaches `weight_threshold`. The sum is
  /// compared with a relative tolerance of 1e-12, so that decimal weights whose binary sum
  /// rounds just below an equal decimal threshold (0.7 + 0.1 against 0.8) still reach it.
  bool weighted_vote(double weight_sum) const noexcept;

  bool operator==(const ensemble_rule&) const = default;
};

}  // namespace frugal::sampling
