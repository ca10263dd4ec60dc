// frugal._core: the library for Python. The typed package python/frugal/ wraps it; nothing here
// is public API. Every entry point mirrors one CLI command (apps/frugal/*_command.cpp) step for
// step and returns the JSON text that command prints with --json, so that the Python results and
// the CLI's agree field for field (python/tests/test_cli_agreement.py checks it).
//
// Errors: frugal::input_error derives from std::invalid_argument, which pybind11 translates to
// ValueError with the same message; the registration below makes that explicit.

#define XXH_STATIC_LINKING_ONLY  // the state's layout: it travels between Dask workers
#include <xxhash.h>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "frugal/campaign/campaign.hpp"
#include "frugal/campaign/status.hpp"
#include "frugal/campaign/store.hpp"
#include "frugal/error.hpp"
#include "frugal/estimation/estimators.hpp"
#include "frugal/estimation/plan_estimate.hpp"
#include "frugal/estimation/simulation.hpp"
#include "frugal/io/labels.hpp"
#include "frugal/io/plan_file.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/sampling/candidates.hpp"
#include "frugal/sampling/planner.hpp"
#include "frugal/sampling/priority.hpp"
#include "frugal/update/disagreement.hpp"
#include "frugal/update/flips.hpp"
#include "frugal/update/model_predictions.hpp"
#include "frugal/update/update_json.hpp"
#include "io/table_builder.hpp"

namespace py = pybind11;
using json = nlohmann::ordered_json;

namespace frugal::python {
namespace {

// ------------------------------------------------------------------------------------------
// Predictions from columns

// A prediction table built from Python columns, as read_predictions builds one from a file with
// the same header: the same roles, checks and messages (line numbers are those of a CSV with
// a header row: data row i is line i + 2).
struct table_handle {
  io::prediction_table table;
};

std::string utf8(py::handle value, const char* what, std::size_t row) {
  if (!PyUnicode_Check(value.ptr()))
    throw input_error(fmt::format("column \"{}\" at row {} holds {}, not a string", what, row,
                                  py::repr(value).cast<std::string>()));
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(value.ptr(), &size);
  if (data == nullptr) throw py::error_already_set();
  return std::string(data, static_cast<std::size_t>(size));
}

std::shared_ptr<table_handle> make_table(const std::string& source,
                                         const std::vector<std::string>& header,
                                         const py::dict& columns,
                                         const std::vector<std::string>& models,
                                         const std::string& parent_column, bool keep_content) {
  io::read_options options;
  options.models = models;
  options.parent_column = parent_column;
  options.keep_content = keep_content;
  const io::detail::column_plan plan =
      io::detail::plan_columns(header, options, source, 1, std::vector<std::size_t>{});
  auto handle = std::make_shared<table_handle>();
  io::prediction_table& table = handle->table;
  table = io::detail::make_table(plan, source, options);

  const py::list ids = columns["id"].cast<py::list>();
  const std::size_t rows = ids.size();
  table.ids.reserve(rows, rows * 12);
  table.id_hashes.reserve(rows);
  for (std::size_t row = 0; row < rows; ++row) {
    const std::string id = utf8(ids[row], "id", row);
    table.ids.push_back(id);
    table.id_hashes.push_back(io::hash_id(id));
  }
  table.votes.assign(rows, 0);
  table.lines.resize(rows);
  for (std::size_t row = 0; row < rows; ++row)
    table.lines[row] = static_cast<std::uint32_t>(row + 2);

  using votes_array = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;
  auto vote_column = [&](const std::string& name) {
    const votes_array values = columns[name.c_str()].cast<votes_array>();
    if (values.ndim() != 1 || static_cast<std::size_t>(values.shape(0)) != rows)
      throw input_error(
          fmt::format("column \"{}\" has {} values for {} ids", name, values.size(), rows));
    for (std::size_t row = 0; row < rows; ++row) {
      if (values.data()[row] > 1)
        throw input_error(source, row + 2, 1,
                          fmt::format("vote {} in column \"{}\" is not 0 or 1",
                                      static_cast<int>(values.data()[row]), name));
    }
    return values;
  };
  for (std::size_t i = 0; i < header.size(); ++i) {
    const io::detail::column_role role = plan.roles[i];
    if (role == io::detail::column_role::member) {
      const votes_array values = vote_column(header[i]);
      const std::uint64_t bit = std::uint64_t{1} << plan.member_of[i];
      for (std::size_t row = 0; row < rows; ++row)
        if (values.data()[row] != 0) table.votes[row] |= bit;
    } else if (role == io::detail::column_role::parent) {
      const votes_array values = vote_column(header[i]);
      table.parent_votes.assign(values.data(), values.data() + rows);
    } else if (role == io::detail::column_role::label) {
      using labels_array = py::array_t<std::int8_t, py::array::c_style | py::array::forcecast>;
      const labels_array values = columns["label"].cast<labels_array>();
      if (values.ndim() != 1 || static_cast<std::size_t>(values.shape(0)) != rows)
        throw input_error(
            fmt::format("column \"label\" has {} values for {} ids", values.size(), rows));
      table.labels.assign(values.data(), values.data() + rows);
    } else if (role == io::detail::column_role::content && keep_content) {
      const py::list content = columns["content"].cast<py::list>();
      if (content.size() != rows)
        throw input_error(
            fmt::format("column \"content\" has {} values for {} ids", content.size(), rows));
      for (std::size_t row = 0; row < rows; ++row)
        table.content.push_back(utf8(content[row], "content", row));
    }
  }
  io::detail::finish_table(table, rows + 2);  // line 2: a file's first data row
  return handle;
}

// ------------------------------------------------------------------------------------------
// plan, estimate, simulate (plan_command.cpp, estimate_command.cpp, simulate_command.cpp)

sampling::plan_settings plan_settings_for(const sampling::population& items, double margin,
                                          double confidence, std::uint64_t seed,
                                          const std::string& prior_precision) {
  sampling::plan_settings settings;
  settings.margin_of_error = margin;
  settings.confidence_level = confidence;
  settings.seed = seed;
  settings.prior_precision = sampling::parse_prior_precision(prior_precision, items);
  return settings;
}

std::string plan(const table_handle& handle, const std::string& ensemble, double margin,
                 double confidence, std::uint64_t seed, const std::string& design,
                 const std::string& prior_precision) {
  const sampling::population items(handle.table, sampling::ensemble_rule::parse(ensemble));
  sampling::plan_settings settings =
      plan_settings_for(items, margin, confidence, seed, prior_precision);
  const auto kind = sampling::parse_design(design);
  if (!kind) throw input_error(fmt::format("unknown design \"{}\"", design));
  settings.design = *kind;
  const sampling::sample_plan drawn = sampling::make_plan(items, settings);
  return io::plan_to_json(io::make_plan_document(items, drawn));
}

estimation::estimate_settings estimate_settings_for(const std::string& interval,
                                                    const std::string& estimator,
                                                    double confidence) {
  estimation::estimate_settings settings;
  const auto method = estimation::parse_interval_method(interval);
  if (!method) throw input_error(fmt::format("unknown interval \"{}\"", interval));
  const auto kind = estimation::parse_estimator(estimator);
  if (!kind) throw input_error(fmt::format("unknown estimator \"{}\"", estimator));
  settings.interval = *method;
  settings.estimator = *kind;
  settings.confidence_level = confidence;
  return settings;
}

// estimate_command::run on a table given in memory, its plan as text and the labels as CSV.
std::string estimate(const table_handle& handle, const std::string& plan_text,
                     const std::string& plan_source, const std::string& labels_text,
                     const std::string& labels_source, const std::string& interval,
                     const std::string& estimator, const std::string& rule_text) {
  const io::prediction_table& table = handle.table;
  const io::plan_document plan = io::parse_plan(plan_text, plan_source);
  estimation::plan_estimate_request request;
  request.plan_source = plan_source;
  request.settings = estimate_settings_for(interval, estimator, plan.confidence_level);
  request.interval_name = interval;
  request.estimator_name = estimator;
  request.what_if_rule = rule_text;
  const estimation::plan_estimate_result result =
      estimation::estimate_plan(table, plan, request, [&](const io::id_index& index) {
        return io::parse_labels(labels_text, labels_source, table, index);
      });
  return estimation::plan_estimate_json(plan, request, result);
}

std::string simulate(const table_handle& handle, const std::string& ensemble, double margin,
                     double confidence, std::uint64_t seed, const std::string& prior_precision,
                     std::size_t trials, const std::vector<std::string>& designs,
                     const std::string& interval, const std::string& estimator, unsigned threads) {
  estimation::simulation_settings settings;
  settings.designs.clear();
  for (const std::string& name : designs) {
    const auto design = sampling::parse_design(name);
    if (!design) throw input_error(fmt::format("unknown design \"{}\"", name));
    settings.designs.push_back(*design);
  }
  if (settings.designs.empty()) throw input_error("no design given");
  const sampling::population items(handle.table, sampling::ensemble_rule::parse(ensemble));
  const io::resolved_labels gold = io::labels_from_column(handle.table);
  const sampling::plan_settings plan =
      plan_settings_for(items, margin, confidence, seed, prior_precision);
  settings.trials = trials;
  settings.seed = plan.seed;
  settings.margin_of_error = plan.margin_of_error;
  settings.confidence_level = plan.confidence_level;
  settings.prior_precision = plan.prior_precision;
  settings.estimate = estimate_settings_for(interval, estimator, plan.confidence_level);
  settings.threads = threads;
  estimation::simulation_report report;
  {
    py::gil_scoped_release release;  // trials run on C++ threads for seconds
    report = estimation::simulate(items, gold.by_row, settings, [](std::size_t, std::size_t) {});
  }
  return estimation::simulation_json(report);
}

// The member columns read_predictions would pick from this header (same checks and messages).
std::vector<std::string> member_columns(const std::string& source,
                                        const std::vector<std::string>& header,
                                        const std::vector<std::string>& models,
                                        const std::string& parent_column) {
  io::read_options options;
  options.models = models;
  options.parent_column = parent_column;
  return io::detail::plan_columns(header, options, source, 1, std::vector<std::size_t>{})
      .model_names;
}

// `frugal estimate --estimator sample-proportion` when the predictions are too big for one
// machine: a set's estimate uses only its sample's labels and N_s, both in the plan, so a table
// of the labelled ids and the plan's queue stands in for the predictions. The caller has
// checked that the plan is the one the predictions give (frugal.dask re-plans) and that every
// labelled id is an item. The counts match the CLI's: every label line is read here.
std::string estimate_from_plan(const std::string& plan_text, const std::string& plan_source,
                               const std::vector<std::string>& ids, const std::string& labels_text,
                               const std::string& labels_source, const std::string& interval) {
  const io::plan_document plan = io::parse_plan(plan_text, plan_source);
  io::prediction_table table;
  table.source = plan.predictions;
  table.model_names = plan.models;
  for (const std::string& id : ids) {
    table.ids.push_back(id);
    table.id_hashes.push_back(io::hash_id(id));
    table.votes.push_back(0);
    table.lines.push_back(static_cast<std::uint32_t>(table.lines.size() + 2));
  }
  const io::id_index index(table);
  const io::resolved_labels labels = io::parse_labels(labels_text, labels_source, table, index);
  const estimation::estimate_settings settings =
      estimate_settings_for(interval, "sample-proportion", plan.confidence_level);
  std::vector<std::uint8_t> queued(table.size(), 0);
  auto row_of = [&](const std::string& id) {
    const std::ptrdiff_t row = index.find(id);
    if (row < 0) throw input_error(plan_source, 0, 0, fmt::format("id \"{}\" is missing", id));
    return static_cast<std::size_t>(row);
  };
  for (const std::string& id : plan.queue) queued[row_of(id)] = 1;
  // The per-set sample proportions from the plan's own samples (a Dask estimate has no
  // population to redraw from); the counts and the JSON are frugal estimate's.
  estimation::plan_estimate_result result;
  result.label_records = labels.records;
  result.tied_items = labels.tied_items;
  result.queued_items = plan.queue.size();
  for (std::size_t row = 0; row < table.size(); ++row) {
    if (labels.by_row[row] == io::resolved_labels::unlabelled) continue;
    if (queued[row]) {
      if (labels.by_row[row] == io::resolved_labels::tied) continue;
      ++result.queued_labelled;
    } else {
      ++result.outside_plan;
    }
  }
  for (const auto& entry : plan.sets) {
    estimation::set_estimate set;
    std::size_t labelled = 0, true_positives = 0;
    for (const std::string& id : entry.sample) {
      const std::int8_t label = labels.by_row[row_of(id)];
      if (label != 0 && label != 1) continue;
      ++labelled;
      true_positives += static_cast<std::size_t>(label);
    }
    set.defined = entry.positives > 0 && labelled > 0;
    set.status = entry.positives == 0 ? "no positives" : labelled == 0 ? "no labels" : "ok";
    set.positives = entry.positives;
    set.sample_size = entry.sample.size();
    set.labelled = entry.positives == 0 ? 0 : labelled;
    set.positives_labelled = entry.positives == 0 ? 0 : true_positives;
    if (set.defined) {
      const double n = static_cast<double>(labelled);
      const double x = static_cast<double>(true_positives);
      set.precision = x / n;
      set.interval = estimation::interval_for_proportion(settings.interval, x, n, entry.positives,
                                                         settings.confidence_level);
      set.effective_sample_size = n;
    }
    result.set_names.push_back(entry.name);
    result.sets.push_back(std::move(set));
  }
  estimation::plan_estimate_request request;
  request.interval_name = interval;
  request.estimator_name = "sample-proportion";
  return estimation::plan_estimate_json(plan, request, result);
}

// ------------------------------------------------------------------------------------------
// Coordinated plans in pieces (frugal.dask)

// What a partition contributes: its candidates, plus nothing else (the fingerprint travels
// separately, in partition order).
struct candidates_handle {
  sampling::plan_candidates summary;
};

sampling::plan_settings settings_for_sets(const std::vector<std::string>& set_names, double margin,
                                          double confidence, std::uint64_t seed,
                                          const std::string& prior_precision) {
  if (set_names.empty() || set_names.front() != sampling::parent_set_name)
    throw input_error(fmt::format("the sets ({}) do not start with \"{}\"",
                                  fmt::join(set_names, ","), sampling::parent_set_name));
  // parse_prior_precision needs a population for the set names; build a one-row stand-in with
  // the same members (its votes do not matter).
  io::prediction_table names_only;
  names_only.source = "<sets>";
  names_only.model_names.assign(set_names.begin() + 1, set_names.end());
  names_only.ids.push_back("x");
  names_only.id_hashes.push_back(0);
  names_only.votes.push_back(0);
  names_only.lines.push_back(2);
  const sampling::population items(names_only, sampling::ensemble_rule{});
  return plan_settings_for(items, margin, confidence, seed, prior_precision);
}

std::shared_ptr<candidates_handle> collect(const table_handle& handle, const std::string& ensemble,
                                           double margin, double confidence, std::uint64_t seed,
                                           const std::string& prior_precision) {
  const sampling::population items(handle.table, sampling::ensemble_rule::parse(ensemble));
  const sampling::plan_settings settings =
      plan_settings_for(items, margin, confidence, seed, prior_precision);
  const std::vector<std::size_t> capacities =
      sampling::candidate_capacities(items.set_count(), settings);
  auto result = std::make_shared<candidates_handle>();
  py::gil_scoped_release release;
  result->summary = sampling::collect_candidates(items, capacities, seed);
  return result;
}

// The summary of an empty partition (and the client's check of the settings).
std::shared_ptr<candidates_handle> empty_candidates(const std::vector<std::string>& set_names,
                                                    double margin, double confidence,
                                                    const std::string& prior_precision) {
  const sampling::plan_settings settings =
      settings_for_sets(set_names, margin, confidence, 1, prior_precision);
  auto result = std::make_shared<candidates_handle>();
  result->summary.positives.assign(set_names.size(), 0);
  result->summary.capacities = sampling::candidate_capacities(set_names.size(), settings);
  result->summary.sets.resize(set_names.size());
  return result;
}

// The capacities travel inside the summaries: merging needs no settings, and parts collected
// with other settings are refused.
std::shared_ptr<candidates_handle> merge(
    const std::vector<std::shared_ptr<candidates_handle>>& parts) {
  if (parts.empty()) throw input_error("no plan candidates to merge");
  auto result = std::make_shared<candidates_handle>(*parts.front());
  sampling::check_candidates(result->summary);
  for (std::size_t i = 1; i < parts.size(); ++i)
    sampling::merge_candidates(result->summary, parts[i]->summary);
  return result;
}

// The plan file of make_plan_document, from merged candidates and the data's description.
std::string plan_from(const candidates_handle& merged, const std::vector<std::string>& models,
                      const std::string& ensemble, double margin, double confidence,
                      std::uint64_t seed, const std::string& prior_precision,
                      const std::string& source, const std::string& fingerprint) {
  std::vector<std::string> set_names{std::string(sampling::parent_set_name)};
  set_names.insert(set_names.end(), models.begin(), models.end());
  if (merged.summary.sets.size() != set_names.size())
    throw input_error(fmt::format("the candidates have {} sets, the models make {}",
                                  merged.summary.sets.size(), set_names.size()));
  sampling::plan_settings settings =
      settings_for_sets(set_names, margin, confidence, seed, prior_precision);
  // As read_predictions words it for a file with only its header (line 2 is the first row).
  if (merged.summary.items == 0)
    throw input_error(source, 2, 1, "no data rows: the file has only a header");
  const sampling::candidate_plan drawn = sampling::plan_from_candidates(merged.summary, settings);
  io::plan_document document;
  document.tool_version = FRUGAL_VERSION;
  document.design = std::string(sampling::to_string(sampling::design_kind::coordinated));
  document.seed = seed;
  document.hash = std::string(sampling::priority_hash_name);
  document.margin_of_error = margin;
  document.confidence_level = confidence;
  document.ensemble = sampling::ensemble_rule::parse(ensemble).to_string();
  document.models = models;
  document.predictions = source;
  document.fingerprint = fingerprint;
  document.items = merged.summary.items;
  for (std::size_t s = 0; s < set_names.size(); ++s) {
    io::plan_document::set_entry entry;
    entry.name = set_names[s];
    entry.positives = merged.summary.positives[s];
    entry.sample_size = drawn.sample_sizes[s];
    entry.prior_precision = settings.prior_precision[s];
    if (drawn.threshold_keys[s])
      entry.threshold_priority = sampling::priority_value(*drawn.threshold_keys[s]);
    entry.sample = drawn.samples[s];
    document.sets.push_back(std::move(entry));
  }
  document.queue = drawn.queue;
  document.naive_sum = drawn.naive_sum;
  document.expected_independent = drawn.expected_independent;
  return io::plan_to_json(document);
}

// Binary form of the candidates for pickling (Dask moves them between worker processes).
void put_u64(std::string& out, std::uint64_t value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
std::uint64_t get_u64(std::string_view& in) {
  if (in.size() < 8) throw input_error("truncated plan candidates");
  std::uint64_t value = 0;
  std::memcpy(&value, in.data(), sizeof value);
  in.remove_prefix(8);
  return value;
}

py::bytes candidates_to_bytes(const candidates_handle& handle) {
  const sampling::plan_candidates& c = handle.summary;
  std::string out;
  put_u64(out, c.items);
  put_u64(out, c.positives.size());
  for (const std::uint64_t n : c.positives) put_u64(out, n);
  for (const std::size_t n : c.capacities) put_u64(out, n);
  put_u64(out, c.patterns.size());
  for (const auto& p : c.patterns) {
    put_u64(out, p.pattern);
    put_u64(out, p.items);
  }
  for (const auto& set : c.sets) {
    put_u64(out, set.size());
    for (const auto& entry : set) {
      put_u64(out, entry.key);
      put_u64(out, entry.id.size());
      out += entry.id;
    }
  }
  return py::bytes(out);
}

std::shared_ptr<candidates_handle> candidates_from_bytes(const py::bytes& data) {
  const std::string text = data;
  std::string_view in = text;
  auto result = std::make_shared<candidates_handle>();
  sampling::plan_candidates& c = result->summary;
  // Every count is checked against the bytes left before anything is allocated for it.
  auto count = [&](std::size_t bytes_each) {
    const std::uint64_t n = get_u64(in);
    if (n > in.size() / bytes_each) throw input_error("truncated plan candidates");
    return static_cast<std::size_t>(n);
  };
  c.items = get_u64(in);
  const std::size_t set_count = count(16);
  if (set_count == 0 || set_count > 64) throw input_error("not plan candidates: bad set count");
  c.positives.resize(set_count);
  for (auto& n : c.positives) n = get_u64(in);
  c.capacities.resize(set_count);
  for (auto& n : c.capacities) n = get_u64(in);
  c.patterns.resize(count(16));
  for (auto& p : c.patterns) {
    p.pattern = get_u64(in);
    p.items = get_u64(in);
  }
  c.sets.resize(set_count);
  for (auto& set : c.sets) {
    set.resize(count(16));
    for (auto& entry : set) {
      entry.key = get_u64(in);
      const std::uint64_t size = get_u64(in);
      if (in.size() < size) throw input_error("truncated plan candidates");
      entry.id.assign(in.substr(0, size));
      in.remove_prefix(size);
    }
  }
  if (!in.empty()) throw input_error("not plan candidates: bytes after the summary");
  sampling::check_candidates(c);
  return result;
}

// The fingerprint over partitions in order: the XXH3 state as bytes, after a tag naming the
// format, the xxhash version and the state's size (its layout is xxhash's and may change between
// versions, so a worker with another libxxhash is refused, not misread). Its pointer to the
// library's default secret is process-specific, so it is replaced on the way in; the fields
// that index memory are checked against a fresh state, so bytes that are not a state from
// fingerprint_start/update are a ValueError, never a wild read.
constexpr char fingerprint_tag[] = "frugal-fingerprint-1";

std::string fingerprint_header() {
  return fmt::format("{}:xxh{}:{}\n", fingerprint_tag, XXH_VERSION_NUMBER, sizeof(XXH3_state_t));
}

py::bytes state_bytes(const XXH3_state_t& state) {
  std::string out = fingerprint_header();
  out.append(reinterpret_cast<const char*>(&state), sizeof state);
  return py::bytes(out);
}

py::bytes fingerprint_start(const std::vector<std::string>& models) {
  XXH3_state_t state;
  io::detail::fingerprint_start(&state, models);
  return state_bytes(state);
}

XXH3_state_t fingerprint_state(const py::bytes& data) {
  const std::string text = data;
  const std::string header = fingerprint_header();
  if (text.size() != header.size() + sizeof(XXH3_state_t) || text.compare(0, header.size(), header))
    throw input_error(fmt::format("not a fingerprint state of this build (one starts with \"{}\")",
                                  header.substr(0, header.size() - 1)));
  XXH3_state_t fresh;
  XXH3_64bits_reset(&fresh);
  XXH3_state_t state;
  std::memcpy(&state, text.data() + header.size(), sizeof state);
  state.extSecret = fresh.extSecret;
  const bool consistent =
      state.useSeed == fresh.useSeed && state.seed == fresh.seed &&
      state.nbStripesPerBlock == fresh.nbStripesPerBlock &&
      state.secretLimit == fresh.secretLimit && state.nbStripesSoFar < state.nbStripesPerBlock &&
      state.bufferedSize <= sizeof state.buffer && state.bufferedSize <= state.totalLen &&
      (state.totalLen > sizeof state.buffer || state.bufferedSize == state.totalLen);
  if (!consistent) throw input_error("not a fingerprint state: its fields are out of range");
  return state;
}

// The 16 bytes per row the fingerprint hashes (fingerprint_rows' records), so that a Dask
// partition can hand them to the in-order fingerprint pass without its other columns.
py::array_t<std::uint64_t> fingerprint_records(const table_handle& handle) {
  const io::prediction_table& table = handle.table;
  py::array_t<std::uint64_t> records(static_cast<py::ssize_t>(2 * table.size()));
  std::uint64_t* out = records.mutable_data();
  const bool has_parent = !table.parent_votes.empty();
  for (std::size_t row = 0; row < table.size(); ++row) {
    out[2 * row] = table.id_hashes[row];
    out[2 * row + 1] =
        table.votes[row] | (has_parent ? std::uint64_t{table.parent_votes[row]} << 63 : 0);
  }
  return records;
}

// The ids' unseeded XXH3 hashes (the ones the tables and fingerprints use), for the Dask path's
// search of a duplicate across partitions.
py::array_t<std::uint64_t> hash_ids(const py::list& ids) {
  py::array_t<std::uint64_t> hashes(static_cast<py::ssize_t>(ids.size()));
  std::uint64_t* out = hashes.mutable_data();
  for (std::size_t row = 0; row < ids.size(); ++row)
    out[row] = io::hash_id(utf8(ids[row], "id", row));
  return hashes;
}

py::bytes fingerprint_update(const py::bytes& data,
                             const py::array_t<std::uint64_t, py::array::c_style>& records) {
  XXH3_state_t state = fingerprint_state(data);
  XXH3_64bits_update(&state, records.data(), static_cast<std::size_t>(records.size()) * 8);
  return state_bytes(state);
}

std::string fingerprint_finish(const py::bytes& data) {
  XXH3_state_t state = fingerprint_state(data);
  return io::fingerprint_hex(XXH3_64bits_digest(&state));
}

// ------------------------------------------------------------------------------------------
// Model updates (update_command.cpp): both models' predictions and the labels as CSV text.

// load_update on text: the same reads, renumbering and pairing.
std::unique_ptr<update::loaded_update> load_models(const std::string& old_text,
                                                   const std::string& old_source,
                                                   const std::string& new_text,
                                                   const std::string& new_source) {
  auto loaded = std::make_unique<update::loaded_update>();
  update::class_names new_classes;
  update::model_read_options new_options;
  new_options.check_unique_ids = false;
  loaded->old_model = update::parse_model_predictions(old_text, old_source, loaded->classes);
  loaded->new_model =
      update::parse_model_predictions(new_text, new_source, new_classes, new_options);
  std::vector<std::uint32_t> renumber(new_classes.size());
  for (std::uint32_t c = 0; c < new_classes.size(); ++c)
    renumber[c] = loaded->classes.intern(new_classes.name(c));
  for (std::uint32_t& prediction : loaded->new_model.predictions) prediction = renumber[prediction];
  loaded->pair = update::pair_models(loaded->old_model, loaded->new_model);
  return loaded;
}

std::string flips(const std::string& old_text, const std::string& old_source,
                  const std::string& new_text, const std::string& new_source,
                  const std::string& labels_text, const std::string& labels_source,
                  double confidence, bool by_class) {
  const auto loaded = load_models(old_text, old_source, new_text, new_source);
  const update::class_labels labels =
      update::parse_class_labels(labels_text, labels_source, loaded->pair, loaded->classes);
  const update::flips_result result =
      update::compute_flips(loaded->pair, labels, loaded->classes, confidence);
  return update::flips_json(result, {old_source, new_source, labels_source}, by_class);
}

// Returns (the --json summary, the plan file's text).
std::pair<std::string, std::string> update_plan(const std::string& old_text,
                                                const std::string& old_source,
                                                const std::string& new_text,
                                                const std::string& new_source, std::size_t budget,
                                                std::uint64_t seed, double agreement_share,
                                                const std::string& stratify) {
  if (stratify != "none" && stratify != "pair")
    throw input_error(fmt::format("stratify \"{}\" is neither none nor pair", stratify));
  const auto loaded = load_models(old_text, old_source, new_text, new_source);
  update::plan_settings settings;
  settings.budget = budget;
  settings.seed = seed;
  settings.agreement_share = agreement_share;
  settings.stratify_by_pair = stratify == "pair";
  const update::update_plan made =
      update::make_update_plan(loaded->pair, loaded->classes, settings);
  return {update::update_plan_summary_json(made), update::update_plan_json(made)};
}

std::string update_estimate(const std::string& old_text, const std::string& old_source,
                            const std::string& new_text, const std::string& new_source,
                            const std::string& plan_text, const std::string& plan_source,
                            const std::string& labels_text, const std::string& labels_source,
                            double confidence) {
  const update::update_plan plan = update::parse_update_plan(plan_text, plan_source);
  const auto loaded = load_models(old_text, old_source, new_text, new_source);
  const update::class_labels labels =
      update::parse_class_labels(labels_text, labels_source, loaded->pair, loaded->classes);
  const update::update_estimate e =
      update::estimate_update(loaded->pair, labels, loaded->classes, plan, confidence);
  return update::update_estimate_json(e);
}

// ------------------------------------------------------------------------------------------
// Campaigns (campaign_command.cpp): next, label, status on a store made by `frugal campaign init`.

struct campaign_handle {
  std::string path;
};

std::string campaign_next(const campaign_handle& handle, std::size_t batch) {
  const campaign::store store = campaign::store::open(handle.path);
  const auto labels = campaign::resolve_labels(store, store.labels());
  const campaign::campaign_state state = campaign::evaluate(store, labels);
  const std::vector<std::size_t> rows = campaign::next_rows(state, labels, batch);
  const io::prediction_table& table = store.items();
  const sampling::population items(table,
                                   sampling::ensemble_rule::parse(store.settings().ensemble));
  const bool content = table.content.size() == table.size() && table.size() > 0;
  json root;
  root["finished"] = state.finished;
  json list = json::array();
  for (const std::size_t row : rows) {
    json item;
    item["id"] = table.ids[row];
    item["sets"] = campaign::sets_needing(items, state, row);
    if (labels.by_row[row] == campaign::resolved_labels::tied) item["tied"] = true;
    if (content) item["content"] = table.content[row];
    list.push_back(std::move(item));
  }
  root["items"] = std::move(list);
  return root.dump(2);
}

std::string campaign_label(const campaign_handle& handle, const std::string& labels_text,
                           const std::string& labels_source) {
  campaign::store store = campaign::store::open(handle.path);
  const io::prediction_table& table = store.items();
  const io::id_index index(table);
  std::vector<campaign::store::pending_label> pending;
  io::for_each_label_line(labels_text, labels_source, [&](const io::label_line& line) {
    const std::ptrdiff_t row = index.find(line.id);
    if (row < 0)
      throw input_error(labels_source, line.line, line.id_column,
                        fmt::format("id \"{}\" is not an item of the campaign {} (made from {})",
                                    line.id, handle.path, store.settings().predictions));
    if (line.label != 0 && line.label != 1) return;
    pending.push_back({static_cast<std::size_t>(row), std::string(line.annotator), line.label,
                       line.line, line.label_column});
  });
  campaign::labels_outcome before = campaign::evaluate_with(store, store.labels(), {});
  const campaign::campaign_state after =
      campaign::evaluate_with(store, std::move(before.labels), pending).state;
  const campaign::import_summary summary = store.import_labels(
      labels_source, pending, before.state.needed, campaign::finishing_events(before.state, after));
  return json{{"import", summary.import_number},
              {"records", summary.records},
              {"added", summary.added},
              {"repeated", summary.repeated},
              {"unrequested", summary.unrequested},
              {"finished", after.finished}}
      .dump(2);
}

std::string campaign_status(const campaign_handle& handle, const std::string& rule) {
  const campaign::store store = campaign::store::open(handle.path);
  const auto labels = campaign::resolve_labels(store, store.labels());
  const campaign::campaign_state state = campaign::evaluate(store, labels);
  std::optional<campaign::rule_estimate> what_if;
  if (!rule.empty())
    what_if = campaign::evaluate_rule(store, labels, sampling::ensemble_rule::parse(rule));
  return campaign::status_json(store, state, what_if, 2);
}

}  // namespace
}  // namespace frugal::python

PYBIND11_MODULE(_core, m) {
  using namespace frugal::python;
  namespace fp = frugal::python;
  m.doc() = "frugal's C++ library; use the `frugal` package, not this module.";
  m.attr("version") = FRUGAL_VERSION;
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const frugal::input_error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });

  py::class_<table_handle, std::shared_ptr<table_handle>>(m, "Table")
      .def_property_readonly("rows", [](const table_handle& h) { return h.table.size(); })
      .def_property_readonly("models", [](const table_handle& h) { return h.table.model_names; })
      .def_property_readonly(
          "fingerprint",
          [](const table_handle& h) { return frugal::io::fingerprint_hex(h.table.fingerprint); })
      .def_property_readonly("source", [](const table_handle& h) { return h.table.source; });
  m.def("make_table", &make_table, py::arg("source"), py::arg("header"), py::arg("columns"),
        py::arg("models"), py::arg("parent_column"), py::arg("keep_content"));
  m.def("plan", &fp::plan);
  m.def("estimate", &fp::estimate);
  m.def("simulate", &fp::simulate);

  py::class_<candidates_handle, std::shared_ptr<candidates_handle>>(m, "Candidates")
      .def_property_readonly("items", [](const candidates_handle& h) { return h.summary.items; })
      .def_property_readonly("positives",
                             [](const candidates_handle& h) { return h.summary.positives; })
      .def(py::pickle([](const candidates_handle& h) { return candidates_to_bytes(h); },
                      [](const py::bytes& data) { return candidates_from_bytes(data); }));
  m.def("collect_candidates", &collect);
  m.def("empty_candidates", &empty_candidates, py::arg("set_names"), py::arg("margin"),
        py::arg("confidence"), py::arg("prior_precision"));
  m.def("merge_candidates", &merge);
  m.def("plan_from_candidates", &plan_from);
  m.def("member_columns", &member_columns);
  m.def("estimate_from_plan", &estimate_from_plan);
  m.def("fingerprint_start", &fp::fingerprint_start);
  m.def("fingerprint_records", &fingerprint_records);
  m.def("hash_ids", &hash_ids);
  m.def("fingerprint_update", &fingerprint_update);
  m.def("fingerprint_finish", &fingerprint_finish);

  m.def("flips", &fp::flips);
  m.def("update_plan", &fp::update_plan);
  m.def("update_estimate", &fp::update_estimate);

  py::class_<campaign_handle>(m, "Campaign")
      .def(py::init([](const std::string& path) {
        frugal::campaign::store::open(path);  // fails now, not at the first call
        return campaign_handle{path};
      }))
      .def_readonly("path", &campaign_handle::path)
      .def("next", &campaign_next)
      .def("label", &campaign_label)
      .def("status", &campaign_status);
}
