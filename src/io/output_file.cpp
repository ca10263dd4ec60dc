#include "frugal/io/output_file.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "frugal/error.hpp"

namespace frugal::io {

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  staged_outputs output;
  output.stage(path, write);
  output.commit();
}

staged_outputs::~staged_outputs() {
  for (const staged_file& file : files_) std::remove(file.temporary.c_str());
}

void staged_outputs::stage(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  // The index keeps two stagings of one path (or of two spellings of it) from sharing a file.
  const std::string temporary = fmt::format("{}.tmp-{}-{}", path, ::getpid(), files_.size());
  // Listed before it exists, so that no failure (not even this list's growth) can leave it.
  files_.push_back({path, temporary});
  try {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw input_error(path, 0, 0, fmt::format("cannot write: {}", std::strerror(errno)));
    write(out);
    out.close();
    if (!out) throw input_error(path, 0, 0, "write failed (disk full?)");
  } catch (...) {
    std::remove(temporary.c_str());
    files_.pop_back();
    throw;
  }
}

void staged_outputs::commit() {
  std::vector<staged_file> files = std::move(files_);
  files_.clear();
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (std::rename(files[i].temporary.c_str(), files[i].path.c_str()) != 0) {
      const int error = errno;
      for (std::size_t j = i; j < files.size(); ++j) std::remove(files[j].temporary.c_str());
      throw input_error(files[i].path, 0, 0,
                        fmt::format("cannot rename into place: {}", std::strerror(error)));
    }
  }
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, 0, 0, "cannot open");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

}  // namespace frugal::io
