// Readers for SLURP, xSID and frugal's annotated JSONL (frugal/harvest/datasets.hpp).

#include "frugal/harvest/datasets.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "frugal/error.hpp"
#include "frugal/harvest/text.hpp"
#include "frugal/io/output_file.hpp"
#include "harvest/json_lines.hpp"

namespace frugal::harvest {
namespace {

using detail::json;
using detail::json_line;

annotated_utterance slurp_line(const json_line& line) {
  const json& object = line.value;
  annotated_utterance utterance;
  const json& tokens = detail::required_field(line, object, "tokens");
  if (!tokens.is_array() || tokens.empty())
    detail::fail_at(line, "tokens", "\"tokens\" must be a non-empty array");
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const json& token = tokens[i];
    const auto surface = token.is_object() ? token.find("surface") : token.end();
    if (!token.is_object() || surface == token.end() || !surface->is_string() ||
        surface->get_ref<const std::string&>().empty())
      detail::fail_at(line, "tokens",
                      fmt::format("\"tokens\"[{}] needs a non-empty string \"surface\"", i));
    utterance.tokens.push_back(surface->get<std::string>());
  }
  utterance.intent = detail::required_string(line, object, "intent");
  if (utterance.intent.empty()) detail::fail_at(line, "intent", "\"intent\" is empty");
  const json& entities = detail::required_field(line, object, "entities");
  if (!entities.is_array()) detail::fail_at(line, "entities", "\"entities\" must be an array");
  for (std::size_t e = 0; e < entities.size(); ++e) {
    const json& entity = entities[e];
    const std::string name = fmt::format("\"entities\"[{}]", e);
    if (!entity.is_object()) detail::fail_at(line, "entities", name + " must be an object");
    const auto type = entity.find("type");
    const auto span = entity.find("span");
    if (type == entity.end() || !type->is_string() || type->get_ref<const std::string&>().empty())
      detail::fail_at(line, "entities", name + " needs a non-empty string \"type\"");
    if (span == entity.end() || !span->is_array() || span->empty())
      detail::fail_at(line, "entities", name + " needs a non-empty \"span\" of token ids");
    std::vector<long long> ids;
    for (const json& id : *span) {
      if (!id.is_number_integer() && !id.is_number_unsigned())
        detail::fail_at(line, "entities", name + " \"span\" must hold token ids");
      ids.push_back(id.get<long long>());
    }
    std::sort(ids.begin(), ids.end());
    for (std::size_t k = 1; k < ids.size(); ++k)
      if (ids[k] != ids[k - 1] + 1)
        detail::fail_at(line, "entities", name + " \"span\" is not contiguous");
    if (ids.front() < 0 || ids.back() >= static_cast<long long>(utterance.tokens.size()))
      detail::fail_at(
          line, "entities",
          fmt::format("{} \"span\" is outside the {} tokens", name, utterance.tokens.size()));
    utterance.slots.push_back({type->get<std::string>(), static_cast<std::uint32_t>(ids.front()),
                               static_cast<std::uint32_t>(ids.back() + 1)});
  }
  if (const std::string problem = slot_problem(utterance.slots, utterance.tokens.size());
      !problem.empty())
    detail::fail_at(line, "entities", "\"entities\": " + problem);
  sort_slots(utterance.slots);
  return utterance;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

std::vector<annotated_utterance> parse_slurp(std::string_view text, const std::string& source) {
  std::vector<annotated_utterance> data;
  detail::skip_policy no_skipping;
  detail::for_each_json_line(text, source, no_skipping,
                             [&](const json_line& line) { data.push_back(slurp_line(line)); });
  return data;
}

std::vector<annotated_utterance> parse_xsid(std::string_view text, const std::string& source) {
  std::vector<annotated_utterance> data;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  annotated_utterance current;
  std::vector<std::string> tags;
  std::size_t block_line = 0;  // first line of the current block, for errors about the block
  const auto finish = [&] {
    if (block_line == 0) return;
    if (current.tokens.empty())
      throw input_error(source, block_line, 1, "an utterance without token rows");
    if (current.intent.empty())
      throw input_error(source, block_line, 1, "an utterance without \"# intent = ...\"");
    current.slots = slots_from_bio(tags);
    data.push_back(std::move(current));
    current = {};
    tags.clear();
    block_line = 0;
  };
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (const std::size_t bad = invalid_utf8_offset(line); bad != std::string_view::npos)
      throw input_error(source, number, bad + 1, "invalid UTF-8");
    if (trimmed(line).empty()) {
      finish();
      continue;
    }
    if (block_line == 0) block_line = number;
    if (line.front() == '#') {
      const std::string_view comment = trimmed(line.substr(1));
      if (comment.substr(0, 6) == "intent") {
        const std::size_t equals = comment.find('=');
        if (equals == std::string_view::npos)
          throw input_error(source, number, 1, "expected \"# intent = NAME\"");
        current.intent = std::string(trimmed(comment.substr(equals + 1)));
        if (current.intent.empty()) throw input_error(source, number, 1, "empty intent");
      }
      continue;
    }
    std::vector<std::string_view> columns;
    for (std::size_t start = 0;;) {
      const std::size_t tab = line.find('\t', start);
      columns.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
      if (tab == std::string_view::npos) break;
      start = tab + 1;
    }
    if (columns.size() != 4)
      throw input_error(source, number, 1,
                        fmt::format("expected 4 tab-separated columns (index, token, intent, "
                                    "slot), found {}",
                                    columns.size()));
    const std::size_t tag_column = line.size() - columns[3].size() + 1;
    const std::string_view token = trimmed(columns[1]);
    if (tokenize(token).size() != 1)  // none for an empty or blank cell, several for "a b"
      throw input_error(source, number, columns[0].size() + 2,
                        "a token must be one non-empty word");
    const std::string_view tag = trimmed(columns[3]);
    if (!(tag == "O" || ((tag.substr(0, 2) == "B-" || tag.substr(0, 2) == "I-") && tag.size() > 2)))
      throw input_error(source, number, tag_column,
                        fmt::format("slot tag \"{}\" is not O, B-type or I-type", tag));
    current.tokens.emplace_back(token);
    tags.emplace_back(tag);
  }
  finish();
  return data;
}

std::vector<annotated_utterance> parse_annotated_jsonl(std::string_view text,
                                                       const std::string& source) {
  std::vector<annotated_utterance> data;
  detail::skip_policy no_skipping;
  detail::for_each_json_line(text, source, no_skipping, [&](const json_line& line) {
    data.push_back(detail::utterance_object(line, line.value, {}, true));
  });
  return data;
}

std::vector<annotated_utterance> read_slurp(const std::string& path) {
  return parse_slurp(io::read_whole_file(path), path);
}
std::vector<annotated_utterance> read_xsid(const std::string& path) {
  return parse_xsid(io::read_whole_file(path), path);
}
std::vector<annotated_utterance> read_annotated_jsonl(const std::string& path) {
  return parse_annotated_jsonl(io::read_whole_file(path), path);
}

std::vector<annotated_utterance> read_annotated(const std::string& path) {
  const std::string text = io::read_whole_file(path);
  if (path.size() >= 6 && path.substr(path.size() - 6) == ".conll") return parse_xsid(text, path);
  const std::size_t first_line_end = std::min(text.find('\n'), text.size());
  if (std::string_view(text).substr(0, first_line_end).find("\"sentence_annotation\"") !=
      std::string_view::npos)
    return parse_slurp(text, path);
  return parse_annotated_jsonl(text, path);
}

std::vector<std::pair<std::string, std::string>> slot_values(const annotated_utterance& utterance) {
  std::vector<std::pair<std::string, std::string>> values;
  for (const slot_span& slot : utterance.slots) {
    std::vector<std::string> words(utterance.tokens.begin() + slot.start,
                                   utterance.tokens.begin() + slot.end);
    values.emplace_back(slot.type, utterance_key(words));
  }
  std::sort(values.begin(), values.end());
  return values;
}

std::vector<std::vector<std::size_t>> natural_paraphrase_groups(
    const std::vector<annotated_utterance>& data) {
  // Key: intent and slot values; members: one utterance per distinct wording.
  std::map<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>, std::size_t>
      group_of;
  std::vector<std::vector<std::size_t>> groups;
  std::vector<std::set<std::string>> wordings;
  for (std::size_t i = 0; i < data.size(); ++i) {
    auto [found, inserted] =
        group_of.try_emplace({data[i].intent, slot_values(data[i])}, groups.size());
    if (inserted) {
      groups.emplace_back();
      wordings.emplace_back();
    }
    if (wordings[found->second].insert(utterance_key(data[i].tokens)).second)
      groups[found->second].push_back(i);
  }
  std::erase_if(groups, [](const std::vector<std::size_t>& group) { return group.size() < 2; });
  return groups;
}

}  // namespace frugal::harvest
