#pragma once
// Where a member sits on one line of JSON Lines, for the column of an error message: nlohmann's
// parser keeps no positions, so the readers (io/jsonl_reader.cpp, harvest/json_lines.cpp) find
// it again in the raw line. A scan of the line's structure, not a text search, so that a key is
// found only in its own parent object: {"truth": {"intent": 1}, "nlu": {"intent": 2}} puts
// "nlu.intent" at the 2, not at the first "intent" of the line.
//
// The line is normally one that parsed; on anything else the scan stops without reading past
// the end and reports "not found". Keys spelled with escapes are not matched (not found).

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace frugal::io::detail {

/// 1-based columns (byte offsets + 1) of a member's key (its opening quote) and of its value;
/// both 1 when the member was not found.
struct key_column {
  std::size_t key = 1;
  std::size_t value = 1;
};

/// A cursor over one line of JSON that moves into members and elements. Linear in the bytes it
/// passes over.
class json_line_scanner {
 public:
  explicit json_line_scanner(std::string_view line) : line_(line) {}

  /// From the start of an object value, to the value of its member `key` (the first one of
  /// that name). False, with the cursor anywhere, when the value is no object or has no such
  /// member.
  bool enter_member(std::string_view key) {
    skip_space();
    if (!at('{')) return false;
    ++at_;
    for (;;) {
      skip_space();
      if (!at('"')) return false;  // '}' (no such member) or not JSON
      const std::size_t quote = at_;
      if (!skip_string()) return false;
      const std::string_view name = line_.substr(quote + 1, at_ - quote - 2);
      skip_space();
      if (!at(':')) return false;
      ++at_;
      skip_space();
      if (name == key) {
        key_ = quote;
        return true;
      }
      if (!skip_value()) return false;
      skip_space();
      if (!at(',')) return false;
      ++at_;
    }
  }

  /// From the start of an array value, to its element `index` (0-based).
  bool enter_element(std::size_t index) {
    skip_space();
    if (!at('[')) return false;
    ++at_;
    for (std::size_t i = 0;; ++i) {
      skip_space();
      if (at_ >= line_.size() || at(']')) return false;
      if (i == index) {
        key_ = at_;
        return true;
      }
      if (!skip_value()) return false;
      skip_space();
      if (!at(',')) return false;
      ++at_;
    }
  }

  /// The columns of the member or element entered last (an element's "key" is the element).
  key_column columns() const { return {key_ + 1, at_ + 1}; }

 private:
  bool at(char c) const { return at_ < line_.size() && line_[at_] == c; }

  void skip_space() {
    while (at_ < line_.size() &&
           (line_[at_] == ' ' || line_[at_] == '\t' || line_[at_] == '\r' || line_[at_] == '\n'))
      ++at_;
  }

  // From an opening quote to just past the closing one.
  bool skip_string() {
    for (++at_; at_ < line_.size(); ++at_) {
      if (line_[at_] == '\\') {
        ++at_;
      } else if (line_[at_] == '"') {
        ++at_;
        return true;
      }
    }
    return false;
  }

  // Past one value of any kind; nested objects and arrays by depth, strings by their quotes (a
  // brace inside a string is text).
  bool skip_value() {
    skip_space();
    if (at_ >= line_.size()) return false;
    if (at('"')) return skip_string();
    if (at('{') || at('[')) {
      std::size_t depth = 0;
      while (at_ < line_.size()) {
        const char c = line_[at_];
        if (c == '"') {
          if (!skip_string()) return false;
          continue;
        }
        ++at_;
        if (c == '{' || c == '[') {
          ++depth;
        } else if (c == '}' || c == ']') {
          if (--depth == 0) return true;
        }
      }
      return false;
    }
    const std::size_t start = at_;
    while (at_ < line_.size() && std::string_view(",}] \t\r\n").find(line_[at_]) == npos) ++at_;
    return at_ > start;
  }

  static constexpr std::size_t npos = std::string_view::npos;

  std::string_view line_;
  std::size_t at_ = 0;
  std::size_t key_ = 0;
};

/// The member `key` of the line's top-level object, `key` taken literally (a dot or a bracket
/// is part of the name).
inline key_column find_key_column(std::string_view line, std::string_view key) {
  json_line_scanner scanner(line);
  return scanner.enter_member(key) ? scanner.columns() : key_column{};
}

/// The member at `path` from the line's top-level object: names separated by dots, each a
/// member of the object before it, and [i] for the i-th element of the array before it:
/// "nlu.intent", "source.slots[2].start", "entities[0]". A path ending in an index gives the
/// element's column for both key and value. Not found (an empty or malformed path too): {1, 1}.
///
///     find_path_column(R"({"a": {"b": [7, {"c": 1}]}})", "a.b[1].c")  // {.key = 18, .value = 23}
inline key_column find_path_column(std::string_view line, std::string_view path) {
  json_line_scanner scanner(line);
  std::size_t at = 0;
  for (;;) {  // one segment: a name, then any number of [i]
    const std::size_t end = std::min(path.find_first_of(".[", at), path.size());
    const std::string_view name = path.substr(at, end - at);
    at = end;
    bool moved = false;
    if (!name.empty()) {
      if (!scanner.enter_member(name)) return {};
      moved = true;
    }
    while (at < path.size() && path[at] == '[') {
      const std::size_t close = path.find(']', at);
      if (close == std::string_view::npos || close == at + 1) return {};
      std::size_t index = 0;
      for (std::size_t i = at + 1; i < close; ++i) {
        if (path[i] < '0' || path[i] > '9') return {};
        index = index * 10 + std::size_t(path[i] - '0');
      }
      if (!scanner.enter_element(index)) return {};
      at = close + 1;
      moved = true;
    }
    if (!moved) return {};  // an empty path or segment ("", "a..b", "a.")
    if (at == path.size()) return scanner.columns();
    if (path[at] != '.') return {};  // "a[1]b"
    ++at;
  }
}

}  // namespace frugal::io::detail
