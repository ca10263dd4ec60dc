// Interaction logs (DESIGN.md §4): one turn a line. The line-level checks (UTF-8, JSON syntax,
// objects, skipping) live in json_lines; this file checks the fields of a turn.

#include "frugal/harvest/interaction_log.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <utility>

#include "frugal/error.hpp"
#include "frugal/harvest/text.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest/json_lines.hpp"

namespace frugal::harvest {
namespace {

using detail::json;
using detail::json_line;

// Confidences are probabilities; a value outside [0, 1] means the log's producer changed scale
// (percentages, logits) and the friction detector's features would silently mean something else.
double confidence_field(const json_line& line, const json& object, std::string_view key,
                        std::string_view where = {}) {
  const double value = detail::required_number(line, object, key, where);
  if (!(value >= 0.0 && value <= 1.0)) {
    const std::string name = where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
    // fail_at takes the member's path ("nlu.confidence"), not its bare key.
    detail::fail_at(line, name, fmt::format("\"{}\" must be in [0, 1], not {}", name, value));
  }
  return value;
}

// Handlers report codes as numbers (HTTP-like) or names; both are kept as text so that the
// friction detector sees one vocabulary.
std::string status_field(const json_line& line, const json& object) {
  const json& value = detail::required_field(line, object, "status");
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  detail::fail_at(line, "status", "\"status\" must be a string or an integer");
}

std::optional<bool> friction_field(const json_line& line, const json& object, bool required) {
  const auto found = object.find("friction");
  if (found == object.end()) {
    if (required)
      detail::fail_at(line, "friction",
                      "missing field \"friction\" (0/1 or true/false; training the friction "
                      "detector needs a label on every turn)");
    return std::nullopt;
  }
  const json& value = *found;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) {
    const double number = value.get<double>();
    if (number == 0.0) return false;
    if (number == 1.0) return true;
  }
  detail::fail_at(line, "friction", "\"friction\" must be 0, 1, true or false");
}

turn parse_turn(const json_line& line, const log_read_options& options) {
  const json& object = line.value;
  turn result;
  result.line = line.number;
  const auto id = object.find("id");
  result.id = id == object.end() ? std::to_string(line.number) : detail::id_text(line, *id, "id");
  result.user = detail::id_text(line, detail::required_field(line, object, "user"), "user");
  result.session =
      detail::id_text(line, detail::required_field(line, object, "session"), "session");
  result.time = detail::required_number(line, object, "time");
  if (!(result.time >= 0.0) || !std::isfinite(result.time))
    detail::fail_at(line, "time",
                    fmt::format("\"time\" must be a finite, non-negative number of seconds, "
                                "not {}",
                                result.time));
  result.text = detail::required_string(line, object, "text");
  result.tokens = tokenize(result.text);
  if (result.tokens.empty())
    detail::fail_at(line, "text", "empty utterance: \"text\" has no words");
  // Turns are projected onto each other (max_utterance_tokens says why there is a cap).
  if (const std::string problem = token_limit_problem(result.tokens, "text"); !problem.empty())
    detail::fail_at(line, "text", problem);
  result.asr_confidence = confidence_field(line, object, "asr_confidence");

  const json& nlu = detail::required_field(line, object, "nlu");
  if (!nlu.is_object()) detail::fail_at(line, "nlu", "\"nlu\" must be an object");
  result.nlu.intent = detail::required_string(line, nlu, "intent", "nlu");
  // Spans index tokenize(text): the same tokens every later stage sees.
  result.nlu.slots = detail::slot_array(line, nlu, "slots", result.tokens.size(), "nlu");
  result.nlu.confidence = confidence_field(line, nlu, "confidence", "nlu");

  result.status = status_field(line, object);
  result.friction = friction_field(line, object, options.require_friction);
  return result;
}

}  // namespace

interaction_log parse_interaction_log(std::string_view text, const std::string& source,
                                      const log_read_options& options) {
  detail::skip_policy skip;
  skip.skip_bad = options.skip_bad;
  interaction_log log;
  detail::for_each_json_line(text, source, skip, [&](const json_line& line) {
    turn parsed = parse_turn(line, options);
    log.turns.push_back(std::move(parsed));
  });
  log.skipped = skip.skipped;
  log.skip_messages = std::move(skip.messages);
  return log;
}

interaction_log read_interaction_log(const std::string& path, const log_read_options& options) {
  const std::string text = io::read_whole_file(path);
  return parse_interaction_log(text, path, options);
}

}  // namespace frugal::harvest
