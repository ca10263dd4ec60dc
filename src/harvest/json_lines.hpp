#pragma once
// JSON Lines input for harvesting (interaction logs, projection pairs, detector training data):
// one object a line, errors as file:line:column, and --skip-bad's counted skips, written once.

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/harvest/annotation.hpp"

namespace frugal::harvest::detail {

using json = nlohmann::ordered_json;

/// One parsed line: its 1-based number, its text and the object it holds.
struct json_line {
  const std::string* source = nullptr;
  std::size_t number = 0;
  std::string_view text;
  json value;
};

/// Skipping bad lines instead of failing: the count and the first ten messages.
struct skip_policy {
  bool skip_bad = false;
  std::size_t skipped = 0;
  std::vector<std::string> messages;
};

/// Calls `visit` for every non-blank line of `text` (a UTF-8 BOM and CRLF line ends are
/// accepted). Invalid UTF-8, malformed JSON and non-objects are errors at their column. An
/// frugal::input_error thrown by `visit` (or by the checks) propagates, unless skip.skip_bad,
/// in which case the line is counted and skipped. Lines are visited in order.
void for_each_json_line(std::string_view text, const std::string& source, skip_policy& skip,
                        const std::function<void(const json_line&)>& visit);

/// Throws frugal::input_error at the column of the value at `path` on this line: a top-level
/// key ("text"), or a path through nested objects and arrays ("nlu.intent",
/// "source.slots[2].start"; io/json_key_column.hpp). Column 1 when the path is empty, not on
/// the line, or spelled with escapes.
[[noreturn]] void fail_at(const json_line& line, std::string_view path, const std::string& message);

/// The member `key` of `object`; "missing field \"key\"" otherwise. `where` names the enclosing
/// object for nested fields ("nlu", "source").
const json& required_field(const json_line& line, const json& object, std::string_view key,
                           std::string_view where = {});
std::string required_string(const json_line& line, const json& object, std::string_view key,
                            std::string_view where = {});
/// A finite number.
double required_number(const json_line& line, const json& object, std::string_view key,
                       std::string_view where = {});
/// A string or an integer, as text (ids).
std::string id_text(const json_line& line, const json& value, std::string_view key);
/// An array of non-empty strings (tokens).
std::vector<std::string> string_array(const json_line& line, const json& object,
                                      std::string_view key, std::string_view where = {});
/// An array of {"type", "start", "end"} objects over `token_count` tokens, checked with
/// slot_problem() and sorted by start.
std::vector<slot_span> slot_array(const json_line& line, const json& object, std::string_view key,
                                  std::size_t token_count, std::string_view where = {});
/// An annotated utterance {"tokens", "intent", "slots"} (intent and slots required when
/// `labelled`; tokens non-empty).
annotated_utterance utterance_object(const json_line& line, const json& object,
                                     std::string_view key, bool labelled);

/// JSON for slots and for an annotated utterance (the shapes the readers accept).
json slots_json(const std::vector<slot_span>& slots);
json utterance_json(const annotated_utterance& utterance);

}  // namespace frugal::harvest::detail
