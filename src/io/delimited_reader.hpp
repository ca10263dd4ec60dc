#pragma once
#include <string>
#include <string_view>

#include "frugal/io/predictions.hpp"

namespace frugal::io::detail {

/// RFC 4180 CSV (delimiter ',') or TSV (delimiter '\t') predictions. On `options.threads` > 1
/// the body is split at a line start and the second part parsed speculatively: if the first
/// part's last record does not end exactly there (a quoted field held a newline), the
/// speculative result is dropped and that part re-parsed from the true record boundary.
/// `file_mapping` says the text is a read-only file mapping whose pages may be given back to
/// the kernel once parsed (never pass true for memory the caller owns).
prediction_table parse_delimited(std::string_view text, const std::string& source,
                                 const read_options& options, char delimiter,
                                 bool file_mapping = false);

}  // namespace frugal::io::detail

#include <functional>
#include <vector>

namespace frugal::io::detail {

/// One CSV/TSV record: its fields (views valid during the callback), where it starts, and the
/// column where each field starts.
struct record_view {
  const std::vector<std::string_view>& fields;
  std::size_t line;
  const std::vector<std::size_t>& columns;
};

/// Calls `visit` for every record, header included, skipping blank lines. The views point into
/// `text` (fields with doubled quotes into a per-record copy) and live during the call only.
void for_each_record(std::string_view text, const std::string& source, char delimiter,
                     const std::function<void(const record_view&)>& visit);

}  // namespace frugal::io::detail
