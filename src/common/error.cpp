#include "frugal/error.hpp"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace frugal {
namespace {
std::string located(const std::string& file, std::size_t line, std::size_t column,
                    const std::string& message) {
  if (file.empty()) return message;
  std::string text = file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  return text + ": " + message;
}
}  // namespace

input_error::input_error(const std::string& message)
    : std::invalid_argument(message), message_(message) {}

input_error::input_error(std::string file, std::size_t line, std::size_t column,
                         const std::string& message)
    : std::invalid_argument(located(file, line, column, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      message_(message) {}

namespace detail {
void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "frugal: internal error: assertion '%s' failed at %s:%d\n", expression, file,
               line);
  std::abort();
}
}  // namespace detail
}  // namespace frugal
