#pragma once
#include <string>
#include <string_view>

#include "frugal/io/predictions.hpp"

namespace frugal::io::detail {

/// JSON Lines predictions: one object a line with the CSV header's keys. The first object
/// fixes the columns; every later object must carry the same keys. `id` may be a string or an
/// integer; votes and labels may be 0/1 numbers, booleans or the strings "0"/"1"/"true"/"false".
prediction_table parse_jsonl(std::string_view text, const std::string& source,
                             const read_options& options);

}  // namespace frugal::io::detail
