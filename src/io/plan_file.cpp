#include "frugal/io/plan_file.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <type_traits>

#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/sampling/priority.hpp"

namespace frugal::io {
namespace {

using json = nlohmann::ordered_json;

// nlohmann converts between numbers silently (-1 to 2^64 - 1, 2.5 to 2, true to 1.0); a plan
// holding such a value was not written by plan_to_json, so it is refused.
template <typename T>
bool has_type(const json& value) {
  if constexpr (std::is_same_v<T, double>)
    return value.is_number() && std::isfinite(value.get<double>());
  else if constexpr (std::is_integral_v<T>)
    return value.is_number_unsigned();
  else
    return true;  // strings and arrays: get<T>() checks them
}

template <typename T>
T field(const json& object, const char* name, const std::string& source, const char* where) {
  const auto found = object.find(name);
  if (found == object.end())
    throw input_error(source, 0, 0, fmt::format("plan is missing \"{}\" in {}", name, where));
  try {
    if (has_type<T>(*found)) return found->get<T>();
  } catch (const json::exception&) {
  }
  throw input_error(source, 0, 0,
                    fmt::format("plan field \"{}\" in {} has the wrong type", name, where));
}

// Line and column of a byte offset, for JSON syntax errors.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, line_start = 0;
  offset = std::min(offset, text.size());
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, offset - line_start + 1};
}

// Position of the first `"key"` used as a key at or after `from`, found textually (nlohmann
// keeps no positions); advances `from` past it. {0, 0} when absent.
plan_document::position find_key(std::string_view text, std::string_view key, std::size_t& from) {
  std::string quoted(1, '"');  // built stepwise: GCC 12 warns (-Wrestrict) on "x" + s + "x"
  quoted.append(key).push_back('"');
  for (std::size_t at = text.find(quoted, from); at != std::string_view::npos;
       at = text.find(quoted, at + 1)) {
    std::size_t after = at + quoted.size();
    while (after < text.size() && (text[after] == ' ' || text[after] == '\t' ||
                                   text[after] == '\n' || text[after] == '\r'))
      ++after;
    if (after < text.size() && text[after] == ':') {
      from = after;
      const auto [line, column] = line_and_column(text, at);
      return {line, column};
    }
  }
  return {};
}

}  // namespace

plan_document make_plan_document(const sampling::population& items,
                                 const sampling::sample_plan& plan) {
  const prediction_table& table = items.table();
  plan_document document;
  document.tool_version = FRUGAL_VERSION;
  document.design = std::string(sampling::to_string(plan.settings.design));
  document.seed = plan.settings.seed;
  document.hash = std::string(sampling::priority_hash_name);
  document.margin_of_error = plan.settings.margin_of_error;
  document.confidence_level = plan.settings.confidence_level;
  document.ensemble = items.rule().to_string();
  document.models = table.model_names;
  document.predictions = table.source;
  document.fingerprint = fingerprint_hex(table.fingerprint);
  document.items = table.size();
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    plan_document::set_entry entry;
    entry.name = items.set_name(s);
    entry.positives = items.positives(s);
    entry.sample_size = plan.sample_sizes[s];
    entry.prior_precision = plan.settings.prior_precision[s];
    if (plan.sample.sets[s].threshold_key)
      entry.threshold_priority = sampling::priority_value(*plan.sample.sets[s].threshold_key);
    for (const std::uint32_t row : plan.sample.sets[s].rows)
      entry.sample.emplace_back(table.ids[row]);
    document.sets.push_back(std::move(entry));
  }
  for (const std::uint32_t row : plan.sample.queue) document.queue.emplace_back(table.ids[row]);
  document.naive_sum = plan.naive_sum;
  document.expected_independent = plan.expected_independent;
  return document;
}

std::string plan_to_json(const plan_document& document) {
  json root;
  root["tool"] = "frugal";
  root["version"] = document.tool_version;
  root["design"] = document.design;
  root["seed"] = document.seed;
  root["hash"] = document.hash;
  root["margin"] = document.margin_of_error;
  root["confidence"] = document.confidence_level;
  root["ensemble"] = document.ensemble;
  root["models"] = document.models;
  root["predictions"] = {{"file", document.predictions},
                         {"fingerprint", document.fingerprint},
                         {"items", document.items}};
  json sets = json::array();
  for (const auto& entry : document.sets) {
    json set;
    set["name"] = entry.name;
    set["positives"] = entry.positives;
    set["sample_size"] = entry.sample_size;
    set["prior_precision"] = entry.prior_precision;
    set["threshold_priority"] =
        entry.threshold_priority ? json(*entry.threshold_priority) : json(nullptr);
    set["sample"] = entry.sample;
    sets.push_back(std::move(set));
  }
  root["sets"] = std::move(sets);
  root["naive_sum"] = document.naive_sum;
  root["expected_independent"] = document.expected_independent;
  root["annotations"] = document.queue.size();
  root["queue"] = document.queue;
  try {
    return root.dump(2) + "\n";
  } catch (const json::type_error&) {
    // Ids are read from CSV without checking their encoding; JSON needs UTF-8.
    throw input_error(document.predictions, 0, 0,
                      "an id or a model name is not valid UTF-8, so it cannot go in a plan");
  }
}

plan_document parse_plan(std::string_view text, const std::string& source) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& error) {
    const auto [line, column] = line_and_column(text, error.byte == 0 ? 0 : error.byte - 1);
    throw input_error(source, line, column, "the plan is not valid JSON");
  } catch (const json::exception&) {
    // A number too large for a double (out_of_range) carries no position.
    throw input_error(source, 0, 0, "the plan is not valid JSON (a number is out of range)");
  }
  if (!root.is_object()) throw input_error(source, 1, 1, "the plan must be a JSON object");
  const auto tool = root.find("tool");
  if (tool == root.end() || *tool != "frugal")
    throw input_error(source, 0, 0, "not a frugal plan (no \"tool\": \"frugal\")");
  plan_document document;
  const char* top = "the plan";
  document.tool_version = field<std::string>(root, "version", source, top);
  document.design = field<std::string>(root, "design", source, top);
  document.seed = field<std::uint64_t>(root, "seed", source, top);
  document.hash = field<std::string>(root, "hash", source, top);
  document.margin_of_error = field<double>(root, "margin", source, top);
  document.confidence_level = field<double>(root, "confidence", source, top);
  document.ensemble = field<std::string>(root, "ensemble", source, top);
  document.models = field<std::vector<std::string>>(root, "models", source, top);
  const json predictions = field<json>(root, "predictions", source, top);
  document.predictions = field<std::string>(predictions, "file", source, "\"predictions\"");
  document.fingerprint = field<std::string>(predictions, "fingerprint", source, "\"predictions\"");
  document.items = field<std::size_t>(predictions, "items", source, "\"predictions\"");
  const json sets = field<json>(root, "sets", source, top);
  if (!sets.is_array()) throw input_error(source, 0, 0, "plan field \"sets\" must be an array");
  for (const json& set : sets) {
    plan_document::set_entry entry;
    entry.name = field<std::string>(set, "name", source, "a set");
    entry.positives = field<std::size_t>(set, "positives", source, "a set");
    entry.sample_size = field<std::size_t>(set, "sample_size", source, "a set");
    entry.prior_precision = field<double>(set, "prior_precision", source, "a set");
    const json threshold = field<json>(set, "threshold_priority", source, "a set");
    if (!threshold.is_null())
      entry.threshold_priority = field<double>(set, "threshold_priority", source, "a set");
    entry.sample = field<std::vector<std::string>>(set, "sample", source, "a set");
    document.sets.push_back(std::move(entry));
  }
  std::size_t cursor = 0;
  document.fingerprint_at = find_key(text, "fingerprint", cursor);
  cursor = 0;
  for (plan_document::set_entry& entry : document.sets) {
    find_key(text, "name", cursor);
    entry.sample_at = find_key(text, "sample", cursor);
  }
  document.queue = field<std::vector<std::string>>(root, "queue", source, top);
  document.naive_sum = field<std::size_t>(root, "naive_sum", source, top);
  document.expected_independent = field<double>(root, "expected_independent", source, top);
  return document;
}

plan_document read_plan(const std::string& path) {
  return parse_plan(read_whole_file(path), path);
}

}  // namespace frugal::io
