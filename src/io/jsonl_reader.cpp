#include "io/jsonl_reader.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "frugal/error.hpp"
#include "io/json_key_column.hpp"
#include "io/table_builder.hpp"

namespace frugal::io::detail {
namespace {

using json = nlohmann::ordered_json;

// A vote or label value: 0/1 integers, booleans or their spellings as strings; -1 otherwise.
int json_vote(const json& value) {
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  if (value.is_number_integer() || value.is_number_unsigned()) {
    const auto number = value.get<long long>();
    return number == 0 || number == 1 ? static_cast<int>(number) : -1;
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    return number == 0.0 ? 0 : number == 1.0 ? 1 : -1;
  }
  if (value.is_string()) return parse_vote(value.get_ref<const std::string&>());
  return -1;
}

std::string shown(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

}  // namespace

prediction_table parse_jsonl(std::string_view text, const std::string& source,
                             const read_options& options) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::optional<column_plan> plan;
  prediction_table table;
  std::size_t line_number = 0;
  std::size_t position = 0;
  while (position < text.size()) {
    ++line_number;
    std::size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(position, end - position);
    position = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;

    json object;
    try {
      object = json::parse(line.begin(), line.end());
    } catch (const json::parse_error& error) {
      const std::size_t column = error.byte == 0 ? 1 : std::min(error.byte, line.size() + 1);
      std::string what = error.what();
      // Drop the "[json.exception...] parse error at line 1, column 7: " prefix; the message
      // itself may hold ": " too (in "last read: '...'").
      if (const auto colon = what.find(": "); colon != std::string::npos)
        what = what.substr(colon + 2);
      throw input_error(source, line_number, column, "invalid JSON: " + what);
    } catch (const json::exception& error) {
      // Not a syntax error but still bad input: a number too large for a double (out_of_range).
      std::string what = error.what();
      if (const auto bracket = what.find("] "); bracket != std::string::npos)
        what = what.substr(bracket + 2);
      throw input_error(source, line_number, 1, "invalid JSON: " + what);
    }
    if (!object.is_object())
      throw input_error(source, line_number, 1, "each line must be a JSON object");

    if (!plan) {
      std::vector<std::string> header;
      for (const auto& item : object.items()) header.push_back(item.key());
      plan = plan_columns(header, options, source, line_number, {});
      table = make_table(*plan, source, options);
    }
    const std::vector<std::string>& names = plan->names;
    for (const auto& item : object.items()) {
      if (std::find(names.begin(), names.end(), item.key()) == names.end())
        throw input_error(source, line_number, find_key_column(line, item.key()).key,
                          fmt::format("key \"{}\" is not in the first line's keys", item.key()));
    }
    std::uint64_t votes = 0;
    std::string id;
    for (std::size_t c = 0; c < names.size(); ++c) {
      const auto found = object.find(names[c]);
      if (found == object.end()) {
        if (plan->roles[c] == column_role::ignored || plan->roles[c] == column_role::content)
          continue;
        throw input_error(source, line_number, 1, fmt::format("missing key \"{}\"", names[c]));
      }
      const json& value = *found;
      const std::size_t column = find_key_column(line, names[c]).value;
      switch (plan->roles[c]) {
        case column_role::id:
          if (value.is_string()) {
            id = value.get<std::string>();
          } else if (value.is_number_integer() || value.is_number_unsigned()) {
            id = value.dump();
          } else {
            throw input_error(
                source, line_number, column,
                fmt::format("id {} is neither a string nor an integer", shown(value)));
          }
          if (id.empty()) throw input_error(source, line_number, column, "empty id");
          break;
        case column_role::member: {
          const int vote = json_vote(value);
          if (vote < 0)
            throw input_error(source, line_number, column,
                              fmt::format("vote {} for model \"{}\" is not 0, 1, true or false",
                                          shown(value), names[c]));
          votes |= std::uint64_t(vote) << plan->member_of[c];
          break;
        }
        case column_role::parent: {
          const int vote = json_vote(value);
          if (vote < 0)
            throw input_error(source, line_number, column,
                              fmt::format("ensemble vote {} in \"{}\" is not 0, 1, true or false",
                                          shown(value), names[c]));
          table.parent_votes.push_back(static_cast<std::uint8_t>(vote));
          break;
        }
        case column_role::label: {
          int label = -1;
          if (!value.is_null() &&
              !(value.is_string() && value.get_ref<const std::string&>().empty())) {
            label = json_vote(value);
            if (label < 0)
              throw input_error(
                  source, line_number, column,
                  fmt::format("label {} is not 0, 1, true, false or empty", shown(value)));
          }
          table.labels.push_back(static_cast<std::int8_t>(label));
          break;
        }
        case column_role::content:
          if (plan->keep_content)
            table.content.push_back(value.is_string() ? value.get<std::string>() : value.dump());
          break;
        case column_role::ignored:
          break;
      }
    }
    if (plan->keep_content && plan->has_content && object.find("content") == object.end())
      table.content.push_back("");
    table.ids.push_back(id);
    table.id_hashes.push_back(hash_id(id));
    table.votes.push_back(votes);
    table.lines.push_back(static_cast<std::uint32_t>(line_number));
  }
  if (!plan) throw input_error(source, 1, 1, "the file is empty");
  finish_table(table, line_number);
  return table;
}

}  // namespace frugal::io::detail
