#include "frugal/sampling/ensemble_rule.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "frugal/error.hpp"

namespace frugal::sampling {
namespace {

constexpr std::string_view weighted_prefix = "weighted:";
constexpr std::string_view threshold_key = "threshold=";

// The whole of `text` as a decimal ("0.25", "3", "1e-3"); no sign, blank or hex accepted here.
std::optional<double> parse_decimal(std::string_view text) {
  if (text.empty() || text.front() == '+' || text.front() == '-') return std::nullopt;
  double value = 0.0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

ensemble_rule parse_weighted(std::string_view text) {
  const auto fail = [&](const std::string& why) {
    return input_error(fmt::format("ensemble rule {}: {}", text, why));
  };
  std::string_view rest = text.substr(weighted_prefix.size());
  if (rest.empty()) throw fail("empty list: expected weighted:NAME=W,...,NAME=W,threshold=T");
  std::vector<std::string_view> entries;
  while (true) {
    const std::size_t comma = rest.find(',');
    entries.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!entries.back().starts_with(threshold_key))
    throw fail(
        "missing threshold: end the list with threshold=T, as in weighted:a=2,b=1,threshold=2");
  ensemble_rule result;
  result.rule = ensemble_rule::kind::weighted;

  const std::string_view threshold_text = entries.back().substr(threshold_key.size());
  const std::optional<double> threshold = parse_decimal(threshold_text);
  if (!threshold || !std::isfinite(*threshold) || *threshold <= 0.0)
    throw fail(fmt::format("threshold \"{}\" is not a finite number > 0", threshold_text));
  result.weight_threshold = *threshold;
  entries.pop_back();
  if (entries.empty() || (entries.size() == 1 && entries.front().empty()))
    throw fail("no member listed: give NAME=W for at least one member before threshold=T");

  for (const std::string_view entry : entries) {
    const std::size_t equals = entry.rfind('=');
    if (equals == std::string_view::npos) throw fail(fmt::format("\"{}\" is not NAME=W", entry));
    const std::string_view name = entry.substr(0, equals);
    const std::string_view weight_text = entry.substr(equals + 1);
    if (name.empty()) throw fail(fmt::format("\"{}\" has no member name before '='", entry));
    const std::optional<double> weight =
        parse_decimal(weight_text.starts_with('-') ? weight_text.substr(1) : weight_text);
    if (!weight || !std::isfinite(*weight))
      throw fail(
          fmt::format("the weight of \"{}\", \"{}\", is not a finite number", name, weight_text));
    if (weight_text.starts_with('-'))
      throw fail(fmt::format("the weight of \"{}\" is negative ({}); weights must be >= 0", name,
                             weight_text));
    for (const member_weight& earlier : result.weights) {
      if (earlier.name == name) throw fail(fmt::format("member \"{}\" is listed twice", name));
    }
    result.weights.push_back({std::string(name), *weight});
  }
  return result;
}

}  // namespace

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
      throw input_error(fmt::format("ensemble rule {}: K must be a positive integer", text));
    result.rule = kind::at_least;
    result.threshold = k;
    return result;
  }
  if (text.starts_with("column:") && text.size() > 7) {
    result.rule = kind::column;
    result.column = std::string(text.substr(7));
    return result;
  }
  if (text.starts_with(weighted_prefix)) return parse_weighted(text);
  throw input_error(
      fmt::format("ensemble rule {}: expected majority, any, all, atleast:K, column:NAME or "
                  "weighted:NAME=W,...,threshold=T",
                  text));
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
    case kind::weighted: {
      // fmt's "{}" is the shortest text that reads back as the same double.
      std::string text(weighted_prefix);
      for (const member_weight& member : weights)
        text += fmt::format("{}={},", member.name, member.weight);
      return text + fmt::format("threshold={}", weight_threshold);
    }
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
    case kind::weighted:
      throw std::logic_error(
          "ensemble_rule::votes_needed: a weighted rule counts weights, not votes");
  }
  return members / 2 + 1;
}

bool ensemble_rule::weighted_vote(double weight_sum) const noexcept {
  // Parsing a decimal and summing up to 64 doubles errs by well under 1e-14 relative.
  return weight_sum >= weight_threshold - 1e-12 * weight_threshold;
}

}  // namespace frugal::sampling
