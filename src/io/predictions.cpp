#include "frugal/io/predictions.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <fmt/format.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>
#include <type_traits>

#include "frugal/error.hpp"
#include "io/delimited_reader.hpp"
#include "io/jsonl_reader.hpp"
#include "io/mapped_file.hpp"
#include "io/table_builder.hpp"

namespace frugal::io {

void string_column::append(const string_column& other) {
  const std::uint64_t shift = text_.size();
  text_.append(other.text_);
  ends_.reserve(ends_.size() + other.ends_.size());
  for (const std::uint64_t end : other.ends_) ends_.push_back(end + shift);
}

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

table_format detect_format(std::string_view path, std::string_view head) {
  if (ends_with(path, ".tsv") || ends_with(path, ".tab")) return table_format::tsv;
  if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json"))
    return table_format::jsonl;
  if (ends_with(path, ".csv")) return table_format::csv;
  if (head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  const std::size_t first_line_end = std::min(head.find('\n'), head.size());
  const std::string_view first_line = head.substr(0, first_line_end);
  const std::size_t first_visible = first_line.find_first_not_of(" \t\r");
  if (first_visible != std::string_view::npos && first_line[first_visible] == '{')
    return table_format::jsonl;
  if (first_line.find('\t') != std::string_view::npos &&
      first_line.find(',') == std::string_view::npos)
    return table_format::tsv;
  return table_format::csv;
}

namespace {
prediction_table parse_any(std::string_view text, const std::string& source,
                           const read_options& options, bool file_mapping) {
  table_format format = options.format;
  if (format == table_format::automatic) format = detect_format(source, text.substr(0, 4096));
  if (format == table_format::jsonl) return detail::parse_jsonl(text, source, options);
  return detail::parse_delimited(text, source, options, format == table_format::tsv ? '\t' : ',',
                                 file_mapping);
}
}  // namespace

prediction_table parse_predictions(std::string_view text, const std::string& source,
                                   const read_options& options) {
  return parse_any(text, source, options, false);
}

prediction_table read_predictions(const std::string& path, const read_options& options) {
  const detail::mapped_file file(path);
  return parse_any(file.text(), path, options, true);
}

id_index::id_index(const columns& table) : table_(table) {
  const std::size_t rows = table.ids->size();
  if (rows >= 0xFFFFFFFFull) throw input_error(*table.source, 0, 0, "more than 2^32-2 rows");
  std::exception_ptr upper_error;
  auto build_upper = [&] {
    try {
      build(halves_[1], 1);
    } catch (...) {
      upper_error = std::current_exception();
    }
  };
  // A thread pays off only on large tables.
  std::thread upper;
  if (rows > 100000) {
    upper = std::thread(build_upper);
  } else {
    build_upper();
  }
  std::exception_ptr lower_error;
  try {
    build(halves_[0], 0);
  } catch (...) {
    lower_error = std::current_exception();
  }
  if (upper.joinable()) upper.join();
  // Of two duplicates, report the one earlier in the file.
  if (lower_error && upper_error) {
    try {
      std::rethrow_exception(upper_error);
    } catch (const input_error& upper_duplicate) {
      try {
        std::rethrow_exception(lower_error);
      } catch (const input_error& lower_duplicate) {
        // A bare `throw;` here would rethrow lower_duplicate, the innermost handled exception.
        if (upper_duplicate.line() < lower_duplicate.line()) throw upper_duplicate;
        throw lower_duplicate;
      }
    }
  }
  if (lower_error) std::rethrow_exception(lower_error);
  if (upper_error) std::rethrow_exception(upper_error);
}

void id_index::build(half& part, std::uint64_t top_bit) {
  const std::vector<std::uint64_t>& id_hashes = *table_.id_hashes;
  const string_column& ids = *table_.ids;
  const std::size_t rows = ids.size();
  std::size_t expected = 0;
  for (std::size_t row = 0; row < rows; ++row) expected += (id_hashes[row] >> 63) == top_bit;
  std::size_t capacity = 16;
  while (capacity < expected + expected / 2) capacity *= 2;
  part.slots.assign(capacity, 0);
  part.mask = capacity - 1;
  constexpr std::size_t prefetch_distance = 16;  // rows ahead: hides most of the cache misses
  for (std::size_t row = 0; row < rows; ++row) {
    if (row + prefetch_distance < rows)
      __builtin_prefetch(
          &part.slots[static_cast<std::size_t>(id_hashes[row + prefetch_distance]) & part.mask], 1);
    const std::uint64_t hash = id_hashes[row];
    if ((hash >> 63) != top_bit) continue;
    std::size_t slot = static_cast<std::size_t>(hash) & part.mask;
    while (part.slots[slot] != 0) {
      const std::size_t other = part.slots[slot] - 1;
      if (id_hashes[other] == hash && ids[other] == ids[row]) {
        throw input_error(*table_.source, (*table_.lines)[row], 1,
                          fmt::format("duplicate id \"{}\" (first seen on line {})", ids[row],
                                      (*table_.lines)[other]));
      }
      slot = (slot + 1) & part.mask;
    }
    part.slots[slot] = static_cast<std::uint32_t>(row + 1);
  }
}

std::ptrdiff_t id_index::find(std::string_view id) const noexcept {
  return find(id, detail::hash_id(id));
}

std::ptrdiff_t id_index::find(std::string_view id, std::uint64_t hash) const noexcept {
  const half& part = halves_[hash >> 63];
  for (std::size_t slot = static_cast<std::size_t>(hash) & part.mask; part.slots[slot] != 0;
       slot = (slot + 1) & part.mask) {
    const std::size_t row = part.slots[slot] - 1;
    if ((*table_.id_hashes)[row] == hash && (*table_.ids)[row] == id)
      return static_cast<std::ptrdiff_t>(row);
  }
  return -1;
}

void id_index::find_all(const string_column& ids, const std::vector<std::uint64_t>& hashes,
                        std::vector<std::ptrdiff_t>& rows) const {
  const std::size_t count = ids.size();
  rows.resize(count);
  const std::vector<std::uint64_t>& own_hashes = *table_.id_hashes;
  const string_column& own_ids = *table_.ids;
  // The first probe's slot of lookup i, or 0 (empty).
  auto first_slot = [&](std::size_t i) -> std::uint32_t {
    const std::uint64_t hash = hashes[i];
    const half& part = halves_[hash >> 63];
    return part.slots[static_cast<std::size_t>(hash) & part.mask];
  };
  // Stages, each a few rows behind the previous one: slot, then candidate hash and offsets, then
  // candidate text, then the lookup itself (which finds everything cached when the first probe
  // hits, the common case at a load of at most two thirds).
  constexpr std::size_t slot_ahead = 24, row_ahead = 16, text_ahead = 8;
  for (std::size_t i = 0; i < count; ++i) {
    if (i + slot_ahead < count) {
      const std::uint64_t hash = hashes[i + slot_ahead];
      const half& part = halves_[hash >> 63];
      __builtin_prefetch(&part.slots[static_cast<std::size_t>(hash) & part.mask]);
    }
    if (i + row_ahead < count) {
      if (const std::uint32_t slot = first_slot(i + row_ahead); slot != 0) {
        __builtin_prefetch(&own_hashes[slot - 1]);
        own_ids.prefetch_offsets(slot - 1);
      }
    }
    if (i + text_ahead < count) {
      if (const std::uint32_t slot = first_slot(i + text_ahead); slot != 0)
        own_ids.prefetch_text(slot - 1);
    }
    rows[i] = find(ids[i], hashes[i]);
  }
}

std::string fingerprint_hex(std::uint64_t fingerprint) {
  return fmt::format("{:016x}", fingerprint);
}

std::uint64_t hash_id(std::string_view id) noexcept {
  return XXH3_64bits(id.data(), id.size());
}

namespace detail {

column_plan plan_columns(const std::vector<std::string>& header, const read_options& options,
                         const std::string& source, std::size_t header_line,
                         const std::vector<std::size_t>& header_columns) {
  column_plan plan;
  plan.names = header;
  plan.roles.assign(header.size(), column_role::ignored);
  plan.member_of.assign(header.size(), 0);
  plan.keep_content = options.keep_content;
  auto column_of = [&](std::size_t index) {
    return index < header_columns.size() ? header_columns[index] : std::size_t{1};
  };
  for (std::size_t i = 0; i < header.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (header[j] == header[i])
        throw input_error(source, header_line, column_of(i),
                          fmt::format("column \"{}\" appears twice in the header", header[i]));
    }
    if (header[i].empty())
      throw input_error(source, header_line, column_of(i), "empty column name in the header");
  }
  auto find = [&](std::string_view name) -> std::ptrdiff_t {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : it - header.begin();
  };
  const std::ptrdiff_t id_column = find("id");
  if (id_column < 0) throw input_error(source, header_line, 1, "no \"id\" column in the header");
  plan.roles[static_cast<std::size_t>(id_column)] = column_role::id;
  if (const auto c = find("label"); c >= 0) {
    plan.roles[static_cast<std::size_t>(c)] = column_role::label;
    plan.has_labels = true;
  }
  if (const auto c = find("content"); c >= 0) {
    plan.roles[static_cast<std::size_t>(c)] = column_role::content;
    plan.has_content = true;
  }
  if (!options.parent_column.empty()) {
    const auto c = find(options.parent_column);
    if (c < 0 || plan.roles[static_cast<std::size_t>(c)] != column_role::ignored ||
        options.parent_column == "image")
      throw input_error(source, header_line, 1,
                        fmt::format("ensemble column \"{}\" is not a vote column of the header",
                                    options.parent_column));
    plan.roles[static_cast<std::size_t>(c)] = column_role::parent;
    plan.has_parent = true;
  }
  const auto reserved = [&](std::size_t i) {
    return plan.roles[i] != column_role::ignored || header[i] == "image";
  };
  if (options.models.empty()) {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (reserved(i)) continue;
      plan.roles[i] = column_role::member;
      plan.member_of[i] = static_cast<std::uint32_t>(plan.model_names.size());
      plan.model_names.push_back(header[i]);
    }
  } else {
    for (const std::string& model : options.models) {
      const auto c = find(model);
      // A member's role is not `ignored`, so the repeat must be recognised before reserved().
      if (c >= 0 && plan.roles[static_cast<std::size_t>(c)] == column_role::member)
        throw input_error(source, header_line, 1,
                          fmt::format("model \"{}\" is listed twice in --models", model));
      if (c < 0 || reserved(static_cast<std::size_t>(c)))
        throw input_error(source, header_line, 1,
                          fmt::format("model \"{}\" is not a vote column of the header", model));
      const auto i = static_cast<std::size_t>(c);
      plan.roles[i] = column_role::member;
      plan.member_of[i] = static_cast<std::uint32_t>(plan.model_names.size());
      plan.model_names.push_back(model);
    }
  }
  if (plan.model_names.empty())
    throw input_error(source, header_line, 1, "no model columns: nothing to evaluate");
  if (plan.model_names.size() > max_members)
    throw input_error(source, header_line, 1,
                      fmt::format("{} model columns; at most {} members are supported "
                                  "(choose some with --models)",
                                  plan.model_names.size(), max_members));
  return plan;
}

prediction_table make_table(const column_plan& plan, const std::string& source,
                            const read_options& options) {
  prediction_table table;
  table.source = source;
  table.model_names = plan.model_names;
  table.parent_column = options.parent_column;
  table.has_labels = plan.has_labels;
  table.has_content_column = plan.has_content;
  return table;
}

void append_rows(prediction_table& into, prediction_table&& more) {
  if (into.size() == 0) {
    std::swap(into, more);
    return;
  }
  // Each column of `more` is freed as soon as it is copied, to keep the peak memory low.
  into.ids.append(more.ids);
  more.ids.release();
  auto append = [](auto& a, auto& b) {
    a.insert(a.end(), b.begin(), b.end());
    std::decay_t<decltype(b)>().swap(b);  // `b = {}` would keep the capacity
  };
  append(into.id_hashes, more.id_hashes);
  append(into.votes, more.votes);
  append(into.parent_votes, more.parent_votes);
  append(into.labels, more.labels);
  append(into.lines, more.lines);
  into.content.append(more.content);
  more.content.release();
}

void finish_table(prediction_table& table, std::size_t last_line) {
  if (table.size() == 0)
    throw input_error(table.source, last_line, 1, "no data rows: the file has only a header");
  { const id_index unique(table); }  // throws on a duplicate id
  XXH3_state_t* state = XXH3_createState();
  FRUGAL_ASSERT(state != nullptr);
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> owner(state, &XXH3_freeState);
  fingerprint_start(state, table.model_names);
  fingerprint_rows(state, table);
  table.fingerprint = XXH3_64bits_digest(state);
}

void fingerprint_start(XXH3_state_s* state, const std::vector<std::string>& model_names) {
  XXH3_64bits_reset(state);
  const std::uint64_t members = model_names.size();
  XXH3_64bits_update(state, &members, sizeof members);
  for (const std::string& name : model_names)
    XXH3_64bits_update(state, name.data(), name.size() + 1);
}

void fingerprint_rows(XXH3_state_s* state, const prediction_table& table) {
  // Fixed-size records, fed in blocks to keep the hashing call overhead low.
  constexpr std::size_t block_rows = 4096;
  std::uint64_t block[block_rows * 2];
  const bool has_parent = !table.parent_votes.empty();
  for (std::size_t begin = 0; begin < table.size(); begin += block_rows) {
    const std::size_t end = std::min(table.size(), begin + block_rows);
    for (std::size_t row = begin; row < end; ++row) {
      block[2 * (row - begin)] = table.id_hashes[row];
      block[2 * (row - begin) + 1] =
          table.votes[row] | (has_parent ? std::uint64_t{table.parent_votes[row]} << 63 : 0);
    }
    XXH3_64bits_update(state, block, (end - begin) * 2 * sizeof(std::uint64_t));
  }
}

}  // namespace detail
}  // namespace frugal::io
