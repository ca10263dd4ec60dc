#pragma once
/// Whole-file I/O. Writing outputs so that a failed run leaves nothing half-written: the content
/// goes to a temporary file beside the target, which is renamed over it only when complete.

#include <functional>
#include <ostream>
#include <string>
#include <string_view>

namespace frugal::io {

/// Calls `write` with a stream to a temporary file, then renames it to `path`. If `write`
/// throws, or the disk fills, the temporary file is removed and `path` is left as it was.
/// Throws frugal::input_error when the file cannot be created.
void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write);

/// `text` as one RFC 4180 field: as it is, or in double quotes with inner quotes doubled when it
/// holds a comma, a quote, CR or LF.
std::string csv_field(std::string_view text);

/// The whole content of a small file (labels, plans, feature tables). Throws
/// frugal::input_error naming the file when it cannot be opened.
std::string read_whole_file(const std::string& path);

}  // namespace frugal::io
