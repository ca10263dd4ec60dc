#include "frugal/io/output_file.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "frugal/error.hpp"

namespace frugal::io {

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  const std::string temporary = fmt::format("{}.tmp-{}", path, ::getpid());
  try {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw input_error(path, 0, 0, fmt::format("cannot write: {}", std::strerror(errno)));
    write(out);
    out.flush();
    if (!out) throw input_error(path, 0, 0, "write failed (disk full?)");
    out.close();
    if (std::rename(temporary.c_str(), path.c_str()) != 0)
      throw input_error(path, 0, 0,
                        fmt::format("cannot rename into place: {}", std::strerror(errno)));
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
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
