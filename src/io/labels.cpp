#include "frugal/io/labels.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <unordered_map>

#include "frugal/error.hpp"
#include "frugal/io/output_file.hpp"
#include "io/delimited_reader.hpp"
#include "io/table_builder.hpp"

namespace frugal::io {
namespace {

struct vote_seen {
  std::string annotator;
  int label;
  std::size_t line;
};

}  // namespace

void for_each_label_line(std::string_view text, const std::string& source,
                         const std::function<void(const label_line&)>& each) {
  // The header line decides the delimiter; blank lines before it are skipped by the reader, so
  // they must be skipped here too.
  std::string_view head = text;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  for (;;) {
    if (head.substr(0, 1) == "\n")
      head.remove_prefix(1);
    else if (head.substr(0, 2) == "\r\n")
      head.remove_prefix(2);
    else
      break;
  }
  const std::size_t first_line_end = std::min(head.find('\n'), head.size());
  const std::string_view first_line = head.substr(0, first_line_end);
  const char delimiter = first_line.find('\t') != std::string_view::npos &&
                                 first_line.find(',') == std::string_view::npos
                             ? '\t'
                             : ',';
  std::ptrdiff_t id_column = -1, label_column = -1, annotator_column = -1;
  std::size_t field_count = 0;
  bool header_seen = false;
  detail::for_each_record(text, source, delimiter, [&](const detail::record_view& record) {
    if (!header_seen) {
      header_seen = true;
      field_count = record.fields.size();
      for (std::size_t i = 0; i < record.fields.size(); ++i) {
        const auto c = static_cast<std::ptrdiff_t>(i);
        if (record.fields[i] == "id") id_column = c;
        if (record.fields[i] == "label") label_column = c;
        if (record.fields[i] == "annotator") annotator_column = c;
      }
      if (id_column < 0 || label_column < 0)
        throw input_error(source, record.line, 1,
                          "the header must name an \"id\" and a \"label\" column");
      return;
    }
    if (record.fields.size() != field_count)
      throw input_error(
          source, record.line, 1,
          fmt::format("row has {} fields, the header has {}", record.fields.size(), field_count));
    const auto id_at = static_cast<std::size_t>(id_column);
    const auto label_at = static_cast<std::size_t>(label_column);
    label_line line;
    line.id = record.fields[id_at];
    line.line = record.line;
    line.id_column = record.columns[id_at];
    line.label_column = record.columns[label_at];
    if (annotator_column >= 0)
      line.annotator = record.fields[static_cast<std::size_t>(annotator_column)];
    // An empty label is "not labelled yet": a filled-in queue file can be passed back as it is.
    if (!record.fields[label_at].empty()) {
      const int parsed = detail::parse_vote(record.fields[label_at]);
      line.label = parsed < 0 ? label_line::not_a_label : parsed;
    }
    each(line);
    // After `each`, so that an unknown id on the same line is reported first.
    if (line.label == label_line::not_a_label)
      throw input_error(
          source, record.line, record.columns[label_at],
          fmt::format("label \"{}\" is not 0, 1, true or false", record.fields[label_at]));
  });
  if (!header_seen) throw input_error(source, 1, 1, "the file is empty");
}

resolved_labels parse_labels(std::string_view text, const std::string& source,
                             const prediction_table& table, const id_index& index) {
  std::unordered_map<std::size_t, std::vector<vote_seen>> votes;
  resolved_labels result;
  result.by_row.assign(table.size(), resolved_labels::unlabelled);
  for_each_label_line(text, source, [&](const label_line& line) {
    const std::ptrdiff_t row = index.find(line.id);
    if (row < 0)
      throw input_error(
          source, line.line, line.id_column,
          fmt::format("id \"{}\" is not in the predictions {}", line.id, table.source));
    if (line.label != 0 && line.label != 1) return;
    const int label = line.label;
    const std::string annotator(line.annotator);
    auto& seen = votes[static_cast<std::size_t>(row)];
    ++result.records;
    for (const vote_seen& earlier : seen) {
      if (earlier.annotator != annotator) continue;
      if (earlier.label != label)
        throw input_error(source, line.line, line.label_column,
                          fmt::format("id \"{}\" labelled {} here and {} on line {} by {}", line.id,
                                      label, earlier.label, earlier.line,
                                      annotator.empty() ? "the same (unnamed) annotator"
                                                        : "annotator \"" + annotator + "\""));
      return;  // the same label again: re-imports are idempotent
    }
    seen.push_back({annotator, label, line.line});
  });

  for (const auto& [row, seen] : votes) {
    std::size_t ones = 0;
    for (const vote_seen& vote : seen) ones += static_cast<std::size_t>(vote.label);
    const std::size_t zeros = seen.size() - ones;
    result.by_row[row] = majority_label(zeros, ones);
    ++(result.by_row[row] == resolved_labels::tied ? result.tied_items : result.labelled_items);
  }
  return result;
}

std::int8_t majority_label(std::size_t zeros, std::size_t ones) noexcept {
  if (zeros + ones == 0) return resolved_labels::unlabelled;
  if (zeros == ones) return resolved_labels::tied;
  return ones > zeros ? 1 : 0;
}

resolved_labels read_labels(const std::string& path, const prediction_table& table,
                            const id_index& index) {
  return parse_labels(read_whole_file(path), path, table, index);
}

resolved_labels labels_from_column(const prediction_table& table) {
  if (!table.has_labels)
    throw input_error(table.source, 1, 1, "no \"label\" column to simulate annotators with");
  resolved_labels result;
  result.by_row.assign(table.labels.begin(), table.labels.end());
  for (const std::int8_t label : table.labels) {
    if (label >= 0) ++result.labelled_items;
  }
  result.records = result.labelled_items;
  return result;
}

}  // namespace frugal::io
