#include "frugal/sampling/planner.hpp"

#include <fmt/format.h>
#include <charconv>
#include <numeric>

#include "frugal/error.hpp"
#include "frugal/sampling/sample_size.hpp"

namespace frugal::sampling {
namespace {

double parse_probability(std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !(value > 0.0 && value < 1.0))
    throw input_error(fmt::format("--prior-precision: \"{}\" is not a number in (0, 1)", text));
  return value;
}

}  // namespace

void check_prior_precision_syntax(std::string_view text) {
  if (text.empty()) return;
  if (text.find('=') == std::string_view::npos) {
    parse_probability(text);
    return;
  }
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0)
      throw input_error(fmt::format("--prior-precision: \"{}\" is not NAME=P", item));
    parse_probability(item.substr(equals + 1));
  }
}

std::vector<double> parse_prior_precision(std::string_view text, const population& items) {
  check_prior_precision_syntax(text);
  std::vector<double> priors(items.set_count(), 0.5);
  if (text.empty()) return priors;
  if (text.find('=') == std::string_view::npos) {
    priors.assign(items.set_count(), parse_probability(text));
    return priors;
  }
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos)
      throw input_error(fmt::format("--prior-precision: \"{}\" is not NAME=P", item));
    const std::ptrdiff_t set = items.find_set(item.substr(0, equals));
    if (set < 0)
      throw input_error(
          fmt::format("--prior-precision: no set named \"{}\"", item.substr(0, equals)));
    priors[static_cast<std::size_t>(set)] = parse_probability(item.substr(equals + 1));
  }
  return priors;
}

std::vector<std::size_t> plan_sample_sizes(const population& items, const plan_settings& settings) {
  std::vector<std::size_t> sizes(items.set_count(), 0);
  for (std::size_t s = 0; s < items.set_count(); ++s) {
    const double prior = s < settings.prior_precision.size() ? settings.prior_precision[s] : 0.5;
    sizes[s] = cochran_sample_size(items.positives(s), settings.margin_of_error,
                                   settings.confidence_level, prior);
  }
  return sizes;
}

sample_plan make_plan(const population& items, plan_settings settings) {
  if (settings.prior_precision.empty()) settings.prior_precision.assign(items.set_count(), 0.5);
  FRUGAL_ASSERT(settings.prior_precision.size() == items.set_count());
  sample_plan plan;
  plan.sample_sizes = plan_sample_sizes(items, settings);
  plan.sample =
      draw_sample(items, settings.design, plan.sample_sizes, settings.seed, settings.threads);
  plan.naive_sum =
      std::accumulate(plan.sample_sizes.begin(), plan.sample_sizes.end(), std::size_t{0});
  plan.expected_independent = expected_distinct_independent(items, plan.sample_sizes);
  plan.settings = std::move(settings);
  return plan;
}

}  // namespace frugal::sampling
