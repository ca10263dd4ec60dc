#include "frugal/sampling/ensemble_rule.hpp"

#include <fmt/format.h>
#include <charconv>

#include "frugal/error.hpp"

namespace frugal::sampling {

ensemble_rule ensemble_rule::parse(std::string_view text) {
  ensemble_rule result;
  if (text == "majority") return result;
  if (text == "any") {
    result.rule = kind::any;
    return result;
  }
  if (text == "all") {
    result.rule = kind::all;
    return result;
  }
  if (text.starts_with("atleast:")) {
    const std::string_view number = text.substr(8);
    std::size_t k = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), k);
    if (error != std::errc() || end != number.data() + number.size() || k == 0)
      throw input_error(fmt::format("--ensemble {}: K must be a positive integer", text));
    result.rule = kind::at_least;
    result.threshold = k;
    return result;
  }
  if (text.starts_with("column:") && text.size() > 7) {
    result.rule = kind::column;
    result.column = std::string(text.substr(7));
    return result;
  }
  throw input_error(
      fmt::format("--ensemble {}: expected majority, any, all, atleast:K or column:NAME", text));
}

std::string ensemble_rule::to_string() const {
  switch (rule) {
    case kind::majority:
      return "majority";
    case kind::any:
      return "any";
    case kind::all:
      return "all";
    case kind::at_least:
      return fmt::format("atleast:{}", threshold);
    case kind::column:
      return "column:" + column;
  }
  return "majority";
}

std::size_t ensemble_rule::votes_needed(std::size_t members) const {
  switch (rule) {
    case kind::majority:
      return members / 2 + 1;
    case kind::any:
      return 1;
    case kind::all:
      return members;
    case kind::at_least:
      return threshold;
    case kind::column:
      return 0;
  }
  return members / 2 + 1;
}

}  // namespace frugal::sampling
