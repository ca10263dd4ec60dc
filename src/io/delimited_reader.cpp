#include "io/delimited_reader.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <thread>

#include "frugal/error.hpp"
#include "io/table_builder.hpp"

namespace frugal::io::detail {
namespace {

// Cursor over the text that knows its line and where that line starts, so every error can be
// reported as line:column without a second pass.
struct cursor {
  std::string_view text;
  std::size_t position = 0;
  std::size_t line = 1;
  std::size_t line_start = 0;

  bool at_end() const { return position >= text.size(); }
  std::size_t column_of(std::size_t at) const { return at - line_start + 1; }
};

enum class field_end { delimiter, record, file };

// A line ends with LF or CRLF (DESIGN.md §4). A lone CR is data: treating it as a line end too
// would make line numbers disagree with every editor, with JSONL and with the split for threads,
// which all count LFs.
inline bool line_break_at(std::string_view text, std::size_t i) {
  return text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n');
}

class record_parser {
 public:
  record_parser(const std::string& source, char delimiter)
      : source_(source), delimiter_(delimiter) {}

  // Reads one field starting at the cursor. The view points into the text, or into scratch_
  // when the field had doubled quotes.
  std::string_view field(cursor& at, field_end& end, std::size_t& field_column) {
    field_line_ = at.line;
    field_column = at.column_of(at.position);
    const std::string_view text = at.text;
    std::size_t i = at.position;
    std::string_view value;
    if (i < text.size() && text[i] == '"') {
      const std::size_t open = i;
      const std::size_t open_line = at.line;
      const std::size_t open_column = at.column_of(open);
      ++i;
      std::size_t run_start = i;
      bool copied = false;
      for (;;) {
        const std::size_t quote = text.find('"', i);
        if (quote == std::string_view::npos)
          throw input_error(source_, open_line, open_column, "quoted field is never closed");
        for (std::size_t k = i; k < quote; ++k) {
          if (text[k] == '\n') {
            ++at.line;
            at.line_start = k + 1;
          }
        }
        if (quote + 1 < text.size() && text[quote + 1] == '"') {
          if (!copied) scratch_.clear();
          copied = true;
          scratch_.append(text.substr(run_start, quote + 1 - run_start));
          i = quote + 2;
          run_start = i;
          continue;
        }
        if (copied) {
          scratch_.append(text.substr(run_start, quote - run_start));
          value = scratch_;
        } else {
          value = text.substr(open + 1, quote - open - 1);
        }
        i = quote + 1;
        break;
      }
      at.position = i;
      if (i < text.size() && text[i] != delimiter_ && !line_break_at(text, i))
        throw input_error(source_, at.line, at.column_of(i),
                          "unexpected character after a closing quote");
    } else {
      const std::size_t begin = i;
      const char delimiter = delimiter_;
      while (i < text.size()) {
        const char c = text[i];
        if (c == delimiter || c == '\n' || (c == '\r' && line_break_at(text, i))) break;
        ++i;
      }
      value = text.substr(begin, i - begin);
      at.position = i;
    }
    // The field's terminator.
    if (at.position >= text.size()) {
      end = field_end::file;
    } else if (text[at.position] == delimiter_) {
      ++at.position;
      end = field_end::delimiter;
    } else {
      at.position += text[at.position] == '\r' ? 2 : 1;  // CRLF or LF
      ++at.line;
      at.line_start = at.position;
      end = field_end::record;
    }
    return value;
  }

  // The line where the last field read starts: a quoted field may end lines below.
  std::size_t field_line() const { return field_line_; }

 private:
  const std::string& source_;
  char delimiter_;
  std::string scratch_;
  std::size_t field_line_ = 1;
};

void skip_blank_lines(cursor& at) {
  while (!at.at_end()) {
    const char c = at.text[at.position];
    if (c == '\n') {
      ++at.position;
    } else if (c == '\r' && at.position + 1 < at.text.size() && at.text[at.position + 1] == '\n') {
      at.position += 2;
    } else {
      return;
    }
    ++at.line;
    at.line_start = at.position;
  }
}

struct chunk_result {
  prediction_table table;
  std::size_t end = 0;    // where the last record parsed ended
  std::size_t lines = 0;  // line number after the last record, relative to the chunk start
  std::exception_ptr error;
};

// Parses records whose first byte lies before `stop`, starting at `begin` (a record start).
// Reserves every column for the rows of `bytes` of input, extrapolating twice over from the rows
// seen so far (early rows are often shorter). Over-reserving is cheap: large blocks are mapped
// lazily and untouched pages cost no memory. Growing by doubling is not: it copies, and the
// kernel clears every new page.
void reserve_for(prediction_table& table, std::size_t rows_seen, std::size_t bytes_seen,
                 std::size_t bytes, bool keep_content) {
  const double scale =
      2.0 * static_cast<double>(bytes) / static_cast<double>(std::max<std::size_t>(bytes_seen, 1));
  const auto rows = static_cast<std::size_t>(static_cast<double>(rows_seen) * scale) + 64;
  std::size_t id_bytes = 0;
  for (std::size_t row = 0; row < table.ids.size(); ++row) id_bytes += table.ids[row].size();
  table.ids.reserve(rows, static_cast<std::size_t>(static_cast<double>(id_bytes) * scale) + 1024);
  if (keep_content)
    table.content.reserve(rows, static_cast<std::size_t>(static_cast<double>(bytes)));
  table.id_hashes.reserve(rows);
  table.votes.reserve(rows);
  table.lines.reserve(rows);
  if (!table.labels.empty()) table.labels.reserve(rows);
  if (!table.parent_votes.empty()) table.parent_votes.reserve(rows);
}

// Gives back the pages of a file mapping that the parser has left behind, so that resident
// memory holds the parsed table, not the file too.
void release_pages(std::string_view text, std::size_t& released, std::size_t upto) {
  static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const auto base = reinterpret_cast<std::uintptr_t>(text.data());
  const std::uintptr_t from = (base + released + page - 1) / page * page;
  const std::uintptr_t to = (base + upto) / page * page;
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
  released = upto;
}

struct chunk_job {
  std::size_t begin = 0;          // a record start
  std::size_t stop = 0;           // parse records that start before this
  std::size_t first_line = 1;     // line number at `begin`
  std::size_t reserve_bytes = 0;  // input whose rows will end up in this chunk's table
  bool file_mapping = false;      // pages may be released behind the parser
};

chunk_result parse_chunk(std::string_view text, const chunk_job& job, const column_plan& plan,
                         const std::string& source, const read_options& options, char delimiter) {
  chunk_result result;
  result.table = make_table(plan, source, options);
  prediction_table& table = result.table;
  const std::size_t columns = plan.roles.size();
  constexpr std::size_t sample_rows = 1024;
  constexpr std::size_t release_every = std::size_t{16} << 20;
  record_parser parser(source, delimiter);
  cursor at{text, job.begin, job.first_line, job.begin};
  std::size_t released = job.begin;
  try {
    skip_blank_lines(at);
    while (!at.at_end() && at.position < job.stop) {
      if (table.size() == sample_rows)
        reserve_for(table, sample_rows, at.position - job.begin, job.reserve_bytes,
                    plan.keep_content);
      if (job.file_mapping && at.position - released >= release_every)
        release_pages(text, released, at.position);
      const std::size_t record_line = at.line;
      std::uint64_t votes = 0;
      std::string_view id;
      for (std::size_t c = 0; c < columns; ++c) {
        // Fast path for the commonest field by far: a one-character vote followed by the
        // delimiter (not the last column) or a line feed (the last column).
        if (plan.roles[c] == column_role::member && at.position + 1 < text.size()) {
          const char digit = text[at.position];
          const char after = text[at.position + 1];
          const bool last = c + 1 == columns;
          if ((digit == '0' || digit == '1') && (last ? after == '\n' : after == delimiter)) {
            votes |= std::uint64_t(digit - '0') << plan.member_of[c];
            at.position += 2;
            if (last) {
              ++at.line;
              at.line_start = at.position;
            }
            continue;
          }
        }
        field_end end;
        std::size_t field_column;
        const std::string_view value = parser.field(at, end, field_column);
        switch (plan.roles[c]) {
          case column_role::id:
            if (value.empty())
              throw input_error(source, parser.field_line(), field_column, "empty id");
            id = value;
            table.ids.push_back(id);  // copy now: the view may point into the scratch buffer
            break;
          case column_role::member: {
            const int vote = parse_vote(value);
            if (vote < 0)
              throw input_error(
                  source, parser.field_line(), field_column,
                  fmt::format("vote \"{}\" for model \"{}\" is not 0, 1, true or false", value,
                              plan.names[c]));
            votes |= std::uint64_t(vote) << plan.member_of[c];
            break;
          }
          case column_role::parent: {
            const int vote = parse_vote(value);
            if (vote < 0)
              throw input_error(source, parser.field_line(), field_column,
                                fmt::format("ensemble vote \"{}\" in column \"{}\" is not 0, 1, "
                                            "true or false",
                                            value, plan.names[c]));
            table.parent_votes.push_back(static_cast<std::uint8_t>(vote));
            break;
          }
          case column_role::label: {
            int label = -1;
            if (!value.empty()) {
              label = parse_vote(value);
              if (label < 0)
                throw input_error(
                    source, parser.field_line(), field_column,
                    fmt::format("label \"{}\" is not 0, 1, true, false or empty", value));
            }
            table.labels.push_back(static_cast<std::int8_t>(label));
            break;
          }
          case column_role::content:
            if (plan.keep_content) table.content.push_back(value);
            break;
          case column_role::ignored:
            break;
        }
        if (c + 1 < columns && end != field_end::delimiter) {
          throw input_error(source, record_line, 1,
                            fmt::format("row has {} fields, the header has {}", c + 1, columns));
        }
        if (c + 1 == columns && end == field_end::delimiter) {
          std::size_t extra = c + 2;
          field_end more = end;
          while (more == field_end::delimiter) {
            std::size_t ignored_column;
            parser.field(at, more, ignored_column);
            if (more == field_end::delimiter) ++extra;
          }
          throw input_error(source, record_line, 1,
                            fmt::format("row has {} fields, the header has {}", extra, columns));
        }
      }
      table.id_hashes.push_back(hash_id(id));
      table.votes.push_back(votes);
      table.lines.push_back(static_cast<std::uint32_t>(record_line));
      skip_blank_lines(at);
    }
  } catch (...) {
    result.error = std::current_exception();
  }
  result.end = at.position;
  result.lines = at.line;
  return result;
}

}  // namespace

prediction_table parse_delimited(std::string_view text, const std::string& source,
                                 const read_options& options, char delimiter, bool file_mapping) {
  cursor at{text, 0, 1, 0};
  if (text.substr(0, 3) == "\xEF\xBB\xBF") at.position = at.line_start = 3;
  skip_blank_lines(at);
  if (at.at_end()) throw input_error(source, 1, 1, "the file is empty");

  record_parser parser(source, delimiter);
  std::vector<std::string> header;
  std::vector<std::size_t> header_columns;
  const std::size_t header_line = at.line;
  for (;;) {
    field_end end;
    std::size_t column;
    header.emplace_back(parser.field(at, end, column));
    header_columns.push_back(column);
    if (end != field_end::delimiter) break;
  }
  const column_plan plan = plan_columns(header, options, source, header_line, header_columns);

  const std::size_t body = at.position;
  unsigned threads = options.threads == 0 ? std::thread::hardware_concurrency() : options.threads;
  threads = std::clamp(threads, 1u, 2u);
  if (text.size() - body < (std::size_t{4} << 20)) threads = 1;

  auto rethrow = [](chunk_result& part) {
    if (part.error) std::rethrow_exception(part.error);
  };
  const std::size_t body_bytes = text.size() - body;
  if (threads == 1) {
    chunk_result whole = parse_chunk(text, {body, text.size(), at.line, body_bytes, file_mapping},
                                     plan, source, options, delimiter);
    rethrow(whole);
    finish_table(whole.table, whole.lines);
    return std::move(whole.table);
  }

  // Two parts: the second begins after the first newline at or past the midpoint. The first
  // part reserves room for the whole file so that appending the second does not reallocate.
  std::size_t split = text.find('\n', body + body_bytes / 2);
  split = split == std::string_view::npos ? text.size() : split + 1;
  chunk_result second;
  std::thread worker([&] {
    second = parse_chunk(text, {split, text.size(), 1, text.size() - split, file_mapping}, plan,
                         source, options, delimiter);
  });
  chunk_result first = parse_chunk(text, {body, split, at.line, body_bytes, file_mapping}, plan,
                                   source, options, delimiter);
  worker.join();
  rethrow(first);
  if (first.end != split) {
    // A quoted newline straddled the split: the speculative parse started mid-record.
    second = {};
    chunk_result rest = parse_chunk(
        text, {first.end, text.size(), first.lines, text.size() - first.end, file_mapping}, plan,
        source, options, delimiter);
    rethrow(rest);
    append_rows(first.table, std::move(rest.table));
    finish_table(first.table, rest.lines);
    return std::move(first.table);
  }
  // Line numbers of the second part were counted from 1; shift them now that we know the first
  // part's length, and re-raise its error with the true line.
  const std::size_t shift = first.lines - 1;
  if (second.error) {
    try {
      std::rethrow_exception(second.error);
    } catch (const input_error& error) {
      throw input_error(error.file(), error.line() == 0 ? 0 : error.line() + shift, error.column(),
                        error.message());
    }
  }
  for (std::uint32_t& line : second.table.lines) line += static_cast<std::uint32_t>(shift);
  append_rows(first.table, std::move(second.table));
  finish_table(first.table, second.lines + shift);
  return std::move(first.table);
}

}  // namespace frugal::io::detail

namespace frugal::io::detail {

void for_each_record(std::string_view text, const std::string& source, char delimiter,
                     const std::function<void(const record_view&)>& visit) {
  cursor at{text, 0, 1, 0};
  if (text.substr(0, 3) == "\xEF\xBB\xBF") at.position = at.line_start = 3;
  record_parser parser(source, delimiter);
  // Fields with doubled quotes come back as views into the parser's scratch buffer, which the
  // next field overwrites: those (and only those) are copied. A deque never moves its strings,
  // so views into them stay valid while the record grows.
  std::deque<std::string> unquoted_copies;
  std::vector<std::string_view> fields;
  std::vector<std::size_t> columns;
  const char* const text_begin = text.data();
  const char* const text_end = text.data() + text.size();
  skip_blank_lines(at);
  while (!at.at_end()) {
    const std::size_t line = at.line;
    unquoted_copies.clear();
    fields.clear();
    columns.clear();
    for (;;) {
      field_end end;
      std::size_t column;
      std::string_view value = parser.field(at, end, column);
      if (!value.empty() && (value.data() < text_begin || value.data() >= text_end))
        value = unquoted_copies.emplace_back(value);
      fields.push_back(value);
      columns.push_back(column);
      if (end != field_end::delimiter) break;
    }
    visit(record_view{fields, line, columns});
    skip_blank_lines(at);
  }
}

}  // namespace frugal::io::detail
