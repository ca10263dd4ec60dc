#pragma once
/// A slow, obviously-correct reader for CSV/TSV predictions, kept beside the fast one
/// (src/io/delimited_reader.cpp) so that tests and fuzzers can compare the two (STYLE.md,
/// habit 1). Written for clarity, not speed: one character at a time, one field at a time, every
/// value copied.
///
/// The rules it implements (DESIGN.md §4, include/frugal/io/predictions.hpp):
/// - RFC 4180: a field is either quoted ("..." with "" for a quote; may hold delimiters and line
///   breaks) or unquoted (everything up to the delimiter or the line break; a quote inside it is
///   an ordinary character). After a closing quote only a delimiter, a line break or the end of
///   the text may follow.
/// - A line break is LF or CRLF; a lone CR is an ordinary character. Lines are counted by LF and
///   columns are 1-based byte offsets within the line. A UTF-8 BOM at the start is skipped and
///   takes no column.
/// - Empty lines between records are skipped; the first record is the header.
/// - Columns: `id` is required; `label`, `content` and `image` are reserved; the parent column
///   (`read_options::parent_column`) holds the ensemble's votes; the members are
///   `read_options::models` in that order, or else every other column in file order.
/// - Votes are 0, 1, true or false; a label may also be empty.
///
/// Errors are reported in reading order, as the fast reader reports them: the header's syntax,
/// then its columns, then each record's fields left to right (a field's value is checked as soon
/// as it is read; a record with too many fields is reported once it has been read to its end),
/// then "no data rows", then the first duplicate id.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/io/predictions.hpp"

namespace frugal::testing {

struct reference_error {
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
};

struct reference_table {
  std::vector<std::string> model_names;
  std::vector<std::string> ids;
  std::vector<std::vector<int>> votes;  ///< votes[row][member], 0 or 1
  std::vector<int> parent_votes;        ///< only with a parent column
  bool has_labels = false;
  std::vector<int> labels;  ///< only with a `label` column; -1 = blank
  bool has_content_column = false;
  std::vector<std::string> content;  ///< only with keep_content and a `content` column
  std::vector<std::size_t> lines;    ///< line where each row starts
};

/// Either a table or the first error.
struct reference_result {
  std::optional<reference_table> table;
  std::optional<reference_error> error;
  bool ok() const { return table.has_value(); }
};

namespace reference_detail {

// Thrown inside the reader and turned into a reference_result at the top; never escapes.
struct failure {
  reference_error error;
};

[[noreturn]] inline void fail(std::size_t line, std::size_t column, std::string message) {
  throw failure{{line, column, std::move(message)}};
}

enum class ending { delimiter, line_break, end_of_text };

struct field {
  std::string value;
  std::size_t line = 0;
  std::size_t column = 0;
  ending end = ending::end_of_text;
};

class character_reader {
 public:
  character_reader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
  }

  std::size_t line() const { return line_; }
  bool at_end() const { return position_ >= text_.size(); }

  bool line_break_ahead() const {
    if (at_end()) return false;
    if (text_[position_] == '\n') return true;
    return text_[position_] == '\r' && position_ + 1 < text_.size() && text_[position_ + 1] == '\n';
  }

  void skip_empty_lines() {
    while (line_break_ahead()) consume_line_break();
  }

  field read_field() {
    field result;
    result.line = line_;
    result.column = column_;
    if (!at_end() && peek() == '"') {
      next();  // the opening quote
      for (;;) {
        if (at_end()) fail(result.line, result.column, "quoted field is never closed");
        const char c = next();
        if (c == '"') {
          if (!at_end() && peek() == '"') {
            next();
            result.value += '"';
            continue;
          }
          break;  // the closing quote
        }
        result.value += c;
      }
      if (!at_end() && peek() != delimiter_ && !line_break_ahead())
        fail(line_, column_, "unexpected character after a closing quote");
    } else {
      while (!at_end() && peek() != delimiter_ && !line_break_ahead()) result.value += next();
    }
    if (at_end()) {
      result.end = ending::end_of_text;
    } else if (peek() == delimiter_) {
      next();
      result.end = ending::delimiter;
    } else {
      consume_line_break();
      result.end = ending::line_break;
    }
    return result;
  }

 private:
  char peek() const { return text_[position_]; }

  char next() {
    const char c = text_[position_++];
    if (c == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    return c;
  }

  void consume_line_break() {
    if (peek() == '\r') next();
    next();  // the '\n'
  }

  std::string_view text_;
  char delimiter_;
  std::size_t position_ = 0;
  std::size_t line_ = 1;
  std::size_t column_ = 1;
};

inline int vote_of(std::string_view text) {
  if (text == "1" || text == "true") return 1;
  if (text == "0" || text == "false") return 0;
  return -1;
}

enum class role { ignored, id, member, parent, label, content };

struct columns {
  std::vector<std::string> names;
  std::vector<role> roles;
  std::vector<std::size_t> member_index;  // for member columns
  std::vector<std::string> model_names;
};

inline bool contains(const std::vector<std::string>& names, const std::string& name) {
  for (const std::string& n : names)
    if (n == name) return true;
  return false;
}

inline std::size_t index_of(const std::vector<std::string>& names, const std::string& name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return i;
  return names.size();
}

inline columns assign_roles(const std::vector<field>& header, const io::read_options& options) {
  columns result;
  const std::size_t header_line = header.front().line;
  for (const field& f : header) {
    if (contains(result.names, f.value))
      fail(header_line, f.column, "column \"" + f.value + "\" appears twice in the header");
    if (f.value.empty()) fail(header_line, f.column, "empty column name in the header");
    result.names.push_back(f.value);
  }
  const std::vector<std::string>& names = result.names;
  result.roles.assign(names.size(), role::ignored);
  result.member_index.assign(names.size(), 0);
  auto reserved = [](const std::string& name) {
    return name == "id" || name == "label" || name == "content" || name == "image";
  };
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "id") result.roles[i] = role::id;
    if (names[i] == "label") result.roles[i] = role::label;
    if (names[i] == "content") result.roles[i] = role::content;
  }
  if (!contains(names, "id")) fail(header_line, 1, "no \"id\" column in the header");
  if (!options.parent_column.empty()) {
    if (!contains(names, options.parent_column) || reserved(options.parent_column))
      fail(header_line, 1,
           "ensemble column \"" + options.parent_column + "\" is not a vote column of the header");
    result.roles[index_of(names, options.parent_column)] = role::parent;
  }
  std::vector<std::string> chosen;
  if (options.models.empty()) {
    for (const std::string& name : names)
      if (!reserved(name) && name != options.parent_column) chosen.push_back(name);
  } else {
    for (const std::string& model : options.models) {
      if (!contains(names, model) || reserved(model) || model == options.parent_column)
        fail(header_line, 1, "model \"" + model + "\" is not a vote column of the header");
      if (contains(chosen, model))
        fail(header_line, 1, "model \"" + model + "\" is listed twice in --models");
      chosen.push_back(model);
    }
  }
  if (chosen.empty()) fail(header_line, 1, "no model columns: nothing to evaluate");
  if (chosen.size() > io::max_members)
    fail(header_line, 1,
         std::to_string(chosen.size()) + " model columns; at most " +
             std::to_string(io::max_members) +
             " members are supported (choose some with --models)");
  for (std::size_t j = 0; j < chosen.size(); ++j) {
    const std::size_t i = index_of(names, chosen[j]);
    result.roles[i] = role::member;
    result.member_index[i] = j;
  }
  result.model_names = chosen;
  return result;
}

inline std::string field_count_message(std::size_t fields, std::size_t columns) {
  return "row has " + std::to_string(fields) + " fields, the header has " + std::to_string(columns);
}

inline reference_table read(std::string_view text, char delimiter,
                            const io::read_options& options) {
  character_reader reader(text, delimiter);
  reader.skip_empty_lines();
  if (reader.at_end()) fail(1, 1, "the file is empty");

  std::vector<field> header;
  do {
    header.push_back(reader.read_field());
  } while (header.back().end == ending::delimiter);
  const columns plan = assign_roles(header, options);

  reference_table table;
  table.model_names = plan.model_names;
  for (const role r : plan.roles) {
    if (r == role::label) table.has_labels = true;
    if (r == role::content) table.has_content_column = true;
  }
  const std::size_t column_count = plan.names.size();
  reader.skip_empty_lines();
  while (!reader.at_end()) {
    const std::size_t record_line = reader.line();
    std::vector<int> votes(plan.model_names.size(), 0);
    for (std::size_t c = 0; c < column_count; ++c) {
      const field f = reader.read_field();
      switch (plan.roles[c]) {
        case role::id:
          if (f.value.empty()) fail(f.line, f.column, "empty id");
          table.ids.push_back(f.value);
          break;
        case role::member: {
          const int vote = vote_of(f.value);
          if (vote < 0)
            fail(f.line, f.column,
                 "vote \"" + f.value + "\" for model \"" + plan.names[c] +
                     "\" is not 0, 1, true or false");
          votes[plan.member_index[c]] = vote;
          break;
        }
        case role::parent: {
          const int vote = vote_of(f.value);
          if (vote < 0)
            fail(f.line, f.column,
                 "ensemble vote \"" + f.value + "\" in column \"" + plan.names[c] +
                     "\" is not 0, 1, true or false");
          table.parent_votes.push_back(vote);
          break;
        }
        case role::label: {
          const int label = f.value.empty() ? -1 : vote_of(f.value);
          if (!f.value.empty() && label < 0)
            fail(f.line, f.column, "label \"" + f.value + "\" is not 0, 1, true, false or empty");
          table.labels.push_back(label);
          break;
        }
        case role::content:
          if (options.keep_content) table.content.push_back(f.value);
          break;
        case role::ignored:
          break;
      }
      const bool last = c + 1 == column_count;
      if (!last && f.end != ending::delimiter)
        fail(record_line, 1, field_count_message(c + 1, column_count));
      if (last && f.end == ending::delimiter) {
        std::size_t fields = column_count + 1;
        while (reader.read_field().end == ending::delimiter) ++fields;
        fail(record_line, 1, field_count_message(fields, column_count));
      }
    }
    table.votes.push_back(votes);
    table.lines.push_back(record_line);
    reader.skip_empty_lines();
  }
  if (table.ids.empty()) fail(reader.line(), 1, "no data rows: the file has only a header");
  for (std::size_t row = 0; row < table.ids.size(); ++row) {
    for (std::size_t earlier = 0; earlier < row; ++earlier) {
      if (table.ids[earlier] == table.ids[row])
        fail(table.lines[row], 1,
             "duplicate id \"" + table.ids[row] + "\" (first seen on line " +
                 std::to_string(table.lines[earlier]) + ")");
    }
  }
  return table;
}

}  // namespace reference_detail

/// Reads CSV (delimiter ',') or TSV (delimiter '\t') predictions. O(rows^2) for the duplicate
/// check: meant for inputs of a few thousand rows.
inline reference_result read_reference_predictions(std::string_view text, char delimiter,
                                                   const io::read_options& options = {}) {
  reference_result result;
  try {
    result.table = reference_detail::read(text, delimiter, options);
  } catch (const reference_detail::failure& failure) {
    result.error = failure.error;
  }
  return result;
}

/// The member votes of row `row` of a fast-reader table, in the reference's shape.
inline std::vector<int> member_votes(const io::prediction_table& table, std::size_t row) {
  std::vector<int> votes(table.member_count());
  for (std::size_t j = 0; j < votes.size(); ++j) votes[j] = int((table.votes[row] >> j) & 1u);
  return votes;
}

/// Empty when `fast` holds exactly the reference's rows, else what differs first.
inline std::string difference(const reference_table& reference, const io::prediction_table& fast) {
  if (reference.model_names != fast.model_names) return "model names differ";
  if (reference.ids.size() != fast.size())
    return "row count " + std::to_string(fast.size()) + ", reference " +
           std::to_string(reference.ids.size());
  if (reference.has_labels != fast.has_labels) return "has_labels differs";
  if (reference.has_content_column != fast.has_content_column) return "has_content differs";
  if (fast.labels.size() != (reference.has_labels ? fast.size() : 0)) return "label count";
  if (fast.parent_votes.size() != reference.parent_votes.size()) return "parent vote count";
  if (fast.content.size() != reference.content.size()) return "content count";
  if (fast.lines.size() != fast.size() || fast.votes.size() != fast.size() ||
      fast.id_hashes.size() != fast.size())
    return "column sizes";
  for (std::size_t row = 0; row < fast.size(); ++row) {
    const std::string at = " at row " + std::to_string(row);
    if (fast.ids[row] != reference.ids[row]) return "id" + at;
    if (member_votes(fast, row) != reference.votes[row]) return "votes" + at;
    if (fast.votes[row] >> fast.member_count() != 0) return "stray vote bits" + at;
    if (fast.lines[row] != reference.lines[row]) return "line" + at;
    if (reference.has_labels && fast.labels[row] != reference.labels[row]) return "label" + at;
    if (!reference.parent_votes.empty() && fast.parent_votes[row] != reference.parent_votes[row])
      return "parent vote" + at;
    if (!reference.content.empty() && fast.content[row] != reference.content[row])
      return "content" + at;
  }
  return {};
}

}  // namespace frugal::testing
