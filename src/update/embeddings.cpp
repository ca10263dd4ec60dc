// Reader for embedding files (`id,label,e0,...,e{D-1}`), see frugal/update/retrieval.hpp.

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <unordered_map>

#include "frugal/error.hpp"
#include "frugal/io/predictions.hpp"
#include "frugal/update/retrieval.hpp"
#include "io/delimited_reader.hpp"
#include "io/mapped_file.hpp"

namespace frugal::update {
namespace {

// k for a column named e<k> (decimal, no sign, no leading zero), nullopt for any other name.
std::optional<std::size_t> embedding_column_index(std::string_view name) {
  if (name.size() < 2 || name[0] != 'e') return std::nullopt;
  const std::string_view digits = name.substr(1);
  if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
  std::size_t index = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return index;
}

}  // namespace

embeddings parse_embeddings(std::string_view text, const std::string& source) {
  embeddings table;
  table.source = source;
  const io::table_format format = io::detect_format(source, text.substr(0, 4096));
  if (format == io::table_format::jsonl)
    throw input_error(source, 1, 1, "embeddings are read as CSV or TSV, not JSONL");
  const char delimiter = format == io::table_format::tsv ? '\t' : ',';
  bool have_header = false;
  std::size_t id_column = 0, label_column = 0, field_count = 0;
  std::vector<std::size_t> value_fields;  // field index of e0, e1, ...
  std::unordered_map<std::string, std::uint32_t> first_line_of_id;
  io::detail::for_each_record(text, source, delimiter, [&](const io::detail::record_view& record) {
    if (!have_header) {
      std::optional<std::size_t> id, label;
      // e<k> -> field index; SIZE_MAX marks a gap until filled.
      std::vector<std::size_t> by_index;
      std::vector<std::size_t> header_columns;
      for (std::size_t i = 0; i < record.fields.size(); ++i) {
        const std::string_view name = record.fields[i];
        auto duplicate = [&] {
          throw input_error(source, record.line, record.columns[i],
                            fmt::format("column \"{}\" appears twice in the header", name));
        };
        if (name == "id") {
          if (id) duplicate();
          id = i;
        } else if (name == "label") {
          if (label) duplicate();
          label = i;
        } else if (const auto k = embedding_column_index(name)) {
          // A column index beyond the field count cannot be contiguous: rejected below without
          // allocating for it.
          if (*k >= record.fields.size())
            throw input_error(source, record.line, record.columns[i],
                              fmt::format("column \"{}\" without e0 ... e{} before it (the "
                                          "header has {} columns)",
                                          name, *k - 1, record.fields.size()));
          if (by_index.size() <= *k) by_index.resize(*k + 1, SIZE_MAX);
          if (by_index[*k] != SIZE_MAX) duplicate();
          by_index[*k] = i;
        }
      }
      if (!id) throw input_error(source, record.line, 1, "no \"id\" column in the header");
      if (!label) throw input_error(source, record.line, 1, "no \"label\" column in the header");
      if (by_index.empty())
        throw input_error(source, record.line, 1,
                          "no embedding columns in the header (expected e0, e1, ...)");
      for (std::size_t k = 0; k < by_index.size(); ++k) {
        if (by_index[k] == SIZE_MAX)
          throw input_error(source, record.line, 1,
                            fmt::format("no column \"e{}\" in the header, but e{} is there", k,
                                        by_index.size() - 1));
        table.value_columns.push_back(record.columns[by_index[k]]);
      }
      id_column = *id;
      label_column = *label;
      value_fields = std::move(by_index);
      table.dimension = value_fields.size();
      field_count = record.fields.size();
      have_header = true;
      return;
    }
    if (record.fields.size() != field_count)
      throw input_error(source, record.line, 1,
                        fmt::format("expected {} fields as in the header, found {}", field_count,
                                    record.fields.size()));
    const std::string_view id = record.fields[id_column];
    if (id.empty()) throw input_error(source, record.line, record.columns[id_column], "empty id");
    const std::string_view label = record.fields[label_column];
    if (label.empty())
      throw input_error(source, record.line, record.columns[label_column], "empty label");
    for (const std::size_t field : value_fields) {
      const std::string_view value_text = record.fields[field];
      float value = 0;
      const auto [end, error] =
          std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
      if (value_text.empty() || error != std::errc() ||
          end != value_text.data() + value_text.size() || !std::isfinite(value))
        throw input_error(source, record.line, record.columns[field],
                          fmt::format("embedding value \"{}\" is not a finite number", value_text));
      table.values.push_back(value);
    }
    if (table.size() >= 0xFFFFFFFEull) throw input_error(source, record.line, 1, "too many rows");
    const auto [first, inserted] =
        first_line_of_id.try_emplace(std::string(id), static_cast<std::uint32_t>(record.line));
    if (!inserted)
      throw input_error(source, record.line, record.columns[id_column],
                        fmt::format("duplicate id \"{}\" (first on line {})", id, first->second));
    table.ids.emplace_back(id);
    table.lines.push_back(static_cast<std::uint32_t>(record.line));
    table.label_of.push_back(table.labels.intern(label));
  });
  if (!have_header) throw input_error(source, 1, 1, "empty file (no header)");
  if (table.size() == 0) throw input_error(source, 2, 1, "no rows after the header");
  return table;
}

embeddings read_embeddings(const std::string& path) {
  const io::detail::mapped_file file(path);
  return parse_embeddings(file.text(), path);
}

}  // namespace frugal::update
