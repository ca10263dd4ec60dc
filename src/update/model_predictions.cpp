#include "frugal/update/model_predictions.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <thread>
#include <unordered_map>

#include "frugal/error.hpp"
#include "io/delimited_reader.hpp"
#include "io/mapped_file.hpp"

namespace frugal::update {

std::size_t class_names::string_hash::operator()(std::string_view text) const noexcept {
  return static_cast<std::size_t>(XXH3_64bits(text.data(), text.size()));
}

std::uint32_t class_names::intern(std::string_view name) {
  // Most problems have a handful of classes: comparing with each is faster than hashing.
  if (names_.size() <= 16) {
    for (std::size_t i = 0; i < names_.size(); ++i)
      if (names_[i] == name) return static_cast<std::uint32_t>(i);
  } else if (const auto found = index_.find(name); found != index_.end()) {
    return found->second;
  }
  const auto index = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  index_.emplace(std::string(name), index);
  return index;
}

std::optional<std::uint32_t> class_names::find(std::string_view name) const {
  if (const auto found = index_.find(name); found != index_.end()) return found->second;
  return std::nullopt;
}

namespace {

char delimiter_of(std::string_view text, const std::string& source) {
  const io::table_format format = io::detect_format(source, text.substr(0, 4096));
  if (format == io::table_format::jsonl)
    throw input_error(source, 1, 1,
                      "model predictions and labels are read as CSV or TSV, not JSONL");
  return format == io::table_format::tsv ? '\t' : ',';
}

// Index of each named column in a header, or -1; a repeated or empty name is an error.
struct header_columns {
  std::vector<std::string> names;
  std::ptrdiff_t find(std::string_view name) const {
    const auto it = std::find(names.begin(), names.end(), name);
    return it == names.end() ? -1 : it - names.begin();
  }
};

header_columns read_header(const io::detail::record_view& record, const std::string& source) {
  header_columns header;
  for (std::size_t i = 0; i < record.fields.size(); ++i) {
    const std::string_view name = record.fields[i];
    if (name.empty())
      throw input_error(source, record.line, record.columns[i], "empty column name in the header");
    if (header.find(name) >= 0)
      throw input_error(source, record.line, record.columns[i],
                        fmt::format("column \"{}\" appears twice in the header", name));
    header.names.emplace_back(name);
  }
  return header;
}

void check_field_count(const io::detail::record_view& record, std::size_t expected,
                       const std::string& source) {
  if (record.fields.size() != expected)
    throw input_error(source, record.line, 1,
                      fmt::format("expected {} fields as in the header, found {}", expected,
                                  record.fields.size()));
}

}  // namespace

model_predictions parse_model_predictions(std::string_view text, const std::string& source,
                                          class_names& classes, const model_read_options& options) {
  model_predictions table;
  table.source = source;
  const char delimiter = delimiter_of(text, source);
  bool have_header = false;
  std::size_t id_column = 0, prediction_column = 0, field_count = 0;
  std::ptrdiff_t content_column = -1;
  std::vector<std::size_t> score_columns;
  io::detail::for_each_record(text, source, delimiter, [&](const io::detail::record_view& record) {
    if (!have_header) {
      const header_columns header = read_header(record, source);
      const std::ptrdiff_t id = header.find("id");
      const std::ptrdiff_t prediction = header.find("prediction");
      if (id < 0) throw input_error(source, record.line, 1, "no \"id\" column in the header");
      if (prediction < 0)
        throw input_error(source, record.line, 1, "no \"prediction\" column in the header");
      id_column = static_cast<std::size_t>(id);
      prediction_column = static_cast<std::size_t>(prediction);
      content_column = header.find("content");
      table.has_content_column = content_column >= 0;
      for (std::size_t i = 0; i < header.names.size(); ++i) {
        if (header.names[i].starts_with("score_")) {
          if (header.names[i].size() == 6)
            throw input_error(source, record.line, record.columns[i],
                              "score column without a class name (\"score_\")");
          score_columns.push_back(i);
          table.score_classes.push_back(header.names[i].substr(6));
        }
      }
      field_count = header.names.size();
      have_header = true;
      return;
    }
    check_field_count(record, field_count, source);
    const std::string_view id = record.fields[id_column];
    if (id.empty()) throw input_error(source, record.line, record.columns[id_column], "empty id");
    const std::string_view prediction = record.fields[prediction_column];
    if (prediction.empty())
      throw input_error(source, record.line, record.columns[prediction_column],
                        "empty prediction (a class name is expected)");
    const std::uint32_t class_index = classes.intern(prediction);
    for (const std::size_t column : score_columns) {
      const std::string_view field = record.fields[column];
      float value = 0;
      const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (field.empty() || error != std::errc() || end != field.data() + field.size() ||
          !std::isfinite(value))
        throw input_error(source, record.line, record.columns[column],
                          fmt::format("score \"{}\" is not a finite number", field));
      if (options.keep_scores) table.scores.push_back(value);
    }
    if (table.size() >= 0xFFFFFFFEull) throw input_error(source, record.line, 1, "too many rows");
    table.ids.push_back(id);
    table.id_hashes.push_back(io::hash_id(id));
    table.lines.push_back(static_cast<std::uint32_t>(record.line));
    table.predictions.push_back(class_index);
    if (options.keep_content && content_column >= 0)
      table.content.push_back(record.fields[static_cast<std::size_t>(content_column)]);
  });
  if (!have_header) throw input_error(source, 1, 1, "empty file (no header)");
  if (table.size() == 0) throw input_error(source, 2, 1, "no rows after the header");
  // Unique ids: building the index reports a duplicate with both lines.
  if (options.check_unique_ids) const io::id_index unique(table.id_columns());
  // The fingerprint hashes each row's id hash and its class name's hash, so it does not depend
  // on the order classes were interned in.
  std::vector<std::uint64_t> name_hashes(classes.size());
  for (std::uint32_t c = 0; c < classes.size(); ++c)
    name_hashes[c] = XXH3_64bits(classes.name(c).data(), classes.name(c).size());
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (std::size_t row = 0; row < table.size(); ++row) {
    const std::uint64_t pair[2] = {table.id_hashes[row], name_hashes[table.predictions[row]]};
    XXH3_64bits_update(state, pair, sizeof pair);
  }
  table.fingerprint = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return table;
}

model_predictions read_model_predictions(const std::string& path, class_names& classes,
                                         const model_read_options& options) {
  const io::detail::mapped_file file(path);
  return parse_model_predictions(file.text(), path, classes, options);
}

std::string_view model_pair::content(std::size_t row) const {
  if (old_model->has_content_column && old_model->content.size() == old_model->size())
    return old_model->content[row];
  if (new_model->has_content_column && new_model->content.size() == new_model->size())
    return new_model->content[new_row[row]];
  return {};
}

model_pair pair_models(const model_predictions& old_model, const model_predictions& new_model) {
  model_pair pair;
  pair.old_model = &old_model;
  pair.new_model = &new_model;
  const std::size_t rows = old_model.size();
  pair.old_class = old_model.predictions;
  pair.new_class.resize(rows);
  pair.new_row.resize(rows);
  // The common case, both files listing the same ids in the same order, needs no index.
  bool same_order = new_model.size() == rows;
  for (std::size_t row = 0; same_order && row < rows; ++row)
    same_order = old_model.id_hashes[row] == new_model.id_hashes[row] &&
                 old_model.ids[row] == new_model.ids[row];
  if (same_order) {
    for (std::size_t row = 0; row < rows; ++row)
      pair.new_row[row] = static_cast<std::uint32_t>(row);
  } else {
    const io::id_index new_index(new_model.id_columns());
    std::vector<std::ptrdiff_t> found_rows;
    new_index.find_all(old_model.ids, old_model.id_hashes, found_rows);
    std::vector<bool> matched(new_model.size(), false);
    std::size_t missing_in_new = 0;
    std::ptrdiff_t first_missing_in_new = -1;
    for (std::size_t row = 0; row < rows; ++row) {
      const std::ptrdiff_t found = found_rows[row];
      if (found < 0) {
        if (missing_in_new++ == 0) first_missing_in_new = static_cast<std::ptrdiff_t>(row);
        continue;
      }
      pair.new_row[row] = static_cast<std::uint32_t>(found);
      matched[static_cast<std::size_t>(found)] = true;
    }
    std::size_t missing_in_old = 0;
    std::ptrdiff_t first_missing_in_old = -1;
    for (std::size_t row = 0; row < new_model.size(); ++row) {
      if (!matched[row] && missing_in_old++ == 0)
        first_missing_in_old = static_cast<std::ptrdiff_t>(row);
    }
    if (missing_in_new > 0 || missing_in_old > 0) {
      std::string message =
          fmt::format("{} and {} do not hold the same items:", old_model.source, new_model.source);
      if (missing_in_new > 0) {
        const auto row = static_cast<std::size_t>(first_missing_in_new);
        message += fmt::format(" {} id{} of {} {} missing from {} (first: \"{}\", {} line {})",
                               missing_in_new, missing_in_new == 1 ? "" : "s", old_model.source,
                               missing_in_new == 1 ? "is" : "are", new_model.source,
                               old_model.ids[row], old_model.source, old_model.lines[row]);
      }
      if (missing_in_old > 0) {
        const auto row = static_cast<std::size_t>(first_missing_in_old);
        message += fmt::format("{} {} id{} of {} {} missing from {} (first: \"{}\", {} line {})",
                               missing_in_new > 0 ? ";" : "", missing_in_old,
                               missing_in_old == 1 ? "" : "s", new_model.source,
                               missing_in_old == 1 ? "is" : "are", old_model.source,
                               new_model.ids[row], new_model.source, new_model.lines[row]);
      }
      // Positioned at the first missing id, in whichever file holds it.
      if (missing_in_new > 0)
        throw input_error(old_model.source,
                          old_model.lines[static_cast<std::size_t>(first_missing_in_new)], 1,
                          message);
      throw input_error(new_model.source,
                        new_model.lines[static_cast<std::size_t>(first_missing_in_old)], 1,
                        message);
    }
  }
  for (std::size_t row = 0; row < rows; ++row) {
    pair.new_class[row] = new_model.predictions[pair.new_row[row]];
    pair.disagreements += pair.new_class[row] != pair.old_class[row];
  }
  return pair;
}

std::unique_ptr<loaded_update> load_update(const std::string& old_path, const std::string& new_path,
                                           const model_read_options& options) {
  auto loaded = std::make_unique<loaded_update>();
  class_names new_classes;
  std::exception_ptr new_error;
  // The new file's ids are checked for duplicates by pair_models: through the index it builds
  // when the orders differ, or, when they are the same, because the old file's ids are unique.
  model_read_options new_options = options;
  new_options.check_unique_ids = false;
  std::thread new_reader([&] {
    try {
      loaded->new_model = read_model_predictions(new_path, new_classes, new_options);
    } catch (...) {
      new_error = std::current_exception();
    }
  });
  std::exception_ptr old_error;
  try {
    loaded->old_model = read_model_predictions(old_path, loaded->classes, options);
  } catch (...) {
    old_error = std::current_exception();
  }
  new_reader.join();
  if (old_error) std::rethrow_exception(old_error);
  if (new_error) std::rethrow_exception(new_error);
  // The new file's classes, renumbered into the shared names.
  std::vector<std::uint32_t> renumber(new_classes.size());
  for (std::uint32_t c = 0; c < new_classes.size(); ++c)
    renumber[c] = loaded->classes.intern(new_classes.name(c));
  for (std::uint32_t& prediction : loaded->new_model.predictions) prediction = renumber[prediction];
  loaded->pair = pair_models(loaded->old_model, loaded->new_model);
  return loaded;
}

class_labels parse_class_labels(std::string_view text, const std::string& source,
                                const model_pair& pair, class_names& classes) {
  // Labels usually list the items in the predictions' order: the row after the previous one is
  // tried first, and the id index is built only when that guess first fails.
  std::optional<io::id_index> index;
  std::size_t next_row = 0;
  const std::size_t rows = pair.size();
  auto find_row = [&](std::string_view id) -> std::ptrdiff_t {
    if (next_row < rows && pair.old_model->ids[next_row] == id)
      return static_cast<std::ptrdiff_t>(next_row++);
    if (!index) index.emplace(pair.old_model->id_columns());
    const std::ptrdiff_t found = index->find(id);
    if (found >= 0) next_row = static_cast<std::size_t>(found) + 1;
    return found;
  };
  class_labels result;
  // Most items get one label: it is kept in flat arrays; a second label moves the item to
  // `several`, where each annotator's label is kept once.
  struct one_label {
    std::uint32_t class_index, annotator, line;
  };
  std::vector<std::uint32_t> first_class(rows, class_labels::unlabelled);
  std::vector<std::uint32_t> first_annotator(rows, 0);
  std::vector<std::uint32_t> first_line(rows, 0);
  std::unordered_map<std::size_t, std::vector<one_label>> several;
  class_names annotators;
  const char delimiter = delimiter_of(text, source);
  bool have_header = false;
  std::size_t id_column = 0, label_column = 0, field_count = 0;
  std::ptrdiff_t annotator_column = -1;
  io::detail::for_each_record(text, source, delimiter, [&](const io::detail::record_view& record) {
    if (!have_header) {
      const header_columns header = read_header(record, source);
      const std::ptrdiff_t id = header.find("id");
      const std::ptrdiff_t label = header.find("label");
      if (id < 0 || label < 0)
        throw input_error(source, record.line, 1,
                          "a labels file needs \"id\" and \"label\" columns in its header");
      id_column = static_cast<std::size_t>(id);
      label_column = static_cast<std::size_t>(label);
      annotator_column = header.find("annotator");
      field_count = header.names.size();
      have_header = true;
      return;
    }
    check_field_count(record, field_count, source);
    ++result.records;
    const std::string_view label = record.fields[label_column];
    if (label.empty()) return;  // not labelled yet
    const std::string_view id = record.fields[id_column];
    const std::ptrdiff_t found = find_row(id);
    if (found < 0)
      throw input_error(source, record.line, record.columns[id_column],
                        fmt::format("id \"{}\" is not in the predictions", id));
    const auto row = static_cast<std::size_t>(found);
    const std::uint32_t class_index = classes.intern(label);
    const std::uint32_t annotator =
        annotator_column < 0
            ? 0
            : annotators.intern(record.fields[static_cast<std::size_t>(annotator_column)]);
    const auto line = static_cast<std::uint32_t>(record.line);
    if (first_class[row] == class_labels::unlabelled) {
      first_class[row] = class_index;
      first_annotator[row] = annotator;
      first_line[row] = line;
      return;
    }
    auto [entry, inserted] = several.try_emplace(row);
    if (inserted)
      entry->second.push_back({first_class[row], first_annotator[row], first_line[row]});
    for (const one_label& earlier : entry->second) {
      if (earlier.annotator != annotator) continue;
      if (earlier.class_index == class_index) return;  // the same label again: idempotent
      throw input_error(
          source, record.line, record.columns[label_column],
          fmt::format("conflicting label \"{}\" for id \"{}\" from the same annotator (line {} "
                      "says \"{}\")",
                      label, id, earlier.line, classes.name(earlier.class_index)));
    }
    entry->second.push_back({class_index, annotator, line});
  });
  if (!have_header) throw input_error(source, 1, 1, "empty file (no header)");

  result.by_row = std::move(first_class);
  for (auto& [row, labels] : several) {
    std::unordered_map<std::uint32_t, std::size_t> votes;
    for (const one_label& label : labels) ++votes[label.class_index];
    std::size_t best = 0, best_count = 0;
    std::uint32_t best_class = 0;
    for (const auto& [class_index, count] : votes) {
      if (count > best) {
        best = count;
        best_count = 1;
        best_class = class_index;
      } else if (count == best) {
        ++best_count;
      }
    }
    result.by_row[row] = best_count == 1 ? best_class : class_labels::tied;
  }
  for (const std::uint32_t label : result.by_row) {
    result.labelled_items += label < class_labels::tied;
    result.tied_items += label == class_labels::tied;
  }
  std::vector<bool> predicted(classes.size(), false);
  for (std::size_t row = 0; row < rows; ++row) {
    predicted[pair.old_class[row]] = true;
    predicted[pair.new_class[row]] = true;
  }
  for (std::uint32_t c = 0; c < classes.size(); ++c)
    if (!predicted[c]) result.classes_only_in_labels.push_back(c);
  return result;
}

class_labels read_class_labels(const std::string& path, const model_pair& pair,
                               class_names& classes) {
  const io::detail::mapped_file file(path);
  return parse_class_labels(file.text(), path, pair, classes);
}

}  // namespace frugal::update
