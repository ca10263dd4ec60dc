#pragma once
/// Interaction logs (DESIGN.md §4): JSONL, one turn a line, with `user`, `session`, `time`
/// (seconds), `text`, `asr_confidence`, `nlu` {`intent`, `slots` [{`type`, `start`, `end`}],
/// `confidence`} and `status`. Optional keys: `id` (string or integer; default: the line number)
/// and `friction` (0/1 or boolean), the label that `frugal harvest train-friction` learns from.
/// Other keys are ignored (the simulator stores its ground truth under `truth`).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/harvest/annotation.hpp"

namespace frugal::harvest {

struct nlu_hypothesis {
  std::string intent;
  std::vector<slot_span> slots;  ///< token spans over the turn's tokens, sorted by start
  double confidence = 0.0;
};

struct turn {
  std::string id;
  std::string user;
  std::string session;
  double time = 0.0;
  std::string text;
  std::vector<std::string> tokens;  ///< tokenize(text)
  double asr_confidence = 0.0;
  nlu_hypothesis nlu;
  std::string status;            ///< the handler's status code, as text ("200", "error", ...)
  std::optional<bool> friction;  ///< the label, when the log carries one
  std::size_t line = 0;          ///< 1-based line in the log
};

struct log_read_options {
  /// Skip bad lines (counted, first messages kept) instead of failing on the first.
  bool skip_bad = false;
  /// Require every turn to carry `friction` (training data for the friction detector).
  bool require_friction = false;
};

struct interaction_log {
  std::vector<turn> turns;  ///< in file order
  std::size_t skipped = 0;
  std::vector<std::string> skip_messages;  ///< "file:line:column: ..." for the first 10 skips
};

/// Parses a whole log. Without skip_bad, the first bad line throws frugal::input_error with
/// file:line:column: a missing or mistyped field, a slot span out of range or overlapping
/// another, an empty utterance, one with more than max_utterance_tokens tokens or a token longer
/// than max_token_bytes (annotation.hpp), invalid UTF-8, malformed JSON, a negative or
/// non-finite time, a confidence outside [0, 1].
interaction_log parse_interaction_log(std::string_view text, const std::string& source,
                                      const log_read_options& options = {});

/// Reads and parses the file at `path`.
interaction_log read_interaction_log(const std::string& path, const log_read_options& options = {});

}  // namespace frugal::harvest
