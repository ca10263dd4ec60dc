#pragma once
/// How the parent (the ensemble) votes from its members' votes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace frugal::sampling {

struct ensemble_rule {
  enum class kind {
    majority,  ///< strictly more than half of the members vote 1 (the default)
    any,       ///< at least one member
    all,       ///< every member
    at_least,  ///< at least `threshold` members (k-of-m)
    column,    ///< the parent's votes are a column of the predictions
  };
  kind rule = kind::majority;
  std::size_t threshold = 0;
  std::string column;

  /// Parses "majority", "any", "all", "atleast:K", "column:NAME"; throws frugal::input_error.
  static ensemble_rule parse(std::string_view text);
  /// The text parse() accepts.
  std::string to_string() const;
  /// Members' minimum number of 1-votes for the rule (not for `column`).
  std::size_t votes_needed(std::size_t members) const;
};

}  // namespace frugal::sampling
