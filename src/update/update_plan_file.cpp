// Update plan files (JSON) and labelling queues (CSV).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "frugal/sampling/priority.hpp"
#include "frugal/update/disagreement.hpp"

namespace frugal::update {
namespace {

using json = nlohmann::ordered_json;
constexpr std::string_view plan_kind = "frugal update plan";

// A field of the expected JSON type: nlohmann would otherwise convert silently (-1 to 2^64 - 1,
// 2.5 to 2, true to 1.0), and a plan holding such a value was not written by frugal.
template <typename T>
T field(const json& object, const char* name, const std::string& source, std::string_view where) {
  const auto found = object.find(name);
  if (found == object.end())
    throw input_error(source, 0, 0, fmt::format("plan is missing \"{}\" in {}", name, where));
  bool ok = false;
  if constexpr (std::is_same_v<T, double>)
    ok = found->is_number() && std::isfinite(found->get<double>());
  else if constexpr (std::is_same_v<T, bool>)
    ok = found->is_boolean();
  else if constexpr (std::is_integral_v<T>)
    ok = found->is_number_unsigned();
  else if constexpr (std::is_same_v<T, std::string>)
    ok = found->is_string();
  if (!ok)
    throw input_error(source, 0, 0,
                      fmt::format("plan field \"{}\" in {} has the wrong type", name, where));
  return found->get<T>();
}

}  // namespace

std::string update_plan_json(const update_plan& plan) {
  json strata = json::array();
  for (const plan_stratum& stratum : plan.strata) {
    json entry{{"name", stratum.name},
               {"agreement", stratum.agreement},
               {"population", stratum.population},
               {"sample_size", stratum.ids.size()}};
    if (!stratum.old_class.empty()) {
      entry["old_class"] = stratum.old_class;
      entry["new_class"] = stratum.new_class;
    }
    entry["ids"] = stratum.ids;
    strata.push_back(std::move(entry));
  }
  const json document{{"kind", plan_kind},
                      {"version", plan.version},
                      {"seed", plan.seed},
                      {"hash", plan.hash},
                      {"old", {{"fingerprint", plan.old_fingerprint}}},
                      {"new", {{"fingerprint", plan.new_fingerprint}}},
                      {"items", plan.items},
                      {"disagreements", plan.disagreements},
                      {"budget", plan.budget},
                      {"agreement_share", plan.agreement_share},
                      {"stratified", plan.stratified},
                      {"sample_size", plan.sample_size()},
                      {"strata", std::move(strata)}};
  return document.dump(2) + "\n";
}

update_plan parse_update_plan(std::string_view text, const std::string& source) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::parse_error& error) {
    // nlohmann reports the byte offset just past the offending character.
    const std::size_t offset =
        std::min<std::size_t>(error.byte > 0 ? error.byte - 1 : 0, text.size());
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    throw input_error(source, line, offset - line_start + 1, "not valid JSON");
  } catch (const json::exception&) {
    // A number beyond the range of a double (1e999) is valid syntax nlohmann cannot hold; it
    // carries no position.
    throw input_error(source, 0, 0, "not valid JSON (a number is out of range)");
  }
  if (!document.is_object()) throw input_error(source, 1, 1, "a plan is a JSON object");
  if (field<std::string>(document, "kind", source, "the plan") != plan_kind)
    throw input_error(source, 0, 0,
                      fmt::format("not an update plan (\"kind\" is not \"{}\")", plan_kind));
  update_plan plan;
  plan.source = source;
  plan.version = field<std::string>(document, "version", source, "the plan");
  plan.seed = field<std::uint64_t>(document, "seed", source, "the plan");
  plan.hash = field<std::string>(document, "hash", source, "the plan");
  if (plan.hash != sampling::priority_hash_name)
    throw input_error(source, 0, 0, fmt::format("unknown priority hash \"{}\"", plan.hash));
  for (const char* side : {"old", "new"}) {
    const auto found = document.find(side);
    if (found == document.end() || !found->is_object())
      throw input_error(source, 0, 0, fmt::format("plan is missing the \"{}\" object", side));
    const std::string fingerprint =
        field<std::string>(*found, "fingerprint", source, fmt::format("\"{}\"", side));
    (std::string_view(side) == "old" ? plan.old_fingerprint : plan.new_fingerprint) = fingerprint;
  }
  plan.items = field<std::size_t>(document, "items", source, "the plan");
  plan.disagreements = field<std::size_t>(document, "disagreements", source, "the plan");
  plan.budget = field<std::size_t>(document, "budget", source, "the plan");
  plan.agreement_share = field<double>(document, "agreement_share", source, "the plan");
  plan.stratified = field<bool>(document, "stratified", source, "the plan");
  const auto strata = document.find("strata");
  if (strata == document.end() || !strata->is_array())
    throw input_error(source, 0, 0, "plan is missing the \"strata\" array");
  std::size_t disagreement_population = 0, population = 0;
  for (const json& entry : *strata) {
    if (!entry.is_object()) throw input_error(source, 0, 0, "a stratum is not a JSON object");
    plan_stratum stratum;
    stratum.name = field<std::string>(entry, "name", source, "a stratum");
    const std::string where = fmt::format("stratum \"{}\"", stratum.name);
    stratum.agreement = field<bool>(entry, "agreement", source, where);
    stratum.population = field<std::size_t>(entry, "population", source, where);
    const auto sample_size = field<std::size_t>(entry, "sample_size", source, where);
    if (entry.contains("old_class")) {
      stratum.old_class = field<std::string>(entry, "old_class", source, where);
      stratum.new_class = field<std::string>(entry, "new_class", source, where);
    }
    const auto ids = entry.find("ids");
    if (ids == entry.end() || !ids->is_array())
      throw input_error(source, 0, 0, fmt::format("plan is missing \"ids\" in {}", where));
    for (const json& id : *ids) {
      if (!id.is_string() || id.get_ref<const std::string&>().empty())
        throw input_error(source, 0, 0,
                          fmt::format("an id in {} is not a non-empty string", where));
      stratum.ids.push_back(id.get<std::string>());
    }
    if (stratum.ids.size() != sample_size || sample_size > stratum.population)
      throw input_error(source, 0, 0,
                        fmt::format("{} lists {} ids for a sample of {} from {} items", where,
                                    stratum.ids.size(), sample_size, stratum.population));
    if (!stratum.agreement) disagreement_population += stratum.population;
    population += stratum.population;
    plan.strata.push_back(std::move(stratum));
  }
  if (disagreement_population != plan.disagreements || population > plan.items ||
      plan.disagreements > plan.items)
    throw input_error(source, 0, 0, "the plan's strata do not add up to its item counts");
  return plan;
}

update_plan read_update_plan(const std::string& path) {
  return parse_update_plan(io::read_whole_file(path), path);
}

std::string update_queue_csv(const update_plan& plan, const model_pair& pair) {
  const io::id_index index(pair.old_model->id_columns());
  struct entry {
    std::uint64_t key;
    std::size_t row;
  };
  std::vector<entry> queue;
  for (const plan_stratum& stratum : plan.strata) {
    for (const std::string& id : stratum.ids) {
      const std::ptrdiff_t row = index.find(id);
      if (row < 0)
        throw input_error(pair.old_model->source, 0, 0,
                          fmt::format("the plan's id \"{}\" is not in the predictions", id));
      queue.push_back({sampling::priority_key(plan.seed, id), static_cast<std::size_t>(row)});
    }
  }
  std::sort(queue.begin(), queue.end(), [&](const entry& a, const entry& b) {
    return sampling::priority_before(a.key, pair.id(a.row), b.key, pair.id(b.row));
  });
  std::string text = "order,id,label,content\n";
  std::size_t order = 0;
  for (const entry& item : queue) {
    text += fmt::format("{},{},,{}\n", ++order, io::csv_field(pair.id(item.row)),
                        io::csv_field(pair.content(item.row)));
  }
  return text;
}

}  // namespace frugal::update
