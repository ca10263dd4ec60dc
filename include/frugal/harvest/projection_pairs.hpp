#pragma once
/// Input and output of `frugal harvest project` (issue 8 point 4): JSON Lines of projection
/// pairs in, one result line per pair out.
///
/// In, one pair a line (token spans, end exclusive; other fields are ignored):
///   {"id": "p1" | 17, "source": {"tokens": [...], "intent": "...",
///    "slots": [{"type": "...", "start": i, "end": j}]}, "target": {"tokens": [...]}}
/// Out, one line a pair:
///   {"id": <as given>, "intent": "...", "slots": [...], "status": "ok" | "rejected",
///    "reason": "..."}   ("reason" is "" when ok; "slots" is [] when rejected)

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/harvest/annotation.hpp"
#include "frugal/harvest/projection.hpp"

namespace frugal::harvest {

struct projection_pair {
  std::string id;              ///< as text; an integer id is its decimal digits
  bool integer_id = false;     ///< written back as a JSON number
  std::size_t line = 0;        ///< 1-based line in the input
  annotated_utterance source;  ///< slots valid and sorted by start
  std::vector<std::string> target_tokens;
};

struct projection_pairs {
  std::vector<projection_pair> pairs;  ///< in input order
  std::size_t skipped = 0;
  std::vector<std::string> skip_messages;  ///< "file:line:column: ..." for the first 10 skips
};

/// Parses pairs. Without skip_bad the first bad line throws frugal::input_error with
/// file:line:column: malformed JSON, invalid UTF-8, a missing or mistyped field, an id that is
/// not a non-empty string or an integer, empty tokens or utterances, an empty intent, a slot span
/// out of range, empty or overlapping another, a side with more than max_utterance_tokens tokens
/// or a token longer than max_token_bytes. With skip_bad such lines are counted and skipped.
projection_pairs parse_projection_pairs(std::string_view text, const std::string& source,
                                        bool skip_bad = false);
/// Reads the file at `path` ("-": standard input, named "stdin" in errors) and parses it.
projection_pairs read_projection_pairs(const std::string& path, bool skip_bad = false);

/// The result line (no newline) for `pair` and its projection.
std::string projection_line(const projection_pair& pair, const projection_result& result);

/// The kind of a rejection reason, without the slot types: "slot without a target word" or
/// "overlapping slots" (summaries count by it).
std::string rejection_kind(const std::string& reason);

}  // namespace frugal::harvest
