#pragma once
/// Errors, split as faiss splits them (STYLE.md): a caller's or a file's mistake throws
/// `frugal::input_error` carrying file:line:column; a broken internal invariant aborts through
/// FRUGAL_ASSERT and is never reachable from input.

#include <cstddef>
#include <stdexcept>
#include <string>

namespace frugal {

/// Bad input from a file or a caller. `what()` reads "file:line:column: message" when a
/// position is known (line and column are 1-based; 0 means unknown).
class input_error : public std::invalid_argument {
 public:
  explicit input_error(const std::string& message);
  input_error(std::string file, std::size_t line, std::size_t column, const std::string& message);

  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }
  std::size_t column() const noexcept { return column_; }
  /// The message without the position prefix.
  const std::string& message() const noexcept { return message_; }

 private:
  std::string file_;
  std::size_t line_ = 0;
  std::size_t column_ = 0;
  std::string message_;
};

namespace detail {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);
}  // namespace detail

}  // namespace frugal

/// Internal invariant: aborts with the expression and position. Never use it for input checks.
#define FRUGAL_ASSERT(condition) \
  ((condition) ? void(0) : ::frugal::detail::assertion_failed(#condition, __FILE__, __LINE__))
