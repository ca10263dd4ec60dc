#pragma once
// Shared between the CSV/TSV and JSONL readers: which column plays which role, how a vote is
// spelled, and how parsed values land in a prediction_table.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "frugal/io/predictions.hpp"

struct XXH3_state_s;

namespace frugal::io::detail {

enum class column_role : std::uint8_t { ignored, id, member, parent, label, content };

struct column_plan {
  std::vector<column_role> roles;        // one per header column
  std::vector<std::uint32_t> member_of;  // member index for member columns
  std::vector<std::string> names;        // header names
  std::vector<std::string> model_names;  // members in member-index order
  bool has_labels = false;
  bool has_content = false;
  bool keep_content = false;
  bool has_parent = false;
};

/// Assigns roles from a header. `header_line` is where the header starts, for messages.
column_plan plan_columns(const std::vector<std::string>& header, const read_options& options,
                         const std::string& source, std::size_t header_line,
                         const std::vector<std::size_t>& header_columns);

/// 0 or 1 for "0", "1", "false", "true"; -1 otherwise.
inline int parse_vote(std::string_view text) noexcept {
  if (text.size() == 1) {
    if (text[0] == '1') return 1;
    if (text[0] == '0') return 0;
    return -1;
  }
  if (text == "true") return 1;
  if (text == "false") return 0;
  return -1;
}

/// Starts an empty table with the plan's metadata.
prediction_table make_table(const column_plan& plan, const std::string& source,
                            const read_options& options);

/// Appends `more`'s rows to `into` (both made by make_table with the same plan).
void append_rows(prediction_table& into, prediction_table&& more);

/// Checks the table is not empty, that ids are unique, and computes the fingerprint.
void finish_table(prediction_table& table, std::size_t last_line);

/// The fingerprint in pieces (finish_table is start + rows of the whole table + digest): a table
/// split into consecutive parts, fed part after part, gives the whole table's fingerprint. Each
/// row is fed as 16 bytes, its id hash and then its votes with the parent's vote in bit 63; the
/// Python module (python/src/core.cpp) ships those records from Dask partitions and feeds them
/// in partition order, so that layout is a contract between the two.
void fingerprint_start(XXH3_state_s* state, const std::vector<std::string>& model_names);
void fingerprint_rows(XXH3_state_s* state, const prediction_table& table);

using io::hash_id;

}  // namespace frugal::io::detail
