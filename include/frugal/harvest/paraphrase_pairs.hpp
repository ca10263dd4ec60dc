#pragma once
/// The pairs file of `frugal harvest synth-pairs` and `train-paraphrase`: JSON Lines, one pair a
/// line, {"a": [tokens], "b": [tokens], "paraphrase": true|false, "kind": "..."} ("kind"
/// optional). Implemented in src/harvest/synth_pairs.cpp.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/harvest/paraphrase.hpp"

namespace frugal::harvest {

struct paraphrase_pairs {
  std::vector<paraphrase_example> examples;
  std::size_t skipped = 0;
  std::vector<std::string> skip_messages;  ///< "file:line:column: ..." for the first 10 skips
};

/// Parses a pairs file. A malformed line (bad JSON, invalid UTF-8, a missing or empty token
/// array, an empty token, "paraphrase" not a boolean, "kind" not a string) throws
/// frugal::input_error with source:line:column, or is counted and skipped with `skip_bad`.
paraphrase_pairs parse_paraphrase_pairs(std::string_view text, const std::string& source,
                                        bool skip_bad = false);
paraphrase_pairs read_paraphrase_pairs(const std::string& path, bool skip_bad = false);

/// One line (without the newline) in the form parse_paraphrase_pairs() reads.
std::string paraphrase_pair_line(const paraphrase_example& example);

}  // namespace frugal::harvest
