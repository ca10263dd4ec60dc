// JSON Lines input for harvesting (harvest/json_lines.hpp).

#include "harvest/json_lines.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "frugal/error.hpp"
#include "frugal/harvest/text.hpp"
#include "io/json_key_column.hpp"

namespace frugal::harvest::detail {
namespace {

// The path of `key` inside `where` ("nlu" + "intent" -> "nlu.intent"), for fail_at.
std::string member_path(std::string_view where, std::string_view key) {
  return where.empty() ? std::string(key) : fmt::format("{}.{}", where, key);
}

std::string field_name(std::string_view where, std::string_view key) {
  return where.empty() ? fmt::format("\"{}\"", key) : fmt::format("\"{}.{}\"", where, key);
}

std::string type_name(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_boolean()) return "a boolean";
  if (value.is_number()) return "a number";
  if (value.is_string()) return "a string";
  if (value.is_array()) return "an array";
  return "an object";
}

}  // namespace

void for_each_json_line(std::string_view text, const std::string& source, skip_policy& skip,
                        const std::function<void(const json_line&)>& visit) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    try {
      if (const std::size_t bad = invalid_utf8_offset(line); bad != std::string_view::npos)
        throw input_error(source, number, bad + 1, "invalid UTF-8");
      json_line parsed{&source, number, line, {}};
      try {
        parsed.value = json::parse(line);
      } catch (const json::parse_error& error) {
        const std::size_t column = error.byte == 0 ? 1 : std::min(error.byte, line.size() + 1);
        std::string what = error.what();
        // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 7: "
        if (const std::size_t colon = what.find(": "); colon != std::string::npos)
          what = what.substr(colon + 2);
        throw input_error(source, number, column, "invalid JSON: " + what);
      } catch (const json::exception& error) {
        // e.g. out_of_range 406 for a number literal beyond double's range.
        std::string what = error.what();
        if (const std::size_t bracket = what.find("] "); bracket != std::string::npos)
          what = what.substr(bracket + 2);
        throw input_error(source, number, 1, "invalid JSON: " + what);
      }
      if (!parsed.value.is_object())
        throw input_error(source, number, 1,
                          "expected a JSON object, found " + type_name(parsed.value));
      visit(parsed);
    } catch (const input_error& error) {
      if (!skip.skip_bad) throw;
      ++skip.skipped;
      if (skip.messages.size() < 10) skip.messages.emplace_back(error.what());
    }
  }
}

void fail_at(const json_line& line, std::string_view path, const std::string& message) {
  throw input_error(*line.source, line.number, io::detail::find_path_column(line.text, path).value,
                    message);
}

const json& required_field(const json_line& line, const json& object, std::string_view key,
                           std::string_view where) {
  const auto found = object.find(key);
  if (found == object.end()) fail_at(line, where, "missing field " + field_name(where, key));
  return *found;
}

std::string required_string(const json_line& line, const json& object, std::string_view key,
                            std::string_view where) {
  const json& value = required_field(line, object, key, where);
  if (!value.is_string())
    fail_at(line, member_path(where, key),
            field_name(where, key) + " must be a string, found " + type_name(value));
  return value.get<std::string>();
}

double required_number(const json_line& line, const json& object, std::string_view key,
                       std::string_view where) {
  const json& value = required_field(line, object, key, where);
  if (!value.is_number())
    fail_at(line, member_path(where, key),
            field_name(where, key) + " must be a number, found " + type_name(value));
  const double number = value.get<double>();
  if (!std::isfinite(number))
    fail_at(line, member_path(where, key), field_name(where, key) + " must be finite");
  return number;
}

std::string id_text(const json_line& line, const json& value, std::string_view key) {
  if (value.is_string()) {
    if (value.get_ref<const std::string&>().empty()) fail_at(line, key, "empty id");
    return value.get<std::string>();
  }
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  fail_at(line, key,
          fmt::format("\"{}\" must be a string or an integer, found {}", key, type_name(value)));
}

std::vector<std::string> string_array(const json_line& line, const json& object,
                                      std::string_view key, std::string_view where) {
  const json& value = required_field(line, object, key, where);
  const std::string path = member_path(where, key);
  if (!value.is_array())
    fail_at(line, path, field_name(where, key) + " must be an array, found " + type_name(value));
  std::vector<std::string> strings;
  strings.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& element = value[i];
    if (!element.is_string() || element.get_ref<const std::string&>().empty())
      fail_at(line, path,
              fmt::format("{}[{}] must be a non-empty string", field_name(where, key), i));
    strings.push_back(element.get<std::string>());
  }
  return strings;
}

std::vector<slot_span> slot_array(const json_line& line, const json& object, std::string_view key,
                                  std::size_t token_count, std::string_view where) {
  const json& value = required_field(line, object, key, where);
  const std::string path = member_path(where, key);
  if (!value.is_array())
    fail_at(line, path, field_name(where, key) + " must be an array, found " + type_name(value));
  std::vector<slot_span> slots;
  slots.reserve(value.size());
  constexpr auto largest = std::numeric_limits<std::uint32_t>::max();
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& element = value[i];
    const std::string name = fmt::format("{}[{}]", field_name(where, key), i);
    if (!element.is_object()) fail_at(line, path, name + " must be an object");
    slot_span slot;
    const auto type = element.find("type");
    if (type == element.end() || !type->is_string())
      fail_at(line, path, name + " needs a string \"type\"");
    slot.type = type->get<std::string>();
    for (const char* bound : {"start", "end"}) {
      const auto found = element.find(bound);
      if (found == element.end() || !(found->is_number_unsigned() || found->is_number_integer()) ||
          found->get<long long>() < 0 || found->get<unsigned long long>() > largest)
        fail_at(line, path, fmt::format("{} needs a non-negative integer \"{}\"", name, bound));
      (bound[0] == 's' ? slot.start : slot.end) = found->get<std::uint32_t>();
    }
    slots.push_back(std::move(slot));
  }
  if (const std::string problem = slot_problem(slots, token_count); !problem.empty())
    fail_at(line, path, field_name(where, key) + ": " + problem);
  sort_slots(slots);
  return slots;
}

annotated_utterance utterance_object(const json_line& line, const json& object,
                                     std::string_view key, bool labelled) {
  const json& value = key.empty() ? object : required_field(line, object, key);
  if (!value.is_object())
    fail_at(line, key, fmt::format("\"{}\" must be an object, found {}", key, type_name(value)));
  annotated_utterance utterance;
  utterance.tokens = string_array(line, value, "tokens", key);
  if (utterance.tokens.empty())
    fail_at(line, member_path(key, "tokens"),
            field_name(key, "tokens") + " is empty: an utterance needs words");
  if (labelled) {
    utterance.intent = required_string(line, value, "intent", key);
    if (utterance.intent.empty())
      fail_at(line, member_path(key, "intent"), field_name(key, "intent") + " is empty");
    utterance.slots = slot_array(line, value, "slots", utterance.tokens.size(), key);
  }
  return utterance;
}

json slots_json(const std::vector<slot_span>& slots) {
  json array = json::array();
  for (const slot_span& slot : slots)
    array.push_back(json{{"type", slot.type}, {"start", slot.start}, {"end", slot.end}});
  return array;
}

json utterance_json(const annotated_utterance& utterance) {
  return json{{"tokens", utterance.tokens},
              {"intent", utterance.intent},
              {"slots", slots_json(utterance.slots)}};
}

}  // namespace frugal::harvest::detail
